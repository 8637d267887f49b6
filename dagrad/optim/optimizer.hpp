#pragma once
// Numeric updates of a ParamStore from the gradients in it. Every optimizer sees the flat
// parameter and gradient buffers, so one pass updates all parameters.
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "dagrad/optim/schedule.hpp"
#include "dagrad/params/param_store.hpp"

namespace dagrad::optim {

// Some of a store's parameters with their own learning rate and weight decay (torch.optim's
// param_groups); what a group leaves unset comes from Options.
struct ParamGroup {
  std::vector<Var> params;
  std::optional<Schedule> lr = std::nullopt;
  std::optional<Scalar> weight_decay = std::nullopt;
};

struct Options {
  Schedule lr = constant(0.01);
  Scalar weight_decay = 0;  // adds weight_decay·w to the gradient (L2), as torch.optim does
  Scalar clip_norm = 0;     // if > 0, scales the gradient (of everything stepped) to at most this Euclidean norm first
  // The parameters this optimizer owns; empty: every parameter of the store, as one group. A
  // parameter may be in one group only. Nothing outside the groups changes in a step.
  std::vector<ParamGroup> groups = {};
};

// What an exact resume needs beyond the parameters: named flat buffers (moments, tables) and named
// values kept as text (step counters, RNG engine states), as a checkpoint stores them.
struct TrainingState {
  std::map<std::string, std::vector<Scalar>> buffers;
  std::map<std::string, std::string> values;
  // Throw CheckpointError naming the key when it is missing or malformed.
  const std::vector<Scalar>& buffer(const std::string& key) const;
  const std::string& value(const std::string& key) const;
  std::size_t count(const std::string& key) const;
  void put_engine(const std::string& key, const std::mt19937_64& rng);
  std::mt19937_64 engine(const std::string& key) const;
  // A buffer that is empty (nothing accumulated yet) or has exactly n entries.
  std::vector<Scalar> sized(const std::string& key, std::size_t n) const;
};

class Optimizer {
 public:
  explicit Optimizer(Options options) : options_(std::move(options)) {}
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;
  // One update of the parameters it owns whose gradient was computed since the last step
  // (ParamStore::grad_fresh; torch skips a parameter whose .grad is None the same way), from
  // store.grads(), which it leaves unchanged (clipping and decay work on a copy). A step where no
  // owned parameter has a fresh gradient is an error: it would silently do nothing.
  void step(ParamStore& store);
  std::size_t steps() const { return t_; }
  Scalar learning_rate() const { return options_.lr(t_); }
  // The state under "optimizer/…" keys. load_state checks the optimizer's name and every buffer's
  // size against the store (n parameters) and changes nothing when one is wrong.
  void save_state(TrainingState& state) const;
  void load_state(const TrainingState& state, std::size_t n);

 protected:
  // The subclass's own state: buffers (empty before the first step, else n long) and values.
  virtual void save_extra(TrainingState&) const {}
  virtual void load_extra(const TrainingState&, std::size_t /*n*/) {}
  // One parameter's elements [begin, end) of the flat buffers, and how many updates it had before
  // this one (Adam's bias correction and AdaGrad's decay count per parameter, as torch's state['step']).
  struct Slice {
    std::size_t begin, end, steps;
  };
  // w ← update(w, g) on the slices only, with step size lr; g already clipped and decayed. State
  // buffers are as long as the store's flat buffers. Called with t_ = optimizer steps so far.
  virtual void update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
                      const std::vector<Slice>& slices) = 0;
  // The same update on a float32 or bfloat16 store's float32 buffers, the ones its programs read and
  // write (ParamStore's class comment), with one rounding to dtype_ per value; false where the
  // optimizer has none (has_float_update), and step() updates the float64 side instead.
  virtual bool has_float_update() const { return false; }
  virtual void update_float(float* /*w*/, const float* /*g*/, Scalar /*lr*/, const std::vector<Slice>& /*slices*/) {}
  static Scalar norm_over(const std::vector<Scalar>& g, const std::vector<Slice>& slices);  // ‖g‖ on the slices
  // The flat state buffers (empty or as long as the store's): in a float32 or bfloat16 graph they
  // are rounded to the dtype after each update, as torch keeps them in the parameter's dtype.
  virtual std::vector<std::vector<Scalar>*> state_buffers() { return {}; }
  // Decoupled decay (AdamW) replaces the L2 term.
  virtual bool decoupled_decay() const { return false; }
  // An update that rounds the parameters to dtype_ itself, in its own pass over them (the plain
  // gradient step: one pass instead of two over the largest buffers).
  virtual bool rounds_parameters() const { return false; }
  Options options_;
  std::size_t t_ = 0;
  DType dtype_ = DType::Float64;  // the stepped store's graph's, set before update

 private:
  void finish_step(ParamStore& store, const std::vector<std::vector<std::size_t>>& stepping);
  std::vector<Scalar> g_;
  std::vector<std::size_t> parameter_steps_;  // per store parameter; empty until the first step
};

// w ← w − lr·g.
class GradientDescent : public Optimizer {
 public:
  using Optimizer::Optimizer;
  std::string name() const override { return "gd"; }

 protected:
  void update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
              const std::vector<Slice>& slices) override;
  bool has_float_update() const override { return true; }
  void update_float(float* w, const float* g, Scalar lr, const std::vector<Slice>& slices) override;
  bool rounds_parameters() const override { return true; }
};

// torch.optim.SGD's momentum: b ← μb + (1 − dampening)g (b = g at the first step), and the
// step uses b, or g + μb with nesterov. Heavy ball is nesterov = false.
class Momentum : public Optimizer {
 public:
  Momentum(Options o, Scalar momentum, bool nesterov = false, Scalar dampening = 0)
      : Optimizer(std::move(o)), mu_(momentum), nesterov_(nesterov), dampening_(dampening) {}
  std::string name() const override { return nesterov_ ? "nesterov" : "momentum"; }

 protected:
  void save_extra(TrainingState& state) const override;
  void load_extra(const TrainingState& state, std::size_t n) override;
  void update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
              const std::vector<Slice>& slices) override;

 private:
  Scalar mu_;
  bool nesterov_;
  Scalar dampening_;
  std::vector<Scalar> b_;
  std::vector<std::vector<Scalar>*> state_buffers() override { return {&b_}; }
};

// torch.optim.Adagrad: s ← s + g², w ← w − lr/(1 + (t − 1)·lr_decay) · g/(√s + eps).
class AdaGrad : public Optimizer {
 public:
  AdaGrad(Options o, Scalar eps = 1e-10, Scalar lr_decay = 0, Scalar initial = 0)
      : Optimizer(std::move(o)), eps_(eps), lr_decay_(lr_decay), initial_(initial) {}
  std::string name() const override { return "adagrad"; }

 protected:
  void save_extra(TrainingState& state) const override;
  void load_extra(const TrainingState& state, std::size_t n) override;
  void update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
              const std::vector<Slice>& slices) override;

 private:
  Scalar eps_, lr_decay_, initial_;
  std::vector<Scalar> sum_;
  std::vector<std::vector<Scalar>*> state_buffers() override { return {&sum_}; }
};

// torch.optim.RMSprop (not centred, no momentum): v ← αv + (1 − α)g², w ← w − lr·g/(√v + eps).
// torch.optim.RMSprop, with its `momentum` (a buffer of g/denominator steps) and `centered` (the
// square average less the squared mean gradient) options; the name carries the variant, so a
// checkpoint is only loaded into the variant that saved it.
class RMSProp : public Optimizer {
 public:
  RMSProp(Options o, Scalar alpha = 0.99, Scalar eps = 1e-8, Scalar momentum = 0, bool centered = false)
      : Optimizer(std::move(o)), alpha_(alpha), eps_(eps), momentum_(momentum), centered_(centered) {}
  std::string name() const override {
    return std::string("rmsprop") + (centered_ ? "_centered" : "") + (momentum_ != 0 ? "_momentum" : "");
  }

 protected:
  void save_extra(TrainingState& state) const override;
  void load_extra(const TrainingState& state, std::size_t n) override;
  void update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
              const std::vector<Slice>& slices) override;

 private:
  Scalar alpha_, eps_, momentum_;
  bool centered_;
  std::vector<Scalar> v_, mean_g_, buffer_;
  std::vector<std::vector<Scalar>*> state_buffers() override { return {&v_, &mean_g_, &buffer_}; }
};

// torch.optim.Adam / AdamW (decoupled = true: w ← w(1 − lr·weight_decay) instead of L2), with
// `amsgrad` (the running maximum of the second moment in the denominator).
class Adam : public Optimizer {
 public:
  Adam(Options o, Scalar beta1 = 0.9, Scalar beta2 = 0.999, Scalar eps = 1e-8, bool decoupled = false,
       bool amsgrad = false)
      : Optimizer(std::move(o)), beta1_(beta1), beta2_(beta2), eps_(eps), decoupled_(decoupled), amsgrad_(amsgrad) {}
  std::string name() const override {
    return std::string(decoupled_ ? "adamw" : "adam") + (amsgrad_ ? "_amsgrad" : "");
  }

 protected:
  void save_extra(TrainingState& state) const override;
  void load_extra(const TrainingState& state, std::size_t n) override;
  void update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
              const std::vector<Slice>& slices) override;
  bool decoupled_decay() const override { return decoupled_; }

 private:
  Scalar beta1_, beta2_, eps_;
  bool decoupled_, amsgrad_;
  std::vector<Scalar> m_, v_, v_max_;
  std::vector<std::vector<Scalar>*> state_buffers() override { return {&m_, &v_, &v_max_}; }
};

// w ← w − lr·g/‖g‖ (Nacson et al. 2019); no step where g = 0.
class NormalizedGD : public Optimizer {
 public:
  using Optimizer::Optimizer;
  std::string name() const override { return "normalized_gd"; }

 protected:
  void update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
              const std::vector<Slice>& slices) override;
};

// Mirror descent with the entropy mirror map: w ← w ⊙ exp(−lr·g), then, if `simplex`, w ← w/Σw.
// Keeps positive weights positive (exponentiated gradient, Kivinen & Warmuth 1997).
class ExponentiatedGradient : public Optimizer {
 public:
  ExponentiatedGradient(Options o, bool simplex) : Optimizer(std::move(o)), simplex_(simplex) {}
  std::string name() const override { return "exponentiated_gradient"; }

 protected:
  void update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
              const std::vector<Slice>& slices) override;

 private:
  bool simplex_;
};

// Perturbed gradient descent (Jin et al. 2017): a gradient step, and when ‖g‖ ≤ threshold and no
// perturbation happened in the last `interval` steps, add noise uniform in a ball of `radius`.
class PerturbedGD : public Optimizer {
 public:
  PerturbedGD(Options o, Scalar threshold, Scalar radius, std::size_t interval, std::uint64_t seed)
      : Optimizer(std::move(o)), threshold_(threshold), radius_(radius), interval_(interval), rng_(seed) {}
  std::string name() const override { return "perturbed_gd"; }
  std::size_t perturbations() const { return perturbations_; }

 protected:
  void save_extra(TrainingState& state) const override;
  void load_extra(const TrainingState& state, std::size_t n) override;
  void update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
              const std::vector<Slice>& slices) override;

 private:
  Scalar threshold_, radius_;
  std::size_t interval_;
  std::mt19937_64 rng_;
  std::size_t last_ = 0, perturbations_ = 0;
  bool perturbed_once_ = false;
};

// Langevin dynamics: w ← w − lr·g + √(2·lr/β)·ξ, ξ ~ N(0, I); samples ∝ exp(−β f) as lr → 0.
class Langevin : public Optimizer {
 public:
  Langevin(Options o, Scalar beta, std::uint64_t seed) : Optimizer(std::move(o)), beta_(beta), rng_(seed) {}
  std::string name() const override { return "langevin"; }

 protected:
  void save_extra(TrainingState& state) const override;
  void load_extra(const TrainingState& state, std::size_t n) override;
  void update(std::vector<Scalar>& w, const std::vector<Scalar>& g, Scalar lr,
              const std::vector<Slice>& slices) override;

 private:
  Scalar beta_;
  std::mt19937_64 rng_;
  std::vector<Scalar> xi_;  // one slice's noise, kept to spare an allocation a step
};

// Builds an optimizer by name (gd, sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw,
// normalized_gd, exponentiated_gradient, langevin) with default hyperparameters; for the CLI.
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, Options options, std::uint64_t seed = 0);

// Euclidean norm, scaled so that it does not underflow for tiny gradients.
Scalar norm2(const std::vector<Scalar>& v);

// A standard normal from a 64-bit engine, the same on every standard library.
Scalar standard_normal(std::mt19937_64& rng);
// `count` standard normals into out, both Box-Muller outputs of each pair of draws (the last, for an
// odd count, as standard_normal gives it). Nothing carries between calls, so an engine's state alone
// decides what follows (what checkpoints save).
void standard_normals(std::mt19937_64& rng, Scalar* out, std::size_t count);

}  // namespace dagrad::optim
