#pragma once
// Variance-reduced methods for f(w) = (1/n) Σ f_i(w), over a per-example gradient oracle.
#include <functional>
#include <random>
#include <vector>

#include "dagrad/optim/optimizer.hpp"
#include "dagrad/params/param_store.hpp"

namespace dagrad::optim {

// ∇f_i at the store's current values, written into `grad` (size = store.size()).
struct FiniteSum {
  std::size_t n = 0;
  std::function<void(std::size_t i, std::vector<Scalar>& grad)> example_gradient;
};

// Shared by SAG and SAGA: a table of the last gradient seen for each example and their mean,
// filled by one full pass at the first step.
class GradientTable {
 public:
  void fill(ParamStore& store, const FiniteSum& f);
  bool empty() const { return table_.empty(); }
  std::vector<Scalar>& row(std::size_t i) { return table_[i]; }
  std::vector<Scalar>& mean() { return mean_; }
  // Replaces row i by g and updates the mean.
  void replace(std::size_t i, const std::vector<Scalar>& g);
  // The table as one flat buffer (n rows of p) and its mean; load checks n·p and p.
  void save(TrainingState& state, const std::string& prefix) const;
  void load(const TrainingState& state, const std::string& prefix, std::size_t n, std::size_t p);

 private:
  std::vector<std::vector<Scalar>> table_;
  std::vector<Scalar> mean_;
};

// State shared by SAG and SAGA: the step size, the sampler, the table and the fresh gradient.
class TableMethod {
 public:
  TableMethod(Scalar lr, std::uint64_t seed) : lr_(lr), rng_(seed) {}
  // The table, its mean and the sampler's engine, for checkpoints (n examples, p parameters).
  void save_state(TrainingState& state) const;
  void load_state(const TrainingState& state, std::size_t n, std::size_t p);

 protected:
  // Fills the table on first use, draws j and computes ∇f_j(w) into g_; returns j.
  std::size_t sample(ParamStore& store, const FiniteSum& f);
  Scalar lr_;
  std::mt19937_64 rng_;
  GradientTable table_;
  std::vector<Scalar> g_;
};

// SAG (Schmidt, Le Roux & Bach 2017): w ← w − lr · mean of the table, after refreshing row j.
class SAG : public TableMethod {
 public:
  using TableMethod::TableMethod;
  void step(ParamStore& store, const FiniteSum& f);
};

// SAGA (Defazio, Bach & Lacoste-Julien 2014): w ← w − lr (∇f_j(w) − table_j + mean(table)).
class SAGA : public TableMethod {
 public:
  using TableMethod::TableMethod;
  void step(ParamStore& store, const FiniteSum& f);
};

// SVRG (Johnson & Zhang 2013): every `epoch_length` steps a snapshot w̃ and μ = ∇f(w̃); in
// between w ← w − lr (∇f_j(w) − ∇f_j(w̃) + μ).
class SVRG {
 public:
  SVRG(Scalar lr, std::size_t epoch_length, std::uint64_t seed) : lr_(lr), epoch_(epoch_length), rng_(seed) {}
  void step(ParamStore& store, const FiniteSum& f);
  // The step counter, snapshot w̃, μ and the sampler's engine, for checkpoints (p parameters).
  void save_state(TrainingState& state) const;
  void load_state(const TrainingState& state, std::size_t p);

 private:
  Scalar lr_;
  std::size_t epoch_, t_ = 0;
  std::mt19937_64 rng_;
  std::vector<Scalar> snapshot_, mu_, g_, g_snap_;  // snapshot_ holds w̃ (briefly w while swapped)
};

}  // namespace dagrad::optim
