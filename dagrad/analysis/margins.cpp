#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include <xtensor-blas/xlinalg.hpp>

#include "dagrad/analysis/analysis.hpp"

namespace dagrad::analysis {

namespace {
void check_problem(const char* where, const Tensor& X, const Tensor& y) {
  if (X.dimension() != 2 || y.dimension() != 1 || X.shape()[0] != y.size())
    throw ShapeError(std::string(where) + ": X must be (n, d) and y (n); got " +
                     to_string(Shape(X.shape().begin(), X.shape().end())) + " and " +
                     to_string(Shape(y.shape().begin(), y.shape().end())));
}
}  // namespace

Scalar margin(const Tensor& w, const Tensor& X, const Tensor& y) {
  check_problem("margin", X, y);
  Tensor m = y * xt::linalg::dot(X, w);
  return xt::amin(m)();
}

Scalar normalized_margin(const Tensor& w, const Tensor& X, const Tensor& y) {
  return margin(w, X, y) / xt::linalg::norm(w);
}

Scalar angle(const Tensor& a, const Tensor& b) {
  Scalar c = xt::sum(a * b)() / (xt::linalg::norm(a) * xt::linalg::norm(b));
  return std::acos(std::max<Scalar>(-1, std::min<Scalar>(1, c)));
}

Scalar svm_kkt_residual(const Tensor& X, const Tensor& y, const Tensor& alpha) {
  Tensor w = xt::linalg::dot(xt::transpose(X), alpha * y);
  Tensor m = y * xt::linalg::dot(X, w);
  // Each term is relative to the unit margin, so the figure does not grow with ‖w‖ = 1/margin:
  // absolute complementary slackness α_i|m_i − 1| grows with α ~ 1/margin² and never met 1e-12
  // on small-margin data though the solution was exact to rounding.
  Scalar r = 0, slack = 0, total = 0, largest = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    r = std::max(r, std::max<Scalar>(0, 1 - m(i)));  // primal feasibility: margins ≥ 1
    largest = std::max(largest, std::fabs(alpha(i)));
    slack += std::fabs(alpha(i)) * std::fabs(m(i) - 1);
    total += std::fabs(alpha(i));
  }
  for (std::size_t i = 0; i < y.size(); ++i)
    r = std::max(r, std::max<Scalar>(0, -alpha(i)) / std::max<Scalar>(largest, 1e-300));
  return std::max(r, total > 0 ? slack / total : 0);  // complementary slackness, α-weighted mean
}

namespace {

// Lawson & Hanson's active-set NNLS (Solving Least Squares Problems, 1974, ch. 23):
// min ‖E u − f‖ over u ≥ 0; finite, with each subproblem a least-squares solve on the passive set.
Tensor nnls(const Tensor& E, const Tensor& f, std::size_t* iterations) {
  std::size_t m = E.shape()[0], n = E.shape()[1];
  Tensor u = xt::zeros<Scalar>({n});
  std::vector<bool> passive(n, false);
  Scalar tolerance =
      10 * std::numeric_limits<Scalar>::epsilon() * xt::amax(xt::abs(E))() * static_cast<Scalar>(std::max(m, n));
  auto solve_passive = [&](const std::vector<std::size_t>& cols) {
    Tensor Ep = Tensor::from_shape({m, cols.size()});
    for (std::size_t r = 0; r < m; ++r)
      for (std::size_t c = 0; c < cols.size(); ++c) Ep(r, c) = E(r, cols[c]);
    Tensor zp = std::get<0>(xt::linalg::lstsq(Ep, f));
    Tensor z = xt::zeros<Scalar>({n});
    for (std::size_t c = 0; c < cols.size(); ++c) z(cols[c]) = zp(c);
    return z;
  };
  std::size_t cap = 3 * n + 10;
  for (*iterations = 0; *iterations < cap; ++*iterations) {
    Tensor gradient = xt::linalg::dot(xt::transpose(E), f - xt::linalg::dot(E, u));
    std::size_t entering = n;
    for (std::size_t j = 0; j < n; ++j)
      if (!passive[j] && gradient(j) > tolerance && (entering == n || gradient(j) > gradient(entering))) entering = j;
    if (entering == n) return u;  // KKT: no inactive variable would decrease the residual
    passive[entering] = true;
    for (std::size_t inner = 0; inner <= n; ++inner) {
      std::vector<std::size_t> cols;
      for (std::size_t j = 0; j < n; ++j)
        if (passive[j]) cols.push_back(j);
      Tensor z = solve_passive(cols);
      bool positive = std::all_of(cols.begin(), cols.end(), [&](std::size_t j) { return z(j) > 0; });
      if (positive) {
        u = z;
        break;
      }
      // Step from u toward z as far as feasibility allows; the variables that hit zero leave.
      Scalar step = 1;
      for (std::size_t j : cols)
        if (z(j) <= 0) step = std::min(step, u(j) / (u(j) - z(j)));
      for (std::size_t j : cols) {
        u(j) += step * (z(j) - u(j));
        if (u(j) <= tolerance) {
          u(j) = 0;
          passive[j] = false;
        }
      }
    }
  }
  throw NumericError("hard_margin_svm: the active-set solver did not finish in " + std::to_string(cap) +
                     " iterations (rounding cycles; rescale the data)");
}

}  // namespace

SvmSolution hard_margin_svm(const Tensor& X, const Tensor& y, Scalar tolerance) {
  check_problem("hard_margin_svm", X, y);
  for (std::size_t i = 0; i < y.size(); ++i)
    if (y(i) != 1 && y(i) != -1)
      throw ValueError("hard_margin_svm: label " + std::to_string(i) + " is " + std::to_string(y(i)) + ", not ±1");
  if (!xt::all(xt::isfinite(X))) throw NumericError("hard_margin_svm: X holds a non-finite value");
  std::size_t n = X.shape()[0], d = X.shape()[1];
  // min ½‖w‖² s.t. Z w ≥ 1 (z_i = y_i x_i) is a least-distance problem; Lawson & Hanson (ch. 23)
  // solve it exactly through NNLS on E = [Zᵀ; 1ᵀ], f = e_{d+1}: with r = E u − f, w = −r_{1..d}/r_{d+1}
  // and the SVM's dual variables are α = u / (1 − Σu). Coordinate ascent needed millions of sweeps
  // on small-margin data with many support vectors; the active set finishes in about as many steps
  // as there are support vectors.
  Tensor E = Tensor::from_shape({d + 1, n});
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < d; ++k) E(k, i) = y(i) * X(i, k);
    E(d, i) = 1;
  }
  Tensor f = xt::zeros<Scalar>({d + 1});
  f(d) = 1;
  SvmSolution s;
  Tensor u = nnls(E, f, &s.iterations);
  Scalar denominator = 1 - xt::sum(u)();
  if (!(denominator > 0))
    throw NumericError(
        "hard_margin_svm: no w separates the data through the origin (the least-distance problem is infeasible)");
  s.alpha = u / denominator;
  s.w = xt::linalg::dot(xt::transpose(X), s.alpha * y);
  s.kkt_residual = svm_kkt_residual(X, y, s.alpha);
  Scalar smallest = margin(s.w, X, y);
  if (!(s.kkt_residual <= tolerance) && !(smallest > 0)) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "hard_margin_svm: no w separates the data through the origin (the least-distance problem is "
                  "infeasible: the closest w leaves a smallest margin of %g)",
                  smallest);
    throw NumericError(text);
  }
  if (!(s.kkt_residual <= tolerance)) {
    char text[512];
    std::snprintf(text, sizeof text,
                  "hard_margin_svm: relative KKT residual %g after %zu active-set steps, above the tolerance %g; "
                  "the smallest margin y_i wᵀx_i is %g (1 when solved). Data this close to inseparable, or "
                  "scaled so that rounding dominates, needs a looser tolerance",
                  s.kkt_residual, s.iterations, tolerance, smallest);
    throw NumericError(text);
  }
  return s;
}

Classification separable_data(std::size_t n, std::size_t d, Scalar min_margin, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<Scalar> normal(0, 1);
  Classification c;
  c.w_star = Tensor::from_shape({d});
  for (auto& v : c.w_star) v = normal(rng);
  c.w_star /= xt::linalg::norm(c.w_star);
  c.X = Tensor::from_shape({n, d});
  c.y = Tensor::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) {
    Scalar proj = 0;
    for (std::size_t k = 0; k < d; ++k) proj += (c.X(i, k) = normal(rng)) * c.w_star(k);
    Scalar label = proj >= 0 ? 1 : -1;
    if (std::fabs(proj) < min_margin)  // push the point out along w* to the required margin
      for (std::size_t k = 0; k < d; ++k) c.X(i, k) += (label * min_margin - proj) * c.w_star(k);
    c.y(i) = label;
  }
  return c;
}

}  // namespace dagrad::analysis
