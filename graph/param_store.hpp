#pragma once
#include <memory>
#include <cstdint>
#include <map>
#include <vector>

#include "graph/graph.hpp"

namespace dagrad {

// All parameters of a graph, and their gradients, in two contiguous buffers with one view per
// parameter: optimizers update everything in one pass and checkpoints write one piece.
class ParamStore {
 public:
  // Takes every parameter the graph holds now and initialises it from (seed, parameter name),
  // so one parameter's values do not depend on which other parameters exist; then runs the graph's
  // joint initialisers (Graph::add_joint_init) whose parameters it holds.
  explicit ParamStore(Graph& graph, std::uint64_t seed = 0);
  ParamStore(const ParamStore&) = delete;  // views point into the buffers
  ParamStore& operator=(const ParamStore&) = delete;
  ParamStore(ParamStore&&) = default;
  ParamStore& operator=(ParamStore&&) = default;

  void initialize(std::uint64_t seed);
  bool contains(const Var& p) const { return p.valid() && &p.graph() == graph_ && slot_.count(p.id()); }
  View& value(const Var& p);
  View& grad(const Var& p);
  const View& value(const Var& p) const;
  // Copies `t` into the parameter after checking its shape; nothing changes on error.
  void set(const Var& p, const Tensor& t);
  std::vector<Scalar>& values() { return values_; }
  std::vector<Scalar>& grads() { return grads_; }
  const std::vector<Var>& parameters() const { return params_; }
  std::size_t size() const { return values_.size(); }
  Graph& graph() const { return *graph_; }
  // Expires when this store is destroyed (moving it moves the token, and its buffers with it): a
  // bound Program checks it before every run instead of reading freed memory.
  std::weak_ptr<const bool> liveness() const { return alive_; }

 private:
  std::size_t index(const Var& p) const;
  Graph* graph_;
  std::vector<Var> params_;
  std::map<NodeId, std::size_t> slot_;
  std::vector<Scalar> values_, grads_;
  std::vector<View> value_views_, grad_views_;
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

// Fills `out` from `init` with a deterministic generator seeded by (seed, name).
void draw_init(const Init& init, std::uint64_t seed, const std::string& name, View& out);

}  // namespace dagrad
