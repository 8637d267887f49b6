#include <cmath>
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
constexpr char kBalancednessSource[] = "Du, Hu & Lee 2018";
constexpr char kBalancednessClaim[] =
    "per hidden neuron, sum(incoming w * grad, bias included) = sum(outgoing w * grad); one GD step changes "
    "|W_{h+1}|^2 - |W_h|^2 - |b_h|^2 by exactly lr^2 (|g_{W_{h+1}}|^2 - |g_{W_h}|^2 - |g_{b_h}|^2)";

}  // namespace

StudyResult balancedness(const BalancednessOptions& o) {
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
  Var loss = reduce_loss(mse_loss(reshape(m.output, {o.n}), g.constant(Y, "Y")), o.n, o.loss_reduction, "balancedness");
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
  r.claim = std::string(kBalancednessSource) + ": " + kBalancednessClaim;
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

std::vector<StudyEntry> balancedness_entries() {
  return {detail::make_entry<BalancednessOptions>(
              "balancedness", kBalancednessSource, kBalancednessClaim, true, +[](BalancednessOptions&, bool) {},
              balancedness),
          detail::make_entry<BalancednessOptions>(
              "balancedness-linear", kBalancednessSource, kBalancednessClaim, false,
              [](BalancednessOptions& o, bool /*quick*/) { o.activation = "linear"; }, balancedness)};
}

}  // namespace dagrad::studies
