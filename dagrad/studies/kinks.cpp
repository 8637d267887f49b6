#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "dagrad/data/dataset.hpp"
#include "dagrad/models/models.hpp"
#include "dagrad/optim/gradient_program.hpp"
#include "dagrad/optim/optimizer.hpp"
#include "dagrad/optim/trainer.hpp"
#include "dagrad/studies/entry.hpp"
#include "dagrad/studies/studies.hpp"
#include "dagrad/studies/support.hpp"

namespace dagrad::studies {

namespace {
// The claim this study checks, and where it comes from (the registry shows both).
constexpr char kKinksSource[] = "Bertoin, Bolte, Gerchinovitz & Pauwels 2021; Kakade & Lee 2018";
constexpr char kKinksClaim[] =
    "the lower the precision, the more often ReLU training meets exact kinks (bfloat16 at least 10x the kink elements "
    "per step of float32, float32 at least float64's); in bfloat16 the value of relu'(0) moves training (the relu'(0) "
    "= 0 and = 1 runs end further apart than bfloat16's epsilon, relative to the parameters); Clarke's answer stays in "
    "the subdifferential (no unqualified kink) in every dtype (Bertoin et al. 2021; Kakade & Lee 2018)";

// What a policy is called in the columns and the verdict.
const char* const kPolicyNames[] = {"Clarke", "relu'(0)=0", "relu'(0)=1"};
SubgradientPolicy policy_of(std::size_t k) {
  if (k == 0) return Subgradient::Clarke{};
  return Subgradient::Convention{static_cast<Scalar>(k - 1)};
}

// One training run: the kinks it met and where its parameters were at each evaluation.
struct Run {
  std::vector<std::size_t> kinks;              // kink elements, per step
  std::vector<std::vector<Scalar>> snapshots;  // the parameters at each evaluation
  std::vector<Scalar> accuracy;                // test accuracy at each evaluation
  std::size_t decided = 0, unqualified = 0;    // Clarke: summed over steps
  std::size_t steps_with_kinks() const {
    return static_cast<std::size_t>(std::count_if(kinks.begin(), kinks.end(), [](std::size_t k) { return k > 0; }));
  }
  Scalar kinks_per_step() const {
    Scalar total = 0;
    for (std::size_t k : kinks) total += static_cast<Scalar>(k);
    return kinks.empty() ? 0 : total / static_cast<Scalar>(kinks.size());
  }
};

// The set-up every run shares: the same split, seeds, initial draws (rounded to each dtype) and
// minibatch order, so that dtype and policy are the only differences between runs.
struct Setup {
  const KinksOptions& o;
  const data::Split& split;
  std::vector<std::size_t> evaluate_at;  // steps
};

Run train(const Setup& s, bool conv, DType dtype, std::size_t policy) {
  const KinksOptions& o = s.o;
  const data::Dataset& train_set = s.split.train;
  Graph g(dtype);
  Shape x_shape = conv ? Shape{o.n, 1, 8, 8} : Shape{o.n, train_set.features()};
  Var x = g.input("x", x_shape), y = g.input("y", {o.n});
  models::Model m;
  if (conv) {
    m = models::resnet_conv(x, o.channels, 1, train_set.classes);
  } else {
    models::MlpOptions mo;
    mo.hidden = {o.width};
    mo.outputs = train_set.classes;
    m = models::mlp(x, mo);
  }
  optim::TrainSetup setup{x, y, m.output, m.params,
                          [](const Var& out, const Var& labels) { return cross_entropy(out, labels); }};
  ParamStore store(g, o.seed);
  optim::GradientProgram objective(g, setup.loss(m.output, y), store, {}, {}, policy_of(policy));
  optim::GradientDescent sgd({optim::constant(o.lr)});
  std::mt19937_64 rng(o.seed);
  Tensor xb = Tensor::from_shape(x.shape()), yb = Tensor::from_shape({o.n});
  std::vector<std::size_t> rows(o.n);
  Run run;
  auto evaluate = [&] {
    const data::Dataset& test = s.split.test;
    run.accuracy.push_back(optim::evaluate(g, setup, store, test, test.size()).second);
    run.snapshots.push_back(store.values());
  };
  std::size_t next_eval = 0;
  for (std::size_t t = 1; t <= o.steps; ++t) {
    for (std::size_t& row : rows) row = rng() % train_set.size();
    optim::gather_rows(train_set, &rows, 0, xb, yb);
    objective.program().set(x, xb);
    objective.program().set(y, yb);
    objective.run();
    const KinkReport& report = objective.program().kink_report();
    run.kinks.push_back(report.kinks());
    run.decided += report.decided();
    run.unqualified += report.unqualified();
    sgd.step(store);
    if (next_eval < s.evaluate_at.size() && t == s.evaluate_at[next_eval]) {
      evaluate();
      ++next_eval;
    }
  }
  return run;
}

// ‖a − b‖ / ‖b‖.
Scalar relative_distance(const std::vector<Scalar>& a, const std::vector<Scalar>& b) {
  Scalar diff = 0, norm = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff += (a[i] - b[i]) * (a[i] - b[i]), norm += b[i] * b[i];
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

// The constructions where the two must differ (the README's table), in `dtype`: at v = 0,
// d/dv[relu(v) − relu(−v)] is 1 under Clarke and 0 under the convention.
bool constructions_differ(DType dtype) {
  Graph c(dtype);
  Var v = c.input("v", {});
  Var identity = relu(v) - relu(neg(v)), unit = v - relu(v) + relu(neg(v));
  std::vector<Var> outs{grad(identity, v), grad(identity, v, Subgradient::Convention{}), grad(unit, v),
                        grad(unit, v, Subgradient::Convention{})};
  Program p(c, outs);
  p.set(v, Tensor(xt::xarray<Scalar>(0.0)));
  p.run();
  return p.scalar(outs[0]) == 1 && p.scalar(outs[1]) == 0 && p.scalar(outs[2]) == 0 && p.scalar(outs[3]) == 1;
}

}  // namespace

KinksVerdict judge_kinks(const std::vector<KinksMeasurement>& measured) {
  KinksVerdict v;
  auto find = [&](DType dtype) -> const KinksMeasurement* {
    for (const KinksMeasurement& m : measured)
      if (m.dtype == dtype) return &m;
    return nullptr;
  };
  const KinksMeasurement *bf16 = find(DType::BFloat16), *f32 = find(DType::Float32), *f64 = find(DType::Float64);
  v.more_kinks_lower =
      (!bf16 || !f32 || (bf16->kinks_per_step > 0 && bf16->kinks_per_step >= 10 * f32->kinks_per_step)) &&
      (!f32 || !f64 || f32->kinks_per_step >= f64->kinks_per_step);
  v.choice_moves_bfloat16 = !bf16 || bf16->drift_0_vs_1 > epsilon(DType::BFloat16);
  v.clarke_qualified = std::all_of(measured.begin(), measured.end(),
                                   [](const KinksMeasurement& m) { return m.clarke_unqualified == 0; });
  // Where no kink was met the policies cannot differ: the three trajectories are one, bit for bit.
  v.no_kink_no_drift = std::all_of(measured.begin(), measured.end(), [](const KinksMeasurement& m) {
    return m.kinks_per_step > 0 || (m.drift_0_vs_1 == 0 && m.drift_clarke_vs_0 == 0);
  });
  v.holds = v.more_kinks_lower && v.choice_moves_bfloat16 && v.clarke_qualified && v.no_kink_no_drift;
  return v;
}

StudyResult kinks(const KinksOptions& o) {
  StudyResult r;
  r.name = "kinks";
  r.claim = kKinksClaim;
  std::vector<DType> dtypes;
  for (const std::string& name : o.dtypes) dtypes.push_back(parse_dtype(name));
  if (dtypes.empty()) throw Error("study 'kinks': no dtype to run");
  // Standardized pixels (training statistics): no image or patch is all zeros, so a kink is met
  // only where rounding puts a pre-activation exactly on 0. Biases start at 0, as in the paper.
  data::Split split = data::train_test_split(data::load_sklearn("digits"), 0.2, o.seed);
  data::standardize(split);
  Setup setup{o, split, {}};
  const std::size_t evaluations = std::min<std::size_t>(o.steps, 10);
  for (std::size_t e = 1; e <= evaluations; ++e) setup.evaluate_at.push_back(e * o.steps / evaluations);
  for (std::size_t step : setup.evaluate_at) r.add("step", static_cast<Scalar>(step));

  std::ostringstream text;
  bool holds = true, constructions = true;
  for (DType dtype : dtypes) constructions = constructions && constructions_differ(dtype);
  for (bool conv : {false, true}) {
    const std::string model = conv ? "conv net" : "MLP";
    std::vector<KinksMeasurement> measured;
    text << (conv ? "; " : "") << model << ":";
    for (DType dtype : dtypes) {
      std::vector<Run> runs;
      for (std::size_t p = 0; p < 3; ++p) runs.push_back(train(setup, conv, dtype, p));
      KinksMeasurement m;
      m.dtype = dtype;
      m.kinks_per_step = runs[0].kinks_per_step();
      m.steps_with_kinks = static_cast<Scalar>(runs[0].steps_with_kinks()) / static_cast<Scalar>(o.steps);
      m.drift_0_vs_1 = relative_distance(runs[1].snapshots.back(), runs[2].snapshots.back());
      m.drift_clarke_vs_0 = relative_distance(runs[1].snapshots.back(), runs[0].snapshots.back());
      m.clarke_unqualified = runs[0].unqualified;
      measured.push_back(m);
      const std::string d = to_string(dtype);
      const std::string prefix = (conv ? "conv " : "mlp ");
      for (std::size_t e = 0; e < setup.evaluate_at.size(); ++e) {
        // Kink elements per step over the window that ends at this evaluation (the Clarke run).
        std::size_t from = e == 0 ? 0 : setup.evaluate_at[e - 1], to = setup.evaluate_at[e];
        Scalar window = 0;
        for (std::size_t t = from; t < to; ++t) window += static_cast<Scalar>(runs[0].kinks[t]);
        r.add(prefix + "kink elements per step | " + d, window / static_cast<Scalar>(to - from));
      }
      for (std::size_t e = 0; e < setup.evaluate_at.size(); ++e)
        r.add(prefix + "relative distance, relu'(0)=0 vs 1 | " + d,
              relative_distance(runs[1].snapshots[e], runs[2].snapshots[e]));
      for (std::size_t p = 0; p < 3; ++p)
        for (Scalar a : runs[p].accuracy) r.add(prefix + d + " test accuracy | " + kPolicyNames[p], a);
      text << " " << d << ": " << fmt(100 * m.steps_with_kinks, 3) << "% of steps met kinks, " << fmt(m.kinks_per_step)
           << " kink elements per step, " << runs[0].decided << " decided by Clarke's direction and "
           << m.clarke_unqualified << " unqualified; relu'(0)=0 vs 1 end " << fmt(m.drift_0_vs_1)
           << " apart (Clarke vs relu'(0)=0: " << fmt(m.drift_clarke_vs_0) << "), test accuracy "
           << fmt(runs[0].accuracy.back(), 3) << "/" << fmt(runs[1].accuracy.back(), 3) << "/"
           << fmt(runs[2].accuracy.back(), 3) << " (Clarke/0/1);";
    }
    KinksVerdict v = judge_kinks(measured);
    text << " verdict: lower precision meets more kinks " << (v.more_kinks_lower ? "yes" : "NO")
         << ", relu'(0) moves bfloat16 training " << (v.choice_moves_bfloat16 ? "yes" : "NO") << ", Clarke qualified "
         << (v.clarke_qualified ? "yes" : "NO") << ", no kink means no drift " << (v.no_kink_no_drift ? "yes" : "NO");
    holds = holds && v.holds;
  }
  text << "; at v = 0, d/dv[relu(v) - relu(-v)] is 1 (Clarke) and 0 (convention) in every dtype: "
       << (constructions ? "yes" : "NO");
  r.measured = text.str();
  r.holds = holds && constructions;
  return r;
}

std::vector<StudyEntry> kinks_entries() {
  return {detail::make_entry<KinksOptions>(
      "kinks", kKinksSource, kKinksClaim, true,
      // The quick edition is the study: at 100 steps the conv net has not learnt yet (15 s in all).
      +[](KinksOptions&, bool) {}, kinks)};
}

}  // namespace dagrad::studies
