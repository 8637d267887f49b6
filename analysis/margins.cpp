#include <cmath>
#include <random>

#include <xtensor-blas/xlinalg.hpp>

#include "analysis/analysis.hpp"

namespace dagrad::analysis {

namespace {
void check_problem(const char* where, const Tensor& X, const Tensor& y) {
  if (X.dimension() != 2 || y.dimension() != 1 || X.shape()[0] != y.size())
    throw ShapeError(std::string(where) + ": X must be (n, d) and y (n); got " + to_string(Shape(X.shape().begin(), X.shape().end())) +
                     " and " + to_string(Shape(y.shape().begin(), y.shape().end())));
}
}  // namespace

Scalar margin(const Tensor& w, const Tensor& X, const Tensor& y) {
  check_problem("margin", X, y);
  Tensor m = y * xt::linalg::dot(X, w);
  return xt::amin(m)();
}

Scalar normalized_margin(const Tensor& w, const Tensor& X, const Tensor& y) { return margin(w, X, y) / xt::linalg::norm(w); }

Scalar angle(const Tensor& a, const Tensor& b) {
  Scalar c = xt::sum(a * b)() / (xt::linalg::norm(a) * xt::linalg::norm(b));
  return std::acos(std::max<Scalar>(-1, std::min<Scalar>(1, c)));
}

Scalar svm_kkt_residual(const Tensor& X, const Tensor& y, const Tensor& alpha) {
  Tensor w = xt::linalg::dot(xt::transpose(X), alpha * y);
  Tensor m = y * xt::linalg::dot(X, w);
  Scalar r = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    r = std::max(r, std::max<Scalar>(0, 1 - m(i)));           // primal feasibility: margins ≥ 1
    r = std::max(r, std::max<Scalar>(0, -alpha(i)));          // dual feasibility
    r = std::max(r, std::fabs(alpha(i)) * std::fabs(m(i) - 1));  // complementary slackness
  }
  return r;
}

SvmSolution hard_margin_svm(const Tensor& X, const Tensor& y, Scalar tolerance, std::size_t max_sweeps) {
  check_problem("hard_margin_svm", X, y);
  std::size_t n = X.shape()[0], d = X.shape()[1];
  SvmSolution s;
  s.alpha = xt::zeros<Scalar>({n});
  s.w = xt::zeros<Scalar>({d});
  Tensor norms = xt::sum(X * X, {1});
  // Dual coordinate ascent (Hsieh et al. 2008): each α_i maximised exactly with the others fixed.
  for (s.sweeps = 1; s.sweeps <= max_sweeps; ++s.sweeps) {
    for (std::size_t i = 0; i < n; ++i) {
      Scalar m = 0;
      for (std::size_t k = 0; k < d; ++k) m += s.w(k) * X(i, k);
      Scalar updated = std::max<Scalar>(0, s.alpha(i) + (1 - y(i) * m) / norms(i));
      Scalar change = updated - s.alpha(i);
      if (change == 0) continue;
      s.alpha(i) = updated;
      for (std::size_t k = 0; k < d; ++k) s.w(k) += change * y(i) * X(i, k);
    }
    if (s.sweeps % 10 == 0 && (s.kkt_residual = svm_kkt_residual(X, y, s.alpha)) < tolerance) break;
  }
  s.w = xt::linalg::dot(xt::transpose(X), s.alpha * y);  // recomputed without accumulated rounding
  s.kkt_residual = svm_kkt_residual(X, y, s.alpha);
  if (s.kkt_residual >= tolerance * 10)
    throw NumericError("hard_margin_svm: KKT residual " + std::to_string(s.kkt_residual) + " after " + std::to_string(max_sweeps) +
                       " sweeps (is the data separable through the origin?)");
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
