#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>

#include <xtensor-blas/xlinalg.hpp>

#include "dagrad/analysis/progress.hpp"
#include "dagrad/models/models.hpp"
#include "dagrad/optim/gradient_program.hpp"
#include "dagrad/optim/optimizer.hpp"
#include "dagrad/studies/entry.hpp"
#include "dagrad/studies/studies.hpp"
#include "dagrad/studies/support.hpp"

namespace dagrad::studies {

namespace {
// The claim this study checks, and where it comes from (the registry shows both).
constexpr char kPlSource[] = "Liu, Zhu & Belkin 2020; Jacot, Gabriel & Hongler 2018";
constexpr char kPlClaim[] =
    "Along gradient descent on the square loss L = |f - y|^2/(2n) of tanh nets with one hidden layer (NTK "
    "parameterization), mu_t = |grad L|^2/(2 L) is at least lambda_min(K_t)/n for the tangent kernel K_t at every "
    "step (PL*, Liu et al.'s Theorem); wide nets (parameters >= 10 n) keep lambda_min(K_t)/n >= half its initial value "
    "on the whole path, contract the loss by at least 1 - lr mu_t at every step (lr times the initial Hessian's top "
    "eigenvalue <= 1) and reach L <= 1e-10 L_0, with tangent kernels that move less the wider the net (fitted log-log "
    "slope of |K_T - K_0|/|K_0| against the width, its 95% interval reaching -1/2 or below, as the Hessian's "
    "O(1/sqrt m) bound allows); nets with fewer parameters than points have lambda_min(K_t) = 0 (PL* fails) and stall "
    "above 1e-3 L_0";

constexpr Scalar kPlWideParameters = 10, kPlConverged = 1e-10, kPlStalled = 1e-3, kPlKernelRateBound = -0.5;
// Rounding in the loss: a step that "expands" by less than this relative amount is a tie.
constexpr Scalar kPlContractionSlack = 1e-9;
// lambda_min(K) of a rank-deficient kernel is rounding: below this fraction of lambda_max it is 0.
constexpr Scalar kPlRankTolerance = 1e-12;

Scalar gradient_square_norm(const ParamStore& store) {
  Scalar total = 0;
  for (Scalar v : store.grads()) total += v * v;  // every parameter's gradient, one flat buffer
  return total;
}

struct PlWidthRun {
  std::size_t width = 0, parameters = 0, steps_taken = 0;
  Scalar initial_loss = 0, final_loss = 0, lr_times_curvature = 0;
  Scalar lambda_initial = 0, lambda_path_min = std::numeric_limits<Scalar>::infinity();  // lambda_min(K)/n
  Scalar mu_min = std::numeric_limits<Scalar>::infinity(), mu_final = 0;
  Scalar worst_pl_ratio = std::numeric_limits<Scalar>::infinity();  // min over samples of mu_t n / lambda_min(K_t)
  Scalar worst_contraction = 0;                                     // max over steps of L_{t+1} / ((1 - lr mu_t) L_t)
  Scalar kernel_change = 0;                                         // |K_T - K_0|_F / |K_0|_F
  bool rank_deficient_throughout = true;
  bool diverged = false;  // a non-finite loss or gradient: the step is past stability
  // The tangent kernel's spectrum over training: at each sampled step, K_t's eigenvalues / n
  // (descending) and mu_t.
  std::vector<std::size_t> sampled_steps;
  std::vector<Tensor> sampled_spectra;
  std::vector<Scalar> sampled_mu;
};

PlWidthRun train_pl_width(const PlOptions& o, const Tensor& X, const Tensor& Y, std::size_t width) {
  PlWidthRun run;
  run.width = width;
  Graph g;
  models::MlpOptions mo;
  mo.hidden = {width};
  mo.activation = [](const Var& h) { return tanh(h); };  // smooth: the PL* theory needs a Hessian
  mo.parameterization = models::Parameterization::NTK;
  models::Model net = models::mlp(g.constant(X, "X"), mo);
  Var out = reshape(net.output, {o.n});
  Var loss = sum(square(out - g.constant(Y, "Y"))) * (0.5 / static_cast<Scalar>(o.n));
  ParamStore store(g, o.seed + 7919 * width);
  run.parameters = store.size();
  optim::GradientProgram objective(g, loss, store);
  HessianOperator hessian(g, loss, store, {});
  run.lr_times_curvature =
      o.lr * lanczos([&](const Tensor& v, Tensor& hv) { hessian(v, hv); }, hessian.size(), 40, o.seed).largest;
  optim::GradientDescent gd({optim::constant(o.lr)});
  Tensor k0;
  bool sampled = false;
  const Scalar n = static_cast<Scalar>(o.n);
  // The tangent kernel at log-spaced steps (n products each) and at the end.
  auto sample_kernel = [&](Scalar mu, std::size_t step) {
    Tensor k = ntk_gram(g, out, store, {});
    Tensor spectrum = ntk_spectrum(k);
    run.sampled_steps.push_back(step);
    run.sampled_spectra.push_back(spectrum / n);
    run.sampled_mu.push_back(mu);
    const Scalar smallest = spectrum(spectrum.size() - 1), largest = spectrum(0);
    const bool deficient = smallest <= kPlRankTolerance * largest;
    run.rank_deficient_throughout = run.rank_deficient_throughout && deficient;
    const Scalar lambda = deficient ? 0 : smallest / n;
    if (!sampled) k0 = k, run.lambda_initial = lambda, sampled = true;
    run.lambda_path_min = std::min(run.lambda_path_min, lambda);
    if (lambda > 0) run.worst_pl_ratio = std::min(run.worst_pl_ratio, mu / lambda);
    return k;
  };
  std::vector<std::size_t> samples = log_steps(o.steps, 12);
  Scalar previous_loss = 0, previous_mu = 0;
  Tensor last_kernel;
  for (std::size_t t = 0; t <= o.steps; ++t) {
    const Scalar l = objective.run();
    if (!std::isfinite(l)) {
      run.diverged = true;
      break;
    }
    const Scalar mu = gradient_square_norm(store) / (2 * l);
    if (t == 0) run.initial_loss = l;
    if (t > 0) run.worst_contraction = std::max(run.worst_contraction, l / ((1 - o.lr * previous_mu) * previous_loss));
    run.mu_min = std::min(run.mu_min, mu);
    previous_loss = l, previous_mu = mu;
    run.steps_taken = t;
    const bool done = l <= kPlConverged * run.initial_loss || t == o.steps;
    if (t == 0 || done || std::binary_search(samples.begin(), samples.end(), t)) last_kernel = sample_kernel(mu, t);
    if (done) break;
    try {
      gd.step(store);
    } catch (const NumericError&) {  // a non-finite gradient, refused by the optimizer
      run.diverged = true;
      break;
    }
  }
  if (run.diverged) return run;
  run.final_loss = previous_loss;
  run.mu_final = previous_mu;
  run.kernel_change = std::sqrt(xt::sum(xt::square(last_kernel - k0))() / xt::sum(xt::square(k0))());
  return run;
}

}  // namespace

StudyResult pl(const PlOptions& o) {
  if (o.widths.empty()) throw ValueError("pl: --widths is empty");
  if (o.n < 2 || o.d == 0) throw ValueError("pl: --n must be at least 2 and --d positive");
  StudyResult r;
  r.name = "pl";
  r.claim = std::string(kPlSource) + ": " + kPlClaim;
  r.x_label = "hidden width m, log scale";
  r.style("PL constant", {"mu (log scale)", true, "", ""});
  r.style("kernel change |K_T - K_0|/|K_0|", {"relative change of the tangent kernel (log scale)", true, "", ""});
  r.style("final loss L_T/L_0", {"L_T / L_0 (log scale)", true, "", ""});
  r.style("GD steps taken", {"steps (budget, or to L <= 1e-10 L_0)", true, "", ""});
  // Gaussian inputs and a smooth single-index target y = sin(2 u.x/sqrt d).
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<Scalar> normal(0, 1);
  Tensor X = Tensor::from_shape({o.n, o.d}), Y = Tensor::from_shape({o.n}), u = Tensor::from_shape({o.d});
  for (auto& v : X) v = normal(rng);
  for (auto& v : u) v = normal(rng);
  Tensor projection = xt::linalg::dot(X, u) / std::sqrt(static_cast<Scalar>(o.d));
  for (std::size_t i = 0; i < o.n; ++i) Y(i) = std::sin(2 * projection(i));

  std::vector<PlWidthRun> runs;
  {
    Progress progress("pl: widths", o.widths.size());
    for (std::size_t k = 0; k < o.widths.size(); ++k) {
      progress.tick(k + 1);
      runs.push_back(train_pl_width(o, X, Y, o.widths[k]));
    }
  }
  bool pl_inequality = true, wide_ok = true, narrow_ok = true, any_wide = false, any_narrow = false;
  std::vector<Scalar> log_widths, log_changes;
  std::string wide_failures, narrow_failures;
  const Scalar n = static_cast<Scalar>(o.n);
  for (const PlWidthRun& run : runs) {
    const std::string at = " at width " + std::to_string(run.width) + ",";
    const Scalar p = static_cast<Scalar>(run.parameters);
    any_wide = any_wide || p >= kPlWideParameters * n;
    any_narrow = any_narrow || p < n;
    if (run.diverged) {
      (p >= kPlWideParameters * n ? wide_failures : narrow_failures) += " gradient descent DIVERGED" + at;
      continue;
    }
    if (std::isfinite(run.worst_pl_ratio) && run.worst_pl_ratio < 1 - 1e-9) pl_inequality = false;
    if (p >= kPlWideParameters * n) {
      log_widths.push_back(std::log(static_cast<Scalar>(run.width)));
      log_changes.push_back(std::log(run.kernel_change));
      if (!(run.lambda_path_min >= 0.5 * run.lambda_initial && run.lambda_initial > 0))
        wide_failures += " lambda_min(K_t) fell below half its initial value" + at;
      if (run.worst_contraction > 1 + kPlContractionSlack)
        wide_failures +=
            " a step contracted by LESS than 1 - lr mu_t (worst ratio " + fmt(run.worst_contraction, 6) + ")" + at;
      if (run.lr_times_curvature > 1) wide_failures += " lr times the top Hessian eigenvalue is ABOVE 1" + at;
      if (!(run.final_loss <= kPlConverged * run.initial_loss))
        wide_failures += " L did NOT reach 1e-10 L_0 in " + std::to_string(o.steps) + " steps" + at;
    } else if (p < n) {
      if (!run.rank_deficient_throughout) narrow_failures += " lambda_min(K_t) is NOT 0" + at;
      if (!(run.final_loss >= kPlStalled * run.initial_loss))
        narrow_failures += " the loss did NOT stall above 1e-3 L_0" + at;
    }
    r.add("width", static_cast<Scalar>(run.width));
    r.add("PL constant | min_t mu_t", run.mu_min);
    r.add("PL constant | min_t lambda_min(K_t)/n", run.lambda_path_min);
    r.add("PL constant | lambda_min(K_0)/n", run.lambda_initial);
    r.add("kernel change |K_T - K_0|/|K_0|", run.kernel_change);
    r.add("final loss L_T/L_0", run.final_loss / run.initial_loss);
    r.add("GD steps taken", static_cast<Scalar>(run.steps_taken));
  }
  // The widest net's tangent kernel spectrum over training: its largest, second, middle and smallest
  // eigenvalue (/ n) beside mu_t, which falls from the spectrum's middle to its bottom as GD removes the
  // fast directions of the residual.
  const PlWidthRun& widest = runs.back();
  if (!widest.diverged && !widest.sampled_steps.empty()) {
    StudyResult spectrum;
    spectrum.name = "ntk-spectrum";
    spectrum.x_label = "GD step t + 1 at width " + std::to_string(widest.width) + ", log scale";
    spectrum.style("tangent kernel", {"eigenvalue of K_t / n, and mu_t (log scale)", true, "", ""});
    for (std::size_t s = 0; s < widest.sampled_steps.size(); ++s) {
      const Tensor& values = widest.sampled_spectra[s];
      spectrum.add("step + 1", static_cast<Scalar>(widest.sampled_steps[s] + 1));
      spectrum.add("tangent kernel | lambda_1/n", values(0));
      spectrum.add("tangent kernel | lambda_2/n", values(1));
      spectrum.add("tangent kernel | lambda_{n/2}/n", values(values.size() / 2));
      spectrum.add("tangent kernel | lambda_min/n", values(values.size() - 1));
      spectrum.add("tangent kernel | mu_t", widest.sampled_mu[s]);
    }
    r.tables.push_back(std::move(spectrum));
  }
  wide_ok = any_wide && wide_failures.empty();
  narrow_ok = narrow_failures.empty();
  for (std::string* failures : {&wide_failures, &narrow_failures})
    if (!failures->empty()) failures->pop_back();  // the last entry's comma
  bool kernel_ok = false;
  LineFit kernel_rate{};
  if (log_widths.size() >= 3) {
    kernel_rate = fit_line(log_widths, log_changes);
    kernel_ok = kernel_rate.slope < 0 && kernel_rate.slope - kernel_rate.half_width <= kPlKernelRateBound;
  }

  std::ostringstream m;
  m.precision(4);
  m << "mu_t >= lambda_min(K_t)/n at every sampled step: " << (pl_inequality ? "yes" : "NO") << "; by width (params):";
  for (const PlWidthRun& run : runs)
    m << " " << run.width << " (" << run.parameters << "): min mu_t " << fmt(run.mu_min, 3) << ", lambda_min(K)/n "
      << fmt(run.lambda_initial, 3) << " -> path min " << fmt(run.lambda_path_min, 3) << ", L_T/L_0 "
      << fmt(run.final_loss / run.initial_loss, 3) << " after " << run.steps_taken << " steps, worst contraction "
      << fmt(run.worst_contraction, 6) << ", lr*beta_0 " << fmt(run.lr_times_curvature, 3) << ";";
  m << " wide nets (>= 10 n parameters): "
    << (!any_wide ? std::string("NONE among the widths")
        : wide_ok ? std::string("PL* on the path, linear rate, fit")
                  : "NO:" + wide_failures)
    << "; nets with fewer parameters than points: "
    << (!any_narrow ? std::string("none")
        : narrow_ok ? std::string("lambda_min(K) = 0 and stalled")
                    : "NO:" + narrow_failures)
    << "; kernel change against width (wide nets): log-log slope "
    << (log_widths.size() >= 3 ? fmt(kernel_rate.slope, 3) + " +- " + fmt(kernel_rate.half_width, 2) : "-")
    << (kernel_ok ? "" : " (NOT a decrease reaching -1/2; needs 3 wide widths)") << " (n = " << o.n << ", d = " << o.d
    << ", lr " << fmt(o.lr, 3) << ")";
  r.measured = m.str();
  r.holds = pl_inequality && wide_ok && narrow_ok && kernel_ok;
  return r;
}

std::vector<StudyEntry> pl_entries() {
  return {detail::make_entry<PlOptions>(
      "pl", kPlSource, kPlClaim, false,
      +[](PlOptions& o, bool quick) {
        if (quick) o.widths = {1, 16, 64, 256, 1024};
      },
      pl)};
}

}  // namespace dagrad::studies
