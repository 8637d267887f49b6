// Baselines for later speed work: forward pass, reverse-mode gradient and one JVP of a tanh MLP
// (batch 64, 3 hidden layers) at a few widths. Ratios grad/forward and jvp/forward are the
// figures to watch (the cheap gradient principle allows a small constant).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

#include "mlp.hpp"

namespace {

using namespace dagrad;

// The tanh MLP plus one tangent input per parameter, for the JVP benchmark.
struct Mlp : bench::Mlp {
  std::vector<Var> tangents;
  explicit Mlp(std::size_t width)
      : bench::Mlp(
            width, [](const Var& h) { return tanh(h); }, Init::glorot_normal()) {
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

// The per-step cost of the PyTorch habit (grad() and a Program inside the loop) against the same
// step compiled once, timed in alternation inside one benchmark so that the machine's load falls on
// both alike. `habit` and `built_once` are the medians in microseconds; `ratio` is the median of the
// per-iteration ratios, the figure to quote.
template <class Habit, class BuiltOnce>
void time_side_by_side(benchmark::State& state, Habit habit, BuiltOnce built_once) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> habit_us, built_once_us, ratios;
  auto time = [](auto& step) {
    auto start = Clock::now();
    step();
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  };
  bool habit_first = true;  // alternates: neither side always runs with the other's data in cache
  for (auto _ : state) {
    double a = 0, b = 0;
    if (habit_first) {
      a = time(habit);
      b = time(built_once);
    } else {
      b = time(built_once);
      a = time(habit);
    }
    habit_first = !habit_first;
    habit_us.push_back(a);
    built_once_us.push_back(b);
    ratios.push_back(a / b);
  }
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  state.counters["habit_us"] = median(habit_us);
  state.counters["built_once_us"] = median(built_once_us);
  state.counters["ratio"] = median(ratios);
}

void BM_MlpGradEachIterationVsBuiltOnce(benchmark::State& state) {
  Mlp m(static_cast<std::size_t>(state.range(0)));
  std::vector<Var> compiled_outputs = grad(m.loss, m.params);
  compiled_outputs.push_back(m.loss);
  Program compiled(m.g, compiled_outputs);
  m.bench::Mlp::bind(compiled);
  auto habit = [&] {
    std::vector<Var> outs = grad(m.loss, m.params);
    outs.push_back(m.loss);
    Program p(m.g, outs);
    m.bench::Mlp::bind(p);  // data and store, as the compiled program was bound
    p.run();
  };
  auto built_once = [&] { compiled.run(); };
  time_side_by_side(state, habit, built_once);
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

// Compiling a Program for an n-op tanh chain with its gradient (this was
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
  state.counters["ns_per_op"] = benchmark::Counter(
      static_cast<double>(state.range(0)), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// A logistic regression step (32 examples, 8 features), where the per-step set-up weighs most
// against the arithmetic: before transforms were memoized and programs cached, the habit cost 2.2 ms
// against 0.008 ms. Both sides set the batch each step, as a loop over mini-batches does.
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

void BM_StepGradEachIterationVsBuiltOnce(benchmark::State& state) {
  LogisticStep m;
  Var compiled_dw = grad(m.loss, m.w);
  Program compiled(m.g, {m.loss, compiled_dw});
  compiled.bind(m.store);
  auto habit = [&] {
    Var dw = grad(m.loss, m.w);
    Program p(m.g, {m.loss, dw});
    p.set(m.x, m.xv);
    p.set(m.labels, m.lv);
    p.bind(m.store);
    p.run();
    m.store.value(m.w) -= 0.01 * p.get(dw);
  };
  auto built_once = [&] {
    compiled.set(m.x, m.xv);
    compiled.set(m.labels, m.lv);
    compiled.run();
    m.store.value(m.w) -= 0.01 * compiled.get(compiled_dw);
  };
  time_side_by_side(state, habit, built_once);
  state.counters["graph_nodes"] = static_cast<double>(m.g.size());
}

}  // namespace

BENCHMARK(BM_StepGradEachIterationVsBuiltOnce)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CompileChainWithGradient)->Arg(12500)->Arg(25000)->Arg(50000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MlpForward)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlpGrad)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlpGradEachIterationVsBuiltOnce)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlpJvp)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
