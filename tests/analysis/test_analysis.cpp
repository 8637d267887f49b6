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
  // The maps 2 u v^T (R^3 -> R^2) then 3 z u^T: the second reads what the first writes, aligned. Stored
  // (in, out), as models store them, they are the transposes.
  Tensor W1 = 2.0 * xt::linalg::outer(v, u), W2 = 3.0 * xt::linalg::outer(u, z);
  auto align = layer_alignment({W1, W2});
  REQUIRE(align.size() == 1);
  CHECK(align[0] == Approx(1).epsilon(1e-14));
  Tensor across{0.8, -0.6};  // orthogonal to u: the second map reads nothing the first writes
  CHECK(layer_alignment({W1, Tensor(3.0 * xt::linalg::outer(across, z))})[0] == Approx(0).margin(1e-14));
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

namespace {
// A symmetric matrix with the given eigenvalues and random orthonormal eigenvectors (columns of Q).
std::pair<Tensor, Tensor> symmetric_with_spectrum(Rng& rng, const Tensor& eig) {
  const std::size_t n = eig.size();
  Tensor Q = std::get<0>(xt::linalg::qr(random_normal(rng, {n, n})));
  return {Tensor(xt::linalg::dot(Q, xt::linalg::dot(xt::diag(eig), xt::transpose(Q)))), Q};
}
}  // namespace

// Reference: a dense symmetric eigensolver (LAPACK dsyevd through xtensor-blas) on the same matrix.
TEST_CASE("Lanczos eigenpairs: the k largest and smallest of a dense matrix, as the dense eigensolver gives them",
          "[analysis][lanczos]") {
  Rng rng(9);
  const std::size_t n = 120;
  Tensor eig = Tensor::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) eig(i) = -1 + 2.0 * static_cast<Scalar>(i) / (n - 1);  // bulk in [-1, 1]
  eig(n - 1) = 10, eig(n - 2) = 9, eig(n - 3) = 8, eig(n - 4) = 6.5, eig(0) = -5, eig(1) = -4, eig(2) = -3;
  auto [A, Q0] = symmetric_with_spectrum(rng, eig);
  auto [dense_values, dense_vectors] = xt::linalg::eigh(A);  // ascending
  auto apply = [&A = A](const Tensor& v, Tensor& Av) { Av = xt::linalg::dot(A, v); };
  for (SpectrumEnd end : {SpectrumEnd::Largest, SpectrumEnd::Smallest}) {
    const std::size_t k = end == SpectrumEnd::Largest ? 4 : 3;
    Eigenpairs e = lanczos_eigenpairs(apply, n, k, end, 50, 3);
    CHECK(e.iterations == 50);
    for (std::size_t i = 0; i < k; ++i) {
      const std::size_t col = end == SpectrumEnd::Largest ? n - 1 - i : i;
      INFO((end == SpectrumEnd::Largest ? "largest " : "smallest ") << i);
      CHECK(e.values(i) == Approx(dense_values(col)).epsilon(1e-10));
      Tensor v = xt::view(e.vectors, i, xt::all());
      Tensor u = xt::view(dense_vectors, xt::all(), col);
      CHECK(std::fabs(xt::sum(v * u)()) == Approx(1).epsilon(1e-9));
      CHECK(e.residuals(i) < 1e-8);
    }
  }
  // Too few steps for the bulk's edge: the residual says the pair has not converged.
  Eigenpairs early = lanczos_eigenpairs(apply, n, 7, SpectrumEnd::Largest, 8, 3);
  CHECK(early.residuals(6) > 1e-3);
  CHECK_THROWS_AS(lanczos_eigenpairs(apply, n, 0, SpectrumEnd::Largest, 10, 1), ValueError);
  CHECK_THROWS_AS(lanczos_eigenpairs(apply, n, 5, SpectrumEnd::Largest, 4, 1), ValueError);
}

TEST_CASE("Hessian of an MLP's loss: Lanczos on HVPs matches the dense Hessian assembled from its blocks",
          "[analysis][lanczos][hessian]") {
  Rng rng(10);
  Graph g;
  Var x = g.input("x", {8, 3});
  Var y = g.input("y", {8, 2});
  models::MlpOptions options;
  options.hidden = {4};
  options.outputs = 2;
  options.activation = [](const Var& h) { return tanh(h); };
  models::Model m = models::mlp(x, options);
  Var loss = mse_loss(m.output, y);
  ParamStore store(g, 2);
  std::vector<std::pair<Var, Tensor>> data{{x, random_normal(rng, {8, 3})}, {y, random_normal(rng, {8, 2})}};
  // The dense Hessian, block by block, in the store's parameter order.
  const std::vector<Var>& params = store.parameters();
  std::vector<std::vector<Var>> blocks = hessian(loss, params);
  std::vector<Var> flat;
  for (const auto& row : blocks) flat.insert(flat.end(), row.begin(), row.end());
  Program p(g, flat);
  p.bind(store);
  for (const auto& [v, t] : data) p.set(v, t);
  p.run();
  const std::size_t P = store.size();
  Tensor H = xt::zeros<Scalar>({P, P});
  std::size_t row0 = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    std::size_t col0 = 0;
    for (std::size_t j = 0; j < params.size(); ++j) {
      Tensor b = p.get(blocks[i][j]);
      for (std::size_t a = 0; a < params[i].size(); ++a)
        for (std::size_t c = 0; c < params[j].size(); ++c) H(row0 + a, col0 + c) = b.flat(a * params[j].size() + c);
      col0 += params[j].size();
    }
    row0 += params[i].size();
  }
  CHECK(max_abs_diff(H, Tensor(xt::transpose(H))) < 1e-12);
  auto [values, vectors] = xt::linalg::eigh(H);
  HessianOperator op(g, loss, store, data);
  Tensor v = random_normal(rng, {P}), Hv = Tensor::from_shape({P});
  op(v, Hv);
  CHECK(max_abs_diff(Hv, Tensor(xt::linalg::dot(H, v))) < 1e-12);  // the HVP program agrees with the blocks
  Eigenpairs top =
      lanczos_eigenpairs([&](const Tensor& u, Tensor& Hu) { op(u, Hu); }, P, 3, SpectrumEnd::Largest, P, 4);
  Eigenpairs bottom =
      lanczos_eigenpairs([&](const Tensor& u, Tensor& Hu) { op(u, Hu); }, P, 2, SpectrumEnd::Smallest, P, 4);
  for (std::size_t i = 0; i < 3; ++i) CHECK(top.values(i) == Approx(values(P - 1 - i)).margin(1e-10));
  for (std::size_t i = 0; i < 2; ++i) CHECK(bottom.values(i) == Approx(values(i)).margin(1e-10));
}

// Reference: for f(x) = wᵀx + b the parameter Jacobian is [X, 1], so K = XXᵀ + 11ᵀ; for a tanh
// net, central differences of the outputs in each parameter.
TEST_CASE("empirical NTK Gram matrix: closed form for a linear model, finite differences for a tanh net",
          "[analysis][ntk]") {
  Rng rng(11);
  {
    Tensor X = random_normal(rng, {5, 3});
    Graph g;
    Var x = g.input("x", {5, 3});
    models::Model m = models::linear(x, 1, true);
    ParamStore store(g, 1);
    Tensor K = ntk_gram(g, m.output, store, {{x, X}});
    Tensor expected = xt::linalg::dot(X, xt::transpose(X)) + xt::ones<Scalar>({5, 5});
    CHECK(max_abs_diff(K, expected) < 1e-12);
  }
  Tensor X = random_normal(rng, {6, 2});
  Graph g;
  Var x = g.input("x", {6, 2});
  models::MlpOptions options;
  options.hidden = {5};
  options.activation = [](const Var& h) { return tanh(h); };
  models::Model m = models::mlp(x, options);
  Var out = reshape(m.output, {6});
  ParamStore store(g, 3);
  Tensor J = parameter_jacobian(g, out, store, {{x, X}});
  Program p(g, {out});
  p.bind(store);
  p.set(x, X);
  std::vector<Scalar> w = store.values();
  const Scalar h = 1e-6;
  Tensor J_fd = Tensor::from_shape({6, w.size()});
  for (std::size_t k = 0; k < w.size(); ++k) {
    std::vector<Scalar> shifted = w;
    shifted[k] = w[k] + h;
    store.values() = shifted;
    p.run();
    Tensor plus = p.get(out);
    shifted[k] = w[k] - h;
    store.values() = shifted;
    p.run();
    Tensor minus = p.get(out);
    xt::view(J_fd, xt::all(), k) = (plus - minus) / (2 * h);
  }
  store.values() = w;
  CHECK(max_abs_diff(J, J_fd) < 1e-8);
  Tensor K = ntk_gram(g, out, store, {{x, X}});
  CHECK(max_abs_diff(K, Tensor(xt::linalg::dot(J_fd, xt::transpose(J_fd)))) < 1e-7);
  Tensor spectrum = ntk_spectrum(K);
  Tensor s = jacobian_singular_values(g, out, store, {{x, X}});
  for (std::size_t i = 0; i < 6; ++i) CHECK(spectrum(i) == Approx(s(i) * s(i)).margin(1e-12));
  for (std::size_t i = 0; i + 1 < 6; ++i) CHECK(spectrum(i) >= spectrum(i + 1));
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

TEST_CASE("fit_line: slope, standard error and Student-t interval by the closed forms", "[analysis][fit]") {
  // y = 1 + 2x + e with residuals e orthogonal to x - mean(x): slope 2 and intercept 1 exactly,
  // SSE = 0.04, stderr = sqrt(SSE / (n - 2) / Sxx) with Sxx = 10, and the 95% half-width is
  // t(0.975; 3 dof) = 3.182446305284263 (NIST/SEMATECH e-Handbook, table 1.3.6.7.2) times it.
  std::vector<Scalar> x{0, 1, 2, 3, 4}, y{1.1, 2.9, 5, 6.9, 9.1};
  LineFit f = fit_line(x, y);
  CHECK(f.slope == Approx(2).epsilon(1e-12));
  CHECK(f.intercept == Approx(1).epsilon(1e-12));
  CHECK(f.points == 5);
  const Scalar stderr_closed_form = std::sqrt(0.04 / 3 / 10);
  CHECK(f.slope_stderr == Approx(stderr_closed_form).epsilon(1e-9));
  CHECK(f.half_width == Approx(3.182446305284263 * stderr_closed_form).epsilon(1e-9));
  CHECK(f.contains(2.1));
  CHECK_FALSE(f.contains(2.2));
  CHECK(fit_line(x, y, 0.99).half_width > f.half_width);
  // An exact line has no spread; two points say nothing about one.
  CHECK(fit_line({0, 1, 2}, {3, 5, 7}).half_width == Approx(0).margin(1e-12));
  CHECK(std::isinf(fit_line({0, 1}, {3, 5}).half_width));
  CHECK_THROWS_WITH(fit_line({1, 1, 1}, {0, 1, 2}), Catch::Contains("every x is the same"));
  CHECK_THROWS_WITH(fit_line({1, 2}, {0, 1, 2}), Catch::Contains("equal length"));
  CHECK_THROWS_WITH(fit_line(x, y, 1.0), Catch::Contains("confidence"));
}

TEST_CASE("LQR references: Lyapunov and Riccati solutions against scalar closed forms and their residuals",
          "[analysis][control]") {
  // Scalar system: x = q + a^2 x gives q / (1 - a^2); the Riccati equation p = q + a^2 p - (abp)^2 /
  // (r + b^2 p) is b^2 p^2 + (r - a^2 r - q b^2) p - q r = 0, whose positive root is P.
  const Scalar a = 0.8, b = 0.5, q = 2, r = 3;
  auto one_by_one = [](Scalar v) { return Tensor(v * xt::ones<Scalar>({1, 1})); };
  Tensor A = one_by_one(a), B = one_by_one(b), Q = one_by_one(q), R = one_by_one(r);
  CHECK(discrete_lyapunov(A, Q)(0, 0) == Approx(q / (1 - a * a)).epsilon(1e-14));
  const Scalar linear = r - a * a * r - q * b * b;
  const Scalar p = (-linear + std::sqrt(linear * linear + 4 * b * b * q * r)) / (2 * b * b);
  Riccati scalar = solve_discrete_riccati(A, B, Q, R);
  CHECK(scalar.P(0, 0) == Approx(p).epsilon(1e-12));
  CHECK(scalar.K(0, 0) == Approx(a * b * p / (r + b * b * p)).epsilon(1e-12));
  // A 3x3 system with an unstable open loop: the equations' residuals, and C(K*) = tr(P Sigma0).
  Tensor A3{{1.1, 0.3, 0}, {0, 0.7, 0.2}, {0.1, 0, 0.9}}, B3{{1, 0}, {0, 0}, {0, 1}};
  Tensor Q3 = xt::eye<Scalar>(3), R3 = 0.5 * xt::eye<Scalar>(2), S3 = xt::eye<Scalar>(3);
  Riccati opt = solve_discrete_riccati(A3, B3, Q3, R3);
  CHECK(opt.relative_residual < 1e-13);
  LqrCost at = lqr_cost(A3, B3, Q3, R3, S3, opt.K);
  CHECK(at.cost == Approx(xt::sum(xt::diagonal(opt.P))()).epsilon(1e-12));
  CHECK(xt::amax(xt::abs(at.gradient))() < 1e-10);  // K* is stationary
  Tensor closed = A3 - xt::linalg::dot(B3, opt.K);
  Tensor lyapunov_residual = at.Sigma - S3 - xt::linalg::dot(xt::linalg::dot(closed, at.Sigma), xt::transpose(closed));
  CHECK(xt::amax(xt::abs(lyapunov_residual))() < 1e-12);
  // The closed-form gradient against central differences of the closed-form cost at a stabilising K.
  Tensor K = opt.K + 0.1;
  LqrCost c = lqr_cost(A3, B3, Q3, R3, S3, K);
  for (std::size_t i = 0; i < K.size(); ++i) {
    Tensor plus = K, minus = K;
    plus.flat(i) += 1e-6, minus.flat(i) -= 1e-6;
    Scalar fd = (lqr_cost(A3, B3, Q3, R3, S3, plus).cost - lqr_cost(A3, B3, Q3, R3, S3, minus).cost) / 2e-6;
    CHECK(c.gradient.flat(i) == Approx(fd).epsilon(1e-6));
  }
  // Refusals: an unstable A has no Lyapunov solution; shapes are named.
  CHECK_THROWS_AS(discrete_lyapunov(one_by_one(1.5), one_by_one(1)), NumericError);
  CHECK_THROWS_AS(lqr_cost(A3, B3, Q3, R3, S3, Tensor(xt::zeros<Scalar>({2, 3}))), NumericError);
  CHECK_THROWS_WITH(solve_discrete_riccati(A3, B, Q3, R3), Catch::Contains("B must have 3 rows"));
  CHECK_THROWS_WITH(lqr_cost(A3, B3, Q3, R3, S3, Tensor(xt::zeros<Scalar>({3, 3}))), Catch::Contains("K must be 2x3"));
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
