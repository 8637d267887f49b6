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
constexpr char kRandomFeaturesSource[] = "Rahimi & Recht 2007; Belkin, Hsu, Ma & Mandal 2019; Mei & Montanari 2019";
constexpr char kRandomFeaturesClaim[] =
    "For ReLU random features relu(W^T x) (W fixed Gaussian) fitted to n noisy samples of the teacher relu(u.x) by the "
    "minimum-norm least-squares solution, the test error against the number of features m shows double descent: it "
    "peaks at the interpolation threshold (the largest mean error lies within m in [0.8 n, 1.25 n]), at least 10x the "
    "best error with m < 0.8 n and 10x the error at the largest m, and past the peak it falls (log-log slope over m >= "
    "2n below 0 with its 95% interval) to below the best under-parameterised error; training error is 0 from m = n "
    "on. Gradient descent from 0 on the output layer stays in the row space of the features (null-space part <= "
    "1e-10 of the weights), the min-norm solution's implicit bias; training all layers of the same width "
    "(mean-field scale) on the noiseless teacher reaches a test error at most 0.1x that of random features";

constexpr Scalar kPeakLow = 0.8, kPeakHigh = 1.25, kPeakRatio = 10, kFeatureLearningRatio = 0.1;
constexpr Scalar kRowSpaceTolerance = 1e-10, kInterpolated = 1e-20;

Scalar mean_square(const Tensor& e) { return xt::mean(xt::square(e))(); }
Tensor relu_features(const Tensor& x, const Tensor& w) { return xt::maximum(xt::linalg::dot(x, w), 0.0); }

// The two-layer net relu(x W) a / m, trained by gradient descent on the noiseless teacher from a = 0:
// the output layer alone (random features) or all layers (feature learning, mean-field scale, lr * m).
struct TrainedNet {
  Scalar test_error = 0, train_loss = 0, null_space_fraction = 0;
  Tensor initial_w;
};
TrainedNet train_net(const RandomFeaturesOptions& o, const Tensor& X, const Tensor& clean, const Tensor& Xt,
                     const Tensor& Yt, bool all_layers) {
  const std::size_t m = o.feature_width;
  const Scalar scale = 1 / static_cast<Scalar>(m);
  Graph g;
  Var w = g.parameter("W", {o.d, m}, Init::normal(0, 1 / std::sqrt(static_cast<Scalar>(o.d))));
  Var a = g.parameter("a", {m}, Init::zeros());
  Var f = reshape(matmul(relu(matmul(g.constant(X, "X"), w)), reshape(a, {m, 1})), {o.n}) * scale;
  Var loss = sum(square(f - g.constant(clean, "y"))) * (0.5 / static_cast<Scalar>(o.n));
  ParamStore store(g, o.seed + 1);
  TrainedNet net;
  net.initial_w = store.get(w);
  optim::GradientProgram objective(g, loss, store, all_layers ? std::vector<Var>{} : std::vector<Var>{a});
  optim::GradientDescent gd({optim::constant(o.lr * static_cast<Scalar>(m))});
  Progress progress(std::string("random-features: GD on ") + (all_layers ? "all layers" : "the output layer"), o.steps);
  for (std::size_t t = 0; t < o.steps; ++t) {
    progress.tick(t + 1);
    net.train_loss = objective.run();
    gd.step(store);
  }
  net.train_loss = objective.run();
  Tensor wv = store.get(w), av = store.get(a);
  net.test_error = mean_square(xt::linalg::dot(relu_features(Xt, wv), av) * scale - Yt);
  if (!all_layers) {
    // a's part outside the row space of the features: a - Phi^+ Phi a.
    Tensor phi = relu_features(X, wv);
    Tensor projected = xt::linalg::dot(xt::linalg::pinv(phi), xt::linalg::dot(phi, av));
    net.null_space_fraction = xt::linalg::norm(Tensor(av - projected)) / xt::linalg::norm(av);
  }
  return net;
}

}  // namespace

StudyResult random_features(const RandomFeaturesOptions& o) {
  if (o.widths.size() < 4) throw ValueError("random-features: --widths needs at least 4 feature counts m");
  if (o.runs == 0 || o.n < 4 || o.d == 0 || o.feature_width == 0)
    throw ValueError("random-features: --runs, --d and the feature width must be positive and --n at least 4");
  StudyResult r;
  r.name = "random-features";
  r.claim = std::string(kRandomFeaturesSource) + ": " + kRandomFeaturesClaim;
  r.x_label = "random features m, log scale (n = " + std::to_string(o.n) + ")";
  r.style("test error", {"mean squared test error (log scale)", true, "", ""});
  r.style("train error", {"mean squared train error (log scale)", true, "", ""});
  std::mt19937_64 rng(o.seed);
  Tensor u = gaussian_tensor(rng, {o.d}, 1);
  u /= xt::linalg::norm(u);
  const std::size_t test = 2000;
  Tensor X = gaussian_tensor(rng, {o.n, o.d}, 1), Xt = gaussian_tensor(rng, {test, o.d}, 1);
  auto teacher = [&](const Tensor& in) { return Tensor(xt::maximum(xt::linalg::dot(in, u), 0.0)); };
  Tensor clean = teacher(X), Yt = teacher(Xt);
  Tensor Y = clean + gaussian_tensor(rng, {o.n}, o.noise);
  const Scalar n = static_cast<Scalar>(o.n);

  // 1. Double descent of the min-norm random-features fit, averaged over `runs` feature draws.
  std::vector<Scalar> widths, errors;
  bool interpolates = true;
  {
    Progress progress("random-features: min-norm fits", o.widths.size() * o.runs);
    for (std::size_t k = 0; k < o.widths.size(); ++k) {
      const std::size_t m = o.widths[k];
      Scalar test_total = 0, train_total = 0;
      for (std::size_t run = 0; run < o.runs; ++run) {
        progress.tick(k * o.runs + run + 1);
        std::mt19937_64 feature_rng(o.seed * 1000003 + m * 1009 + run);
        Tensor w = gaussian_tensor(feature_rng, {o.d, m}, 1 / std::sqrt(static_cast<Scalar>(o.d)));
        Tensor phi = relu_features(X, w);
        Tensor a = xt::linalg::dot(xt::linalg::pinv(phi), Y);
        test_total += mean_square(xt::linalg::dot(relu_features(Xt, w), a) - Yt);
        train_total += mean_square(xt::linalg::dot(phi, a) - Y);
      }
      const Scalar test_error = test_total / static_cast<Scalar>(o.runs),
                   train_error = train_total / static_cast<Scalar>(o.runs);
      if (static_cast<Scalar>(m) >= n && train_error > kInterpolated * mean_square(Y)) interpolates = false;
      widths.push_back(static_cast<Scalar>(m));
      errors.push_back(test_error);
      r.add("features m", static_cast<Scalar>(m));
      r.add("test error | min-norm random features", test_error);
      r.add("test error | predicting the mean", mean_square(Yt - xt::mean(Yt)()));
      r.add("train error", train_error);
    }
  }
  const std::size_t peak = static_cast<std::size_t>(std::max_element(errors.begin(), errors.end()) - errors.begin());
  Scalar best_under = std::numeric_limits<Scalar>::infinity();
  std::vector<Scalar> log_over_m, log_over_error;
  for (std::size_t k = 0; k < widths.size(); ++k) {
    if (widths[k] < kPeakLow * n) best_under = std::min(best_under, errors[k]);
    if (widths[k] >= 2 * n) log_over_m.push_back(std::log(widths[k])), log_over_error.push_back(std::log(errors[k]));
  }
  const bool peak_placed = widths[peak] >= kPeakLow * n && widths[peak] <= kPeakHigh * n;
  const bool peak_high = errors[peak] >= kPeakRatio * best_under && errors[peak] >= kPeakRatio * errors.back();
  bool second_descent = false;
  LineFit descent{};
  if (log_over_m.size() >= 3) {
    descent = fit_line(log_over_m, log_over_error);
    second_descent = descent.slope + descent.half_width < 0 && errors.back() < best_under;
  }

  // 2. Gradient descent at one width: the output layer alone against all layers, noiseless teacher.
  TrainedNet features_only = train_net(o, X, clean, Xt, Yt, false);
  TrainedNet all_layers = train_net(o, X, clean, Xt, Yt, true);
  Tensor phi0 = relu_features(X, features_only.initial_w);
  Tensor min_norm = xt::linalg::dot(xt::linalg::pinv(phi0), clean);
  const Scalar random_features_error =
      mean_square(xt::linalg::dot(relu_features(Xt, features_only.initial_w), min_norm) - Yt);
  const bool row_space = features_only.null_space_fraction <= kRowSpaceTolerance;
  const bool learning_wins = all_layers.test_error <= kFeatureLearningRatio * random_features_error;

  std::ostringstream m;
  m << "min-norm random features (n = " << o.n << ", d = " << o.d << ", noise " << fmt(o.noise, 2) << ", " << o.runs
    << " draws): test error peaks at m = " << fmt(widths[peak]) << " (" << fmt(errors[peak], 3) << ")"
    << (peak_placed ? "" : " (NOT within [0.8 n, 1.25 n])") << ", " << fmt(errors[peak] / best_under, 3)
    << "x the best under-parameterised error " << fmt(best_under, 3) << " and " << fmt(errors[peak] / errors.back(), 3)
    << "x the error at m = " << fmt(widths.back()) << " (" << fmt(errors.back(), 3) << ")"
    << (peak_high ? "" : " (NOT both >= 10x)") << "; past 2n log-log slope "
    << (log_over_m.size() >= 3 ? fmt(descent.slope, 3) + " +- " + fmt(descent.half_width, 2) : std::string("-"))
    << (second_descent ? "" : " (NO second descent below the best under-parameterised error)") << "; train error "
    << (interpolates ? "0 from m = n on" : "NOT 0 for some m >= n")
    << "; GD on the output layer (m = " << o.feature_width << "): null-space part "
    << fmt(features_only.null_space_fraction, 2) << (row_space ? "" : " (NOT <= 1e-10)") << ", test error "
    << fmt(features_only.test_error, 3) << " after " << o.steps << " steps (min-norm limit "
    << fmt(random_features_error, 3) << "); all layers: test error " << fmt(all_layers.test_error, 3) << ", "
    << fmt(all_layers.test_error / random_features_error, 3) << "x random features'"
    << (learning_wins ? "" : " (NOT <= 0.1x)");
  r.measured = m.str();
  r.holds = peak_placed && peak_high && second_descent && interpolates && row_space && learning_wins;
  return r;
}

std::vector<StudyEntry> random_features_entries() {
  return {detail::make_entry<RandomFeaturesOptions>(
      "random-features", kRandomFeaturesSource, kRandomFeaturesClaim, false,
      +[](RandomFeaturesOptions& o, bool quick) {
        if (quick) o.runs = 3, o.steps = 2000;
      },
      random_features)};
}

}  // namespace dagrad::studies
