#include <cmath>
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
constexpr char kMeanFieldSource[] = "Chizat & Bach 2018";
constexpr char kMeanFieldClaim[] =
    "two-layer ReLU students under mean-field scaling fit a 5-neuron teacher in d = 2 better as the width m grows; "
    "wide students reach near-zero loss on every seed";

}  // namespace

StudyResult mean_field(const MeanFieldOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<Scalar> normal(0, 1);
  // Teacher: five unit-norm ReLU neurons spread on the circle, output (1/5) Σ relu(b_kᵀx).
  Tensor B = Tensor::from_shape({2, 5});
  for (std::size_t k = 0; k < 5; ++k)
    B(0, k) = std::cos(2 * M_PI * k / 5.0 + 0.3), B(1, k) = std::sin(2 * M_PI * k / 5.0 + 0.3);
  Tensor X = Tensor::from_shape({o.n, 2});
  for (auto& v : X) v = normal(rng);
  Tensor Y = xt::zeros<Scalar>({o.n});
  for (std::size_t i = 0; i < o.n; ++i)
    for (std::size_t k = 0; k < 5; ++k) Y(i) += std::max<Scalar>(0, X(i, 0) * B(0, k) + X(i, 1) * B(1, k)) / 5;

  StudyResult r;
  r.name = "mean-field";
  r.claim = std::string(kMeanFieldSource) + ": " + kMeanFieldClaim;
  std::ostringstream m;
  m.precision(3);
  std::vector<Scalar> mean_loss, worst_loss;
  for (std::size_t width : o.widths) {
    Scalar total = 0, worst = 0;
    for (std::size_t s = 0; s < o.seeds; ++s) {
      Graph g;
      Var x = g.constant(X, "X");
      models::Model student = models::two_layer_relu(x, width, models::ParticleInit::Gaussian);
      Var loss = reduce_loss(mse_loss(student.output, g.constant(Y, "Y")), o.n, o.loss_reduction, "mean-field");
      ParamStore store(g, o.seed + 1000 * s + width);
      optim::GradientProgram objective(g, loss, store);
      bool record = width == o.particle_width && s == 0;
      std::size_t every = std::max<std::size_t>(1, o.steps / (o.snapshots - 1));
      // Each particle's gradient is O(1/m) under the 1/m scaling: the step is ∝ m (mean-field time).
      optim::GradientDescent gd({optim::constant(o.lr * static_cast<Scalar>(width))});
      Scalar final_loss = 0;
      Progress progress("mean-field m=" + std::to_string(width) + " seed " + std::to_string(s), o.steps);
      for (std::size_t t = 0; t <= o.steps; ++t) {
        progress.tick(t);
        if (record && t % every == 0) {
          const View &b = store.value(student.params[0]), &a = store.value(student.params[1]);
          for (std::size_t j = 0; j < width; ++j)
            r.particles.push_back(
                {static_cast<Scalar>(t / every), std::fabs(a(j)) * b(0, j), std::fabs(a(j)) * b(1, j)});
        }
        final_loss = objective.run();
        if (t == o.steps) break;
        gd.step(store);
      }
      r.add("width", static_cast<Scalar>(width));
      r.add("seed", static_cast<Scalar>(s));
      r.add("final_loss", final_loss);
      total += final_loss;
      worst = std::max(worst, final_loss);
    }
    mean_loss.push_back(total / static_cast<Scalar>(o.seeds));
    worst_loss.push_back(worst);
    m << (m.tellp() ? "; " : "") << "m = " << width << ": mean final loss " << mean_loss.back() << " (worst seed "
      << worst << ")";
  }
  // Judged over the whole sweep, not its two ends: the fitted slope of log mean loss against log m
  // must be negative, the widest students must fit 10x better than the narrowest, on every seed.
  std::vector<Scalar> log_width, log_loss;
  for (std::size_t k = 0; k < o.widths.size(); ++k) {
    log_width.push_back(std::log(static_cast<Scalar>(o.widths[k])));
    log_loss.push_back(std::log(std::max(mean_loss[k], Scalar(1e-300))));
  }
  const Scalar sweep_slope = o.widths.size() > 1 ? fitted_slope(log_width, log_loss) : 0;
  m << "; log-log slope of the mean final loss against m over the sweep " << sweep_slope << " (must be negative)";
  r.measured = m.str() + " after " + std::to_string(o.steps) + " GD steps";
  r.holds =
      o.widths.size() > 1 && sweep_slope < 0 && mean_loss.back() < 0.1 * mean_loss.front() && worst_loss.back() < 1e-3;
  return r;
}

std::vector<StudyEntry> mean_field_entries() {
  return {detail::make_entry<MeanFieldOptions>(
      "mean-field", kMeanFieldSource, kMeanFieldClaim, false,
      [](MeanFieldOptions& o, bool quick) {
        if (quick) o.widths = {5, 50, 500}, o.seeds = 2, o.steps = 1500;
      },
      mean_field)};
}

}  // namespace dagrad::studies
