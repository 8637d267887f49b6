#include <cmath>
#include <limits>
#include <sstream>

#include <xtensor-blas/xlinalg.hpp>

#include "dagrad/models/models.hpp"
#include "dagrad/optim/gradient_program.hpp"
#include "dagrad/optim/optimizer.hpp"
#include "dagrad/studies/entry.hpp"
#include "dagrad/studies/studies.hpp"
#include "dagrad/studies/support.hpp"

namespace dagrad::studies {

namespace {
// The claim this study checks, and where it comes from (the registry shows both).
constexpr char kLandscapeSource[] = "Jin et al. 2017; Sagun, Bottou & LeCun 2017";
constexpr char kLandscapeClaim[] =
    "GD started 1e-10 from the strict saddle of f(x) = -|x|^2 + |x|^4 at 0 stalls there for the linearisation's "
    "escape time ln(0.01/1e-10)/ln(1 + 2 lr) (to |x| = 0.01, within a step) while perturbed GD escapes in under half "
    "of it, and both reach the minimum -1/4; sigma_min of the Jacobian at initialisation grows with width (PL); the "
    "Hessian of a small ReLU regression net along GD splits as H = G + R, the Gauss-Newton part G = (2/n) J^T J >= 0 "
    "and the residual part R, with lambda_min(H) >= -|R| and |lambda_max(H) - lambda_max(G)| <= |R| at every sample "
    "(Weyl; H dense from HVPs, whose extremes Lanczos matches to 1e-6), |R| falling with the loss (log-log slope above "
    "0 with its 95% interval), and at the end lambda_max(H) within 1% of the Gauss-Newton's and |lambda_min(H)| <= "
    "0.01 lambda_max(H) (Sagun et al. 2017; Papyan 2019)";

}  // namespace

namespace {
std::string short_number(Scalar v) {
  std::ostringstream s;
  s.precision(4);
  s << v;
  return s.str();
}
}  // namespace

StudyResult landscape(const LandscapeOptions& o) {
  StudyResult r;
  r.name = "landscape";
  r.claim = std::string(kLandscapeSource) + ": " + kLandscapeClaim;
  // 1. The saddle. Started exactly at 0 GD cannot move (the gradient vanishes), which proves nothing;
  // started eps from it, GD's iterates grow by (1 + 2 lr - 4 lr |x|^2) per step, so near the saddle
  // they leave a ball of radius 0.01 after ln(0.01/eps)/ln(1 + 2 lr) steps: the stall the check times.
  constexpr Scalar kStart = 1e-10, kBall = 0.01;
  if (!(o.lr > 0 && o.lr < 0.5))
    throw ValueError("landscape: --lr must be in (0, 0.5): the minimum's curvature is 4, got " + short_number(o.lr));
  const Scalar saddle_lr = o.lr;
  std::mt19937_64 start_rng(o.seed);
  std::normal_distribution<Scalar> start_normal(0, 1);
  Tensor x0 = Tensor::from_shape({o.d});
  for (auto& v : x0) v = start_normal(start_rng);
  x0 *= kStart / xt::linalg::norm(x0);
  auto descend = [&](optim::Optimizer& opt, std::vector<Scalar>& trace, std::vector<Scalar>& radius) {
    Graph g;
    Var x = g.parameter("x", {o.d}, Init::zeros());
    Var r2 = sum(square(x));
    ParamStore s(g);
    s.set(x, x0);
    optim::GradientProgram objective(g, r2 * r2 - r2, s);
    for (std::size_t t = 0; t < o.steps; ++t) {
      trace.push_back(objective.run());
      opt.step(s);
      radius.push_back(xt::linalg::norm(Tensor(s.value(x))));
    }
    trace.push_back(objective.run());
  };
  std::vector<Scalar> gd_trace, pgd_trace, gd_radius, pgd_radius;
  optim::GradientDescent gd({optim::constant(saddle_lr)});
  optim::PerturbedGD pgd({optim::constant(saddle_lr)}, 1e-4, 1e-3, 20, o.seed + 1);
  descend(gd, gd_trace, gd_radius);
  descend(pgd, pgd_trace, pgd_radius);
  for (std::size_t t = 0; t < o.steps; ++t) {
    r.add("step", static_cast<Scalar>(t + 1));
    r.add("gd_f", gd_trace[t + 1]);
    r.add("pgd_f_plus_0.25", pgd_trace[t + 1] + 0.25);  // the minimum value is −1/4 (at |x|² = 1/2)
    r.add("gd_radius", gd_radius[t]);
    r.add("pgd_radius", pgd_radius[t]);
  }
  auto escape_step = [&](const std::vector<Scalar>& radius) {
    for (std::size_t t = 0; t < radius.size(); ++t)
      if (radius[t] >= kBall) return static_cast<Scalar>(t + 1);
    return std::numeric_limits<Scalar>::infinity();
  };
  const Scalar gd_escape = escape_step(gd_radius), pgd_escape = escape_step(pgd_radius);
  const Scalar theory_escape = std::ceil(std::log(kBall / kStart) / std::log(1 + 2 * saddle_lr));
  // 2. Hessian extreme eigenvalues along GD on a small ReLU regression net.
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<Scalar> normal(0, 1);
  Tensor X = Tensor::from_shape({32, 3}), Y = Tensor::from_shape({32});
  for (auto& v : X) v = normal(rng);
  for (std::size_t i = 0; i < 32; ++i) Y(i) = std::sin(X(i, 0)) + 0.5 * X(i, 1) * X(i, 2);
  Graph g;
  models::MlpOptions mo;
  mo.hidden = {16};
  models::Model m = models::mlp(g.constant(X, "X"), mo);
  Var prediction = reshape(m.output, {32});
  Var loss = mse_loss(prediction, g.constant(Y, "Y"));
  ParamStore store(g, o.seed);
  optim::GradientProgram objective(g, loss, store);
  optim::GradientDescent net_gd({optim::constant(0.05)});
  HessianOperator H(g, loss, store, {});
  // L = |r|^2/n has Hessian H = G + R: the Gauss-Newton part G = (2/n) J^T J (positive semidefinite)
  // and the residual part R = (2/n) sum_i r_i grad^2 f_i. By Weyl's inequality lambda_min(H) >= -|R|
  // and |lambda_max(H) - lambda_max(G)| <= |R|: negative curvature lives in R, linear in the residual.
  // Dense H (one HVP per basis vector), G from the Jacobian and R = H - G, judged at every sample.
  std::string hessians;
  bool weyl = true, lanczos_agrees = true;
  std::vector<Scalar> log_losses, log_residual_parts;
  Scalar last_top_gap = 0, last_negative = 0;
  const std::size_t p = H.size();
  for (std::size_t t = 0; t <= o.steps; ++t) {
    if (t % o.hessian_every == 0) {
      ExtremeEigenvalues e = lanczos([&](const Tensor& v, Tensor& Hv) { H(v, Hv); }, H.size(), 40, o.seed + t);
      const Scalar l = objective.run();
      Tensor dense = Tensor::from_shape({p, p}), basis = xt::zeros<Scalar>({p}), column = Tensor::from_shape({p});
      for (std::size_t i = 0; i < p; ++i) {
        basis(i) = 1;
        H(basis, column);
        basis(i) = 0;
        xt::view(dense, xt::all(), i) = column;
      }
      dense = 0.5 * (dense + xt::transpose(dense));
      Tensor J = parameter_jacobian(g, prediction, store, {});
      Tensor gauss_newton = (2.0 / 32) * xt::linalg::dot(xt::transpose(J), J);
      Tensor residual_part = dense - gauss_newton;
      Tensor h_values = std::get<0>(xt::linalg::eigh(dense)), g_values = std::get<0>(xt::linalg::eigh(gauss_newton)),
             r_values = std::get<0>(xt::linalg::eigh(residual_part));
      const Scalar r_norm = std::max(std::fabs(r_values(0)), std::fabs(r_values(p - 1)));
      const Scalar tolerance = 1e-9 * std::max<Scalar>(1, h_values(p - 1));
      weyl = weyl && h_values(0) >= -r_norm - tolerance &&
             std::fabs(h_values(p - 1) - g_values(p - 1)) <= r_norm + tolerance;
      lanczos_agrees = lanczos_agrees && std::fabs(e.smallest - h_values(0)) <= 1e-6 * h_values(p - 1) &&
                       std::fabs(e.largest - h_values(p - 1)) <= 1e-6 * h_values(p - 1);
      last_top_gap = std::fabs(h_values(p - 1) / g_values(p - 1) - 1);
      last_negative = std::fabs(std::min<Scalar>(h_values(0), 0)) / h_values(p - 1);
      log_losses.push_back(std::log(l));
      log_residual_parts.push_back(std::log(r_norm));
      hessians += (hessians.empty() ? "" : ", ") + std::string("step ") + std::to_string(t) + ": [" +
                  short_number(e.smallest) + ", " + short_number(e.largest) + "] |R| " + short_number(r_norm) + " L " +
                  short_number(l);
    }
    objective.run();
    net_gd.step(store);
  }
  if (log_losses.size() < 3) throw ValueError("landscape: --steps must cover at least 3 Hessian samples");
  const LineFit residual_rate = fit_line(log_losses, log_residual_parts);
  const bool residual_falls = residual_rate.slope - residual_rate.half_width > 0;
  const bool hessian_settles = last_top_gap <= 0.01 && last_negative <= 0.01;
  // 3. σ_min of the Jacobian of a two-layer ReLU net (standard parameterization) at init, by width.
  std::string sigmas;
  std::vector<Scalar> smallest;
  Tensor Xj = Tensor::from_shape({16, 5});
  for (auto& v : Xj) v = normal(rng);
  for (std::size_t width : o.widths) {
    Graph gj;
    Var x = gj.input("x", {16, 5});
    models::MlpOptions wo;
    wo.hidden = {width};
    models::Model net = models::mlp(x, wo);
    ParamStore sj(gj, o.seed);
    Tensor s = jacobian_singular_values(gj, reshape(net.output, {16}), sj, {{x, Xj}});
    smallest.push_back(s(s.size() - 1));
    sigmas +=
        (sigmas.empty() ? "" : ", ") + std::string("m=") + std::to_string(width) + ": " + short_number(smallest.back());
  }
  bool grows = true;
  for (std::size_t i = 1; i < smallest.size(); ++i) grows = grows && smallest[i] > smallest[i - 1];
  Scalar gd_final = gd_trace.back(), pgd_final = pgd_trace.back();
  r.measured =
      "from 1e-10 off the saddle GD leaves |x| < 0.01 at step " + short_number(gd_escape) +
      " (linearisation: " + short_number(theory_escape) + "), perturbed GD at step " + short_number(pgd_escape) +
      "; after " + std::to_string(o.steps) + " steps f = " + short_number(gd_final) + " (GD), " +
      short_number(pgd_final) +
      " (perturbed GD; minimum -0.25); Hessian [lambda_min, lambda_max], |R| and L along training: " + hessians +
      "; Weyl's bounds " + (weyl ? "hold" : "FAIL") + ", Lanczos " + (lanczos_agrees ? "matches" : "does NOT match") +
      " the dense eigenvalues; log |R| against log L slope " + short_number(residual_rate.slope) + " +- " +
      short_number(residual_rate.half_width) + (residual_falls ? "" : " (NOT above 0)") +
      "; at the end lambda_max(H)/lambda_max(G) - 1 = " + short_number(last_top_gap) +
      " and |lambda_min(H)|/lambda_max(H) = " + short_number(last_negative) +
      (hessian_settles ? "" : " (NOT both <= 0.01)") + "; sigma_min(J) at init: " + sigmas;
  r.holds = std::fabs(gd_escape - theory_escape) <= 1 && pgd_escape < 0.5 * gd_escape &&
            std::fabs(gd_final + 0.25) < 1e-6 && std::fabs(pgd_final + 0.25) < 1e-6 && grows && weyl &&
            lanczos_agrees && residual_falls && hessian_settles;
  return r;
}

std::vector<StudyEntry> landscape_entries() {
  return {detail::make_entry<LandscapeOptions>(
      "landscape", kLandscapeSource, kLandscapeClaim, false,
      [](LandscapeOptions& o, bool quick) {
        if (quick) o.widths = {8, 32};
      },
      landscape)};
}

}  // namespace dagrad::studies
