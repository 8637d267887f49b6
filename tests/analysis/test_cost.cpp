#include <catch2/catch.hpp>

#include "dagrad/analysis/cost.hpp"
#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;
using namespace dagrad::analysis;

TEST_CASE("GradientMethods: reverse, forward and central differences agree with the closed form", "[analysis][cost]") {
  // f(x, W) = Σ tanh(W x): ∂f/∂x = Wᵀ(1 − tanh²(Wx)), ∂f/∂W = (1 − tanh²(Wx)) xᵀ.
  Rng rng(8);
  Graph g;
  Var x = g.input("x", {3});
  Var w = g.input("W", {4, 3});
  Var y = sum(tanh(matmul(w, x)));
  Tensor xv = random_normal(rng, {3}), wv = random_normal(rng, {4, 3});
  GradientMethods m(g, y, {x, w}, {xv, wv}, [](Program&) {});
  REQUIRE(m.dimension() == 15);
  std::vector<Scalar> expected;
  Tensor s = Tensor::from_shape({4});
  for (std::size_t i = 0; i < 4; ++i) {
    double z = 0;
    for (std::size_t j = 0; j < 3; ++j) z += wv(i, j) * xv(j);
    s(i) = 1 - std::tanh(z) * std::tanh(z);
  }
  for (std::size_t j = 0; j < 3; ++j) {
    double v = 0;
    for (std::size_t i = 0; i < 4; ++i) v += wv(i, j) * s(i);
    expected.push_back(v);
  }
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 3; ++j) expected.push_back(s(i) * xv(j));
  auto reverse = m.reverse(), forward = m.forward(), differences = m.differences();
  for (std::size_t k = 0; k < expected.size(); ++k) {
    CHECK(reverse[k] == Approx(expected[k]).margin(1e-14));
    CHECK(forward[k] == Approx(expected[k]).margin(1e-14));
    CHECK(differences[k] == Approx(expected[k]).margin(1e-8));
  }
  // Central differences restore the point they perturbed.
  double f = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    double a = 0;
    for (std::size_t j = 0; j < 3; ++j) a += wv(i, j) * xv(j);
    f += std::tanh(a);
  }
  CHECK(m.value() == Approx(f).epsilon(1e-14));
  CHECK_THROWS_AS(GradientMethods(g, tanh(matmul(w, x)), {x}, {xv}, [](Program&) {}), AutodiffError);
  CHECK_THROWS_AS(GradientMethods(g, y, {x}, {wv}, [](Program&) {}), ShapeError);
}

TEST_CASE("cost study (quick): counted costs scale with the textbook exponents", "[analysis][cost]") {
  // Griewank & Walther, "Evaluating Derivatives" (2nd ed.), §3–4: forward mode and central
  // differences cost d evaluations, reverse mode a bounded multiple of one (ω ≤ 4 for the gradient,
  // §4.6), jacfwd d JVPs and jacrev m VJPs.
  CostStudy study = cost_study(quick_cost_options());
  REQUIRE(study.fits.size() == 14);
  for (const CostFit& f : study.fits) {
    INFO(f.sweep << " " << f.method << ": fitted " << f.flops_exponent << ", textbook " << f.textbook);
    // The lower-order terms (dw, the output layer) tilt the small sizes; 0.15 is what they allow here.
    CHECK(std::fabs(f.flops_exponent - f.textbook) < 0.15);
  }
  for (const CostPoint& p : study.points) {
    INFO(p.sweep << " = " << p.size);
    if (p.sweep == "m") {
      CHECK(p.methods[0].max_abs_diff < 1e-12);
      CHECK(p.methods[2].flops == std::min(p.methods[0].flops, p.methods[1].flops));  // Auto picks the cheaper
      continue;
    }
    CHECK(p.methods[1].flops <= 4 * p.methods[0].flops);  // the cheap gradient principle
    CHECK(p.methods[2].max_abs_diff < 1e-12);
    CHECK(p.methods[3].max_abs_diff < 1e-7);
  }
  // Mode::Auto along the chain: never more counted flops than a pure mode, the same Jacobian.
  REQUIRE(study.chain_costs.size() == 3);
  CHECK(study.chain_costs[2].flops < std::min(study.chain_costs[0].flops, study.chain_costs[1].flops));
  for (const auto& row : study.chain_costs) CHECK(row.max_abs_diff < 1e-12);
}
