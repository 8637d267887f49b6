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
constexpr char kLazyVsActiveSource[] = "Chizat, Oyallon & Bach 2019";
constexpr char kLazyVsActiveClaim[] =
    "with f = alpha (h(w) - h(w0)) and step eta/alpha^2, the relative parameter displacement falls like 1/alpha "
    "(log-log slope -1 +- 0.15) and the trained model approaches its linearisation";

}  // namespace

StudyResult lazy_vs_active(const LazyVsActiveOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<Scalar> normal(0, 1);
  auto gaussian = [&](const Shape& s) {
    Tensor t = Tensor::from_shape(s);
    for (auto& v : t) v = normal(rng);
    return t;
  };
  // Teacher: three ReLU neurons.
  Tensor B = gaussian({o.d, 3}), a = gaussian({3});
  Tensor X = gaussian({o.n, o.d}), Xt = gaussian({o.n, o.d});
  auto teacher = [&](const Tensor& in) { return Tensor(xt::linalg::dot(xt::maximum(xt::linalg::dot(in, B), 0.0), a)); };
  Tensor Y = teacher(X);

  StudyResult r;
  r.name = "lazy-vs-active";
  r.claim = std::string(kLazyVsActiveSource) + ": " + kLazyVsActiveClaim;
  // Trains either the model or its linearisation at w0, from the same initial weights.
  auto fit = [&](Scalar alpha, bool linear, Tensor& test_out) {
    Graph g;
    Var x = g.input("x", {o.n, o.d});
    models::Model student = models::two_layer_relu(x, o.width, models::ParticleInit::Gaussian);
    std::vector<Var> anchors;
    for (const Var& p : student.params) anchors.push_back(g.input(p.name() + "@0", p.shape()));
    Var h0 = substitute({student.output}, student.params, anchors)[0];
    models::Model lin = linear ? linearized(student) : student;  // shares the student's parameters
    Var h = lin.output;
    Var f = alpha * (h - h0);
    Var loss = mse_loss(f, g.constant(Y, "Y"));
    ParamStore store(g, o.seed);
    std::vector<Scalar> w0 = store.values();
    optim::GradientProgram objective(g, loss, store, student.params, {f});
    Program& p = objective.program();
    p.set(x, X);
    for (std::size_t i = 0; i < anchors.size(); ++i) p.set(anchors[i], Tensor(store.value(student.params[i])));
    if (linear) models::bind_anchors(lin, p, store);
    // The mean-field 1/m output scale makes per-parameter gradients O(1/m): the step absorbs it.
    optim::GradientDescent gd({optim::constant(o.lr * static_cast<Scalar>(o.width) / (alpha * alpha))});
    Scalar final_loss = 0;
    Progress progress(std::string(linear ? "linearized" : "model") + " alpha=" + std::to_string(alpha), o.steps);
    for (std::size_t t = 0; t < o.steps; ++t) {
      progress.tick(t);
      final_loss = objective.run();
      gd.step(store);
    }
    p.set(x, Xt);
    p.run();
    test_out = p.get(f);
    return std::make_pair(distance(store.values(), w0) / distance(w0, std::vector<Scalar>(w0.size(), 0)), final_loss);
  };
  std::vector<Scalar> log_alpha, log_disp;
  for (Scalar alpha : o.alphas) {
    Tensor out_model, out_linear;
    auto [disp, loss] = fit(alpha, false, out_model);
    fit(alpha, true, out_linear);
    Scalar gap = xt::linalg::norm(Tensor(out_model - out_linear)) / std::sqrt(static_cast<Scalar>(o.n));
    r.add("alpha", alpha);
    r.add("relative_displacement", disp);
    r.add("distance_to_linearization", gap);
    r.add("train_loss", loss);
    log_alpha.push_back(std::log(alpha));
    log_disp.push_back(std::log(disp));
  }
  Scalar slope = fitted_slope(log_alpha, log_disp);
  auto& gaps = r.series["distance_to_linearization"];
  std::ostringstream m;
  m.precision(4);
  m << "displacement slope against alpha " << slope
    << " (theory -1); distance to the linearisation on test points from " << gaps.front() << " (alpha "
    << o.alphas.front() << ") to " << gaps.back() << " (alpha " << o.alphas.back() << "); final train loss "
    << r.series["train_loss"].front() << " .. " << r.series["train_loss"].back();
  r.measured = m.str();
  r.holds = std::fabs(slope + 1) <= 0.15 && gaps.back() < gaps.front();
  return r;
}

std::vector<StudyEntry> lazy_vs_active_entries() {
  return {detail::make_entry<LazyVsActiveOptions>(
      "lazy-vs-active", kLazyVsActiveSource, kLazyVsActiveClaim, false, +[](LazyVsActiveOptions&, bool) {},
      lazy_vs_active)};
}

}  // namespace dagrad::studies
