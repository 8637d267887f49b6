// Baselines for later speed work: forward pass, reverse-mode gradient and one JVP of a tanh MLP
// (batch 64, 3 hidden layers) at a few widths. Ratios grad/forward and jvp/forward are the
// figures to watch (the cheap gradient principle allows a small constant).
#include <benchmark/benchmark.h>

#include <random>

#include "mlp.hpp"

namespace {

using namespace dagrad;

// The tanh MLP plus one tangent input per parameter, for the JVP benchmark.
struct Mlp : bench::Mlp {
  std::vector<Var> tangents;
  explicit Mlp(std::size_t width) : bench::Mlp(width, [](const Var& h) { return tanh(h); }, Init::glorot_normal()) {
    for (const Var& p : params) tangents.push_back(g.input("t_" + p.name(), p.shape()));
  }
  void bind(Program& p) {
    bench::Mlp::bind(p);
    std::mt19937_64 rng(3);
    std::normal_distribution<double> n(0, 1);
    for (const Var& t : tangents) {
      Tensor tv = Tensor::from_shape(t.shape());
      for (auto& v : tv) v = n(rng);
      p.set(t, tv);
    }
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

// The MLP's gradient step written the PyTorch way: grad() and a Program every iteration, inputs
// set each time. Against BM_MlpGrad (compiled once) it shows the per-step set-up a real model pays.
void BM_MlpGradEachIteration(benchmark::State& state) {
  Mlp m(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    std::vector<Var> outs = grad(m.loss, m.params);
    outs.push_back(m.loss);
    Program p(m.g, outs);
    m.bench::Mlp::bind(p);  // data and store only: BM_MlpGrad binds no tangents either
    p.run();
  }
  state.counters["graph_nodes"] = static_cast<double>(m.g.size());
}

void BM_MlpJvp(benchmark::State& state) {
  Mlp m(static_cast<std::size_t>(state.range(0)));
  Var t = jvp(std::vector<Var>{m.loss}, m.params, m.tangents)[0];
  Program p(m.g, {m.loss, t});
  m.bind(p);
  for (auto _ : state) p.run();
  report(state, p);
}

// Compiling a Program for an n-op tanh chain with its gradient (issue 15, item 10: this was
// quadratic in the buffers live at once, 66 s at 100k ops). Time per op should stay flat in n.
void BM_CompileChainWithGradient(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();  // a fresh graph each round: a second Program on one graph reuses the cached plan
    auto g = std::make_unique<Graph>();
    Var x = g->input("x", {16});
    Var h = x;
    for (long i = 0; i < state.range(0); ++i) h = tanh(h);
    Var y = sum(h);
    Var dx = grad(y, x);
    state.ResumeTiming();
    Program p(*g, {y, dx});
    benchmark::DoNotOptimize(p.stats().arena_bytes);
    state.PauseTiming();
    g.reset();
    state.ResumeTiming();
  }
  state.counters["ns_per_op"] =
      benchmark::Counter(static_cast<double>(state.range(0)), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// A logistic regression step written the PyTorch way (grad() and a Program inside the loop) against
// the same step compiled once (issue 15, item 5: 2.2 ms against 0.008 ms before transforms were
// memoized and programs cached). The ratio of the two is the figure.
struct LogisticStep {
  Graph g;
  Var x = g.input("x", {32, 8}), labels = g.input("labels", {32});
  Var w = g.parameter("w", {8}, Init::normal(0, 0.1));
  Var loss = logistic_loss(matmul(x, w), labels);
  ParamStore store{g, 1};
  Tensor xv = Tensor::from_shape({32, 8}), lv = Tensor::from_shape({32});
  LogisticStep() {
    std::mt19937_64 rng(5);
    std::normal_distribution<double> n(0, 1);
    for (auto& v : xv) v = n(rng);
    for (std::size_t i = 0; i < 32; ++i) lv.flat(i) = i % 2 ? 1.0 : -1.0;
  }
};

void BM_StepGradEachIteration(benchmark::State& state) {
  LogisticStep m;
  for (auto _ : state) {
    Var dw = grad(m.loss, m.w);
    Program p(m.g, {m.loss, dw});
    p.set(m.x, m.xv);
    p.set(m.labels, m.lv);
    p.bind(m.store);
    p.run();
    m.store.value(m.w) -= 0.01 * p.get(dw);
  }
  state.counters["graph_nodes"] = static_cast<double>(m.g.size());
}

void BM_StepBuiltOnce(benchmark::State& state) {
  LogisticStep m;
  Var dw = grad(m.loss, m.w);
  Program p(m.g, {m.loss, dw});
  p.set(m.x, m.xv);
  p.set(m.labels, m.lv);
  p.bind(m.store);
  for (auto _ : state) {
    p.run();
    m.store.value(m.w) -= 0.01 * p.get(dw);
  }
  state.counters["graph_nodes"] = static_cast<double>(m.g.size());
}

}  // namespace

BENCHMARK(BM_StepGradEachIteration)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_StepBuiltOnce)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CompileChainWithGradient)->Arg(12500)->Arg(25000)->Arg(50000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MlpForward)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlpGrad)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlpGradEachIteration)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlpJvp)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
