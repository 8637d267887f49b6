#include "dagrad/optim/finite_sum.hpp"

#include <algorithm>

#include "dagrad/graph/error.hpp"

namespace dagrad::optim {

namespace {

std::size_t draw(std::mt19937_64& rng, std::size_t n) {
  if (n == 0) throw Error("finite-sum method: the sum has no examples");
  return static_cast<std::size_t>(rng() % n);
}

}  // namespace

void GradientTable::fill(ParamStore& store, const FiniteSum& f) {
  table_.assign(f.n, std::vector<Scalar>(store.size()));
  mean_.assign(store.size(), 0);
  for (std::size_t i = 0; i < f.n; ++i) {
    f.example_gradient(i, table_[i]);
    for (std::size_t k = 0; k < mean_.size(); ++k) mean_[k] += table_[i][k] / static_cast<Scalar>(f.n);
  }
}

void GradientTable::replace(std::size_t i, const std::vector<Scalar>& g) {
  Scalar n = static_cast<Scalar>(table_.size());
  for (std::size_t k = 0; k < g.size(); ++k) {
    mean_[k] += (g[k] - table_[i][k]) / n;
    table_[i][k] = g[k];
  }
}

void GradientTable::save(TrainingState& state, const std::string& prefix) const {
  std::vector<Scalar>& flat = state.buffers[prefix + "table"];
  flat.clear();
  for (const auto& row : table_) flat.insert(flat.end(), row.begin(), row.end());
  state.buffers[prefix + "mean"] = mean_;
}

void GradientTable::load(const TrainingState& state, const std::string& prefix, std::size_t n, std::size_t p) {
  const std::vector<Scalar>& flat = state.buffer(prefix + "table");
  std::vector<Scalar> mean = state.sized(prefix + "mean", p);
  if (!flat.empty() && (flat.size() != n * p || mean.size() != p))
    throw CheckpointError("training state: '" + prefix + "table' has " + std::to_string(flat.size()) +
                          " entries, not " + std::to_string(n) + " examples × " + std::to_string(p) + " parameters");
  std::vector<std::vector<Scalar>> table;
  for (std::size_t i = 0; !flat.empty() && i < n; ++i)
    table.emplace_back(flat.begin() + static_cast<std::ptrdiff_t>(i * p),
                       flat.begin() + static_cast<std::ptrdiff_t>((i + 1) * p));
  table_ = std::move(table);
  mean_ = flat.empty() ? std::vector<Scalar>{} : std::move(mean);
}

void TableMethod::save_state(TrainingState& state) const {
  table_.save(state, "finite_sum/");
  state.put_engine("finite_sum/rng", rng_);
}

void TableMethod::load_state(const TrainingState& state, std::size_t n, std::size_t p) {
  std::mt19937_64 rng = state.engine("finite_sum/rng");
  table_.load(state, "finite_sum/", n, p);
  rng_ = rng;
}

void SVRG::save_state(TrainingState& state) const {
  state.values["finite_sum/steps"] = std::to_string(t_);
  state.buffers["finite_sum/snapshot"] = snapshot_;
  state.buffers["finite_sum/mu"] = mu_;
  state.put_engine("finite_sum/rng", rng_);
}

void SVRG::load_state(const TrainingState& state, std::size_t p) {
  std::size_t t = state.count("finite_sum/steps");
  std::vector<Scalar> snapshot = state.sized("finite_sum/snapshot", p), mu = state.sized("finite_sum/mu", p);
  std::mt19937_64 rng = state.engine("finite_sum/rng");
  t_ = t;
  snapshot_ = std::move(snapshot);
  mu_ = std::move(mu);
  rng_ = rng;
}

std::size_t TableMethod::sample(ParamStore& store, const FiniteSum& f) {
  if (table_.empty()) table_.fill(store, f);
  std::size_t j = draw(rng_, f.n);
  g_.resize(store.size());
  f.example_gradient(j, g_);
  return j;
}

void SAG::step(ParamStore& store, const FiniteSum& f) {
  table_.replace(sample(store, f), g_);
  std::vector<Scalar>& w = store.values();
  for (std::size_t k = 0; k < w.size(); ++k) w[k] -= lr_ * table_.mean()[k];
}

void SAGA::step(ParamStore& store, const FiniteSum& f) {
  std::size_t j = sample(store, f);
  std::vector<Scalar>& w = store.values();
  const std::vector<Scalar>& old = table_.row(j);
  for (std::size_t k = 0; k < w.size(); ++k) w[k] -= lr_ * (g_[k] - old[k] + table_.mean()[k]);
  table_.replace(j, g_);
}

void SVRG::step(ParamStore& store, const FiniteSum& f) {
  std::vector<Scalar>& w = store.values();
  g_.resize(w.size());
  g_snap_.resize(w.size());
  if (t_ % epoch_ == 0) {
    snapshot_ = w;
    mu_.assign(w.size(), 0);
    for (std::size_t i = 0; i < f.n; ++i) {
      f.example_gradient(i, g_);
      for (std::size_t k = 0; k < w.size(); ++k) mu_[k] += g_[k] / static_cast<Scalar>(f.n);
    }
  }
  std::size_t j = draw(rng_, f.n);
  f.example_gradient(j, g_);
  // The oracle reads the store, so evaluate at w̃ by swapping contents; the buffer itself must stay
  // (the store's views point into it).
  std::swap_ranges(w.begin(), w.end(), snapshot_.begin());
  f.example_gradient(j, g_snap_);
  std::swap_ranges(w.begin(), w.end(), snapshot_.begin());
  for (std::size_t k = 0; k < w.size(); ++k) w[k] -= lr_ * (g_[k] - g_snap_[k] + mu_[k]);
  ++t_;
}

}  // namespace dagrad::optim
