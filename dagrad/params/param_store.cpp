#include "dagrad/params/param_store.hpp"
#include <algorithm>

#include "dagrad/graph/memory.hpp"

#include <cmath>
#include <random>

#include <xtensor-blas/xlinalg.hpp>

namespace dagrad {

ParamStore::ParamStore(Graph& graph, std::uint64_t seed) : graph_(&graph), params_(graph.parameters()) {
  std::size_t total = 0;
  std::vector<std::size_t> offsets;
  for (const Var& p : params_) {
    offsets.push_back(total);
    total += p.size();
  }
  // A float32 or bfloat16 store holds float32 buffers besides the float64 ones (class comment).
  const bool in_float = graph.dtype() != DType::Float64 && total > 0;
  require_memory((in_float ? 3.0 : 2.0) * static_cast<double>(total) * sizeof(Scalar),
                 "ParamStore: " + std::to_string(params_.size()) + " parameters of " + std::to_string(total) +
                     " values (and their gradients, in float64" + (in_float ? " and float32)" : ")"));
  values_.assign(total, 0);
  grads_.assign(total, 0);
  if (in_float) {
    float_values_.assign(total, 0.0f);
    float_grads_.assign(total, 0.0f);
  }
  offsets_ = offsets;
  grad_fresh_.assign(params_.size(), false);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    slot_[params_[i].id()] = i;
    value_views_.push_back(make_view(values_.data() + offsets[i], params_[i].shape()));
    grad_views_.push_back(make_view(grads_.data() + offsets[i], params_[i].shape()));
  }
  initialize(seed);
}

void ParamStore::initialize(std::uint64_t seed) {
  float64_values();      // the initialisers write the float64 side
  initializing_ = true;  // their value(p) calls expose nothing
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Initializer& init = graph_->initializer(params_[i].id());
    const std::string& name = graph_->node(params_[i].id()).name;
    if (init.draw)
      init.draw(seed, name, value_views_[i]);
    else
      draw_init(Init::normal(), seed, name, value_views_[i]);
  }
  for (const Graph::JointInitEntry& joint : graph_->joint_inits())
    if (std::all_of(joint.params.begin(), joint.params.end(), [this](const Var& p) { return contains(p); }))
      joint.init(*this, seed);
  // Drawn in float64, stored in the graph's dtype: the same seed gives every dtype the rounding of
  // one set of values, so runs in two precisions start from the nearest points they can.
  round_in_place(graph_->dtype(), values_.data(), values_.size());
  initializing_ = false;
  float64_values_written();
}

void ParamStore::expose_values() const {
  if (initializing_ || !values_in_float()) return;
  widen_to_scalar(float_values_.data(), float_values_.size(), values_.data());
  values_exposed_ = true;
}

void ParamStore::expose_grads() const {
  if (!grads_in_float()) return;
  widen_to_scalar(float_grads_.data(), float_grads_.size(), grads_.data());
  grads_exposed_ = true;
}

std::vector<Scalar>& ParamStore::float64_values() {
  if (values_in_float()) widen_to_scalar(float_values_.data(), float_values_.size(), values_.data());
  return values_;
}

void ParamStore::float64_values_written() {
  if (values_in_float()) narrow_to_float(values_.data(), values_.size(), float_values_.data());
}

const std::vector<Scalar>& ParamStore::float64_grads() const {
  if (grads_in_float()) widen_to_scalar(float_grads_.data(), float_grads_.size(), grads_.data());
  return grads_;
}

void ParamStore::widen_value(const Var& p) const {
  if (!values_in_float()) return;
  const std::size_t i = index(p);
  widen_to_scalar(float_values_.data() + offsets_[i], params_[i].size(), values_.data() + offsets_[i]);
}

void ParamStore::widen_grad(const Var& p) const {
  if (!grads_in_float()) return;
  const std::size_t i = index(p);
  widen_to_scalar(float_grads_.data() + offsets_[i], params_[i].size(), grads_.data() + offsets_[i]);
}

std::size_t ParamStore::index(const Var& p) const {
  if (!contains(p)) {
    std::string what = p.valid() ? p.graph().describe(p.id()) : std::string("an empty Var");
    throw BindError("ParamStore has no parameter " + what +
                    " (a store holds the parameters its graph had when it was built)");
  }
  return slot_.at(p.id());
}

View& ParamStore::value(const Var& p) {
  std::size_t i = index(p);
  expose_values();
  return value_views_[i];
}
const View& ParamStore::value(const Var& p) const {
  std::size_t i = index(p);
  expose_values();
  return value_views_[i];
}
View& ParamStore::grad(const Var& p) {
  std::size_t i = index(p);
  expose_grads();
  grad_fresh_[i] = true;
  return grad_views_[i];
}
const View& ParamStore::grad(const Var& p) const {
  std::size_t i = index(p);
  expose_grads();
  return grad_views_[i];
}

Tensor ParamStore::get(const Var& p) const {
  widen_value(p);
  return Tensor(value_views_[index(p)]);
}

Tensor ParamStore::get_grad(const Var& p) const {
  widen_grad(p);
  return Tensor(grad_views_[index(p)]);
}

void ParamStore::set(const Var& p, const Tensor& t) {
  const std::size_t i = index(p);
  View& v = value_views_[i];
  Shape got(t.shape().begin(), t.shape().end());
  if (got != p.shape())
    throw BindError("ParamStore::set: " + p.graph().describe(p.id()) + " needs shape " + to_string(p.shape()) +
                    ", got " + to_string(got));
  std::copy(t.begin(), t.end(), v.begin());
  round_in_place(graph_->dtype(), v.data(), v.size());
  if (values_in_float()) narrow_to_float(v.data(), v.size(), float_values_.data() + offsets_[i]);
}

}  // namespace dagrad
