#include <cmath>
#include <sstream>

#include "dagrad/models/models.hpp"
#include "dagrad/optim/gradient_program.hpp"
#include "dagrad/optim/optimizer.hpp"
#include "dagrad/studies/entry.hpp"
#include "dagrad/studies/studies.hpp"
#include "dagrad/studies/support.hpp"

namespace dagrad::studies {

namespace {
// The claim this study checks, and where it comes from (the registry shows both).
constexpr char kLandscapeSource[] = "Jin et al. 2017";
constexpr char kLandscapeClaim[] =
    "perturbed GD escapes the strict saddle of f(x) = -|x|^2 + |x|^4 at 0 where GD stays; Hessian extreme eigenvalues "
    "along training of a small ReLU net; sigma_min of the Jacobian at initialisation grows with width (PL)";

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
  // 1. The saddle: both methods start exactly at 0, where the gradient vanishes.
  auto descend = [&](optim::Optimizer& opt, std::vector<Scalar>& trace) {
    Graph g;
    Var x = g.parameter("x", {o.d}, Init::zeros());
    Var r2 = sum(square(x));
    ParamStore s(g);
    optim::GradientProgram objective(g, r2 * r2 - r2, s);
    for (std::size_t t = 0; t < o.steps; ++t) {
      trace.push_back(objective.run());
      opt.step(s);
    }
  };
  std::vector<Scalar> gd_trace, pgd_trace;
  optim::GradientDescent gd({optim::constant(0.05)});
  optim::PerturbedGD pgd({optim::constant(0.05)}, 1e-4, 1e-3, 20, o.seed + 1);
  descend(gd, gd_trace);
  descend(pgd, pgd_trace);
  for (std::size_t t = 0; t < o.steps; ++t) {
    r.add("step", static_cast<Scalar>(t + 1));
    r.add("gd_f", gd_trace[t]);
    r.add("pgd_f_plus_0.25", pgd_trace[t] + 0.25);  // the minimum value is −1/4 (at |x|² = 1/2)
  }
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
  Var loss = mse_loss(reshape(m.output, {32}), g.constant(Y, "Y"));
  ParamStore store(g, o.seed);
  optim::GradientProgram objective(g, loss, store);
  optim::GradientDescent net_gd({optim::constant(0.05)});
  HessianOperator H(g, loss, store, {});
  std::string hessians;
  for (std::size_t t = 0; t <= o.steps; ++t) {
    if (t % o.hessian_every == 0) {
      ExtremeEigenvalues e = lanczos([&](const Tensor& v, Tensor& Hv) { H(v, Hv); }, H.size(), 40, o.seed + t);
      hessians += (hessians.empty() ? "" : ", ") + std::string("step ") + std::to_string(t) + ": [" +
                  short_number(e.smallest) + ", " + short_number(e.largest) + "]";
    }
    objective.run();
    net_gd.step(store);
  }
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
  r.measured = "after " + std::to_string(o.steps) + " steps GD stays at f = " + short_number(gd_final) +
               ", perturbed GD reaches f = " + short_number(pgd_final) +
               " (minimum -0.25); Hessian [lambda_min, lambda_max] along training: " + hessians +
               "; sigma_min(J) at init: " + sigmas;
  r.holds = gd_final == 0 && std::fabs(pgd_final + 0.25) < 1e-6 && grows;
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
