#include "dagrad/analysis/studies.hpp"

#include <cmath>
#include <sstream>

#include <xtensor-blas/xlinalg.hpp>

#include "dagrad/analysis/progress.hpp"
#include "dagrad/data/dataset.hpp"
#include "dagrad/models/models.hpp"
#include "dagrad/optim/gradient_program.hpp"
#include "dagrad/optim/optimizer.hpp"

namespace dagrad::analysis {

void StudyResult::add(const std::string& column, Scalar value) {
  if (!series.count(column)) columns.push_back(column);
  series[column].push_back(value);
}

Scalar fitted_slope(const std::vector<Scalar>& x, const std::vector<Scalar>& y) {
  Scalar n = static_cast<Scalar>(x.size()), mx = 0, my = 0, sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  for (std::size_t i = 0; i < x.size(); ++i) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
  return sxy / sxx;
}

namespace {

std::string fmt(Scalar v, int digits = 4) {
  std::ostringstream s;
  s.precision(digits);
  s << v;
  return s.str();
}

// Steps at which to record: about `count` log-spaced points in [1, steps].
std::vector<std::size_t> log_steps(std::size_t steps, std::size_t count) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < count; ++k) {
    auto t = static_cast<std::size_t>(
        std::round(std::pow(static_cast<Scalar>(steps), static_cast<Scalar>(k) / (count - 1))));
    if (out.empty() || t > out.back()) out.push_back(t);
  }
  return out;
}

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
  Classification data = o.digits ? digits_pair() : separable_data(o.n, o.d, o.margin, o.seed);
  std::size_t n = data.X.shape()[0], d = data.X.shape()[1];
  SvmSolution svm = hard_margin_svm(data.X, data.y, 1e-10);
  // Step 1/L with L = λ_max(XᵀX)/(4n), the logistic loss's smoothness.
  Scalar L =
      xt::amax(std::get<0>(xt::linalg::eigh(Tensor(xt::linalg::dot(xt::transpose(data.X), data.X)))))() / (4.0 * n);
  StudyResult r;
  r.name = o.digits ? "max-margin (digits 0 vs 1)" : "max-margin (synthetic)";
  r.claim =
      "Soudry et al. 2018: GD on logistic loss over separable data: loss ~ 1/t, |w| ~ log t, direction -> SVM; "
      "normalized GD (Nacson et al. 2019) closes the angle faster";
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
    run->loss = logistic_loss(matmul(run->g.constant(data.X, "X"), run->w), run->g.constant(data.y, "y"));
    run->store = std::make_unique<ParamStore>(run->g, o.seed);
    run->objective = std::make_unique<optim::GradientProgram>(run->g, run->loss, *run->store);
    if (normalized)
      run->opt = std::make_unique<optim::NormalizedGD>(optim::Options{optim::constant(1.0)});
    else
      run->opt = std::make_unique<optim::GradientDescent>(optim::Options{optim::constant(1 / L)});
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
  std::vector<Scalar> lt, ll, nw;
  for (std::size_t i = 0; i < r.series["step"].size(); ++i)
    if (r.series["step"][i] >= static_cast<Scalar>(o.steps) / 10) {
      lt.push_back(std::log(r.series["step"][i]));
      ll.push_back(std::log(r.series["gd_loss"][i]));
      nw.push_back(r.series["gd_norm"][i]);
    }
  Scalar slope = fitted_slope(lt, ll), norm_slope = fitted_slope(lt, nw);
  Scalar angle_gd = r.series["gd_angle"].back(), angle_ngd = r.series["ngd_angle"].back(),
         angle_early = r.series["gd_angle"][r.series["gd_angle"].size() / 2];
  // Theory: |w_t| ≈ log(t)/γ with γ the max margin (1/‖w_svm‖), so the slope against log t is ≈ ‖w_svm‖.
  r.measured = "loss slope " + fmt(slope) + " (theory -1), d|w|/dlog t " + fmt(norm_slope) +
               " (theory |w_svm| = " + fmt(xt::linalg::norm(svm.w)) + "), angle to SVM after " +
               std::to_string(o.steps) + " steps: GD " + fmt(angle_gd) + " rad, normalized GD " + fmt(angle_ngd) +
               " rad; SVM KKT residual " + fmt(svm.kkt_residual, 2);
  // Normalized GD's margins grow linearly, so its loss soon underflows float64; its gradient, and
  // with it the direction, freezes there. Said in the report so a flat angle curve is not misread.
  const auto& ngd_loss = r.series["ngd_loss"];
  for (std::size_t i = 0; i < ngd_loss.size(); ++i)
    if (ngd_loss[i] < 1e-300) {
      r.measured += "; normalized GD's loss underflows float64 by step " +
                    std::to_string(static_cast<std::size_t>(r.series["step"][i])) + ", where its direction freezes";
      break;
    }
  r.holds = std::fabs(slope + 1) <= 0.1 && angle_gd < angle_early && angle_ngd < 0.5 * angle_gd &&
            std::fabs(norm_slope / xt::linalg::norm(svm.w) - 1) < 0.25;
  return r;
}

StudyResult deep_linear(const DeepLinearOptions& o) {
  Classification data = separable_data(o.n, o.d, 0.1, o.seed);
  SvmSolution svm = hard_margin_svm(data.X, data.y, 1e-10);
  Graph g;
  Var x = g.constant(data.X, "X");
  std::vector<std::size_t> dims{o.d};
  for (std::size_t k = 1; k < o.depth; ++k) dims.push_back(o.width);
  dims.push_back(1);
  models::Model m = models::deep_linear(x, dims, models::LinearInit::Gaussian, o.init_scale);
  Var loss = logistic_loss(reshape(m.output, {o.n}), g.constant(data.y, "y"));
  ParamStore store(g, o.seed);
  optim::GradientProgram objective(g, loss, store);
  optim::GradientDescent gd({optim::constant(o.lr)});
  StudyResult r;
  r.name = "deep-linear (depth " + std::to_string(o.depth) + ")";
  r.claim =
      "Ji & Telgarsky 2019: GD on deep linear nets with logistic loss: layers align (|v_{k+1}^T u_k| > 0.99), each "
      "layer "
      "tends to rank one (s1/|W|_F > 0.99), the end-to-end direction approaches the SVM direction";
  std::vector<std::size_t> record = log_steps(o.steps, 40);
  std::size_t next = 0;
  Progress progress(r.name, o.steps);
  for (std::size_t t = 1; t <= o.steps; ++t) {
    progress.tick(t);
    Scalar l = objective.run();
    gd.step(store);
    if (next < record.size() && t == record[next]) {
      ++next;
      std::vector<Tensor> layers;
      for (const Var& p : m.params) layers.push_back(Tensor(store.value(p)));
      Tensor end_to_end = layers[0];
      for (std::size_t k = 1; k < layers.size(); ++k) end_to_end = xt::linalg::dot(layers[k], end_to_end);
      Scalar rank_one = 1;
      for (const Tensor& W : layers)
        rank_one = std::min(rank_one, spectrum(W).singular_values(0) / xt::linalg::norm(W));
      auto align = layer_alignment(layers);
      r.add("step", static_cast<Scalar>(t));
      r.add("loss", l);
      r.add("min_alignment", *std::min_element(align.begin(), align.end()));
      r.add("min_rank_one_ratio", rank_one);
      r.add("angle_to_svm", angle(Tensor(xt::flatten(end_to_end)), svm.w));
    }
  }
  Scalar align = r.series["min_alignment"].back(), ratio = r.series["min_rank_one_ratio"].back();
  Scalar ang = r.series["angle_to_svm"].back(), ang_mid = r.series["angle_to_svm"][r.series["angle_to_svm"].size() / 2];
  r.measured = "after " + std::to_string(o.steps) + " steps: min alignment " + fmt(align, 6) + ", min s1/|W|_F " +
               fmt(ratio, 6) + ", angle to SVM " + fmt(ang) + " rad (" + fmt(ang_mid) + " at mid-run)";
  r.holds = align > 0.99 && ratio > 0.99 && ang < ang_mid;
  return r;
}

StudyResult balancedness_study(const BalancednessOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<Scalar> normal(0, 1);
  Tensor X = Tensor::from_shape({o.n, o.d}), Y = Tensor::from_shape({o.n});
  for (auto& v : X) v = normal(rng);
  for (auto& v : Y) v = normal(rng);
  Graph g;
  models::MlpOptions mo;
  mo.hidden = {o.width, o.width};
  if (o.activation == "leaky_relu")
    mo.activation = [](const Var& h) { return leaky_relu(h, 0.1); };
  else if (o.activation == "linear")
    mo.activation = [](const Var& h) { return h; };
  else if (o.activation != "relu")
    throw Error("balancedness: activation must be relu, leaky_relu or linear");
  models::Model m = models::mlp(g.constant(X, "X"), mo);  // params W1 b1 W2 b2 W_out b_out
  Var loss = mse_loss(reshape(m.output, {o.n}), g.constant(Y, "Y"));
  ParamStore store(g, o.seed);
  for (std::size_t i = 1; i < m.params.size(); i += 2)  // nonzero biases, so they take part
    for (auto& v : store.value(m.params[i])) v = 0.1 * normal(rng);
  optim::GradientProgram objective(g, loss, store);
  auto sq = [](const View& v) { return xt::sum(v * v)(); };
  // Per hidden layer h (W_h: (in, width) column j = neuron j's incoming weights): Euler's identity.
  auto euler_error = [&]() {
    Scalar worst = 0;
    for (std::size_t h = 0; h < 2; ++h) {
      const View &W = store.value(m.params[2 * h]), &b = store.value(m.params[2 * h + 1]),
                 &U = store.value(m.params[2 * h + 2]);
      const View &gW = store.grad(m.params[2 * h]), &gb = store.grad(m.params[2 * h + 1]),
                 &gU = store.grad(m.params[2 * h + 2]);
      for (std::size_t j = 0; j < W.shape()[1]; ++j) {
        // Relative to the sum of the terms' magnitudes: the scale of their rounding errors.
        Scalar in = b(j) * gb(j), out = 0, scale = std::fabs(b(j) * gb(j));
        for (std::size_t i = 0; i < W.shape()[0]; ++i) in += W(i, j) * gW(i, j), scale += std::fabs(W(i, j) * gW(i, j));
        for (std::size_t k = 0; k < U.shape()[1]; ++k)
          out += U(j, k) * gU(j, k), scale += std::fabs(U(j, k) * gU(j, k));
        if (scale > 0) worst = std::max(worst, std::fabs(in - out) / scale);
      }
    }
    return worst;
  };
  auto invariant = [&](std::size_t h) {  // ‖W_{h+1}‖² − ‖W_h‖² − ‖b_h‖²
    return sq(store.value(m.params[2 * h + 2])) - sq(store.value(m.params[2 * h])) -
           sq(store.value(m.params[2 * h + 1]));
  };
  StudyResult r;
  r.name = "balancedness (" + o.activation + ")";
  r.claim =
      "Du, Hu & Lee 2018: per hidden neuron, sum(incoming w * grad, bias included) = sum(outgoing w * grad); one GD "
      "step "
      "changes |W_{h+1}|^2 - |W_h|^2 - |b_h|^2 by exactly lr^2 (|g_{W_{h+1}}|^2 - |g_{W_h}|^2 - |g_{b_h}|^2)";
  optim::GradientDescent gd({optim::constant(o.lr)});
  Scalar start[2] = {invariant(0), invariant(1)}, predicted[2] = {0, 0}, worst_euler = 0;
  std::size_t checked = 0;
  Scalar first_gnorm = 0;
  for (std::size_t t = 1; t <= o.steps; ++t) {
    Scalar l = objective.run();
    if (!std::isfinite(l))
      throw NumericError("balancedness: the loss diverged at step " + std::to_string(t) + "; lower the step size");
    // Near a stationary point the gradient is mostly rounding error (it loses as many digits as it
    // shrank), so the identity is checked while ‖g‖ is above 1e-3 of its first value.
    Scalar gnorm = 0;
    for (Scalar v : store.grads()) gnorm += v * v;
    if (t == 1) first_gnorm = std::sqrt(gnorm);
    if (std::sqrt(gnorm) > 1e-3 * first_gnorm) worst_euler = std::max(worst_euler, euler_error()), ++checked;
    for (std::size_t h = 0; h < 2; ++h)
      predicted[h] +=
          o.lr * o.lr *
          (sq(store.grad(m.params[2 * h + 2])) - sq(store.grad(m.params[2 * h])) - sq(store.grad(m.params[2 * h + 1])));
    gd.step(store);
    if (t % std::max<std::size_t>(1, o.steps / 50) == 0) {
      r.add("step", static_cast<Scalar>(t));
      r.add("loss", l);
      r.add("invariant_layer1", invariant(0));
      r.add("predicted_layer1", start[0] + predicted[0]);
      r.add("invariant_layer2", invariant(1));
      r.add("predicted_layer2", start[1] + predicted[1]);
    }
  }
  Scalar telescoped = 0;
  for (std::size_t h = 0; h < 2; ++h) {
    Scalar actual = invariant(h) - start[h];
    telescoped = std::max(telescoped, std::fabs(actual - predicted[h]) / std::max<Scalar>(std::fabs(actual), 1e-300));
  }
  r.measured = "worst per-neuron Euler identity error " + fmt(worst_euler, 3) +
               " (relative to the terms' magnitudes) over the " + std::to_string(checked) + " of " +
               std::to_string(o.steps) +
               " steps whose gradient norm exceeds 1e-3 of the first; telescoped invariant change matches its lr^2 "
               "prediction to " +
               fmt(telescoped, 3) + " (relative)";
  r.holds = checked > 0 && worst_euler < 1e-12 && telescoped < 1e-9;
  return r;
}

StudyResult kinks_study(const KinkOptions& o) {
  StudyResult r;
  r.name = "kinks";
  r.claim =
      "ReLU training in float64 rarely meets exact kinks, except where the data or initialisation put them there; "
      "where "
      "it does, the convention's chain rule can leave the Clarke subdifferential (Kakade & Lee 2018)";
  data::Dataset digits = data::load_sklearn("digits");
  Graph g;
  Var x = g.input("x", {o.n, digits.features()}), y = g.input("y", {o.n});
  models::MlpOptions mo;
  mo.hidden = {o.width};
  mo.outputs = digits.classes;
  models::Model m = models::mlp(x, mo);
  Var loss = cross_entropy(m.output, y);
  ParamStore store(g, o.seed);
  optim::GradientProgram objective(g, loss, store);
  optim::Adam adam({optim::constant(1e-2)});
  std::mt19937_64 rng(o.seed);
  Tensor xb = Tensor::from_shape({o.n, digits.features()}), yb = Tensor::from_shape({o.n});
  std::size_t steps_with_kinks = 0, kink_elements = 0, directional_runs = 0;
  for (std::size_t t = 1; t <= o.steps; ++t) {
    for (std::size_t i = 0; i < o.n; ++i) {  // raw pixels /16: many exact zeros; biases start at 0
      std::size_t row = rng() % digits.size();
      for (std::size_t k = 0; k < digits.features(); ++k) xb(i, k) = digits.X(row, k) / 16.0;
      yb(i) = digits.y(row);
    }
    objective.program().set(x, xb);
    objective.program().set(y, yb);
    objective.run();
    const KinkReport& report = objective.program().kink_report();
    steps_with_kinks += report.kinks() > 0;
    kink_elements += report.kinks();
    directional_runs += report.directional_ops_ran;
    adam.step(store);
    r.add("step", static_cast<Scalar>(t));
    r.add("kink_elements", static_cast<Scalar>(report.kinks()));
  }
  // Constructions where the two must differ (the README's table).
  Graph c;
  Var v = c.input("v", {});
  Var identity = relu(v) - relu(neg(v)), unit = v - relu(v) + relu(neg(v));
  std::vector<Var> outs{grad(identity, v), grad(identity, v, Subgradient::Convention{}), grad(unit, v),
                        grad(unit, v, Subgradient::Convention{})};
  Program p(c, outs);
  p.set(v, Tensor(xt::xarray<Scalar>(0.0)));
  p.run();
  bool differ = p.scalar(outs[0]) == 1 && p.scalar(outs[1]) == 0 && p.scalar(outs[2]) == 0 && p.scalar(outs[3]) == 1;
  r.measured = std::to_string(steps_with_kinks) + " of " + std::to_string(o.steps) +
               " training steps met exact kinks (" + std::to_string(kink_elements) +
               " elements in all; the directional pass ran " + std::to_string(directional_runs) +
               " times, skipped otherwise); at x = 0, d/dx[relu(x) - relu(-x)] is " + fmt(p.scalar(outs[0])) +
               " (Clarke) vs " + fmt(p.scalar(outs[1])) + " (convention)";
  r.holds = differ && directional_runs == steps_with_kinks;
  return r;
}

}  // namespace dagrad::analysis
