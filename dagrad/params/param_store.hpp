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
//
// A float32 or bfloat16 graph's store keeps its parameters and gradients in float32 memory, which
// its programs read and write and GradientDescent updates in place, as PyTorch's float32 parameters
// are. The float64 accessors (values(), grads(), value(p), grad(p)) hand out float64 memory that
// holds the same values; the first call of one *exposes* that side: from then on it is what
// everything reads (a Program narrows it every run, an optimizer updates it), so a reference kept
// and written through later is seen, exactly as in a float64 store. Only a store whose float64
// side was never handed out trains on float32 memory alone (docs/design.md, "Which memory is
// float32"). get() and set() copy and expose nothing.
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
  Tensor get(const Var& p) const;       // a copy of the parameter's values
  Tensor get_grad(const Var& p) const;  // a copy of its gradient
  bool grad_fresh(const Var& p) const { return grad_fresh_[index(p)]; }
  void mark_grad_fresh(const Var& p) { grad_fresh_[index(p)] = true; }
  void mark_grad_consumed(const Var& p) { grad_fresh_[index(p)] = false; }
  std::size_t offset(const Var& p) const { return offsets_[index(p)]; }  // of p's slice in values() and grads()
  std::size_t index_of(const Var& p) const { return index(p); }          // position in parameters()
  // Copies `t` into the parameter after checking its shape, rounded to the graph's dtype; nothing
  // changes on error.
  void set(const Var& p, const Tensor& t);
  // Raw access, as optimizers take it: what is written here must already be a value of the graph's
  // dtype (set() and the optimizers round; a Program reads these values as they are).
  std::vector<Scalar>& values() {
    expose_values();
    return values_;
  }
  std::vector<Scalar>& grads() {
    expose_grads();
    std::fill(grad_fresh_.begin(), grad_fresh_.end(), true);
    return grads_;
  }
  const std::vector<Scalar>& grads() const {
    expose_grads();
    return grads_;
  }
  const std::vector<Var>& parameters() const { return params_; }
  std::size_t size() const { return values_.size(); }
  Graph& graph() const { return *graph_; }
  // Expires when this store is destroyed (moving it moves the token, and its buffers with it): a
  // bound Program checks it before every run instead of reading freed memory.
  std::weak_ptr<const bool> liveness() const { return alive_; }

  // For the library's own programs, optimizers and checkpoints, which keep the two sides apart.
  // In a float32 or bfloat16 store that was not exposed, the float32 buffers are the parameters and
  // gradients; in a float64 or an exposed store, the float64 ones are.
  bool holds_float() const { return !float_values_.empty(); }
  bool values_in_float() const { return holds_float() && !values_exposed_; }
  bool grads_in_float() const { return holds_float() && !grads_exposed_; }
  float* float_values() { return float_values_.data(); }
  float* float_grads() { return float_grads_.data(); }
  // The float64 buffers with what the store holds, without exposing them (widened from float32
  // where those are the parameters); after writing float64 values of the dtype into them, call
  // float64_values_written() so the float32 side follows.
  std::vector<Scalar>& float64_values();
  void float64_values_written();
  const std::vector<Scalar>& float64_grads() const;
  // Where a program writes p's gradient (float64) and where it reads p (float64), exposing nothing.
  Scalar* grad_memory(const Var& p) { return grads_.data() + offsets_[index(p)]; }
  Scalar* value_memory(const Var& p) { return values_.data() + offsets_[index(p)]; }
  // Makes the float64 side current for p alone (a float64 kernel about to read it), exposing nothing.
  void widen_value(const Var& p) const;
  void widen_grad(const Var& p) const;

 private:
  std::size_t index(const Var& p) const;
  void expose_values() const;
  void expose_grads() const;
  Graph* graph_;
  std::vector<Var> params_;
  std::map<NodeId, std::size_t> slot_;
  // mutable: widening to the float64 side changes no value the store holds.
  mutable std::vector<Scalar> values_, grads_;
  std::vector<float> float_values_, float_grads_;  // empty in a float64 store
  mutable bool values_exposed_ = false, grads_exposed_ = false;
  bool initializing_ = false;
  std::vector<std::size_t> offsets_;
  std::vector<bool> grad_fresh_;
  std::vector<View> value_views_, grad_views_;
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

}  // namespace dagrad
