#include <cmath>
#include <sstream>

#include <xtensor-blas/xlinalg.hpp>

#include "dagrad/analysis/progress.hpp"
#include "dagrad/data/dataset.hpp"
#include "dagrad/models/models.hpp"
#include "dagrad/optim/gradient_program.hpp"
#include "dagrad/optim/optimizer.hpp"
#include "dagrad/studies/entry.hpp"
#include "dagrad/studies/studies.hpp"
#include "dagrad/studies/support.hpp"

namespace dagrad::studies {

namespace {
// The claim this study checks, and where it comes from (the registry shows both).
constexpr char kMaxMarginSource[] = "Soudry et al. 2018";
constexpr char kMaxMarginClaim[] =
    "GD on logistic loss over separable data: loss ~ 1/t, |w| ~ log t, angle to the SVM direction O(1/log t); "
    "normalized GD (Nacson et al. 2019) closes the angle faster";

}  // namespace

namespace {

Classification digits_pair() {
  data::Dataset d = data::load_sklearn("digits");
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < d.size(); ++i)
    if (d.y(i) == 0 || d.y(i) == 1) rows.push_back(i);
  Classification c;
  c.X = Tensor::from_shape({rows.size(), d.features()});
  c.y = Tensor::from_shape({rows.size()});
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t k = 0; k < d.features(); ++k) c.X(r, k) = d.X(rows[r], k) / 16.0;
    c.y(r) = d.y(rows[r]) == 0 ? 1 : -1;
  }
  return c;
}

}  // namespace

StudyResult max_margin(const MaxMarginOptions& o) {
  Classification data = o.digits         ? digits_pair()
                        : o.data.empty() ? separable_data(o.n, o.d, o.margin, o.seed)
                                         : binary_data_from_csv(o.data, "max-margin");
  std::size_t n = data.X.shape()[0], d = data.X.shape()[1];
  SvmSolution svm = hard_margin_svm(data.X, data.y, 1e-10);
  // Step 1/L with L = λ_max(XᵀX)/(4n), the logistic loss's smoothness.
  // (n times that for a summed loss.)
  Scalar L =
      xt::amax(std::get<0>(xt::linalg::eigh(Tensor(xt::linalg::dot(xt::transpose(data.X), data.X)))))() / (4.0 * n);
  if (o.loss_reduction == "sum") L *= static_cast<Scalar>(n);
  if (o.lr >= 2 / L)
    throw ValueError(
        "max-margin: --lr " + fmt(o.lr) + " is at least 2/L = " + fmt(2 / L) +
        " (L = lambda_max(X^T X)/(4n), the logistic loss's smoothness): gradient descent would not descend");
  StudyResult r;
  r.name = o.digits ? "max-margin (digits 0 vs 1)" : "max-margin (synthetic)";
  r.claim = std::string(kMaxMarginSource) + ": " + kMaxMarginClaim;
  struct Run {
    Graph g;
    Var w, loss;
    std::unique_ptr<ParamStore> store;
    std::unique_ptr<optim::GradientProgram> objective;
    std::unique_ptr<optim::Optimizer> opt;
  };
  auto make = [&](bool normalized) {
    auto run = std::make_unique<Run>();
    run->w = run->g.parameter("w", {d}, Init::zeros());
    run->loss = reduce_loss(logistic_loss(matmul(run->g.constant(data.X, "X"), run->w), run->g.constant(data.y, "y")),
                            n, o.loss_reduction, "max-margin");
    run->store = std::make_unique<ParamStore>(run->g, o.seed);
    if (!o.init.empty()) load_initial_weights(o.init, *run->store, "max-margin");
    run->objective = std::make_unique<optim::GradientProgram>(run->g, run->loss, *run->store);
    if (normalized)
      run->opt = std::make_unique<optim::NormalizedGD>(optim::Options{optim::constant(1.0)});
    else
      run->opt = std::make_unique<optim::GradientDescent>(optim::Options{optim::constant(o.lr > 0 ? o.lr : 1 / L)});
    return run;
  };
  auto gd = make(false), ngd = make(true);
  std::vector<std::size_t> record = log_steps(o.steps, 60);
  std::size_t next = 0;
  Progress progress(o.digits ? "max-margin (digits)" : "max-margin", o.steps);
  for (std::size_t t = 1; t <= o.steps; ++t) {
    progress.tick(t);
    Scalar loss_gd = gd->objective->run();
    gd->opt->step(*gd->store);
    Scalar loss_ngd = ngd->objective->run();
    ngd->opt->step(*ngd->store);
    if (next < record.size() && t == record[next]) {
      ++next;
      Tensor wg(gd->store->value(gd->w)), wn(ngd->store->value(ngd->w));
      r.add("step", static_cast<Scalar>(t));
      r.add("gd_loss", loss_gd);
      r.add("gd_norm", xt::linalg::norm(wg));
      r.add("gd_angle", angle(wg, svm.w));
      r.add("ngd_loss", loss_ngd);
      r.add("ngd_angle", angle(wn, svm.w));
    }
  }
  // The last decade of steps: log-log slope of the loss, and |w| against log t.
  // The direction: Soudry et al.'s Theorem 3 gives an angle to the SVM of O(1/log t) for almost
  // every data set, so the slope of log angle against log log t must be at most -1 (-0.8 allowing
  // for the fit over one decade). Measured: digits -1.09 (angle·log t stays near 3.1), the
  // synthetic data faster (-2.5 to -3).
  std::vector<Scalar> lt, ll, nw, llt, la;
  for (std::size_t i = 0; i < r.series["step"].size(); ++i)
    if (r.series["step"][i] >= static_cast<Scalar>(o.steps) / 10) {
      lt.push_back(std::log(r.series["step"][i]));
      ll.push_back(std::log(r.series["gd_loss"][i]));
      nw.push_back(r.series["gd_norm"][i]);
      llt.push_back(std::log(lt.back()));
      la.push_back(std::log(std::max(r.series["gd_angle"][i], Scalar(1e-300))));
    }
  Scalar slope = fitted_slope(lt, ll), norm_slope = fitted_slope(lt, nw), angle_slope = fitted_slope(llt, la);
  Scalar angle_gd = r.series["gd_angle"].back(), angle_ngd = r.series["ngd_angle"].back();
  // Theory: |w_t| ≈ log(t)/γ with γ the max margin (1/‖w_svm‖), so the slope against log t is ≈ ‖w_svm‖.
  r.measured = "loss slope " + fmt(slope) + " (theory -1), d|w|/dlog t " + fmt(norm_slope) +
               " (theory |w_svm| = " + fmt(xt::linalg::norm(svm.w)) + "), angle to SVM after " +
               std::to_string(o.steps) + " steps: GD " + fmt(angle_gd) + " rad (log-log-t slope " + fmt(angle_slope) +
               ", theory <= -1), normalized GD " + fmt(angle_ngd) + " rad; SVM KKT residual " +
               fmt(svm.kkt_residual, 2);
  // Normalized GD's margins grow linearly, so its loss soon underflows float64; its gradient, and
  // with it the direction, freezes there. Said in the report so a flat angle curve is not misread.
  const auto& ngd_loss = r.series["ngd_loss"];
  for (std::size_t i = 0; i < ngd_loss.size(); ++i)
    if (ngd_loss[i] < 1e-300) {
      r.measured += "; normalized GD's loss underflows float64 by step " +
                    std::to_string(static_cast<std::size_t>(r.series["step"][i])) + ", where its direction freezes";
      break;
    }
  r.holds = std::fabs(slope + 1) <= 0.1 && angle_slope <= -0.8 && angle_ngd < 0.5 * angle_gd &&
            std::fabs(norm_slope / xt::linalg::norm(svm.w) - 1) < 0.25;
  return r;
}

std::vector<StudyEntry> max_margin_entries() {
  return {detail::make_entry<MaxMarginOptions>(
              "max-margin", kMaxMarginSource, kMaxMarginClaim, true,
              [](MaxMarginOptions& o, bool quick) {
                if (quick) o.steps = 30000;
              },
              max_margin),
          detail::make_entry<MaxMarginOptions>(
              "max-margin-digits", kMaxMarginSource, kMaxMarginClaim, false,
              // The claims are asymptotic: at 3000 steps the last decade's loss slope is -0.85 and
              // d|w|/dlog t 1.13 of |w_svm| = 1.71 (the check said NO); from about 2e4 steps both are
              // within the check's bounds (-0.93 and 1.35 at 3e4), so the quick edition runs 3e4.
              [](MaxMarginOptions& o, bool quick) {
                o.digits = true;
                o.steps = quick ? 30000 : 1000000;
              },
              max_margin,
              {{"--n", "its data are the digits 0 and 1"},
               {"--d", "its data are the digits 0 and 1"},
               {"--data", "its data are the digits 0 and 1"},
               {"--seed", "nothing in it is random: its data are the digits 0 and 1 and its weights start at zero"}})};
}

}  // namespace dagrad::studies
