#include <catch2/catch.hpp>

#include <functional>

#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;

namespace {

// Every bracketing of J_j⋯J_i, by exhaustive recursion: the reference the dynamic programme must meet.
double cheapest_by_enumeration(const std::vector<std::size_t>& n, std::size_t i, std::size_t j) {
  if (i == j) return 0;
  double best = 1e300;
  for (std::size_t k = i; k < j; ++k)
    best = std::min(best, cheapest_by_enumeration(n, i, k) + cheapest_by_enumeration(n, k + 1, j) +
                              double(n[j]) * double(n[k]) * double(n[i - 1]));
  return best;
}

// A chain of tanh layers x_i = tanh(W_i x_{i−1}) with the given sizes.
std::vector<Var> tanh_chain(Graph& g, const std::vector<std::size_t>& sizes) {
  std::vector<Var> stages{g.input("x", {sizes[0]})};
  for (std::size_t i = 1; i < sizes.size(); ++i) {
    Var w = g.parameter("W" + std::to_string(i), {sizes[i], sizes[i - 1]}, Init::normal(0, 0.5));
    stages.push_back(tanh(matmul(w, stages.back())));
  }
  return stages;
}

}  // namespace

TEST_CASE("chain_order: the CLRS §15.2 example (Cormen et al., 3rd ed., Fig. 15.5)", "[autodiff][chain]") {
  // A1…A6 of sizes 30×35, 35×15, 15×5, 5×10, 10×20, 20×25 cost 15125 multiplications at best, as
  // ((A1(A2A3))((A4A5)A6)). Here J = J_L⋯J_1, so A1 = J6 (n6 × n5) … A6 = J1 (n1 × n0).
  ChainOrder order = chain_order({25, 20, 10, 5, 15, 35, 30});
  CHECK(order.multiplications == 15125);
  CHECK(order.bracketing == "((J6 (J5 J4)) ((J3 J2) J1))");
  CHECK(order.multiplications <= std::min(order.forward, order.reverse));
}

TEST_CASE("chain_order: the dynamic programme finds the cheapest of every bracketing", "[autodiff][chain]") {
  Rng rng(17);
  std::uniform_int_distribution<std::size_t> size(1, 40), length(2, 7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::size_t> n(length(rng));
    for (auto& v : n) v = size(rng);
    ChainOrder order = chain_order(n);
    const std::size_t L = n.size() - 1;
    CHECK(order.multiplications == cheapest_by_enumeration(n, 1, L));
    // Forward and reverse accumulation are two particular bracketings.
    double forward = 0, reverse = 0;
    for (std::size_t k = 2; k <= L; ++k) forward += double(n[k] * n[k - 1] * n[0]);
    for (std::size_t k = 1; k < L; ++k) reverse += double(n[L] * n[k] * n[k - 1]);
    CHECK(order.forward == forward);
    CHECK(order.reverse == reverse);
    CHECK(order.multiplications <= std::min(forward, reverse));
  }
  // Scalar output: reverse accumulation is optimal; scalar input: forward is.
  CHECK(chain_order({50, 40, 30, 1}).multiplications == chain_order({50, 40, 30, 1}).reverse);
  CHECK(chain_order({1, 30, 40, 50}).multiplications == chain_order({1, 30, 40, 50}).forward);
  CHECK_THROWS_AS(chain_order({5}), AutodiffError);
}

TEST_CASE("jacobian_chain: every order gives the Jacobian; counted flops differ by the bracketing's multiplications",
          "[autodiff][chain]") {
  // An hourglass: wide, narrow, wide, narrow. Neither pure mode is the cheapest order here.
  const std::vector<std::size_t> sizes{8, 30, 2, 30, 3, 30};
  Graph g;
  std::vector<Var> stages = tanh_chain(g, sizes);
  ParamStore store(g, 3);
  ChainOrder order = chain_order(sizes);
  REQUIRE(order.multiplications < std::min(order.forward, order.reverse));
  Var direct = jacobian(stages.back(), stages.front(), Mode::Reverse);
  Rng rng(4);
  Tensor xv = random_normal(rng, {sizes[0]});
  auto evaluate = [&](const Var& out, double* flops) {
    Program p(g, {out});
    p.bind(store);
    p.set(stages.front(), xv);
    p.run();
    if (flops) *flops = p.stats().per_run.flops;
    return p.get(out);
  };
  Tensor reference = evaluate(direct, nullptr);
  REQUIRE(reference.shape() == Shape{sizes.back(), sizes.front()});
  double flops[3];
  const Mode modes[3] = {Mode::Forward, Mode::Reverse, Mode::Auto};
  for (int m = 0; m < 3; ++m) {
    Var j = jacobian_chain(stages, modes[m]);
    CHECK(max_abs_diff(evaluate(j, &flops[m]), reference) < 1e-12);
  }
  // The local Jacobians cost the same in every order; the matmul cost model counts 2 flops per
  // multiply-add, so the programs differ by exactly twice the multiplications.
  CHECK(flops[0] - flops[2] == Approx(2 * (order.forward - order.multiplications)).epsilon(1e-12));
  CHECK(flops[1] - flops[2] == Approx(2 * (order.reverse - order.multiplications)).epsilon(1e-12));
}

TEST_CASE("jacobian_chain: a stage that skips its predecessor is named", "[autodiff][chain][errors]") {
  Graph g;
  std::vector<Var> stages = tanh_chain(g, {3, 4, 4});
  stages.push_back(stages[2] + stages[1]);  // stage 3 reads stage 1 directly: a skip connection
  try {
    jacobian_chain(stages);
    FAIL("expected an AutodiffError");
  } catch (const AutodiffError& e) {
    CHECK_THAT(e.what(), Catch::Contains("stage 3") && Catch::Contains("stage 2"));
  }
  CHECK_THROWS_AS(jacobian_chain({stages[0]}), AutodiffError);
}
