#include <catch2/catch.hpp>

#include "dagrad/analysis/analysis.hpp"
#include "dagrad/models/models.hpp"
#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;
using namespace dagrad::analysis;

TEST_CASE("hard-margin SVM: KKT conditions hold to 1e-9 and no separator has a larger normalized margin",
          "[analysis][svm]") {
  Classification data = separable_data(60, 5, 0.1, 3);
  CHECK(margin(data.w_star, data.X, data.y) >= 0.1 - 1e-12);
  SvmSolution svm = hard_margin_svm(data.X, data.y);
  CHECK(svm.kkt_residual <= 1e-9);
  CHECK(svm_kkt_residual(data.X, data.y, svm.alpha) <= 1e-9);
  CHECK(margin(svm.w, data.X, data.y) == Approx(1).epsilon(1e-9));  // support vectors sit at margin 1
  Scalar best = normalized_margin(svm.w, data.X, data.y);
  CHECK(best >= normalized_margin(data.w_star, data.X, data.y));
  Rng rng(4);
  for (int k = 0; k < 200; ++k) {  // random nearby directions never beat it
    Tensor w = svm.w + 0.05 * xt::linalg::norm(svm.w) * random_normal(rng, {5});
    CHECK(normalized_margin(w, data.X, data.y) <= best + 1e-12);
  }
  CHECK(angle(svm.w, svm.w * 3.0) < 1e-7);
  CHECK(angle(Tensor{1.0, 0.0}, Tensor{0.0, 2.0}) == Approx(M_PI / 2));
}

// Regression: on the library's own small-margin data the old coordinate ascent threw after
// 1e6 sweeps with "KKT residual 0.000000 (is the data separable…?)".
TEST_CASE("hard-margin SVM solves n = 1000 small-margin data at the default tolerance", "[analysis][svm]") {
  for (auto [n, d, gamma] : {std::tuple<std::size_t, std::size_t, Scalar>{1000, 20, 1e-3}, {2000, 50, 1e-4}}) {
    INFO("n " << n << " d " << d << " margin " << gamma);
    Classification data = separable_data(n, d, gamma, 7);
    SvmSolution svm = hard_margin_svm(data.X, data.y);
    CHECK(svm.kkt_residual <= 1e-9);
    CHECK(margin(svm.w, data.X, data.y) == Approx(1).epsilon(1e-9));
    Scalar best = normalized_margin(svm.w, data.X, data.y);
    CHECK(best >= normalized_margin(data.w_star, data.X, data.y) - 1e-12);
    // Optimality from the dual side: weak duality Σα − ½‖w‖² ≤ ½‖w‖², equal at the optimum.
    Scalar primal = 0.5 * inner(svm.w, svm.w), dual = xt::sum(svm.alpha)() - primal;
    CHECK(dual == Approx(primal).epsilon(1e-9));
    Rng rng(5);
    for (int k = 0; k < 100; ++k) {
      Tensor w = svm.w + 1e-3 * xt::linalg::norm(svm.w) * random_normal(rng, {d});
      CHECK(normalized_margin(w, data.X, data.y) <= best + 1e-12);
    }
  }
}

TEST_CASE("hard-margin SVM: inseparable data and bad labels are named errors with their numbers",
          "[analysis][svm][errors]") {
  Tensor X = {{1.0, 0.0}, {-1.0, 0.0}, {0.0, 1.0}};
  Tensor y = {1.0, 1.0, -1.0};  // x and −x both labelled +1: nothing through the origin separates them
  CHECK_THROWS_WITH(hard_margin_svm(X, y), Catch::Contains("no w separates the data"));
  CHECK_THROWS_WITH(hard_margin_svm(X, Tensor{1.0, 0.0, 1.0}),
                    Catch::Contains("label 1 is 0") && Catch::Contains("not ±1"));
  Classification data = separable_data(200, 10, 1e-3, 2);
  try {
    hard_margin_svm(data.X, data.y, 1e-30);  // below rounding: unreachable on purpose
    FAIL("a tolerance below rounding was met");
  } catch (const NumericError& e) {
    std::string what = e.what();
    CHECK_THAT(
        what, Catch::Contains("relative KKT residual") && Catch::Contains("e-") && Catch::Contains("looser tolerance"));
    CHECK(what.find("0.000000") == std::string::npos);  // %g, not a fixed format that hides the number
  }
}

TEST_CASE("spectra: alignment, balancedness, effective rank and nuclear norm", "[analysis][spectra]") {
  Tensor u{0.6, 0.8}, v{1.0, 0.0, 0.0}, z{0.0, 1.0};
  Tensor W1 = 2.0 * xt::linalg::outer(u, v), W2 = 3.0 * xt::linalg::outer(z, u);  // v2 = u1: aligned
  auto align = layer_alignment({W1, W2});
  REQUIRE(align.size() == 1);
  CHECK(align[0] == Approx(1).epsilon(1e-14));
  CHECK(effective_rank(W1) == Approx(1).epsilon(1e-14));
  CHECK(effective_rank(xt::eye<double>(4)) == Approx(4).epsilon(1e-14));
  CHECK(nuclear_norm(Tensor{{3.0, 0.0}, {0.0, -4.0}}) == Approx(7));
  Tensor s = spectrum(Tensor{{0.0, 2.0}, {1.0, 0.0}}).singular_values;
  CHECK(s(0) == Approx(2));
  CHECK(s(1) == Approx(1));
  // A balanced deep linear net (models::deep_linear) has zero balancedness.
  Graph g;
  Var x = g.input("x", {2, 3});
  models::Model m = models::deep_linear(x, {3, 4, 4, 2}, models::LinearInit::Balanced, 1);
  ParamStore store(g, 1);
  m.initialize(store, 2);
  std::vector<Tensor> layers;
  for (const Var& p : m.params) layers.push_back(Tensor(store.value(p)));
  for (Scalar b : balancedness(layers)) CHECK(b < 1e-12);
}

TEST_CASE("Lanczos on HVPs finds the extreme Hessian eigenvalues of a quadratic", "[analysis][lanczos]") {
  Rng rng(5);
  Tensor Q = std::get<0>(xt::linalg::qr(random_normal(rng, {6, 6})));
  Tensor eig{-2.0, -0.5, 0.1, 1.0, 3.0, 7.5};
  Tensor A = xt::linalg::dot(Q, xt::linalg::dot(xt::diag(eig), xt::transpose(Q)));
  Graph g;
  Var w = g.parameter("w", {6});
  Var f = 0.5 * matmul(w, matmul(g.constant(A, "A"), w)) + sum(w);
  ParamStore store(g, 1);
  HessianOperator H(g, f, store, {});
  ExtremeEigenvalues e = lanczos([&](const Tensor& v, Tensor& Hv) { H(v, Hv); }, H.size(), 20, 7);
  CHECK(e.smallest == Approx(-2).epsilon(1e-10));
  CHECK(e.largest == Approx(7.5).epsilon(1e-10));
}

TEST_CASE("Jacobian singular values of a linear model are those of the data", "[analysis][ntk]") {
  Rng rng(6);
  Tensor X = random_normal(rng, {4, 6});
  Graph g;
  Var x = g.input("x", {4, 6});
  models::Model m = models::linear(x, 1, true);
  ParamStore store(g, 1);
  Tensor s = jacobian_singular_values(g, m.output, store, {{x, X}});
  // J = [X, 1] (weights, then bias): its singular values, computed directly.
  Tensor J = xt::concatenate(xt::xtuple(X, xt::ones<double>({4, 1})), 1);
  Tensor expected = std::get<1>(xt::linalg::svd(J, false));
  CHECK(max_abs_diff(s, expected) < 1e-12);
}

TEST_CASE("landscape slices and data generators", "[analysis]") {
  std::vector<Scalar> w{1.0, 2.0};
  auto f = [&] { return w[0] * w[0] + 3 * w[1]; };
  Tensor slice = landscape(f, w, {1.0, 0.0}, {0.0, 1.0}, {-1.0, 0.0, 1.0}, {0.0, 2.0});
  CHECK(slice(0, 0) == Approx(0 + 6));
  CHECK(slice(2, 1) == Approx(4 + 12));
  CHECK(w == std::vector<Scalar>{1.0, 2.0});  // restored
  Completion c = matrix_completion(10, 8, 2, 30, 1);
  CHECK(xt::sum(c.mask)() == 30);
  CHECK(xt::linalg::norm(c.M) == Approx(1));
  CHECK(effective_rank(c.M) < 2.0 + 1e-9);
  CHECK(xt::linalg::matrix_rank(c.M) == 2);
}
