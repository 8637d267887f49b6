// The benchmark of `dagrad cost`: the full gradient of a tanh MLP g: R^d → R (one example, width
// 256, 4 hidden layers) by reverse mode, forward mode (d JVPs) and central differences (2d
// evaluations), and one evaluation, at d = 8, 32, 128; and full Jacobians of R^32 → R^m by jacfwd and
// jacrev at m = 4, 32, 256. Each reports its counted flops; ratios between families, side by side in
// one run: bench/ratios.py (see the README).
#include <benchmark/benchmark.h>

#include <random>

#include "dagrad/analysis/cost.hpp"
#include "dagrad/dagrad.hpp"
#include "dagrad/models/models.hpp"

namespace {

using namespace dagrad;

struct Net {
  Graph g;
  Var x, y;
  std::unique_ptr<ParamStore> store;
  Tensor xv;
  Net(std::size_t d, std::size_t outputs) {
    x = g.input("x", {1, d});
    models::MlpOptions o;
    o.hidden.assign(4, 256);
    o.outputs = outputs;
    o.activation = [](const Var& h) { return tanh(h); };
    Var out = models::mlp(x, o).output;
    y = outputs == 1 ? sum(out) : reshape(out, {outputs});
    store = std::make_unique<ParamStore>(g, 1);
    std::mt19937_64 rng(2);
    std::normal_distribution<double> n(0, 1);
    xv = Tensor::from_shape({1, d});
    for (auto& v : xv) v = n(rng);
  }
};

// method: 0 value, 1 reverse, 2 forward, 3 central differences (the order of GradientMethods::flops).
void gradient(benchmark::State& state, int method) {
  Net net(static_cast<std::size_t>(state.range(0)), 1);
  analysis::GradientMethods m(net.g, net.y, {net.x}, {net.xv}, [&](Program& p) { p.bind(*net.store); });
  for (auto _ : state) {
    if (method == 0) benchmark::DoNotOptimize(m.value());
    if (method == 1) benchmark::DoNotOptimize(m.reverse().data());
    if (method == 2) benchmark::DoNotOptimize(m.forward().data());
    if (method == 3) benchmark::DoNotOptimize(m.differences().data());
  }
  state.counters["flops"] = m.flops()[static_cast<std::size_t>(method)];
}
void BM_Value(benchmark::State& s) { gradient(s, 0); }
void BM_Reverse(benchmark::State& s) { gradient(s, 1); }
void BM_Forward(benchmark::State& s) { gradient(s, 2); }
void BM_Differences(benchmark::State& s) { gradient(s, 3); }

void jacobian_by(benchmark::State& state, Mode mode) {
  Net net(32, static_cast<std::size_t>(state.range(0)));
  Var jac = jacobian(net.y, net.x, mode);
  Program p(net.g, {jac});
  p.bind(*net.store);
  p.set(net.x, net.xv);
  for (auto _ : state) p.run();
  state.counters["flops"] = p.stats().per_run.flops;
}
void BM_JacFwd(benchmark::State& s) { jacobian_by(s, Mode::Forward); }
void BM_JacRev(benchmark::State& s) { jacobian_by(s, Mode::Reverse); }

}  // namespace

BENCHMARK(BM_Value)->Arg(8)->Arg(32)->Arg(128)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Reverse)->Arg(8)->Arg(32)->Arg(128)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Forward)->Arg(8)->Arg(32)->Arg(128)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Differences)->Arg(8)->Arg(32)->Arg(128)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_JacFwd)->Arg(4)->Arg(32)->Arg(256)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_JacRev)->Arg(4)->Arg(32)->Arg(256)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
