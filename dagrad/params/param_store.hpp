#pragma once
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "dagrad/graph/graph.hpp"
#include "dagrad/params/init.hpp"

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
  // Gradients carry a "computed since the last optimizer step" mark per parameter: writing access
  // (grad(p), grads()) sets it, a step clears it for what it owns, and a step never applies a
  // gradient without it (a layer no program differentiated keeps its values, bit for bit).
  View& grad(const Var& p);
  const View& value(const Var& p) const;
  const View& grad(const Var& p) const;
  bool grad_fresh(const Var& p) const { return grad_fresh_[index(p)]; }
  void mark_grad_fresh(const Var& p) { grad_fresh_[index(p)] = true; }
  void mark_grad_consumed(const Var& p) { grad_fresh_[index(p)] = false; }
  std::size_t offset(const Var& p) const { return offsets_[index(p)]; }  // of p's slice in values() and grads()
  std::size_t index_of(const Var& p) const { return index(p); }          // position in parameters()
  // Copies `t` into the parameter after checking its shape; nothing changes on error.
  void set(const Var& p, const Tensor& t);
  // Raw access, as optimizers take it: what is written here must already be a value of the graph's
  // dtype (set() and the optimizers round; a Program reads these values as they are).
  std::vector<Scalar>& values() { return values_; }
  std::vector<Scalar>& grads() {
    std::fill(grad_fresh_.begin(), grad_fresh_.end(), true);
    return grads_;
  }
  const std::vector<Scalar>& grads() const { return grads_; }
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
  std::vector<std::size_t> offsets_;
  std::vector<bool> grad_fresh_;
  std::vector<View> value_views_, grad_views_;
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

}  // namespace dagrad
