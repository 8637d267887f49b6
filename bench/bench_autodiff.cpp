// Baselines for later speed work: forward pass, reverse-mode gradient and one JVP of a tanh MLP
// (batch 64, 3 hidden layers) at a few widths. Ratios grad/forward and jvp/forward are the
// figures to watch (the cheap gradient principle allows a small constant).
#include <benchmark/benchmark.h>

#include <random>

#include "dagrad.hpp"

namespace {

using namespace dagrad;

struct Mlp {
  Graph g;
  Var x, y, loss;
  std::vector<Var> params, tangents;
  std::unique_ptr<ParamStore> store;
  explicit Mlp(std::size_t width, std::size_t batch = 64, std::size_t inputs = 32, std::size_t depth = 3) {
    x = g.input("x", {batch, inputs});
    y = g.input("y", {batch});
    Var h = x;
    std::size_t fan_in = inputs;
    for (std::size_t l = 0; l < depth; ++l) {
      Graph::NameScope s(g, "layer" + std::to_string(l));
      h = tanh(matmul(h, g.parameter("W", {fan_in, width}, Init::glorot_normal())) + g.parameter("b", {width}, Init::zeros()));
      fan_in = width;
    }
    loss = logistic_loss(matmul(h, g.parameter("w_out", {fan_in}, Init::glorot_normal())), y);
    params = g.parameters();
    for (const Var& p : params) tangents.push_back(g.input("t_" + p.name(), p.shape()));
    store = std::make_unique<ParamStore>(g, 1);
  }
  void bind(Program& p) {
    std::mt19937_64 rng(2);
    std::normal_distribution<double> n(0, 1);
    Tensor xv = Tensor::from_shape(x.shape()), yv = Tensor::from_shape(y.shape());
    for (auto& v : xv) v = n(rng);
    for (auto& v : yv) v = n(rng) > 0 ? 1 : -1;
    p.set(x, xv);
    p.set(y, yv);
    for (const Var& t : tangents) {
      Tensor tv = Tensor::from_shape(t.shape());
      for (auto& v : tv) v = n(rng);
      p.set(t, tv);
    }
    p.bind(*store);
  }
};

void report(benchmark::State& state, const Program& p) {
  state.counters["flops"] = benchmark::Counter(p.stats().per_run.flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_KiB"] = static_cast<double>(p.stats().peak_live_bytes) / 1024.0;
}

void BM_MlpForward(benchmark::State& state) {
  Mlp m(static_cast<std::size_t>(state.range(0)));
  Program p(m.g, {m.loss});
  m.bind(p);
  for (auto _ : state) p.run();
  report(state, p);
}

void BM_MlpGrad(benchmark::State& state) {
  Mlp m(static_cast<std::size_t>(state.range(0)));
  std::vector<Var> outs = grad(m.loss, m.params);
  outs.push_back(m.loss);
  Program p(m.g, outs);
  m.bind(p);
  for (auto _ : state) p.run();
  report(state, p);
}

void BM_MlpJvp(benchmark::State& state) {
  Mlp m(static_cast<std::size_t>(state.range(0)));
  Var t = jvp(std::vector<Var>{m.loss}, m.params, m.tangents)[0];
  Program p(m.g, {m.loss, t});
  m.bind(p);
  for (auto _ : state) p.run();
  report(state, p);
}

}  // namespace

BENCHMARK(BM_MlpForward)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlpGrad)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlpJvp)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
