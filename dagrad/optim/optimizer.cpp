#include "dagrad/optim/optimizer.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <utility>

namespace dagrad::optim {

namespace {
// One pass over the exponent bits, which vectorizes (an isfinite test with an early exit does not);
// the element is looked for only when the pass finds one. For float64 and float32 gradients.
template <class T, class Bits>
bool all_finite_bits(const T* data, std::size_t n, Bits exponent) {
  static_assert(sizeof(T) == sizeof(Bits));
  Bits non_finite = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Bits bits;
    std::memcpy(&bits, data + i, sizeof bits);
    non_finite |= static_cast<Bits>((bits & exponent) == exponent);
  }
  return non_finite == 0;
}
// Per-ISA copies (dtype.hpp): every step reads every gradient here before updating.
DAGRAD_VECTOR_CLONES bool all_finite(const Scalar* data, std::size_t n) {
  return all_finite_bits(data, n, std::uint64_t{0x7FF0000000000000ULL});
}
DAGRAD_VECTOR_CLONES bool all_finite(const float* data, std::size_t n) {
  return all_finite_bits(data, n, std::uint32_t{0x7F800000U});
}

// The first non-finite gradient element of a slice, named; nothing when all are finite.
template <class T>
void require_finite(const T* grads, std::size_t begin, std::size_t end, const std::string& optimizer, const Var& p,
                    std::size_t step) {
  if (all_finite(grads + begin, end - begin)) return;
  for (std::size_t e = begin; e < end; ++e)
    if (!std::isfinite(grads[e]))
      throw NumericError(optimizer + ": non-finite gradient " + std::to_string(grads[e]) + " at element " +
                         std::to_string(e - begin) + " of " + p.graph().describe(p.id()) + " in step " +
                         std::to_string(step) + "; parameters left unchanged");
}
}  // namespace

namespace {
Scalar open_uniform(std::mt19937_64& rng) { return (static_cast<Scalar>(rng() >> 11) + 0.5) * 0x1.0p-53; }
}  // namespace

Scalar standard_normal(std::mt19937_64& rng) {
  Scalar u1 = open_uniform(rng), u2 = open_uniform(rng);
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
}

void standard_normals(std::mt19937_64& rng, Scalar* out, std::size_t count) {
  // Box-Muller's two outputs are independent normals; keeping both halves the draws, logarithms and
  // square roots per normal (Langevin's noise was 80% of a 1000-chain sampling step with one).
  std::size_t i = 0;
  for (; i + 1 < count; i += 2) {
    Scalar radius = std::sqrt(-2 * std::log(open_uniform(rng))), angle = 2 * M_PI * open_uniform(rng);
    out[i] = radius * std::cos(angle);
    out[i + 1] = radius * std::sin(angle);
  }
  if (i < count) out[i] = standard_normal(rng);
}

// ‖v‖ without underflow: gradients of losses near 1e-300 have squares below the smallest double.
Scalar norm2(const std::vector<Scalar>& v) {
  Scalar scale = 0, sum = 0;
  for (Scalar x : v) scale = std::max(scale, std::fabs(x));
  if (scale == 0) return 0;
  for (Scalar x : v) sum += (x / scale) * (x / scale);
  return scale * std::sqrt(sum);
}

const std::vector<Scalar>& TrainingState::buffer(const std::string& key) const {
  auto it = buffers.find(key);
  if (it == buffers.end()) throw CheckpointError("training state: buffer '" + key + "' is missing");
  return it->second;
}

const std::string& TrainingState::value(const std::string& key) const {
  auto it = values.find(key);
  if (it == values.end()) throw CheckpointError("training state: value '" + key + "' is missing");
  return it->second;
}

std::size_t TrainingState::count(const std::string& key) const {
  const std::string& text = value(key);
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
    throw CheckpointError("training state: '" + key + "' is not a count: '" + text + "'");
  return static_cast<std::size_t>(std::stoull(text));
}

std::vector<Scalar> TrainingState::sized(const std::string& key, std::size_t n) const {
  const std::vector<Scalar>& b = buffer(key);
  if (!b.empty() && b.size() != n)
    throw CheckpointError("training state: '" + key + "' has " + std::to_string(b.size()) + " entries, the store " +
                          std::to_string(n));
  return b;
}

void TrainingState::put_engine(const std::string& key, const std::mt19937_64& rng) {
  std::ostringstream out;
  out << rng;
  values[key] = out.str();
}

std::mt19937_64 TrainingState::engine(const std::string& key) const {
  std::istringstream in(value(key));
  std::mt19937_64 rng;
  in >> rng;
  if (!in) throw CheckpointError("training state: '" + key + "' is not a random engine state");
  return rng;
}

void Optimizer::save_state(TrainingState& state) const {
  state.values["optimizer/name"] = name();
  state.values["optimizer/steps"] = std::to_string(t_);
  std::string counts;
  for (std::size_t k : parameter_steps_) counts += (counts.empty() ? "" : ",") + std::to_string(k);
  state.values["optimizer/parameter_steps"] = counts;
  save_extra(state);
}

void Optimizer::load_state(const TrainingState& state, std::size_t n) {
  if (state.value("optimizer/name") != name())
    throw CheckpointError("training state: saved by optimizer '" + state.value("optimizer/name") + "', loading into '" +
                          name() + "'");
  std::size_t steps = state.count("optimizer/steps");
  // Per parameter since parameter groups; a state saved before counts every parameter at `steps`.
  std::vector<std::size_t> parameter_steps;
  if (state.values.count("optimizer/parameter_steps") && !state.value("optimizer/parameter_steps").empty()) {
    std::istringstream counts(state.value("optimizer/parameter_steps"));
    for (std::string item; std::getline(counts, item, ',');) {
      TrainingState one;
      one.values["optimizer/parameter_steps"] = item;
      std::size_t k = one.count("optimizer/parameter_steps");  // CheckpointError unless digits
      if (k > steps)
        throw CheckpointError("training state: 'optimizer/parameter_steps' counts " + std::to_string(k) +
                              " steps of a parameter, more than the optimizer's " + std::to_string(steps));
      parameter_steps.push_back(k);
    }
  }
  load_extra(state, n);  // checks everything before it assigns
  t_ = steps;
  parameter_steps_ = std::move(parameter_steps);
}

void Momentum::save_extra(TrainingState& state) const { state.buffers["optimizer/momentum"] = b_; }
void Momentum::load_extra(const TrainingState& state, std::size_t n) { b_ = state.sized("optimizer/momentum", n); }

void AdaGrad::save_extra(TrainingState& state) const { state.buffers["optimizer/sum"] = sum_; }
void AdaGrad::load_extra(const TrainingState& state, std::size_t n) { sum_ = state.sized("optimizer/sum", n); }

void RMSProp::save_extra(TrainingState& state) const {
  state.buffers["optimizer/square_average"] = v_;
  if (centered_) state.buffers["optimizer/grad_average"] = mean_g_;
  if (momentum_ != 0) state.buffers["optimizer/momentum_buffer"] = buffer_;
}
void RMSProp::load_extra(const TrainingState& state, std::size_t n) {
  std::vector<Scalar> v = state.sized("optimizer/square_average", n);
  std::vector<Scalar> mean_g = centered_ ? state.sized("optimizer/grad_average", n) : std::vector<Scalar>{};
  std::vector<Scalar> buffer = momentum_ != 0 ? state.sized("optimizer/momentum_buffer", n) : std::vector<Scalar>{};
  v_ = std::move(v);
  mean_g_ = std::move(mean_g);
  buffer_ = std::move(buffer);
}

void Adam::save_extra(TrainingState& state) const {
  state.buffers["optimizer/m"] = m_;
  state.buffers["optimizer/v"] = v_;
  if (amsgrad_) state.buffers["optimizer/v_max"] = v_max_;
}
void Adam::load_extra(const TrainingState& state, std::size_t n) {
  std::vector<Scalar> m = state.sized("optimizer/m", n), v = state.sized("optimizer/v", n);
  std::vector<Scalar> v_max = amsgrad_ ? state.sized("optimizer/v_max", n) : std::vector<Scalar>{};
  m_ = std::move(m);
  v_ = std::move(v);
  v_max_ = std::move(v_max);
}

void PerturbedGD::save_extra(TrainingState& state) const {
  state.put_engine("optimizer/rng", rng_);
  state.values["optimizer/last_perturbation"] = std::to_string(last_);
  state.values["optimizer/perturbations"] = std::to_string(perturbations_);
  state.values["optimizer/perturbed_once"] = perturbed_once_ ? "1" : "0";
}
void PerturbedGD::load_extra(const TrainingState& state, std::size_t) {
  std::mt19937_64 rng = state.engine("optimizer/rng");
  std::size_t last = state.count("optimizer/last_perturbation"), count = state.count("optimizer/perturbations"),
              once = state.count("optimizer/perturbed_once");
  rng_ = rng;
  last_ = last;
  perturbations_ = count;
  perturbed_once_ = once != 0;
}

void Langevin::save_extra(TrainingState& state) const { state.put_engine("optimizer/rng", rng_); }
void Langevin::load_extra(const TrainingState& state, std::size_t) { rng_ = state.engine("optimizer/rng"); }

void Optimizer::step(ParamStore& store) {
  const std::vector<Var>& all = store.parameters();
  std::vector<ParamGroup> default_group;
  if (options_.groups.empty()) default_group.push_back({all});
  const std::vector<ParamGroup>& groups = options_.groups.empty() ? default_group : options_.groups;
  if (parameter_steps_.empty()) parameter_steps_.assign(all.size(), t_);
  if (parameter_steps_.size() != all.size())
    throw CheckpointError(name() + ": the loaded state counts steps of " + std::to_string(parameter_steps_.size()) +
                          " parameters, the store holds " + std::to_string(all.size()));
  // Which parameters step now, by group; ownership is checked before anything changes.
  std::vector<std::vector<std::size_t>> stepping(groups.size());
  std::vector<char> owned(all.size(), 0);
  std::size_t owned_count = 0, fresh_count = 0;
  for (std::size_t k = 0; k < groups.size(); ++k)
    for (const Var& p : groups[k].params) {
      std::size_t i = store.index_of(p);  // BindError naming p when the store does not hold it
      if (owned[i]) throw Error(name() + ": " + p.graph().describe(p.id()) + " is in two parameter groups");
      owned[i] = 1;
      ++owned_count;
      if (!store.grad_fresh(p)) continue;
      stepping[k].push_back(i);
      ++fresh_count;
    }
  if (fresh_count == 0)
    throw Error(name() + ": no gradient was computed since the last step for any of the " +
                std::to_string(owned_count) +
                " parameter(s) it owns; run the gradient program (or write store.grad) before step()");
  // Clipping and coupled decay change the gradient, so they work on a copy (the store's gradient
  // stays what the program computed); otherwise the update reads the store's gradient in place.
  bool changes_gradient = options_.clip_norm > 0, decays = false;
  for (const ParamGroup& group : groups) {
    decays = decays || group.weight_decay.value_or(options_.weight_decay) != 0;
    changes_gradient =
        changes_gradient || (!decoupled_decay() && group.weight_decay.value_or(options_.weight_decay) != 0);
  }
  auto slice_of = [&](std::size_t i) {
    std::size_t begin = store.offset(all[i]);
    return Slice{begin, begin + all[i].size(), parameter_steps_[i]};
  };
  std::vector<std::vector<Slice>> slices(groups.size());
  std::vector<Slice> everything;
  for (std::size_t k = 0; k < groups.size(); ++k)
    for (std::size_t i : stepping[k]) {
      slices[k].push_back(slice_of(i));
      everything.push_back(slices[k].back());
    }
  dtype_ = store.graph().dtype();
  // A float32 or bfloat16 store whose float64 side nobody holds is updated where its programs read
  // it, when the optimizer has a float32 update and nothing changes the gradient first.
  if (store.values_in_float() && store.grads_in_float() && has_float_update() && !changes_gradient && !decays) {
    const float* grads = store.float_grads();
    for (std::size_t k = 0; k < groups.size(); ++k)
      for (std::size_t j = 0; j < stepping[k].size(); ++j)
        require_finite(grads, slices[k][j].begin, slices[k][j].end, name(), all[stepping[k][j]], t_);
    for (std::size_t k = 0; k < groups.size(); ++k) {
      if (stepping[k].empty()) continue;
      Scalar lr = groups[k].lr ? (*groups[k].lr)(t_) : options_.lr(t_);
      update_float(store.float_values(), grads, lr, slices[k]);
    }
    finish_step(store, stepping);
    return;
  }
  std::vector<Scalar>& w = store.float64_values();
  const std::vector<Scalar>& grads = store.float64_grads();
  if (changes_gradient) g_.assign(grads.begin(), grads.end());
  const std::vector<Scalar>& g = changes_gradient ? g_ : grads;
  for (std::size_t k = 0; k < groups.size(); ++k)
    for (std::size_t j = 0; j < stepping[k].size(); ++j)
      require_finite(grads.data(), slices[k][j].begin, slices[k][j].end, name(), all[stepping[k][j]], t_);
  if (options_.clip_norm > 0) {
    Scalar norm = norm_over(g_, everything);  // of everything that steps
    if (norm > options_.clip_norm)
      for (const Slice& s : everything)
        for (std::size_t e = s.begin; e < s.end; ++e) g_[e] *= options_.clip_norm / norm;
  }
  for (std::size_t k = 0; k < groups.size(); ++k) {
    if (stepping[k].empty()) continue;
    Scalar lr = groups[k].lr ? (*groups[k].lr)(t_) : options_.lr(t_);
    Scalar decay = groups[k].weight_decay.value_or(options_.weight_decay);
    if (decay != 0)
      for (const Slice& s : slices[k])
        for (std::size_t e = s.begin; e < s.end; ++e) {
          if (decoupled_decay())
            w[e] *= 1 - lr * decay;
          else
            g_[e] += decay * w[e];
        }
    update(w, g, lr, slices[k]);
    // One rounding per stored value and step: the update is one kernel, computed in float64.
    if (dtype_ != DType::Float64) {
      std::vector<std::vector<Scalar>*> state = state_buffers();
      for (const Slice& s : slices[k]) {
        if (!rounds_parameters()) round_in_place(dtype_, w.data() + s.begin, s.end - s.begin);
        for (std::vector<Scalar>* buffer : state)
          if (buffer->size() >= s.end) round_in_place(dtype_, buffer->data() + s.begin, s.end - s.begin);
      }
    }
  }
  store.float64_values_written();
  finish_step(store, stepping);
}

void Optimizer::finish_step(ParamStore& store, const std::vector<std::vector<std::size_t>>& stepping) {
  const std::vector<Var>& all = store.parameters();
  for (const auto& group : stepping)
    for (std::size_t i : group) {
      ++parameter_steps_[i];
      store.mark_grad_consumed(all[i]);
    }
  ++t_;
}

void GradientDescent::update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
                             const std::vector<Slice>& slices) {
  for (const Slice& s : slices) {
    Scalar* wp = w.data();
    const Scalar* gp = g.data();
    if (dtype_ == DType::Float32)
      for (std::size_t i = s.begin; i < s.end; ++i) wp[i] = static_cast<float>(wp[i] - lr * gp[i]);
    else if (dtype_ == DType::BFloat16)
      for (std::size_t i = s.begin; i < s.end; ++i) wp[i] = round_to(DType::BFloat16, wp[i] - lr * gp[i]);
    else
      for (std::size_t i = s.begin; i < s.end; ++i) wp[i] -= lr * gp[i];
  }
}

namespace {
// w -= lr·g in float64, rounded once to the dtype (two roundings for bfloat16, through float32, as
// round_to does): the float64 path's numbers. Per-ISA copies (dtype.hpp): the step's longest loop.
DAGRAD_VECTOR_CLONES void descend(DType dtype, float* w, const float* g, Scalar lr, std::size_t n) {
  if (dtype == DType::BFloat16)
    for (std::size_t i = 0; i < n; ++i)
      w[i] = static_cast<float>(round_to(DType::BFloat16, static_cast<Scalar>(w[i]) - lr * static_cast<Scalar>(g[i])));
  else
    for (std::size_t i = 0; i < n; ++i)
      w[i] = static_cast<float>(static_cast<Scalar>(w[i]) - lr * static_cast<Scalar>(g[i]));
}
}  // namespace

void GradientDescent::update_float(float* w, const float* g, Scalar lr, const std::vector<Slice>& slices) {
  for (const Slice& s : slices) descend(dtype_, w + s.begin, g + s.begin, lr, s.end - s.begin);
}

void Momentum::update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
                      const std::vector<Slice>& slices) {
  if (b_.empty()) b_.assign(w.size(), 0);
  for (const Slice& s : slices)
    for (std::size_t i = s.begin; i < s.end; ++i) {
      // torch: the buffer starts as the parameter's first gradient
      b_[i] = s.steps == 0 ? g[i] : mu_ * b_[i] + (1 - dampening_) * g[i];
      w[i] -= lr * (nesterov_ ? g[i] + mu_ * b_[i] : b_[i]);
    }
}

void AdaGrad::update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
                     const std::vector<Slice>& slices) {
  if (sum_.empty()) sum_.assign(w.size(), initial_);
  for (const Slice& s : slices) {
    Scalar clr = lr / (1 + static_cast<Scalar>(s.steps) * lr_decay_);
    for (std::size_t i = s.begin; i < s.end; ++i) {
      sum_[i] += g[i] * g[i];
      w[i] -= clr * g[i] / (std::sqrt(sum_[i]) + eps_);
    }
  }
}

void RMSProp::update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
                     const std::vector<Slice>& slices) {
  if (v_.empty()) v_.assign(w.size(), 0);
  if (centered_ && mean_g_.empty()) mean_g_.assign(w.size(), 0);
  if (momentum_ != 0 && buffer_.empty()) buffer_.assign(w.size(), 0);
  for (const Slice& s : slices)
    for (std::size_t i = s.begin; i < s.end; ++i) {
      v_[i] = alpha_ * v_[i] + (1 - alpha_) * g[i] * g[i];
      Scalar variance = v_[i];
      if (centered_) {
        mean_g_[i] = alpha_ * mean_g_[i] + (1 - alpha_) * g[i];
        variance -= mean_g_[i] * mean_g_[i];
      }
      Scalar denominator = std::sqrt(variance) + eps_;
      if (momentum_ != 0) {
        buffer_[i] = momentum_ * buffer_[i] + g[i] / denominator;
        w[i] -= lr * buffer_[i];
      } else {
        w[i] -= lr * g[i] / denominator;
      }
    }
}

void Adam::update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr, const std::vector<Slice>& slices) {
  if (m_.empty()) m_.assign(w.size(), 0), v_.assign(w.size(), 0);
  if (amsgrad_ && v_max_.empty()) v_max_.assign(w.size(), 0);
  for (const Slice& s : slices) {
    Scalar t = static_cast<Scalar>(s.steps + 1);
    Scalar bias1 = 1 - std::pow(beta1_, t), bias2 = 1 - std::pow(beta2_, t);
    // torch's arithmetic order: denom = √v / √bias2 + eps, step = lr / bias1.
    Scalar step = lr / bias1, root2 = std::sqrt(bias2);
    for (std::size_t i = s.begin; i < s.end; ++i) {
      m_[i] = beta1_ * m_[i] + (1 - beta1_) * g[i];
      v_[i] = beta2_ * v_[i] + (1 - beta2_) * g[i] * g[i];
      Scalar second = v_[i];
      if (amsgrad_) second = v_max_[i] = std::max(v_max_[i], v_[i]);
      w[i] -= step * m_[i] / (std::sqrt(second) / root2 + eps_);
    }
  }
}

Scalar Optimizer::norm_over(const std::vector<Scalar>& g, const std::vector<Slice>& slices) {
  std::vector<Scalar> stepped;
  for (const Slice& s : slices)
    stepped.insert(stepped.end(), g.begin() + static_cast<long>(s.begin), g.begin() + static_cast<long>(s.end));
  return norm2(stepped);
}

void NormalizedGD::update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
                          const std::vector<Slice>& slices) {
  Scalar norm = norm_over(g, slices);
  if (norm == 0) return;
  for (const Slice& s : slices)
    for (std::size_t i = s.begin; i < s.end; ++i) w[i] -= lr * g[i] / norm;
}

void ExponentiatedGradient::update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
                                   const std::vector<Slice>& slices) {
  Scalar total = 0;
  for (const Slice& s : slices)
    for (std::size_t i = s.begin; i < s.end; ++i)
      if (!(w[i] > 0)) throw NumericError("exponentiated_gradient: weight " + std::to_string(i) + " is not positive");
  for (const Slice& s : slices)
    for (std::size_t i = s.begin; i < s.end; ++i) {
      w[i] *= std::exp(-lr * g[i]);
      total += w[i];
    }
  if (simplex_)
    for (const Slice& s : slices)
      for (std::size_t i = s.begin; i < s.end; ++i) w[i] /= total;
}

void PerturbedGD::update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
                         const std::vector<Slice>& slices) {
  Scalar norm = norm_over(g, slices);
  std::size_t d = 0;
  for (const Slice& s : slices) {
    d += s.end - s.begin;
    for (std::size_t i = s.begin; i < s.end; ++i) w[i] -= lr * g[i];
  }
  if (norm > threshold_ || (perturbed_once_ && t_ - last_ < interval_)) return;
  // Uniform in the ball: a Gaussian direction scaled by radius·U^{1/d}.
  std::vector<Scalar> xi;
  Scalar xi_norm = 0;
  for (std::size_t k = 0; k < d; ++k) {
    xi.push_back(standard_normal(rng_));
    xi_norm += xi.back() * xi.back();
  }
  Scalar u = (static_cast<Scalar>(rng_() >> 11) + 0.5) * 0x1.0p-53;
  Scalar scale = radius_ * std::pow(u, 1.0 / static_cast<Scalar>(d)) / std::sqrt(xi_norm);
  std::size_t k = 0;
  for (const Slice& s : slices)
    for (std::size_t i = s.begin; i < s.end; ++i) w[i] += scale * xi[k++];
  last_ = t_;
  perturbed_once_ = true;
  ++perturbations_;
}

void Langevin::update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
                      const std::vector<Slice>& slices) {
  Scalar noise = std::sqrt(2 * lr / beta_);
  for (const Slice& s : slices) {
    xi_.resize(s.end - s.begin);
    standard_normals(rng_, xi_.data(), xi_.size());
    for (std::size_t i = s.begin; i < s.end; ++i) w[i] += -lr * g[i] + noise * xi_[i - s.begin];
  }
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, Options o, std::uint64_t seed) {
  if (name == "gd" || name == "sgd") return std::make_unique<GradientDescent>(std::move(o));
  if (name == "momentum") return std::make_unique<Momentum>(std::move(o), 0.9);
  if (name == "nesterov") return std::make_unique<Momentum>(std::move(o), 0.9, true);
  if (name == "adagrad") return std::make_unique<AdaGrad>(std::move(o));
  if (name == "rmsprop") return std::make_unique<RMSProp>(std::move(o));
  if (name == "rmsprop_centered") return std::make_unique<RMSProp>(std::move(o), 0.99, 1e-8, 0, true);
  if (name == "rmsprop_momentum") return std::make_unique<RMSProp>(std::move(o), 0.99, 1e-8, 0.9);
  if (name == "rmsprop_centered_momentum") return std::make_unique<RMSProp>(std::move(o), 0.99, 1e-8, 0.9, true);
  if (name == "adam") return std::make_unique<Adam>(std::move(o));
  if (name == "adamw") return std::make_unique<Adam>(std::move(o), 0.9, 0.999, 1e-8, true);
  if (name == "adam_amsgrad") return std::make_unique<Adam>(std::move(o), 0.9, 0.999, 1e-8, false, true);
  if (name == "adamw_amsgrad") return std::make_unique<Adam>(std::move(o), 0.9, 0.999, 1e-8, true, true);
  if (name == "normalized_gd") return std::make_unique<NormalizedGD>(std::move(o));
  if (name == "langevin") return std::make_unique<Langevin>(std::move(o), 1e4, seed);
  throw Error("unknown optimizer '" + name +
              "' (gd, sgd, momentum, nesterov, adagrad, rmsprop, rmsprop_centered, rmsprop_momentum, "
              "rmsprop_centered_momentum, adam, adamw, adam_amsgrad, adamw_amsgrad, normalized_gd, langevin)");
}

}  // namespace dagrad::optim
