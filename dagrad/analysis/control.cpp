#include <cmath>
#include <string>

#include <xtensor-blas/xlinalg.hpp>

#include "dagrad/analysis/analysis.hpp"
#include "dagrad/graph/error.hpp"

namespace dagrad::analysis {

namespace {
std::string shape_text(const Tensor& t) {
  std::string s = "(";
  for (std::size_t i = 0; i < t.dimension(); ++i) s += (i ? ", " : "") + std::to_string(t.shape()[i]);
  return s + ")";
}
void require_square(const char* where, const char* name, const Tensor& m, std::size_t side) {
  if (m.dimension() != 2 || m.shape()[0] != side || m.shape()[1] != side)
    throw ShapeError(std::string(where) + ": " + name + " must be " + std::to_string(side) + "x" +
                     std::to_string(side) + ", got " + shape_text(m));
}
Scalar frobenius(const Tensor& m) { return xt::linalg::norm(m); }
}  // namespace

Tensor discrete_lyapunov(const Tensor& A, const Tensor& Q) {
  if (A.dimension() != 2 || A.shape()[0] != A.shape()[1])
    throw ShapeError("discrete_lyapunov: A must be square, got " + shape_text(A));
  require_square("discrete_lyapunov", "Q", Q, A.shape()[0]);
  // Smith's doubling: X_j = sum_{k < 2^j} A^k Q A'^k, so each iteration doubles the terms summed and
  // the error falls like rho(A)^(2^j). A power that stops shrinking means rho(A) >= 1: no solution.
  Tensor X = Q, power = A;
  for (int j = 0; j < 64; ++j) {
    Tensor term = xt::linalg::dot(xt::linalg::dot(power, X), xt::transpose(power));
    X += term;
    if (!std::isfinite(frobenius(X))) break;
    if (frobenius(term) <= 1e-17 * frobenius(X)) return X;
    power = xt::linalg::dot(power, power);
    if (!std::isfinite(frobenius(power)) || frobenius(power) > 1e150) break;
  }
  throw NumericError(
      "discrete_lyapunov: the series sum A^k Q A'^k does not converge (A's spectral radius is >= 1, or A or Q is not "
      "finite)");
}

Riccati solve_discrete_riccati(const Tensor& A, const Tensor& B, const Tensor& Q, const Tensor& R,
                               std::size_t max_iterations) {
  if (A.dimension() != 2 || A.shape()[0] != A.shape()[1])
    throw ShapeError("solve_discrete_riccati: A must be square, got " + shape_text(A));
  const std::size_t d = A.shape()[0];
  if (B.dimension() != 2 || B.shape()[0] != d)
    throw ShapeError("solve_discrete_riccati: B must have " + std::to_string(d) + " rows, got " + shape_text(B));
  require_square("solve_discrete_riccati", "Q", Q, d);
  require_square("solve_discrete_riccati", "R", R, B.shape()[1]);
  // The Riccati recursion (value iteration from P = Q): independent of the policy-gradient methods
  // it serves as the reference for, and monotone for Q, R positive definite.
  Riccati out;
  Tensor P = Q, At = xt::transpose(A), Bt = xt::transpose(B);
  for (std::size_t it = 1; it <= max_iterations; ++it) {
    Tensor BtPA = xt::linalg::dot(xt::linalg::dot(Bt, P), A);
    Tensor K = xt::linalg::solve(Tensor(R + xt::linalg::dot(xt::linalg::dot(Bt, P), B)), BtPA);
    Tensor next = Q + xt::linalg::dot(xt::linalg::dot(At, P), A) - xt::linalg::dot(xt::transpose(BtPA), K);
    // Symmetrised every step: without it the recursion's antisymmetric rounding error grows
    // geometrically where A is unstable (to 1e25 in 200 steps for the test's 3x3 system).
    next = 0.5 * (next + xt::transpose(next));
    Scalar change = frobenius(Tensor(next - P));
    P = next;
    if (!std::isfinite(change) || !std::isfinite(frobenius(P))) break;
    if (change <= 1e-14 * frobenius(P)) {
      out.P = P;
      Tensor BtPA_final = xt::linalg::dot(xt::linalg::dot(Bt, P), A);
      out.K = xt::linalg::solve(Tensor(R + xt::linalg::dot(xt::linalg::dot(Bt, P), B)), BtPA_final);
      Tensor residual =
          Q + xt::linalg::dot(xt::linalg::dot(At, P), A) - xt::linalg::dot(xt::transpose(BtPA_final), out.K) - P;
      out.relative_residual = frobenius(residual) / frobenius(P);
      out.iterations = it;
      return out;
    }
  }
  throw NumericError("solve_discrete_riccati: the Riccati recursion did not converge in " +
                     std::to_string(max_iterations) + " iterations ((A, B) not stabilisable, or raise the limit)");
}

LqrCost lqr_cost(const Tensor& A, const Tensor& B, const Tensor& Q, const Tensor& R, const Tensor& Sigma0,
                 const Tensor& K) {
  const std::size_t d = A.shape()[0];
  if (K.dimension() != 2 || K.shape()[0] != B.shape()[1] || K.shape()[1] != d)
    throw ShapeError("lqr_cost: K must be " + std::to_string(B.shape()[1]) + "x" + std::to_string(d) + ", got " +
                     shape_text(K));
  require_square("lqr_cost", "Sigma0", Sigma0, d);
  Tensor closed = A - xt::linalg::dot(B, K), Kt = xt::transpose(K);
  LqrCost c;
  // P_K = Q + K'RK + (A - BK)' P_K (A - BK) and Sigma_K = Sigma0 + (A - BK) Sigma_K (A - BK)'.
  c.P = discrete_lyapunov(xt::transpose(closed), Tensor(Q + xt::linalg::dot(xt::linalg::dot(Kt, R), K)));
  c.Sigma = discrete_lyapunov(closed, Sigma0);
  c.cost = xt::sum(c.P * Sigma0)();
  // Fazel et al. 2018, Lemma 1: grad C(K) = 2 ((R + B'P_K B) K - B'P_K A) Sigma_K.
  Tensor Bt = xt::transpose(B);
  Tensor E = xt::linalg::dot(Tensor(R + xt::linalg::dot(xt::linalg::dot(Bt, c.P), B)), K) -
             xt::linalg::dot(xt::linalg::dot(Bt, c.P), A);
  c.gradient = 2.0 * xt::linalg::dot(E, c.Sigma);
  return c;
}

}  // namespace dagrad::analysis
