// Clarke mode against plain backward (Subgradient::Convention) on ReLU MLPs, side by side in one
// run: without kinks the directional pass is skipped (target ratio ≤ 1.05); with a kink in every
// layer it runs (target ≤ 2.5, the price of one extra JVP). Report the medians of the ratios.
#include <benchmark/benchmark.h>

#include <xtensor/xview.hpp>

#include "mlp.hpp"

namespace {

using namespace dagrad;

void run_backward(benchmark::State& state, const SubgradientPolicy& policy, bool kinks) {
  bench::Mlp m(
      static_cast<std::size_t>(state.range(0)), [](const Var& h) { return relu(h); }, Init::he_normal());
  if (kinks) xt::view(m.xv, 0) = 0.0;  // an all-zero example: with zero biases, a kink in every layer
  std::vector<Var> outs = grad(m.loss, m.params, policy);
  Program p(m.g, outs);
  m.bind(p);
  for (auto _ : state) p.run();
  state.counters["kinks"] = static_cast<double>(p.kink_report().kinks());
  state.counters["dir_pass"] = p.kink_report().directional_ops_ran;
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
