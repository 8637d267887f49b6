#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>

#include <xtensor-blas/xlinalg.hpp>

#include "dagrad/analysis/progress.hpp"
#include "dagrad/optim/gradient_program.hpp"
#include "dagrad/studies/entry.hpp"
#include "dagrad/studies/studies.hpp"
#include "dagrad/studies/support.hpp"

namespace dagrad::studies {

namespace {
// The claim this study checks, and where it comes from (the registry shows both).
constexpr char kLqrSource[] = "Fazel, Ge, Kakade & Mesbahi 2018";
constexpr char kLqrClaim[] =
    "for the LQR cost C(K) of u = -Kx, reverse mode through a rolled-out cost gives the exact policy gradient "
    "2((R + B'P_K B)K - B'P_K A) Sigma_K (relative error < 1e-8); gradient domination C(K) - C* <= "
    "|Sigma_K*| / (mu^2 sigma_min(R)) |grad C(K)|_F^2 holds along gradient descent; natural policy gradient with "
    "step eta = 1/(2(|R| + |B|^2 C(K0)/mu)) contracts C - C* each step by at least 1 - 2 eta sigma_min(R) "
    "mu/|Sigma_K*|, and Gauss-Newton with step 1/2 (policy iteration) by 1 - mu/|Sigma_K*|; all three reach the "
    "Riccati gain K* (relative error < 1e-6)";

// The contraction bounds follow from Fazel et al.'s cost-difference lemma, C(K') - C(K) =
// -2 tr(Sigma_K' D'E_K) + tr(Sigma_K' D'(R + B'P_K B) D) with D = K - K' and E_K = (R + B'P_K B)K -
// B'P_K A, and their gradient domination C(K) - C* <= |Sigma_K*| tr(E_K'(R + B'P_K B)^-1 E_K): natural
// PG's D = 2 eta E_K decreases C by at least 2 eta mu tr(E_K'E_K) while eta |R + B'P_K B| <= 1/2, which
// the step ensures as long as C(K) <= C(K0) (|P_K| <= C(K)/mu); Gauss-Newton's D = 2 eta (R +
// B'P_K B)^-1 E_K decreases it by 4 eta (1 - eta) mu tr(E_K'(R + B'P_K B)^-1 E_K). Its step 1 is a
// reflection through policy iteration and leaves C unchanged, so the step is 1/2.

// Below this gap (relative to C*) C(K) - C* is roundoff: ratios of gaps are not judged there.
constexpr Scalar kRoundoffGap = 1e-10;
// Slack on a per-step contraction bound for the roundoff in two gaps each at least kRoundoffGap·C*.
constexpr Scalar kContractionSlack = 1e-5;
constexpr Scalar kGainTolerance = 1e-6, kGradientTolerance = 1e-8;

Tensor singular_values(const Tensor& m) { return std::get<1>(xt::linalg::svd(m, false)); }
Scalar spectral_norm(const Tensor& m) { return xt::amax(singular_values(m))(); }
Scalar smallest_singular_value(const Tensor& m) { return xt::amin(singular_values(m))(); }
Scalar relative_error(const Tensor& got, const Tensor& want) {
  return xt::linalg::norm(Tensor(got - want)) / xt::linalg::norm(want);
}

struct Method {
  std::string name;
  std::vector<Scalar> gap;       // C(K_t) - C* at t = 0..steps
  Scalar worst_contraction = 0;  // max over judged steps of (gap_{t+1}/gap_t) / bound (<= 1 holds)
  Scalar worst_domination = 0;   // max over judged steps of gap / (domination constant · |grad|²)
  Scalar gain_error = 0;         // |K_T - K*| / |K*|
  Scalar truncation_error = 0;   // |rolled-out C(K_T) - closed-form C(K_T)| / C(K_T)
  bool diverged = false;         // an iterate stopped stabilising the system
};

}  // namespace

StudyResult lqr(const LqrOptions& o) {
  if (o.inputs == 0 || o.d == 0) throw ValueError("lqr: the state and input dimensions must be positive");
  if (!(o.spectral_radius > 0 && o.spectral_radius < 1))
    throw ValueError("lqr: the open-loop spectral radius must be in (0, 1) so that K = 0 is stabilising, got " +
                     std::to_string(o.spectral_radius));
  StudyResult r;
  r.name = "lqr";
  r.claim = std::string(kLqrSource) + ": " + kLqrClaim;
  r.log_x = false;  // linear convergence is a straight line on a linear step axis
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<Scalar> normal(0, 1);
  auto gaussian = [&](std::size_t rows, std::size_t cols) {
    Tensor t = Tensor::from_shape({rows, cols});
    for (auto& v : t) v = normal(rng);
    return t;
  };
  // A stable open loop (K0 = 0 is stabilising, as the theory's K0 must be), scaled to the radius.
  Tensor A = gaussian(o.d, o.d);
  {
    auto eigenvalues = xt::linalg::eigvals(A);
    Scalar radius = 0;
    for (const std::complex<Scalar>& lambda : eigenvalues) radius = std::max(radius, std::abs(lambda));
    A *= o.spectral_radius / radius;
  }
  Tensor B = gaussian(o.d, o.inputs) / std::sqrt(static_cast<Scalar>(o.d));
  Tensor Q = xt::eye<Scalar>(o.d), R = xt::eye<Scalar>(o.inputs), Sigma0 = xt::eye<Scalar>(o.d);
  const Scalar mu = smallest_singular_value(Sigma0), r_min = smallest_singular_value(R);

  Riccati optimum = solve_discrete_riccati(A, B, Q, R);
  LqrCost at_optimum = lqr_cost(A, B, Q, R, Sigma0, optimum.K);
  const Scalar c_star = at_optimum.cost, sigma_star = spectral_norm(at_optimum.Sigma);
  const Scalar domination_constant = sigma_star / (mu * mu * r_min);

  // C(K) rolled out for `horizon` steps from the columns of chol(Sigma0) = I: E x'Mx = tr(M Sigma0).
  // The tail left out is of order rho(A - BK)^(2 horizon), below float64's rounding for the default.
  Graph g;
  Var K = g.parameter("K", {o.inputs, o.d}, Init::zeros());
  Var a = g.constant(A, "A"), b = g.constant(B, "B"), q = g.constant(Q, "Q"), rr = g.constant(R, "R");
  Var state = g.constant(Sigma0, "X0");
  Var cost = sum(state * matmul(q, state));
  for (std::size_t t = 0; t < o.horizon; ++t) {
    Var control = matmul(K, state);  // u = -Kx; its quadratic cost has no sign
    if (t > 0) cost = cost + sum(state * matmul(q, state));
    cost = cost + sum(control * matmul(rr, control));
    state = matmul(a, state) - matmul(b, control);
  }
  ParamStore store(g, o.seed);
  optim::GradientProgram objective(g, cost, store, {K});
  auto evaluate = [&](const Tensor& gain, Tensor& gradient) {
    store.set(K, gain);
    Scalar value = objective.run();
    gradient = Tensor(store.grad(K));
    return value;
  };

  // The reverse-mode gradient against Fazel et al.'s closed form, at K0 = 0 and at a random K.
  Tensor K0 = xt::zeros<Scalar>({o.inputs, o.d}), gradient;
  Scalar worst_gradient_error = 0, worst_cost_error = 0;
  for (const Tensor& probe : {K0, Tensor(0.1 * optimum.K + 0.05 * gaussian(o.inputs, o.d))}) {
    LqrCost closed = lqr_cost(A, B, Q, R, Sigma0, probe);
    Scalar rolled_out = evaluate(probe, gradient);
    worst_gradient_error = std::max(worst_gradient_error, relative_error(gradient, closed.gradient));
    worst_cost_error = std::max(worst_cost_error, std::fabs(rolled_out - closed.cost) / closed.cost);
  }
  const Scalar c0 = lqr_cost(A, B, Q, R, Sigma0, K0).cost;
  const Scalar npg_step = 1 / (2 * (spectral_norm(R) + spectral_norm(B) * spectral_norm(B) * c0 / mu));
  constexpr Scalar kGaussNewtonStep = 0.5;
  const Scalar gd_step = o.lr;

  std::vector<Method> methods(3);
  methods[0].name = "gradient descent", methods[1].name = "natural policy gradient", methods[2].name = "Gauss-Newton";
  const Scalar bounds[] = {0, 1 - 2 * npg_step * r_min * mu / sigma_star, 1 - 2 * kGaussNewtonStep * mu / sigma_star};
  for (std::size_t which = 0; which < methods.size(); ++which) {
    Method& m = methods[which];
    Tensor gain = K0;
    Progress progress("lqr " + m.name, o.steps);
    for (std::size_t t = 0; t <= o.steps; ++t) {
      progress.tick(t);
      Scalar value = evaluate(gain, gradient);
      Scalar gap = value - c_star;
      m.gap.push_back(gap);
      if (!std::isfinite(value) || !std::isfinite(xt::sum(gradient * gradient)())) {
        m.diverged = true;
        break;
      }
      if (gap > kRoundoffGap * c_star) {
        Scalar g2 = xt::sum(gradient * gradient)();
        m.worst_domination = std::max(m.worst_domination, gap / (domination_constant * g2));
      }
      if (t > 0 && which > 0 && m.gap[t - 1] > kRoundoffGap * c_star && gap > 0)
        m.worst_contraction = std::max(m.worst_contraction, gap / m.gap[t - 1] / bounds[which]);
      if (t == o.steps) break;
      if (which == 0) {
        gain -= gd_step * gradient;
        continue;
      }
      // An iterate that no longer stabilises A - BK has infinite cost: Sigma_K does not exist (the
      // Lyapunov series diverges) and the update's solves fail.
      try {
        LqrCost closed = lqr_cost(A, B, Q, R, Sigma0, gain);
        Tensor natural = xt::transpose(xt::linalg::solve(closed.Sigma, xt::transpose(gradient)));  // ∇C Σ_K⁻¹
        if (which == 1) {
          gain -= npg_step * natural;
        } else {
          Tensor curvature = R + xt::linalg::dot(xt::linalg::dot(xt::transpose(B), closed.P), B);
          gain -= kGaussNewtonStep * xt::linalg::solve(curvature, natural);
        }
      } catch (const NumericError&) {
        m.diverged = true;
        break;
      } catch (const Error&) {
        throw;                               // memory and the like: not the dynamics
      } catch (const std::runtime_error&) {  // LAPACK's failures, through xtensor-blas
        m.diverged = true;
        break;
      }
    }
    if (m.diverged || !std::isfinite(m.gap.back())) {
      m.diverged = true;
      m.gain_error = m.truncation_error = std::numeric_limits<Scalar>::infinity();
      continue;
    }
    m.gain_error = relative_error(gain, optimum.K);
    Scalar rolled_out = evaluate(gain, gradient);
    Scalar closed_cost = std::numeric_limits<Scalar>::infinity();
    try {
      closed_cost = lqr_cost(A, B, Q, R, Sigma0, gain).cost;
    } catch (const NumericError&) {
      m.diverged = true;
    }
    m.truncation_error = std::fabs(rolled_out - closed_cost) / closed_cost;
  }
  for (std::size_t t = 0; t <= o.steps; ++t) {
    r.add("step", static_cast<Scalar>(t));
    for (const Method& m : methods)
      r.add("loss gap C(K_t) - C* | " + m.name, t < m.gap.size() ? m.gap[t] : std::nan(""));
  }

  bool gradient_ok = worst_gradient_error <= kGradientTolerance && worst_cost_error <= kGradientTolerance;
  bool domination_ok = methods[0].worst_domination <= 1;
  bool contraction_ok =
      methods[1].worst_contraction <= 1 + kContractionSlack && methods[2].worst_contraction <= 1 + kContractionSlack;
  bool converged = true;
  for (const Method& m : methods) converged = converged && m.gain_error <= kGainTolerance;
  std::ostringstream out;
  out << "reverse-mode gradient vs closed form: relative error " << fmt(worst_gradient_error, 3) << " (rolled-out cost "
      << fmt(worst_cost_error, 3) << ")" << (gradient_ok ? "" : " (NOT < 1e-8)") << "; Riccati residual "
      << fmt(optimum.relative_residual, 3) << ", C* = " << fmt(c_star) << ", |Sigma_K*| = " << fmt(sigma_star)
      << "; gradient domination along GD: worst ratio to the bound " << fmt(methods[0].worst_domination, 3)
      << (domination_ok ? "" : " (NOT <= 1)") << "; per-step contraction / bound: natural PG "
      << fmt(methods[1].worst_contraction, 3) << " (bound " << fmt(bounds[1], 6) << "), Gauss-Newton "
      << fmt(methods[2].worst_contraction, 3) << " (bound " << fmt(bounds[2], 6) << ")"
      << (contraction_ok ? "" : " (NOT <= 1)") << "; |K_T - K*|/|K*| after " << o.steps << " steps:";
  for (const Method& m : methods)
    out << " " << m.name << " "
        << (m.diverged ? "DIVERGED (an iterate no longer stabilises A - BK)" : fmt(m.gain_error, 3))
        << (m.gain_error <= kGainTolerance ? "" : " (NOT < 1e-6)");
  Scalar worst_truncation = 0;
  for (const Method& m : methods) worst_truncation = std::max(worst_truncation, m.truncation_error);
  out << "; GD step " << fmt(gd_step, 3) << ", natural PG step " << fmt(npg_step, 3)
      << "; horizon truncation at the final gains " << fmt(worst_truncation, 3);
  r.measured = out.str();
  r.holds = gradient_ok && domination_ok && contraction_ok && converged && worst_truncation <= kGradientTolerance;
  return r;
}

std::vector<StudyEntry> lqr_entries() {
  return {detail::make_entry<LqrOptions>(
      "lqr", kLqrSource, kLqrClaim, false,
      +[](LqrOptions& o, bool quick) {
        if (quick) o.steps = 1500;  // natural PG's safe step needs about 1000 steps to 1e-6 of K*
      },
      lqr)};
}

}  // namespace dagrad::studies
