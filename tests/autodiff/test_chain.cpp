#include <catch2/catch.hpp>

#include <functional>

#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;

namespace {

// Every plan for J_j⋯J_i, by exhaustive recursion: the reference the dynamic programme must meet.
// With stage costs c a segment may also be pushed through by n_{i−1} tangents or n_j adjoints.
double cheapest_by_enumeration(const std::vector<std::size_t>& n, const std::vector<double>& c, std::size_t i,
                               std::size_t j) {
  double best = c.empty() ? (i == j ? 0 : 1e300) : 0;
  if (!c.empty()) {
    double through = 0;
    for (std::size_t k = i; k <= j; ++k) through += c[k - 1];
    best = std::min(double(n[i - 1]), double(n[j])) * through;
  }
  for (std::size_t k = i; k < j; ++k)
    best = std::min(best, cheapest_by_enumeration(n, c, i, k) + cheapest_by_enumeration(n, c, k + 1, j) +
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
    CHECK(order.multiplications == cheapest_by_enumeration(n, {}, 1, L));
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
  CHECK_THROWS_AS(chain_order(std::vector<std::size_t>{5}), AutodiffError);
}

TEST_CASE("chain_order, matrix free: tangents, adjoints and products, never worse than either pure mode",
          "[autodiff][chain]") {
  Rng rng(23);
  std::uniform_int_distribution<std::size_t> size(1, 40), length(2, 7);
  std::uniform_real_distribution<double> cost(1, 2000);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::size_t> n(length(rng));
    for (auto& v : n) v = size(rng);
    std::vector<double> c(n.size() - 1);
    for (auto& v : c) v = std::round(cost(rng));
    ChainOrder order = chain_order(n, c);
    const std::size_t L = n.size() - 1;
    CHECK(order.multiplications == Approx(cheapest_by_enumeration(n, c, 1, L)).epsilon(1e-12));
    double total = 0;
    for (double v : c) total += v;
    CHECK(order.forward == Approx(double(n[0]) * total).epsilon(1e-12));
    CHECK(order.reverse == Approx(double(n[L]) * total).epsilon(1e-12));
    CHECK(order.multiplications <= std::min(order.forward, order.reverse) * (1 + 1e-12));
  }
  // Dense stages (c_k = n_k n_{k−1}) with a narrow waist of 2: two adjoints through the first half and
  // two tangents through the second, joined by one outer product, beat both pure modes (100 passes).
  const std::vector<std::size_t> n{100, 100, 2, 100, 100};
  std::vector<double> c;
  for (std::size_t k = 1; k < n.size(); ++k) c.push_back(double(n[k] * n[k - 1]));
  ChainOrder order = chain_order(n, c);
  CHECK(order.multiplications < 0.1 * std::min(order.forward, order.reverse));
  CHECK(order.bracketing == "(fwd[J4..J3] rev[J2..J1])");
  CHECK_THROWS_AS(chain_order({3, 4, 5}, {1.0}), AutodiffError);
}

TEST_CASE("jacobian_chain: every mode gives the Jacobian; Auto's plan counts fewer flops than either pure mode",
          "[autodiff][chain]") {
  const std::vector<std::size_t> sizes{40, 40, 2, 40, 40};
  Graph g;
  std::vector<Var> stages = tanh_chain(g, sizes);
  ParamStore store(g, 3);
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
  // Reference: the product of local Jacobians, each from jacobian() by forward mode.
  Var product = reshape(jacobian(stages[1], stages[0], Mode::Forward), {sizes[1], sizes[0]});
  for (std::size_t i = 2; i < stages.size(); ++i)
    product = matmul(reshape(jacobian(stages[i], stages[i - 1], Mode::Forward), {sizes[i], sizes[i - 1]}), product);
  Tensor reference = evaluate(product, nullptr);
  double flops[3];
  const Mode modes[3] = {Mode::Forward, Mode::Reverse, Mode::Auto};
  for (int m = 0; m < 3; ++m) {
    Tensor j = evaluate(jacobian_chain(stages, modes[m]), &flops[m]);
    REQUIRE(j.shape() == reference.shape());
    CHECK(max_abs_diff(j, reference) < 1e-12);
  }
  CHECK(flops[2] < 0.5 * std::min(flops[0], flops[1]));
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
