#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>

#include <xtensor-blas/xlinalg.hpp>

#include "dagrad/analysis/progress.hpp"
#include "dagrad/ops/ops.hpp"
#include "dagrad/optim/gradient_program.hpp"
#include "dagrad/optim/optimizer.hpp"
#include "dagrad/studies/entry.hpp"
#include "dagrad/studies/studies.hpp"
#include "dagrad/studies/support.hpp"

namespace dagrad::studies {

namespace {
// The claim this study checks, and where it comes from (the registry shows both).
constexpr char kSaddlesSource[] = "Jin, Ge, Netrapalli, Kakade & Jordan 2017; Ge, Huang, Jin & Yuan 2015";
constexpr char kSaddlesClaim[] =
    "On the factorization objective f(U) = |U U^T - v v^T|_F^2 / 4 (U in R^{d x r}, |v| = 1), whose saddle U = 0 is "
    "strict (the Hessian's least eigenvalue is -1, on the escape directions v a^T, the next is 0): gradient descent "
    "started at it never moves, and started eps from it stalls for ln(1/eps)/ln(1 + lr) steps (fitted slope of the "
    "escape step against ln(1/eps) within 5%); perturbed GD, one kick uniform in a ball, escapes (f <= f(0)/2) after "
    "a number of steps that grows only like ln d, with slope 1/(2 ln(1 + lr)) (fitted within 10%, 95% interval within "
    "+-15%), and reaches a second-order stationary point (f <= 1e-10 f(0), Hessian's least eigenvalue >= -1e-3 "
    "where the saddle's is -1) on every run";

// At f = 1e-10 f(0) the iterate is about 1e-5 from the minima, so the Hessian there is within about that
// of the minima's (least eigenvalue 0; measured -1e-5): -1e-3 tells it from the saddle's -1 with room.
constexpr Scalar kSaddleEscapeFraction = 0.5, kSaddleConverged = 1e-10, kSaddleCurvatureFloor = -1e-3;
constexpr Scalar kSaddleStallTolerance = 0.05, kSaddleDimensionTolerance = 0.1, kSaddleDimensionHalfWidth = 0.15;
constexpr Scalar kSaddleEigenTolerance = 1e-9;

// One seed per (sweep, setting, run), so every run can be computed alone (a sweep engine can spread them).
std::uint64_t run_seed(std::uint64_t base, std::size_t sweep, std::size_t setting, std::size_t run) {
  std::seed_seq mix{static_cast<std::uint32_t>(base), static_cast<std::uint32_t>(base >> 32),
                    static_cast<std::uint32_t>(sweep), static_cast<std::uint32_t>(setting),
                    static_cast<std::uint32_t>(run)};
  std::uint32_t words[2];
  mix.generate(words, words + 2);
  return (std::uint64_t(words[0]) << 32) | words[1];
}

Tensor unit_gaussian(std::mt19937_64& rng, const Shape& shape) {
  Tensor t = gaussian_tensor(rng, shape);
  return t / xt::linalg::norm(t);
}

struct SaddleDescent {
  Scalar escape_step = std::numeric_limits<Scalar>::infinity();  // first t with f(U_t) <= f(0)/2
  std::size_t kicks_before_escape = 0;
  bool converged = false;  // f <= 1e-10 f(0) within the budget
};

// The objective at one dimension d, compiled once and run from many starts.
class SaddleObjective {
 public:
  SaddleObjective(std::size_t d, std::size_t rank, std::uint64_t seed) {
    u_ = g_.parameter("U", {d, rank}, Init::zeros());
    std::mt19937_64 rng(seed);
    v_ = unit_gaussian(rng, {1, d});
    // |U U^T - v v^T|^2 = |U^T U|^2 - 2 |v^T U|^2 + 1: the r x r form costs d r^2 a step, not d^2 r.
    Var vu = matmul(g_.constant(v_, "v^T"), u_);
    f_ = sum(square(matmul(u_, u_, true, false))) * 0.25 - sum(square(vu)) * 0.5 + 0.25;
    store_ = std::make_unique<ParamStore>(g_, seed);
    objective_ = std::make_unique<optim::GradientProgram>(g_, f_, *store_);
    hessian_ = std::make_unique<HessianOperator>(g_, f_, *store_, std::vector<std::pair<Var, Tensor>>{});
  }
  std::size_t size() const { return store_->size(); }
  const Tensor& v() const { return v_; }
  void set(const Tensor& u) { store_->set(u_, u); }
  Tensor u() const { return Tensor(store_->value(u_)); }

  SaddleDescent descend(optim::Optimizer& opt, std::size_t steps, const optim::PerturbedGD* kicker) {
    SaddleDescent out;
    for (std::size_t t = 0; t <= steps; ++t) {
      const Scalar f = objective_->run();  // f(U_t), and its gradient in the store
      if (std::isinf(out.escape_step) && f <= kSaddleEscapeFraction * kInitialValue) {
        out.escape_step = static_cast<Scalar>(t);
        out.kicks_before_escape = kicker ? kicker->perturbations() : 0;
      }
      if (f <= kSaddleConverged * kInitialValue) {
        out.converged = true;
        return out;
      }
      if (t < steps) opt.step(*store_);
    }
    return out;
  }

  Eigenpairs lowest_curvatures(std::size_t k, std::uint64_t seed) {
    return lanczos_eigenpairs([&](const Tensor& x, Tensor& hx) { (*hessian_)(x, hx); }, size(), k,
                              SpectrumEnd::Smallest, std::min<std::size_t>(size(), 60), seed);
  }

  static constexpr Scalar kInitialValue = 0.25;  // f(0) = |v|^4 / 4

 private:
  Graph g_;
  Var u_, f_;
  Tensor v_;
  std::unique_ptr<ParamStore> store_;
  std::unique_ptr<optim::GradientProgram> objective_;
  std::unique_ptr<HessianOperator> hessian_;
};

Scalar mean_of(const std::vector<Scalar>& x) {
  Scalar s = 0;
  for (Scalar v : x) s += v;
  return s / static_cast<Scalar>(x.size());
}
Scalar spread_of(const std::vector<Scalar>& x) {
  const Scalar m = mean_of(x);
  Scalar s = 0;
  for (Scalar v : x) s += (v - m) * (v - m);
  return std::sqrt(s / static_cast<Scalar>(x.size() - 1));
}

}  // namespace

StudyResult saddles(const SaddlesOptions& o) {
  if (!(o.lr > 0 && o.lr < 1))
    throw ValueError("saddles: --lr must be in (0, 1): the minimum's largest curvature is 2, so GD diverges from " +
                     std::string("lr = 1 on, got ") + fmt(o.lr));
  if (o.dims.size() < 3)
    throw ValueError("saddles: a rate in ln d needs at least 3 dimensions (--dims), got " +
                     std::to_string(o.dims.size()));
  if (o.runs < 8)
    throw ValueError("saddles: --runs must be at least 8 for a mean over runs, got " + std::to_string(o.runs));
  if (o.rank == 0 || o.d == 0) throw ValueError("saddles: --rank and --d must be positive");
  if (!(o.radius > 0 && o.radius <= 1e-3))
    throw ValueError(
        "saddles: the kick radius must be in (0, 1e-3] for the escape to start in the saddle's linear "
        "region, got " +
        fmt(o.radius));

  StudyResult r;
  r.name = "saddles";
  r.claim = std::string(kSaddlesSource) + ": " + kSaddlesClaim;
  r.x_label = "d (rows of U), log scale";
  r.style("escape step", {"steps until f <= f(0)/2 (perturbed GD from U = 0)", false,
                          "escape step | perturbed GD, mean over runs", "escape step spread | std over runs"});
  r.style("escape step spread", {"standard deviation over runs (steps)", false, "", ""});
  const Scalar growth = std::log1p(o.lr);  // the escape directions grow by 1 + lr a step near U = 0
  bool every_run_converged = true, one_kick = true, stuck = true, strict = true, second_order = true;
  std::string failures;

  // 1. Perturbed GD from the saddle itself, across dimensions. The kick's component in the r-dimensional
  // escape subspace has norm radius * sqrt(r / (d r)) in the mean of its log, so the step count at which
  // f halves grows by ln(d)/(2 ln(1 + lr)): poly-logarithmic in d, as Jin et al. prove.
  std::vector<Scalar> log_dims, mean_escapes;
  Scalar worst_curvature = std::numeric_limits<Scalar>::infinity();
  for (std::size_t k = 0; k < o.dims.size(); ++k) {
    const std::size_t d = o.dims[k];
    SaddleObjective problem(d, o.rank, run_seed(o.seed, 0, k, 0));
    // The saddle's Hessian, judged: -v v^T on each of the r columns, so eigenvalues -1 (directions v a^T) and 0.
    problem.set(xt::zeros<Scalar>({d, o.rank}));
    Eigenpairs saddle = problem.lowest_curvatures(std::min<std::size_t>(2, problem.size()), run_seed(o.seed, 3, k, 0));
    Tensor q = xt::reshape_view(xt::view(saddle.vectors, 0, xt::all()), {d, o.rank});
    const Scalar escape_weight = xt::linalg::norm(Tensor(xt::linalg::dot(problem.v(), q)));
    if (std::fabs(saddle.values(0) + 1) > kSaddleEigenTolerance ||
        std::fabs(escape_weight - 1) > kSaddleEigenTolerance ||
        (saddle.values.size() > 1 && d > 1 && std::fabs(saddle.values(1)) > kSaddleEigenTolerance))
      strict = false;
    // Gradient descent at the saddle: the gradient is exactly 0, and so is every step.
    optim::GradientDescent still({optim::constant(o.lr)});
    problem.descend(still, o.steps, nullptr);
    if (xt::amax(xt::abs(problem.u()))() != 0) stuck = false;

    std::vector<Scalar> escapes;
    Progress progress("saddles: perturbed GD at d = " + std::to_string(d), o.runs);
    for (std::size_t run = 0; run < o.runs; ++run) {
      progress.tick(run + 1);
      problem.set(xt::zeros<Scalar>({d, o.rank}));
      // Jin et al.'s t_thres: no second kick before the budget ends, so each run times one kick's escape.
      optim::PerturbedGD kicker({optim::constant(o.lr)}, 1e-3, o.radius, o.steps + 1, run_seed(o.seed, 1, k, run));
      SaddleDescent run_result = problem.descend(kicker, o.steps, &kicker);
      escapes.push_back(run_result.escape_step);
      if (run_result.kicks_before_escape != 1) one_kick = false;
      if (!run_result.converged) every_run_converged = false;
      if (run == 0 && run_result.converged) {
        Eigenpairs end = problem.lowest_curvatures(1, run_seed(o.seed, 4, k, 0));
        worst_curvature = std::min(worst_curvature, end.values(0));
        if (end.values(0) < kSaddleCurvatureFloor) second_order = false;
      }
    }
    const bool all_escaped = std::all_of(escapes.begin(), escapes.end(), [](Scalar e) { return std::isfinite(e); });
    if (!all_escaped) {
      failures +=
          " perturbed GD did NOT escape within " + std::to_string(o.steps) + " steps at d = " + std::to_string(d) + ";";
      every_run_converged = false;
      continue;
    }
    log_dims.push_back(std::log(static_cast<Scalar>(d)));
    mean_escapes.push_back(mean_of(escapes));
    r.add("d", static_cast<Scalar>(d));
    r.add("escape step | perturbed GD, mean over runs", mean_of(escapes));
    r.add("escape step spread | std over runs", spread_of(escapes));
  }
  const Scalar dimension_theory = 1 / (2 * growth);
  bool dimension_ok = false;
  LineFit by_dimension{};
  if (log_dims.size() >= 3) {
    by_dimension = fit_line(log_dims, mean_escapes);
    dimension_ok = std::fabs(by_dimension.slope / dimension_theory - 1) <= kSaddleDimensionTolerance &&
                   by_dimension.half_width <= kSaddleDimensionHalfWidth * dimension_theory;
    for (std::size_t i = 0; i < log_dims.size(); ++i) {
      r.add("escape step | fitted line", by_dimension.intercept + by_dimension.slope * log_dims[i]);
      // The theory's slope through the fitted line's value at the middle dimension.
      const Scalar middle = log_dims[log_dims.size() / 2];
      r.add("escape step | theory slope 1/(2 ln(1 + lr))",
            by_dimension.intercept + by_dimension.slope * middle + dimension_theory * (log_dims[i] - middle));
    }
  } else {
    r.series.clear(), r.columns.clear();
  }

  // 2. Gradient descent started eps from the saddle in a random direction, at one dimension: the
  // escape components start at eps * sqrt(r/(d r)) and grow by 1 + lr, so the stall lengthens by
  // ln(1/eps)/ln(1 + lr) steps. Without a kick the stall is unbounded as eps -> 0.
  std::vector<Scalar> log_inverse_eps, mean_stalls, stall_spreads;
  {
    SaddleObjective problem(o.d, o.rank, run_seed(o.seed, 2, 0, 0));
    Progress progress("saddles: GD near the saddle at d = " + std::to_string(o.d), 6 * o.runs);
    for (int k = 1; k <= 6; ++k) {
      const Scalar eps = std::pow(Scalar(10), -2 * k);
      std::vector<Scalar> stalls;
      for (std::size_t run = 0; run < o.runs; ++run) {
        progress.tick((k - 1) * o.runs + run + 1);
        std::mt19937_64 rng(run_seed(o.seed, 2, k, run));
        problem.set(eps * unit_gaussian(rng, {o.d, o.rank}));
        optim::GradientDescent gd({optim::constant(o.lr)});
        SaddleDescent run_result = problem.descend(gd, o.steps, nullptr);
        stalls.push_back(run_result.escape_step);
      }
      if (!std::all_of(stalls.begin(), stalls.end(), [](Scalar e) { return std::isfinite(e); })) {
        failures += " GD from eps = " + fmt(eps, 2) + " did NOT escape within " + std::to_string(o.steps) + " steps;";
        continue;
      }
      log_inverse_eps.push_back(-std::log(eps));
      mean_stalls.push_back(mean_of(stalls));
      stall_spreads.push_back(spread_of(stalls));
    }
  }
  const Scalar stall_theory = 1 / growth;
  bool stall_ok = false;
  LineFit by_eps{};
  if (log_inverse_eps.size() >= 3) {
    by_eps = fit_line(log_inverse_eps, mean_stalls);
    stall_ok = std::fabs(by_eps.slope / stall_theory - 1) <= kSaddleStallTolerance &&
               by_eps.half_width <= kSaddleStallTolerance * stall_theory;
    StudyResult stall;
    stall.name = "gd-stall";
    stall.log_x = false;  // the stall is linear in ln(1/eps)
    stall.x_label = "ln(1/eps), GD started eps from the saddle (d = " + std::to_string(o.d) + ")";
    stall.style("escape step", {"steps until f <= f(0)/2", false, "escape step | GD from eps, mean over runs",
                                "escape step spread | std over runs"});
    const Scalar middle = log_inverse_eps[log_inverse_eps.size() / 2];
    for (std::size_t i = 0; i < log_inverse_eps.size(); ++i) {
      stall.add("ln(1/eps)", log_inverse_eps[i]);
      stall.add("escape step | GD from eps, mean over runs", mean_stalls[i]);
      stall.add("escape step | theory slope 1/ln(1 + lr)",
                by_eps.intercept + by_eps.slope * middle + stall_theory * (log_inverse_eps[i] - middle));
      stall.add("escape step spread | std over runs", stall_spreads[i]);
    }
    r.tables.push_back(std::move(stall));
  }

  std::ostringstream m;
  m << "saddle's Hessian: least eigenvalue -1 on v a^T, next 0" << (strict ? "" : " (NOT found by Lanczos)")
    << "; GD at the saddle " << (stuck ? "never moved" : "MOVED")
    << "; GD from eps: escape step against ln(1/eps) slope " << fmt(by_eps.slope) << " +- " << fmt(by_eps.half_width, 2)
    << " (theory 1/ln(1 + lr) = " << fmt(stall_theory) << ")" << (stall_ok ? "" : " (NOT within 5%)")
    << "; perturbed GD (kick radius " << fmt(o.radius, 2) << "): escape step against ln d slope "
    << fmt(by_dimension.slope) << " +- " << fmt(by_dimension.half_width, 2)
    << " (theory 1/(2 ln(1 + lr)) = " << fmt(dimension_theory) << ")"
    << (dimension_ok ? "" : " (NOT within 10% with a 95% interval within 15%)") << "; mean escape step "
    << (mean_escapes.empty() ? std::string("-")
                             : fmt(mean_escapes.front(), 4) + " at d = " + std::to_string(o.dims.front()) + " to " +
                                   fmt(mean_escapes.back(), 4) + " at d = " + std::to_string(o.dims.back()))
    << "; " << (one_kick ? "one kick per run" : "some run took NOT exactly one kick before escaping") << "; "
    << (every_run_converged ? "every run reached f <= 1e-10 f(0)" : "some run did NOT reach f <= 1e-10 f(0)")
    << ", least Hessian eigenvalue there " << fmt(worst_curvature, 3) << (second_order ? "" : " (NOT >= -1e-3)")
    << failures << " (" << o.runs << " runs per setting, r = " << o.rank << ", lr " << fmt(o.lr, 3) << ")";
  r.measured = m.str();
  r.holds = strict && stuck && stall_ok && dimension_ok && one_kick && every_run_converged && second_order;
  return r;
}

std::vector<StudyEntry> saddles_entries() {
  return {detail::make_entry<SaddlesOptions>(
      "saddles", kSaddlesSource, kSaddlesClaim, false,
      +[](SaddlesOptions& o, bool quick) {
        if (quick) o.runs = 48;
      },
      saddles)};
}

}  // namespace dagrad::studies
