// Clarke mode against plain backward (Subgradient::Convention) on ReLU MLPs, side by side in one
// run: without kinks the directional pass is skipped (target ratio ≤ 1.05); with a kink in every
// layer it runs (target ≤ 2.5, the price of one extra JVP). Report the medians of the ratios.
#include <benchmark/benchmark.h>

#include <random>

#include <xtensor/xview.hpp>

#include "dagrad.hpp"

namespace {

using namespace dagrad;

struct ReluMlp {
  Graph g;
  Var x, y, loss;
  std::vector<Var> params;
  std::unique_ptr<ParamStore> store;
  Tensor xv, yv;
  ReluMlp(std::size_t width, std::size_t batch = 64, std::size_t inputs = 32, std::size_t depth = 3) {
    x = g.input("x", {batch, inputs});
    y = g.input("y", {batch});
    Var h = x;
    std::size_t fan_in = inputs;
    for (std::size_t l = 0; l < depth; ++l) {
      Graph::NameScope s(g, "layer" + std::to_string(l));
      h = relu(matmul(h, g.parameter("W", {fan_in, width}, Init::he_normal())) + g.parameter("b", {width}, Init::zeros()));
      fan_in = width;
    }
    loss = logistic_loss(matmul(h, g.parameter("w_out", {fan_in}, Init::glorot_normal())), y);
    params = g.parameters();
    store = std::make_unique<ParamStore>(g, 1);
    std::mt19937_64 rng(2);
    std::normal_distribution<double> n(0, 1);
    xv = Tensor::from_shape(x.shape());
    yv = Tensor::from_shape(y.shape());
    for (auto& v : xv) v = n(rng);
    for (auto& v : yv) v = n(rng) > 0 ? 1 : -1;
  }
  // An all-zero example has every pre-activation at 0 (zero biases): a kink in every layer.
  void put_kinks() { xt::view(xv, 0) = 0.0; }
};

void run_backward(benchmark::State& state, const SubgradientPolicy& policy, bool kinks) {
  ReluMlp m(static_cast<std::size_t>(state.range(0)));
  if (kinks) m.put_kinks();
  std::vector<Var> outs = grad(m.loss, m.params, policy);
  Program p(m.g, outs);
  p.bind(*m.store);
  p.set(m.x, m.xv);
  p.set(m.y, m.yv);
  for (auto _ : state) p.run();
  state.counters["kinks"] = static_cast<double>(p.kink_report().kinks());
  state.counters["dir_pass"] = p.kink_report().directional_pass_ran;
}

void BM_Convention(benchmark::State& s) { run_backward(s, Subgradient::Convention{}, false); }
void BM_Clarke(benchmark::State& s) { run_backward(s, Subgradient::Clarke{}, false); }
void BM_ConventionKinks(benchmark::State& s) { run_backward(s, Subgradient::Convention{}, true); }
void BM_ClarkeKinks(benchmark::State& s) { run_backward(s, Subgradient::Clarke{}, true); }

}  // namespace

BENCHMARK(BM_Convention)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Clarke)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ConventionKinks)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ClarkeKinks)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
