#include "gradient_cost.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace dagrad::apps {

namespace {

template <class F>
double median_seconds(int repeats, F&& f) {
  std::vector<double> t;
  for (int r = 0; r < std::max(1, repeats); ++r) {
    auto start = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

void bind_data(Program& p, const std::vector<std::pair<Var, Tensor>>& data) {
  for (const auto& [v, t] : data) p.set(v, t);
}

}  // namespace

std::vector<GradientCost> gradient_costs(Graph& g, const Var& loss, ParamStore& store,
                                         const std::vector<std::pair<Var, Tensor>>& data, int repeats) {
  const std::vector<Var>& params = store.parameters();
  const std::size_t n = store.size();
  std::vector<GradientCost> rows;

  Program value(g, {loss});
  value.bind(store);
  bind_data(value, data);
  double t_value = median_seconds(repeats, [&] { value.run(); });
  rows.push_back({"function value (1 eval)", 1, value.stats().per_run.flops, t_value, 0});

  // Reverse mode: one program computes loss and every gradient, written next to each other.
  std::vector<Var> grads = grad(loss, params);
  Program reverse(g, grads);
  reverse.bind(store);
  bind_data(reverse, data);
  std::vector<Scalar> reference(n);
  auto reverse_once = [&] {
    reverse.run();
    std::size_t at = 0;
    for (const Var& gv : grads) {
      const View& v = reverse.view(gv);
      std::copy(v.begin(), v.end(), reference.begin() + at);
      at += v.size();
    }
  };
  double t_rev = median_seconds(repeats, reverse_once);
  rows.push_back({"reverse (1 vjp)", 1, reverse.stats().per_run.flops, t_rev, 0});

  // Forward mode: tangents are inputs, so one compiled JVP program serves all n basis directions.
  std::vector<Var> tangents;
  for (const Var& p : params) tangents.push_back(g.input("tangent_" + p.name(), p.shape()));
  Var directional = jvp(std::vector<Var>{loss}, params, tangents)[0];
  Program forward(g, {directional});
  forward.bind(store);
  bind_data(forward, data);
  std::vector<Tensor> basis;
  for (const Var& p : params) basis.push_back(xt::zeros<Scalar>(p.shape()));
  std::vector<Scalar> fwd(n);
  auto forward_all = [&] {
    std::size_t k = 0;
    for (std::size_t i = 0; i < params.size(); ++i) forward.set(tangents[i], basis[i]);
    for (std::size_t i = 0; i < params.size(); ++i) {
      for (std::size_t j = 0; j < basis[i].size(); ++j, ++k) {
        basis[i].flat(j) = 1;
        forward.set(tangents[i], basis[i]);
        forward.run();
        fwd[k] = forward.scalar(directional);
        basis[i].flat(j) = 0;
      }
      forward.set(tangents[i], basis[i]);
    }
  };
  double t_fwd = median_seconds(std::max(1, repeats / 10), forward_all);
  double d_fwd = 0;
  for (std::size_t k = 0; k < n; ++k) d_fwd = std::max(d_fwd, std::fabs(fwd[k] - reference[k]));
  rows.push_back({"forward (n jvps)", double(n), double(n) * forward.stats().per_run.flops, t_fwd, d_fwd});

  // Central differences: the step balances truncation (h²) against rounding (ε/h).
  std::vector<Scalar> fd(n);
  std::vector<Scalar>& w = store.values();
  auto differences = [&] {
    for (std::size_t k = 0; k < n; ++k) {
      Scalar saved = w[k], h = 1e-5 * std::max(Scalar(1), std::fabs(saved));
      w[k] = saved + h;
      value.run();
      Scalar up = value.scalar(loss);
      w[k] = saved - h;
      value.run();
      fd[k] = (up - value.scalar(loss)) / (2 * h);
      w[k] = saved;
    }
  };
  double t_fd = median_seconds(std::max(1, repeats / 10), differences);
  double d_fd = 0;
  for (std::size_t k = 0; k < n; ++k) d_fd = std::max(d_fd, std::fabs(fd[k] - reference[k]));
  rows.push_back({"central differences (2n evals)", 2.0 * n, 2.0 * n * value.stats().per_run.flops, t_fd, d_fd});
  return rows;
}

}  // namespace dagrad::apps
