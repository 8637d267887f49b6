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
  require_memory(2.0 * static_cast<double>(total) * sizeof(Scalar), "ParamStore: " + std::to_string(params_.size()) +
                                                                        " parameters of " + std::to_string(total) +
                                                                        " values (and their gradients)");
  values_.assign(total, 0);
  grads_.assign(total, 0);
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
}

std::size_t ParamStore::index(const Var& p) const {
  if (!contains(p)) {
    std::string what = p.valid() ? p.graph().describe(p.id()) : std::string("an empty Var");
    throw BindError("ParamStore has no parameter " + what +
                    " (a store holds the parameters its graph had when it was built)");
  }
  return slot_.at(p.id());
}

View& ParamStore::value(const Var& p) { return value_views_[index(p)]; }
const View& ParamStore::value(const Var& p) const { return value_views_[index(p)]; }
View& ParamStore::grad(const Var& p) {
  std::size_t i = index(p);
  grad_fresh_[i] = true;
  return grad_views_[i];
}
const View& ParamStore::grad(const Var& p) const { return grad_views_[index(p)]; }

void ParamStore::set(const Var& p, const Tensor& t) {
  View& v = value(p);
  Shape got(t.shape().begin(), t.shape().end());
  if (got != p.shape())
    throw BindError("ParamStore::set: " + p.graph().describe(p.id()) + " needs shape " + to_string(p.shape()) +
                    ", got " + to_string(got));
  std::copy(t.begin(), t.end(), v.begin());
  round_in_place(graph_->dtype(), v.data(), v.size());
}

}  // namespace dagrad
