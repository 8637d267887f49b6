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
constexpr char kKinksSource[] = "Kakade & Lee 2018";
constexpr char kKinksClaim[] =
    "ReLU training in float64 rarely meets exact kinks, except where the data or initialisation put them there; where "
    "it does, the convention's chain rule can leave the Clarke subdifferential (Kakade & Lee 2018)";

}  // namespace

StudyResult kinks(const KinksOptions& o) {
  StudyResult r;
  r.name = "kinks";
  r.claim = kKinksClaim;
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

std::vector<StudyEntry> kinks_entries() {
  return {detail::make_entry<KinksOptions>(
      "kinks", kKinksSource, kKinksClaim, true, +[](KinksOptions&, bool) {}, kinks)};
}

}  // namespace dagrad::studies
