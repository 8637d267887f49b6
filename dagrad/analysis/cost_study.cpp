#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "dagrad/analysis/analysis.hpp"
#include "dagrad/analysis/cost.hpp"
#include "dagrad/models/models.hpp"

namespace dagrad::analysis {

namespace {

// Executed flops of one run (a Clarke directional pass counts only where it ran).
double flops_per_run(const Program& p) {
  const ProgramStats& s = p.stats();
  return s.runs ? s.executed_flops / static_cast<double>(s.runs) : s.per_run.flops;
}

double max_abs_diff(const std::vector<Scalar>& a, const std::vector<Scalar>& b) {
  double m = 0;
  for (std::size_t k = 0; k < a.size(); ++k) m = std::max(m, std::fabs(a[k] - b[k]));
  return m;
}

Tensor random_normal(std::mt19937_64& rng, const Shape& shape) {
  std::normal_distribution<double> normal(0, 1);
  Tensor t = Tensor::from_shape(shape);
  for (auto& v : t) v = normal(rng);
  return t;
}

}  // namespace

double median_seconds(const std::function<void()>& f, int max_repeats, double budget) {
  std::vector<double> t;
  double spent = 0;
  while (static_cast<int>(t.size()) < std::max(3, max_repeats) && (t.size() < 3 || spent < budget)) {
    auto start = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    spent += t.back();
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

GradientMethods::GradientMethods(Graph& g, const Var& y, std::vector<Var> wrt, std::vector<Tensor> at,
                                 const std::function<void(Program&)>& bind)
    : y_(y), wrt_(std::move(wrt)), at_(std::move(at)) {
  if (y.size() != 1) throw AutodiffError("GradientMethods: " + g.describe(y.id()) + " is not a scalar");
  if (wrt_.size() != at_.size())
    throw AutodiffError("GradientMethods: " + std::to_string(wrt_.size()) + " leaves but " +
                        std::to_string(at_.size()) + " values");
  for (std::size_t i = 0; i < wrt_.size(); ++i) {
    Shape given(at_[i].shape().begin(), at_[i].shape().end());
    if (given != wrt_[i].shape())
      throw ShapeError("GradientMethods: value for " + g.describe(wrt_[i].id()) + " has shape " + to_string(given) +
                       ", expected " + to_string(wrt_[i].shape()));
    n_ += wrt_[i].size();
    tangents_.push_back(g.input("tangent/" + wrt_[i].name(), wrt_[i].shape()));
    basis_.push_back(xt::zeros<Scalar>(wrt_[i].shape()));
  }
  grads_ = grad(y, wrt_);
  directional_ = jvp(std::vector<Var>{y}, wrt_, tangents_)[0];
  auto compile = [&](const std::vector<Var>& outputs) {
    auto p = std::make_unique<Program>(g, outputs);
    bind(*p);
    for (std::size_t i = 0; i < wrt_.size(); ++i) p->set(wrt_[i], at_[i]);
    return p;
  };
  value_ = compile({y});
  reverse_ = compile(grads_);
  forward_ = compile({directional_});
  reverse_out_.resize(n_);
  forward_out_.resize(n_);
  differences_out_.resize(n_);
}

Scalar GradientMethods::value() {
  value_->run();
  return value_->scalar(y_);
}

const std::vector<Scalar>& GradientMethods::reverse() {
  reverse_->run();
  std::size_t at = 0;
  for (const Var& gv : grads_) {
    const View& v = reverse_->view(gv);
    std::copy(v.begin(), v.end(), reverse_out_.begin() + static_cast<std::ptrdiff_t>(at));
    at += v.size();
  }
  return reverse_out_;
}

const std::vector<Scalar>& GradientMethods::forward() {
  std::size_t k = 0;
  for (std::size_t i = 0; i < wrt_.size(); ++i) forward_->set(tangents_[i], basis_[i]);
  for (std::size_t i = 0; i < wrt_.size(); ++i) {
    for (std::size_t j = 0; j < basis_[i].size(); ++j, ++k) {
      basis_[i].flat(j) = 1;
      forward_->set(tangents_[i], basis_[i]);
      forward_->run();
      forward_out_[k] = forward_->scalar(directional_);
      basis_[i].flat(j) = 0;
    }
    forward_->set(tangents_[i], basis_[i]);
  }
  return forward_out_;
}

const std::vector<Scalar>& GradientMethods::differences() {
  std::size_t k = 0;
  for (std::size_t i = 0; i < wrt_.size(); ++i) {
    Tensor& x = at_[i];
    for (std::size_t j = 0; j < x.size(); ++j, ++k) {
      // The step balances truncation (h²) against rounding (ε/h).
      Scalar saved = x.flat(j), h = 1e-5 * std::max(Scalar(1), std::fabs(saved));
      x.flat(j) = saved + h;
      value_->set(wrt_[i], x);
      Scalar up = value();
      x.flat(j) = saved - h;
      value_->set(wrt_[i], x);
      differences_out_[k] = (up - value()) / (2 * h);
      x.flat(j) = saved;
    }
    value_->set(wrt_[i], x);
  }
  return differences_out_;
}

std::vector<double> GradientMethods::flops() const {
  double n = static_cast<double>(n_);
  return {flops_per_run(*value_), flops_per_run(*reverse_), n * flops_per_run(*forward_),
          2 * n * flops_per_run(*value_)};
}

std::vector<MethodCost> gradient_costs(GradientMethods& m, int repeats) {
  double n = static_cast<double>(m.dimension());
  std::vector<MethodCost> rows{
      {"function value", 1, 0, median_seconds([&] { m.value(); }, repeats), 0},
      {"reverse (1 VJP)", 1, 0, median_seconds([&] { m.reverse(); }, repeats), 0},
      {"forward (d JVPs)", n, 0, median_seconds([&] { m.forward(); }, repeats), 0},
      {"central differences (2d evals)", 2 * n, 0, median_seconds([&] { m.differences(); }, repeats), 0}};
  std::vector<Scalar> reference = m.reverse();
  rows[2].max_abs_diff = max_abs_diff(m.forward(), reference);
  rows[3].max_abs_diff = max_abs_diff(m.differences(), reference);
  std::vector<double> flops = m.flops();
  for (std::size_t r = 0; r < rows.size(); ++r) rows[r].flops = flops[r];
  return rows;
}

std::vector<MethodCost> jacobian_costs(Graph& g, const Var& y, const Var& x, const Tensor& at,
                                       const std::function<void(Program&)>& bind, int repeats) {
  const Mode modes[3] = {Mode::Forward, Mode::Reverse, Mode::Auto};
  const double passes[2] = {static_cast<double>(x.size()), static_cast<double>(y.size())};
  Mode picked = cheaper_mode(x.size(), y.size());
  std::vector<MethodCost> rows{{"jacfwd (d JVPs)", passes[0]},
                               {"jacrev (m VJPs)", passes[1]},
                               {"Auto", passes[picked == Mode::Forward ? 0 : 1]}};
  std::vector<Tensor> results;
  for (int m = 0; m < 3; ++m) {
    Var jac = jacobian(y, x, modes[m]);
    Program p(g, {jac});
    bind(p);
    p.set(x, at);
    rows[static_cast<std::size_t>(m)].seconds = median_seconds([&] { p.run(); }, repeats);
    rows[static_cast<std::size_t>(m)].flops = flops_per_run(p);
    results.push_back(p.get(jac));
  }
  for (std::size_t m : {0, 2}) {
    std::vector<Scalar> a(results[m].begin(), results[m].end()), b(results[1].begin(), results[1].end());
    rows[m].max_abs_diff = max_abs_diff(a, b);
  }
  return rows;
}

CostOptions quick_cost_options() {
  CostOptions o;
  o.d = 8;
  o.width = 64;
  o.depth = 3;
  o.ds = {2, 4, 8, 16, 32};
  o.widths = {16, 32, 64, 128};
  o.depths = {3, 6, 12, 24};
  o.jacobian_inputs = 16;
  o.jacobian_outputs = {1, 4, 16, 64};
  o.chain = {16, 128, 4, 128, 4, 128, 8};
  o.repeats = 3;
  return o;
}

namespace {

struct Mlp {
  Graph g;
  Var x, y;
  std::unique_ptr<ParamStore> store;
  Tensor xv;
  Mlp(std::size_t d, std::size_t width, std::size_t depth, std::size_t outputs, std::uint64_t seed, DType dtype)
      : g(dtype) {
    x = g.input("x", {1, d});
    models::MlpOptions o;
    o.hidden.assign(depth, width);
    o.outputs = outputs;
    o.activation = [](const Var& h) { return tanh(h); };
    models::Model m = models::mlp(x, o);
    y = outputs == 1 ? sum(m.output) : reshape(m.output, {outputs});
    store = std::make_unique<ParamStore>(g, seed);
    std::mt19937_64 rng(seed + 1);
    xv = random_normal(rng, {1, d});
  }
  std::function<void(Program&)> binder() {
    return [this](Program& p) { p.bind(*store); };
  }
};

void fit(CostStudy& study, const std::string& sweep, const std::vector<std::pair<std::string, double>>& textbook) {
  std::vector<Scalar> log_size;
  for (const CostPoint& p : study.points)
    if (p.sweep == sweep) log_size.push_back(std::log(static_cast<Scalar>(p.size)));
  for (std::size_t m = 0; m < textbook.size(); ++m) {
    std::vector<Scalar> log_flops, log_time;
    for (const CostPoint& p : study.points)
      if (p.sweep == sweep) {
        log_flops.push_back(std::log(p.methods[m].flops));
        log_time.push_back(std::log(p.methods[m].seconds));
      }
    study.fits.push_back({sweep, textbook[m].first, textbook[m].second, fitted_slope(log_size, log_flops),
                          fitted_slope(log_size, log_time)});
  }
}

}  // namespace

CostStudy cost_study(const CostOptions& o) {
  CostStudy study;
  auto gradient_point = [&](const std::string& sweep, std::size_t size, std::size_t d, std::size_t w, std::size_t L) {
    Mlp net(d, w, L, 1, o.seed, o.dtype);
    GradientMethods methods(net.g, net.y, {net.x}, {net.xv}, net.binder());
    study.points.push_back({sweep, size, gradient_costs(methods, o.repeats), ""});
  };
  for (std::size_t d : o.ds) gradient_point("d", d, d, o.width, o.depth);
  for (std::size_t w : o.widths) gradient_point("w", w, o.d, w, o.depth);
  for (std::size_t L : o.depths) gradient_point("L", L, o.d, o.width, L);
  for (std::size_t m : o.jacobian_outputs) {
    Mlp net(o.jacobian_inputs, o.width, o.depth, m, o.seed, o.dtype);
    study.points.push_back({"m", m, jacobian_costs(net.g, net.y, net.x, net.xv, net.binder(), o.repeats),
                            cheaper_mode(o.jacobian_inputs, m) == Mode::Forward ? "Auto: jacfwd" : "Auto: jacrev"});
  }
  // Textbook exponents for d ≪ w: a value costs O(dw + w²L), so O(w²L) in d, w and L alike.
  const std::vector<std::pair<std::string, double>> in_d{
      {"function value", 0}, {"reverse", 0}, {"forward", 1}, {"central differences", 1}};
  fit(study, "d", in_d);
  fit(study, "w", {{"function value", 2}, {"reverse", 2}, {"forward", 2}, {"central differences", 2}});
  fit(study, "L", {{"function value", 1}, {"reverse", 1}, {"forward", 1}, {"central differences", 1}});
  fit(study, "m", {{"jacfwd", 0}, {"jacrev", 1}});

  // A tanh chain with narrow waists, where neither pure mode is the cheapest plan.
  Graph g(o.dtype);
  std::vector<Var> stages{g.input("x", {o.chain.front()})};
  for (std::size_t i = 1; i < o.chain.size(); ++i) {
    Var w = g.parameter("W" + std::to_string(i), {o.chain[i], o.chain[i - 1]},
                        Init::normal(0, 1 / std::sqrt(static_cast<Scalar>(o.chain[i - 1]))));
    stages.push_back(tanh(matmul(w, stages.back())));
  }
  ParamStore store(g, o.seed);
  std::mt19937_64 rng(o.seed + 2);
  Tensor xv = random_normal(rng, {o.chain.front()});
  study.chain = chain_order(stages);
  study.chain_given = chain_order(o.chain);
  const std::pair<Mode, const char*> orders[3] = {{Mode::Forward, "pure forward (n_0 JVPs)"},
                                                  {Mode::Reverse, "pure reverse (n_L VJPs)"},
                                                  {Mode::Auto, "Auto: cheapest plan"}};
  std::vector<Tensor> results;
  auto add_row = [&](const Var& jac, const char* label) {
    Program p(g, {jac});
    p.bind(store);
    p.set(stages.front(), xv);
    MethodCost row{label, 1, 0, median_seconds([&] { p.run(); }, o.repeats), 0};
    row.flops = flops_per_run(p);
    results.push_back(p.get(jac));
    std::vector<Scalar> a(results.back().begin(), results.back().end()),
        b(results.front().begin(), results.front().end());
    row.max_abs_diff = max_abs_diff(a, b);
    study.chain_costs.push_back(row);
  };
  for (const auto& [mode, label] : orders) add_row(jacobian_chain(stages, mode), label);
  return study;
}

}  // namespace dagrad::analysis
