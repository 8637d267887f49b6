#include <algorithm>
#include <cmath>
#include <sstream>

#include "dagrad/analysis/progress.hpp"
#include "dagrad/optim/gradient_program.hpp"
#include "dagrad/optim/optimizer.hpp"
#include "dagrad/studies/entry.hpp"
#include "dagrad/studies/studies.hpp"
#include "dagrad/studies/support.hpp"

namespace dagrad::studies {

namespace {
// The claim this study checks, and where it comes from (the registry shows both).
constexpr char kLangevinSource[] = "Raginsky, Rakhlin & Telgarsky 2017; Kramers 1940";
constexpr char kLangevinClaim[] =
    "Langevin dynamics w <- w - eta grad U + sqrt(2 eta/beta) xi on the tilted double well U(x) = x^4/4 - x^2/2 + "
    "c x samples exp(-beta U) (histogram within total variation 0.02 of it), and its mean escape time from the "
    "shallow well grows like exp(beta dU) (fitted slope of log time against beta within 10% of the barrier dU, "
    "95% interval narrower than +-25% of it), with Kramers' prefactor 2 pi / sqrt(U''(min) |U''(saddle)|) (ratio in "
    "[0.7, 1.4] at the highest barrier)";

constexpr Scalar kMaxTotalVariation = 0.02, kSlopeTolerance = 0.1, kPrefactorLow = 0.7, kPrefactorHigh = 1.4;
// The interval only has to tell dU from the rates of broken dynamics (a sampler at the wrong
// temperature escapes at 2 dU or dU/2); with 1000 chains each mean time carries about 3% noise, and
// five heights' 95% half-widths measured 2% to 12% of dU over seeds 0-3.
constexpr Scalar kEscapeRateHalfWidth = 0.25;

struct Well {
  Scalar c;
  Scalar u(Scalar x) const { return x * x * x * x / 4 - x * x / 2 + c * x; }
  Scalar curvature(Scalar x) const { return 3 * x * x - 1; }
  // A root of U' = x^3 - x + c by Newton's method from `x`.
  Scalar critical_point(Scalar x) const {
    for (int i = 0; i < 100; ++i) {
      Scalar step = (x * x * x - x + c) / curvature(x);
      x -= step;
      if (std::fabs(step) < 1e-15) break;
    }
    return x;
  }
};

}  // namespace

StudyResult langevin(const LangevinOptions& o) {
  // Two wells exist while |c| < 2/(3 sqrt 3), where U' = x^3 - x + c has three real roots.
  const Scalar max_tilt = 2 / (3 * std::sqrt(Scalar(3)));
  if (!(o.tilt > 0 && o.tilt < 0.9 * max_tilt))
    throw ValueError("langevin: the tilt c must be in (0, " + fmt(0.9 * max_tilt) + ") for two distinct wells, got " +
                     fmt(o.tilt));
  if (o.barrier_heights.size() < 3)
    throw ValueError("langevin: an escape-time rate needs at least 3 barrier heights, got " +
                     std::to_string(o.barrier_heights.size()));
  if (o.n < 10) throw ValueError("langevin: --n (chains) must be at least 10, got " + std::to_string(o.n));
  const Well well{o.tilt};
  const Scalar deep = well.critical_point(-1.2), saddle = well.critical_point(0), shallow = well.critical_point(1.2);
  const Scalar barrier = well.u(saddle) - well.u(shallow);
  const Scalar prefactor = 2 * M_PI / std::sqrt(well.curvature(shallow) * std::fabs(well.curvature(saddle)));

  StudyResult r;
  r.name = "langevin";
  r.claim = std::string(kLangevinSource) + ": " + kLangevinClaim;
  r.log_x = false;  // log escape time is linear in beta

  // n independent chains as one parameter vector: sum_i U(x_i) has gradient U'(x_i) per chain.
  Graph g;
  Var x = g.parameter("x", {o.n}, Init::zeros());
  Var potential = sum(square(square(x)) * 0.25 - square(x) * 0.5 + x * o.tilt);
  ParamStore store(g, o.seed);
  optim::GradientProgram objective(g, potential, store);
  auto start_at = [&](Scalar where) { store.set(x, Tensor(where * xt::ones<Scalar>({o.n}))); };

  // 1. Escape from the shallow well: first passage to the deep minimum, chains censored at 3 times
  // Kramers' prediction (the exponential law's maximum-likelihood mean counts censored chains).
  std::vector<Scalar> betas, log_times;
  Scalar last_ratio = 0;
  for (std::size_t k = 0; k < o.barrier_heights.size(); ++k) {
    const Scalar beta = o.barrier_heights[k] / barrier, kramers = prefactor * std::exp(beta * barrier);
    const std::size_t budget = static_cast<std::size_t>(std::ceil(3 * kramers / o.lr));
    start_at(shallow);
    optim::Langevin sampler({optim::constant(o.lr)}, beta, o.seed + 1 + k);
    std::vector<bool> escaped(o.n, false);
    std::size_t count = 0;
    Scalar total_steps = 0;
    Progress progress("langevin escape at beta dU = " + fmt(o.barrier_heights[k], 3), budget);
    for (std::size_t t = 1; t <= budget && count < o.n; ++t) {
      progress.tick(t);
      objective.run();
      sampler.step(store);
      const auto& now = store.value(x);
      for (std::size_t i = 0; i < o.n; ++i)
        if (!escaped[i] && now(i) <= deep) escaped[i] = true, ++count, total_steps += static_cast<Scalar>(t);
    }
    if (count == 0)
      throw NumericError("langevin: no chain escaped within " + std::to_string(budget) +
                         " steps at beta dU = " + fmt(o.barrier_heights[k]) + " (is --lr far too small?)");
    total_steps += static_cast<Scalar>((o.n - count) * budget);
    const Scalar mean_time = o.lr * total_steps / static_cast<Scalar>(count);
    r.add("beta", beta);
    r.add("log escape time | measured", std::log(mean_time));
    r.add("log escape time | Kramers", std::log(kramers));
    r.add("escaped fraction", static_cast<Scalar>(count) / static_cast<Scalar>(o.n));
    betas.push_back(beta);
    log_times.push_back(std::log(mean_time));
    last_ratio = mean_time / kramers;
  }
  LineFit rate = fit_line(betas, log_times);
  const bool rate_ok =
      std::fabs(rate.slope / barrier - 1) <= kSlopeTolerance && rate.half_width <= kSlopeTolerance * barrier;
  const bool prefactor_ok = last_ratio >= kPrefactorLow && last_ratio <= kPrefactorHigh;

  // 2. The stationary law at beta = histogram_beta, from all chains started at the shallow minimum
  // (a sampler that does not move fails), after a burn-in of 10 relaxation times between the wells.
  const Scalar beta = o.histogram_beta;
  const Scalar relaxation = prefactor * std::exp(beta * (well.u(saddle) - well.u(deep)));
  const std::size_t burn_in = static_cast<std::size_t>(std::ceil(10 * relaxation / o.lr));
  constexpr Scalar kLow = -2.5, kHigh = 2.5;
  constexpr std::size_t kBins = 100, kThin = 10;
  std::vector<Scalar> counts(kBins, 0);
  Scalar samples = 0;
  {
    start_at(shallow);
    optim::Langevin sampler({optim::constant(o.lr)}, beta, o.seed + 100);
    Progress progress("langevin stationary law", burn_in + o.steps);
    for (std::size_t t = 1; t <= burn_in + o.steps; ++t) {
      progress.tick(t);
      objective.run();
      sampler.step(store);
      if (t <= burn_in || t % kThin) continue;
      for (Scalar v : store.value(x)) {
        samples += 1;
        if (v >= kLow && v < kHigh) counts[static_cast<std::size_t>((v - kLow) / (kHigh - kLow) * kBins)] += 1;
      }
    }
  }
  if (samples == 0) throw ValueError("langevin: --steps must exceed 10 so the histogram has samples");
  // exp(-beta U) integrated per bin (Simpson's rule, 64 panels a bin) and normalised over [-2.5, 2.5],
  // outside of which the density is below exp(-beta 8).
  std::vector<Scalar> exact(kBins, 0);
  Scalar z = 0;
  const Scalar width = (kHigh - kLow) / kBins;
  for (std::size_t b = 0; b < kBins; ++b) {
    constexpr int kPanels = 64;
    const Scalar h = width / kPanels, left = kLow + width * static_cast<Scalar>(b);
    Scalar integral = 0;
    for (int p = 0; p <= kPanels; ++p) {
      Scalar weight = (p == 0 || p == kPanels) ? 1 : (p % 2 ? 4 : 2);
      integral += weight * std::exp(-beta * well.u(left + h * p));
    }
    exact[b] = integral * h / 3;
    z += exact[b];
  }
  Scalar total_variation = 0;
  for (std::size_t b = 0; b < kBins; ++b) total_variation += 0.5 * std::fabs(counts[b] / samples - exact[b] / z);
  const bool law_ok = total_variation <= kMaxTotalVariation;

  std::ostringstream m;
  m << "barrier dU = " << fmt(barrier) << "; log escape time against beta: slope " << fmt(rate.slope) << " +- "
    << fmt(rate.half_width, 3) << " (dU " << fmt(barrier) << ")" << (rate_ok ? "" : " (NOT within 10%)")
    << "; escape time / Kramers at beta dU = " << fmt(o.barrier_heights.back(), 3) << ": " << fmt(last_ratio, 3)
    << (prefactor_ok ? "" : " (NOT in [0.7, 1.4])") << "; stationary histogram at beta " << fmt(beta, 3) << " after "
    << burn_in << " burn-in steps: total variation " << fmt(total_variation, 3) << " from exp(-beta U)"
    << (law_ok ? "" : " (NOT <= 0.02)") << " (" << o.n << " chains, step " << fmt(o.lr, 3) << ")";
  r.measured = m.str();
  r.holds = rate_ok && prefactor_ok && law_ok;
  return r;
}

std::vector<StudyEntry> langevin_entries() {
  return {detail::make_entry<LangevinOptions>(
      "langevin", kLangevinSource, kLangevinClaim, false,
      +[](LangevinOptions& o, bool quick) {
        if (quick) o.barrier_heights = {3, 3.5, 4, 4.5, 5}, o.steps = 5000;
      },
      langevin)};
}

}  // namespace dagrad::studies
