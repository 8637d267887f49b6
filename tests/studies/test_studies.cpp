// Fast editions of the studies, each asserting the paper's claim as the study states it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <xtensor/xnpy.hpp>

#include "dagrad/analysis/analysis.hpp"
#include "dagrad/models/models.hpp"
#include "dagrad/studies/registry.hpp"
#include "dagrad/studies/studies.hpp"
#include "support.hpp"

using namespace dagrad;
using namespace dagrad::analysis;
using namespace dagrad::studies;

namespace {
// A verdict of NO that names why: the fragment the measured line must hold.
void check_says_no(const StudyResult& r, const std::string& why) {
  INFO(r.measured);
  CHECK_FALSE(r.holds);
  CHECK_THAT(r.measured, Catch::Contains(why));
}
// A verdict of yes, with the measured line shown when it is not; the result for further checks.
StudyResult check_holds(StudyResult r) {
  INFO(r.measured);
  CHECK(r.holds);
  return r;
}
}  // namespace

TEST_CASE("max-margin (Soudry et al. 2018; Nacson et al. 2019), synthetic separable data", "[studies][max-margin]") {
  MaxMarginOptions o;
  o.steps = 30000;
  StudyResult r = max_margin(o);
  INFO(r.measured);
  CHECK(r.holds);
  // The loss decays like 1/t: log-log slope −1 ± 0.1 over the last decade.
  std::vector<Scalar> lt, ll;
  for (std::size_t i = 0; i < r.series["step"].size(); ++i)
    if (r.series["step"][i] >= 3000)
      lt.push_back(std::log(r.series["step"][i])), ll.push_back(std::log(r.series["gd_loss"][i]));
  CHECK(fitted_slope(lt, ll) == Approx(-1).margin(0.1));
  CHECK(r.series["ngd_angle"].back() < 0.1 * r.series["gd_angle"].back());  // normalized GD is far closer
  auto& angles = r.series["gd_angle"];
  CHECK(angles.back() < angles[angles.size() / 4]);
  // 300 steps: the loss has not reached its 1/t regime (slope -0.65) nor |w| its log t growth: NO.
  MaxMarginOptions early;
  early.steps = 300;
  StudyResult not_yet = max_margin(early);
  INFO(not_yet.measured);
  CHECK_FALSE(not_yet.holds);
  MaxMarginOptions too_long_a_step;
  too_long_a_step.lr = 100;
  CHECK_THROWS_WITH(max_margin(too_long_a_step), Catch::Contains("is at least 2/L"));
}

TEST_CASE("deep-linear (Ji & Telgarsky 2019): alignment, rank one, SVM direction", "[studies][deep-linear]") {
  for (std::size_t depth : {2, 3, 4}) {
    DeepLinearOptions o;
    o.depth = depth;
    o.steps = 10000;
    StudyResult r = deep_linear(o);
    INFO("depth " << depth << ": " << r.measured);
    CHECK(r.series["min_alignment"].back() > 0.99);
    CHECK(r.series["min_rank_one_ratio"].back() > 0.99);
    CHECK(r.series["angle_to_svm"].back() < 0.05);
  }
}

TEST_CASE("deep-linear judges trends, not one set-up's bar; a wrong-sign step fails it", "[studies][deep-linear]") {
  // Regression: this set-up was judged NO because s1/|W|_F was 0.9894 (< 0.99) after 1e4 steps,
  // though it was still rising toward 1.
  DeepLinearOptions o;
  o.n = 16;
  o.d = 2;
  o.width = 10;
  o.depth = 4;
  o.lr = 0.5;
  o.steps = 10000;
  StudyResult r = deep_linear(o);
  INFO(r.measured);
  CHECK(r.series["min_rank_one_ratio"].back() < 0.99);
  CHECK(r.holds);
  // A step 1e5 times too small: the loss never leaves its plateau, so there is no trend to judge
  // and the verdict says NO. (Gradient ascent ends in a NumericError naming the layer instead.)
  DeepLinearOptions broken;
  broken.steps = 2000;
  broken.lr = 2e-6;
  StudyResult b = deep_linear(broken);
  INFO(b.measured);
  CHECK(!b.holds);
}

TEST_CASE("--loss-reduction sum: the papers' summed loss with the step divided by n is the mean's run",
          "[studies][deep-linear]") {
  DeepLinearOptions mean_run;
  mean_run.steps = 2000;
  DeepLinearOptions sum_run = mean_run;
  sum_run.loss_reduction = "sum";
  sum_run.lr = mean_run.lr / static_cast<Scalar>(mean_run.n);
  StudyResult by_mean = deep_linear(mean_run), by_sum = deep_linear(sum_run);
  const auto& a = by_mean.series["angle_to_svm"];
  const auto& b = by_sum.series["angle_to_svm"];
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(b[i] == Approx(a[i]).epsilon(1e-9));
  // The summed loss is n times the mean one at every record.
  for (std::size_t i = 0; i < a.size(); ++i)
    CHECK(by_sum.series["loss"][i] == Approx(60 * by_mean.series["loss"][i]).epsilon(1e-9));
  DeepLinearOptions unknown = mean_run;
  unknown.loss_reduction = "median";
  CHECK_THROWS_WITH(deep_linear(unknown), Catch::Contains("--loss-reduction must be sum or mean"));
}

TEST_CASE(
    "--data and --init: the generated data as a CSV and the default weights as .npy files retrace the "
    "generated run; malformed files are refused by name",
    "[studies][deep-linear]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "dagrad_test_study_files";
  fs::remove_all(dir);
  fs::create_directories(dir / "init");
  DeepLinearOptions o;
  o.steps = 500;
  Classification data = separable_data(o.n, o.d, 0.1, o.seed);
  {
    std::ofstream csv(dir / "data.csv");
    csv.precision(17);
    for (std::size_t i = 0; i < o.n; ++i) {
      for (std::size_t j = 0; j < o.d; ++j) csv << data.X(i, j) << ",";
      csv << (data.y(i) > 0 ? 1 : 0) << "\n";  // {0, 1} labels, read back as -1 and +1
    }
  }
  // The default initial weights, as the study's model draws them, one .npy per parameter.
  {
    Graph g;
    std::vector<std::size_t> dims{o.d};
    for (std::size_t k = 1; k < o.depth; ++k) dims.push_back(o.width);
    dims.push_back(1);
    models::deep_linear(g.constant(data.X, "X"), dims, models::LinearInit::Gaussian, o.init_scale);
    ParamStore store(g, o.seed);
    for (const Var& p : store.parameters()) {
      std::string name = p.name();
      std::replace(name.begin(), name.end(), '/', '.');
      xt::dump_npy((dir / "init" / (name + ".npy")).string(), Tensor(store.get(p)));
    }
  }
  StudyResult generated = deep_linear(o);
  DeepLinearOptions from_files = o;
  from_files.data = (dir / "data.csv").string();
  from_files.init = (dir / "init").string();
  from_files.seed = 7;  // nothing random is left: data and weights come from the files
  StudyResult loaded = deep_linear(from_files);
  CHECK(loaded.series["loss"] == generated.series["loss"]);
  CHECK(loaded.series["angle_to_svm"] == generated.series["angle_to_svm"]);
  // Refused by name: a file that names no parameter, a wrong shape, a missing file, labels not binary.
  std::ofstream(dir / "init" / "stray.npy") << "x";
  CHECK_THROWS_WITH(deep_linear(from_files), Catch::Contains("stray.npy, which names no parameter"));
  fs::remove(dir / "init" / "stray.npy");
  const fs::path first = fs::directory_iterator(dir / "init")->path();
  const std::string saved = first.string() + ".saved";
  fs::rename(first, saved);
  CHECK_THROWS_WITH(deep_linear(from_files), Catch::Contains(first.filename().string()));
  xt::dump_npy(first.string(), Tensor(xt::zeros<Scalar>({2, 2, 2})));
  CHECK_THROWS_WITH(deep_linear(from_files), Catch::Contains("has shape [2,2,2]"));
  fs::rename(saved, first);
  std::ofstream(dir / "bad.csv") << "1,2,0\n3,4,2\n";
  from_files.data = (dir / "bad.csv").string();
  CHECK_THROWS_WITH(deep_linear(from_files), Catch::Contains("must all be in {0, 1} or all in {-1, 1}"));
  fs::remove_all(dir);
}

TEST_CASE("balancedness (Du, Hu & Lee 2018) for ReLU, leaky ReLU and linear nets", "[studies][balancedness]") {
  for (const char* activation : {"relu", "leaky_relu", "linear"}) {
    BalancednessOptions o;
    o.activation = activation;
    StudyResult r = balancedness(o);
    INFO(activation << ": " << r.measured);
    CHECK(r.holds);
  }
}

TEST_CASE("Euler's identity per hidden neuron inside a residual block, at random parameters",
          "[studies][balancedness]") {
  // h ← h + relu(hW1 + b1)W2 + b2: the block's inner neurons are positively homogeneous units.
  test::Rng rng(8);
  Graph g;
  Var x = g.input("x", {6, 4}), y = g.input("y", {6, 2});
  models::Model m = models::resnet_fc(x, 5, 1, 2);  // W_in b_in | W1 b1 W2 b2 | W_out b_out
  Var loss = mse_loss(m.output, y);
  std::vector<Var> grads = grad(loss, m.params);
  ParamStore s(g, 1);
  for (const Var& p : m.params) s.set(p, test::random_normal(rng, p.shape()));
  Program p(g, grads);
  p.bind(s);
  p.set(x, test::random_normal(rng, {6, 4}));
  p.set(y, test::random_normal(rng, {6, 2}));
  p.run();
  Tensor W1(s.value(m.params[2])), b1(s.value(m.params[3])), W2(s.value(m.params[4]));
  Tensor gW1 = p.get(grads[2]), gb1 = p.get(grads[3]), gW2 = p.get(grads[4]);
  for (std::size_t j = 0; j < 5; ++j) {
    double in = b1(j) * gb1(j), out = 0, scale = std::fabs(in);
    for (std::size_t i = 0; i < 5; ++i) in += W1(i, j) * gW1(i, j), scale += std::fabs(W1(i, j) * gW1(i, j));
    for (std::size_t k = 0; k < 5; ++k) out += W2(j, k) * gW2(j, k), scale += std::fabs(W2(j, k) * gW2(j, k));
    CHECK(std::fabs(in - out) <= 1e-12 * scale);
  }
}

TEST_CASE("kinks (Bertoin et al. 2021): bfloat16 meets kinks and relu'(0) moves it; float32 and float64 do not",
          "[studies][kinks]") {
  StudyResult r = kinks({});
  INFO(r.measured);
  CHECK(r.holds);
  // float64 meets no kink on this set-up, so its three policies train one trajectory, bit for bit.
  CHECK(r.series.at("mlp relative distance, relu'(0)=0 vs 1 | float64").back() == 0);
  CHECK(r.series.at("conv relative distance, relu'(0)=0 vs 1 | bfloat16").back() > 0);
}

TEST_CASE("kinks: the verdict fails on measurements that contradict the paper", "[studies][kinks]") {
  auto measured = [](Scalar bf16_kinks, Scalar f32_kinks, Scalar bf16_drift, std::size_t unqualified) {
    std::vector<KinksMeasurement> m(3);
    m[0].dtype = DType::BFloat16, m[0].kinks_per_step = bf16_kinks, m[0].drift_0_vs_1 = bf16_drift;
    m[0].drift_clarke_vs_0 = bf16_drift, m[0].clarke_unqualified = unqualified;
    m[1].dtype = DType::Float32, m[1].kinks_per_step = f32_kinks;
    m[1].drift_0_vs_1 = m[1].drift_clarke_vs_0 = f32_kinks > 0 ? 0.1 : 0;
    m[2].dtype = DType::Float64;
    return m;
  };
  CHECK(judge_kinks(measured(20, 0, 0.1, 0)).holds);
  CHECK_FALSE(judge_kinks(measured(20, 5, 0.1, 0)).more_kinks_lower);        // bfloat16 not 10x float32
  CHECK_FALSE(judge_kinks(measured(0, 0, 0.1, 0)).more_kinks_lower);         // bfloat16 met none
  CHECK_FALSE(judge_kinks(measured(20, 0, 1e-3, 0)).choice_moves_bfloat16);  // below bfloat16's epsilon
  CHECK_FALSE(judge_kinks(measured(20, 0, 0.1, 2)).clarke_qualified);
  auto drifting = measured(20, 0, 0.1, 0);
  drifting[2].drift_0_vs_1 = 1e-9;  // float64 met no kink, yet its policies differ: a bug
  CHECK_FALSE(judge_kinks(drifting).no_kink_no_drift);
}

TEST_CASE("landscape: saddle escape, Hessian spectrum by Lanczos, sigma_min of the Jacobian grows with width",
          "[studies][landscape]") {
  LandscapeOptions o;
  o.widths = {8, 32, 128};
  StudyResult r = studies::landscape(o);
  INFO(r.measured);
  CHECK(r.holds);
  // GD stalls near the saddle for the linearisation's ln(0.01/1e-10)/ln(1.1) = 193.3 steps.
  const auto& radius = r.series["gd_radius"];
  CHECK(radius[191] < 0.01);
  CHECK(radius[194] >= 0.01);
  CHECK(r.series["gd_f"].back() == Approx(-0.25).margin(1e-6));
  CHECK(r.series["pgd_f_plus_0.25"].back() == Approx(0).margin(1e-6));  // PGD reaches f = −1/4
  // 150 steps end inside the stall (GD leaves at step 194): GD never reaches the minimum, NO.
  LandscapeOptions short_run = o;
  short_run.steps = 150;
  check_says_no(studies::landscape(short_run), "at step inf (linearisation: 194)");
}

TEST_CASE(
    "lazy vs active (Chizat, Oyallon & Bach 2019): displacement, kernel change and distance to the "
    "linearisation ~ 1/alpha",
    "[studies][lazy]") {
  for (const char* scaling : {"mean-field", "ntk"}) {
    LazyVsActiveOptions o;
    o.scaling = scaling;
    StudyResult r = lazy_vs_active(o);
    INFO(scaling << ": " << r.measured);
    CHECK(r.holds);
    std::vector<Scalar> la, ld;
    for (std::size_t i = 0; i < r.series["alpha"].size(); ++i)
      la.push_back(std::log(r.series["alpha"][i])), ld.push_back(std::log(r.series["relative_displacement"][i]));
    CHECK(analysis::fit_line(la, ld).slope == Approx(-1).margin(0.05));
    for (Scalar loss : r.series["train_loss"]) CHECK(loss < 1e-4);  // every α fits the teacher
    // ReLU crossings become rarer as alpha grows, and the largest alphas have none.
    const auto& crossings = r.series["relu_crossings"];
    CHECK(crossings.front() > 10 * std::max<Scalar>(crossings[crossings.size() / 2], 1));
    CHECK(crossings.back() == 0);
    CHECK(r.series["distance_to_linearization"].back() < 1e-4 * r.series["distance_to_linearization"].front());
  }
}

TEST_CASE("lazy vs active says NO where the regime is active or the models are not trained", "[studies][lazy]") {
  // alpha of order 1 is the active regime: every run crosses kinks, so no smooth-case rate is judged.
  LazyVsActiveOptions active;
  active.alphas = {1, 2, 4};
  check_says_no(lazy_vs_active(active), "NOT enough for a rate");
  // 20 steps leave the loss near its initial value: the rates hold, the claim about trained models is not shown.
  LazyVsActiveOptions untrained;
  untrained.steps = 20;
  check_says_no(lazy_vs_active(untrained), "did NOT fit the training set");
  LazyVsActiveOptions unknown;
  unknown.scaling = "standard";
  CHECK_THROWS_WITH(lazy_vs_active(unknown), Catch::Contains("--scaling must be"));
  LazyVsActiveOptions two;
  two.alphas = {16, 64};
  CHECK_THROWS_WITH(lazy_vs_active(two), Catch::Contains("at least 3 values of alpha"));
}

TEST_CASE(
    "lqr (Fazel, Ge, Kakade & Mesbahi 2018): exact policy gradient, gradient domination, linear "
    "convergence to the Riccati gain; a step past stability fails it",
    "[studies][lqr]") {
  LqrOptions o;
  o.steps = 1500;
  StudyResult r = lqr(o);
  INFO(r.measured);
  CHECK(r.holds);
  // Gauss-Newton (policy iteration) converges fastest, natural PG before gradient descent at these steps.
  const auto& gn = r.series["loss gap C(K_t) - C* | Gauss-Newton"];
  const auto& npg = r.series["loss gap C(K_t) - C* | natural policy gradient"];
  REQUIRE(gn.size() == 1501);
  CHECK(gn[10] < 1e-9 * gn[0]);
  CHECK(npg[200] < npg[0] * std::pow(0.999, 200));  // at least linear at the bound's order
  // Gradient descent with a step that leaves the stabilising set: no verdict of convergence.
  LqrOptions unstable;
  unstable.lr = 0.03;
  unstable.steps = 300;
  check_says_no(lqr(unstable), "gradient descent DIVERGED");
  // Too few steps for natural PG's safe step: it is named as not at K*.
  LqrOptions short_run;
  short_run.steps = 300;
  check_says_no(lqr(short_run), "(NOT < 1e-6)");
  LqrOptions bad;
  bad.spectral_radius = 1.2;
  CHECK_THROWS_WITH(lqr(bad), Catch::Contains("K = 0 is stabilising"));
}

TEST_CASE(
    "langevin (Raginsky, Rakhlin & Telgarsky 2017; Kramers 1940): escape time ~ exp(beta dU), histogram "
    "~ exp(-beta U); a step too large for the sampler fails it",
    "[studies][langevin]") {
  LangevinOptions o;
  o.barrier_heights = {3, 3.5, 4, 4.5, 5};  // the quick edition
  o.steps = 5000;
  StudyResult r = langevin(o);
  INFO(r.measured);
  CHECK(r.holds);
  // Each mean escape time within a factor 1.4 of Kramers' formula, and most chains escaped.
  const auto& measured = r.series["log escape time | measured"];
  const auto& kramers = r.series["log escape time | Kramers"];
  for (std::size_t i = 0; i < measured.size(); ++i) CHECK(std::fabs(measured[i] - kramers[i]) < std::log(1.4));
  for (Scalar fraction : r.series["escaped fraction"]) CHECK(fraction > 0.9);
  // Step 0.2: the discretised chain's stationary law is far from exp(-beta U).
  LangevinOptions coarse = o;
  coarse.lr = 0.2;
  check_says_no(langevin(coarse), "(NOT <= 0.02)");
  LangevinOptions flat = o;
  flat.tilt = 0.5;
  CHECK_THROWS_WITH(langevin(flat), Catch::Contains("two distinct wells"));
}

TEST_CASE(
    "saddles (Jin et al. 2017; Ge et al. 2015): GD stalls ln(1/eps)/ln(1 + lr) steps near a strict saddle, "
    "perturbed GD escapes in ln(d)/(2 ln(1 + lr)); a budget shorter than the stall fails it",
    "[studies][saddles]") {
  SaddlesOptions o;
  o.runs = 48;  // the quick edition
  StudyResult r = check_holds(saddles(o));
  const auto& mean = r.series["escape step | perturbed GD, mean over runs"];
  const auto& spread = r.series["escape step spread | std over runs"];
  REQUIRE(mean.size() == o.dims.size());
  // Doubling d adds ln 2 / (2 ln 1.1) = 3.6 steps on average: 8 -> 1024 adds 25 within a few steps.
  CHECK(mean.back() - mean.front() == Approx(7 * std::log(2.0) / (2 * std::log1p(0.1))).margin(4));
  // Each run's log escape component has the spread of half a log chi-square with r = 5 degrees of
  // freedom, sqrt(psi'(5/2))/2 = 0.35, i.e. 3.7 steps at lr 0.1.
  for (Scalar s : spread) CHECK(s == Approx(0.35 / std::log1p(0.1)).epsilon(0.35));
  // The stall sweep is its own table: ln(1/eps) against the mean escape step, rising 1/ln(1.1) per unit.
  REQUIRE(r.tables.size() == 1);
  const auto& stall = r.tables[0].series["escape step | GD from eps, mean over runs"];
  REQUIRE(stall.size() == 6);
  CHECK(stall.back() - stall.front() == Approx(10 * std::log(10.0) / std::log1p(0.1)).epsilon(0.02));
  // 100 steps are shorter than the stall (about 150): no escape, named.
  SaddlesOptions hurried = o;
  hurried.steps = 100;
  check_says_no(saddles(hurried), "did NOT escape within 100 steps");
  SaddlesOptions unstable = o;
  unstable.lr = 1.5;
  CHECK_THROWS_WITH(saddles(unstable), Catch::Contains("--lr must be in (0, 1)"));
  SaddlesOptions two = o;
  two.dims = {8, 16};
  CHECK_THROWS_WITH(saddles(two), Catch::Contains("at least 3 dimensions"));
}

TEST_CASE(
    "pl (Liu, Zhu & Belkin 2020): mu_t >= lambda_min(K_t)/n along GD; wide nets keep PL* and converge "
    "linearly, nets with fewer parameters than points lose it; a step past 1/beta fails it",
    "[studies][pl]") {
  PlOptions o;
  o.widths = {1, 16, 64, 256, 1024};  // the quick edition
  StudyResult r = check_holds(pl(o));
  const auto& path_min = r.series["PL constant | min_t lambda_min(K_t)/n"];
  const auto& mu_min = r.series["PL constant | min_t mu_t"];
  const auto& final_loss = r.series["final loss L_T/L_0"];
  REQUIRE(path_min.size() == 5);
  // Width 1 has 11 parameters for 16 points: its kernel has rank <= 11, so PL* cannot hold.
  CHECK(path_min[0] == 0);
  CHECK(final_loss[0] > 1e-3);
  for (std::size_t i = 1; i < 5; ++i) {
    CHECK(mu_min[i] >= path_min[i]);
    CHECK(final_loss[i] <= 1e-10);
  }
  // The widest net's tangent-kernel spectrum over training: its bottom moves by 2.5% (5% allowed), and
  // mu_t falls onto it (within 20% at the end) from well above it.
  REQUIRE(r.tables.size() == 1);
  auto& spectrum = r.tables[0].series;
  const auto& bottom = spectrum["tangent kernel | lambda_min/n"];
  const auto& mu = spectrum["tangent kernel | mu_t"];
  CHECK(bottom.back() == Approx(bottom.front()).epsilon(0.05));
  CHECK(mu.front() > 5 * bottom.front());
  CHECK(mu.back() == Approx(bottom.back()).epsilon(0.2));
  // The widest nets' PL constants agree (the kernel barely moves): within 20% of each other.
  CHECK(path_min[4] == Approx(path_min[3]).epsilon(0.2));
  PlOptions hasty = o;
  hasty.lr = 2.5;
  StudyResult hasty_result = pl(hasty);
  check_says_no(hasty_result, "lr times the top Hessian eigenvalue is ABOVE 1");
  check_says_no(hasty_result, "gradient descent DIVERGED at width 1");
  PlOptions one_wide = o;
  one_wide.widths = {1, 64};
  check_says_no(pl(one_wide), "needs 3 wide widths");
}

TEST_CASE(
    "random-features (Rahimi & Recht 2007; Belkin et al. 2019; Mei & Montanari 2019): double descent at m = n, "
    "GD's row-space bias, feature learning beats random features; a sweep without the threshold fails it",
    "[studies][random-features]") {
  RandomFeaturesOptions o;
  o.runs = 3, o.steps = 2000;  // the quick edition
  StudyResult r = check_holds(random_features(o));
  const auto& m = r.series["features m"];
  const auto& test = r.series["test error | min-norm random features"];
  const auto& train = r.series["train error"];
  for (std::size_t k = 0; k < m.size(); ++k) {
    if (m[k] < 100) CHECK(train[k] > 1e-6);  // fewer features than points cannot fit noisy labels
    if (m[k] >= 100) CHECK(train[k] < 1e-20);
    if (m[k] != 100) CHECK(test[k] < test[5]);  // m = n = 100 is row 5
  }
  // Beyond the threshold only: no peak inside the sweep, so no double descent is shown.
  RandomFeaturesOptions beyond = o;
  beyond.widths = {200, 400, 800, 1600};
  check_says_no(random_features(beyond), "(NOT within [0.8 n, 1.25 n])");
  // A step 100x too small: all layers hardly move from a = 0 and cannot beat random features.
  RandomFeaturesOptions crawling = o;
  crawling.lr = 0.005;
  crawling.widths = {50, 100, 200, 400};
  check_says_no(random_features(crawling), "(NOT <= 0.1x)");
}

TEST_CASE(
    "narrow-resnet (Lin & Jegelka 2018): one-neuron residual blocks classify a disk with a bounded region, "
    "width-d plain nets cannot; too few steps fail it",
    "[studies][narrow-resnet]") {
  NarrowResnetOptions o;
  o.runs = 3;  // the quick edition
  StudyResult r = check_holds(narrow_resnet(o));
  const auto& residual = r.series["test accuracy | residual (one neuron per block)"];
  const auto& plain = r.series["test accuracy | plain (width d)"];
  REQUIRE(residual.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(residual[i] > 0.95);
    CHECK(residual[i] > plain[i] + 0.2);
    CHECK(r.series["far circle classified inside | residual"][i] == 0);
  }
  // 100 Adam steps leave the residual nets far from the disk.
  NarrowResnetOptions brief = o;
  brief.steps = 100;
  check_says_no(narrow_resnet(brief), "(NOT >= 0.95)");
}

TEST_CASE("factorization: a run of the claim's scope that did not converge makes the verdict NO, by name",
          "[studies][factorization]") {
  FactorizationOptions o;
  o.size = 30;
  o.rank = 2;
  o.observed = {250};
  o.depths = {1, 2, 3};
  o.init_scales = {1e-3};
  o.steps = 100;  // far too few: the deep runs from 1e-3 are still on their first plateau
  StudyResult r = factorization(o);
  INFO(r.measured);
  CHECK_FALSE(r.holds);
  CHECK_THAT(r.measured, Catch::Contains("not established") && Catch::Contains("raise --steps"));
}

TEST_CASE("factorization (Arora et al. 2019), scaled down: deeper recovers better with lower effective rank",
          "[studies][factorization]") {
  FactorizationOptions o;
  o.size = 30;
  o.rank = 2;
  o.observed = {250};  // 250 of 900 entries, 2.2× the 116 degrees of freedom of a 30×30 rank-2 matrix
  o.depths = {1, 2, 3};
  o.init_scales = {1e-3};
  o.steps = 20000;
  // Seeds held out from tuning (the defaults were chosen on seed 0) must show the same ordering.
  for (std::uint64_t seed : {0, 11, 12}) {
    o.seed = seed;
    StudyResult r = factorization(o);
    INFO("seed " << seed << ": " << r.measured);
    CHECK(r.holds);
    // Rows: the convex reference, then depths 1, 2, 3.
    auto& err = r.series["reconstruction_error"];
    auto& erank = r.series["effective_rank"];
    REQUIRE(err.size() == 4);
    CHECK(err[3] < 0.5 * err[2]);
    CHECK(err[2] < err[1]);
    CHECK(erank[3] < erank[2]);
    CHECK(err[3] < 0.1 * err[0]);  // depth 3 also beats the minimum nuclear-norm completion (Arora et al.)
  }
  // The convex reference interpolates the observed entries.
  Completion c = matrix_completion(30, 30, 2, 250, 0);
  Tensor X = min_nuclear_norm_completion(c.M, c.mask);
  CHECK(xt::amax(xt::abs(Tensor((X - c.M) * c.mask)))() < 1e-6);
}

TEST_CASE("factorization: a large initialisation caps the step instead of diverging", "[studies][factorization]") {
  FactorizationOptions o;
  o.size = 20;
  o.rank = 2;
  o.observed = {200};
  o.depths = {2, 3};
  o.init_scales = {0.3};  // factors with ‖W‖₂ ≈ 2.7: lr 2 would diverge at once
  o.steps = 3000;
  StudyResult r = factorization(o);
  INFO(r.measured);
  for (std::size_t i = 1; i < r.series["step_size"].size(); ++i) {
    CHECK(r.series["step_size"][i] < 0.2);
    CHECK(std::isfinite(r.series["reconstruction_error"][i]));
  }
}

TEST_CASE("matrix_completion: every row and column gets at least rank observations, or a clear error",
          "[analysis][completion]") {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Completion c = matrix_completion(30, 30, 2, 200, seed);
    CHECK(xt::sum(c.mask)() == 200);
    CHECK(xt::amin(xt::sum(c.mask, {1}))() >= 2);
    CHECK(xt::amin(xt::sum(c.mask, {0}))() >= 2);
  }
  CHECK_THROWS_WITH(matrix_completion(30, 30, 5, 100, 0), Catch::Contains("every row and column"));
}

TEST_CASE("linear-conv (Gunasekar, Lee, Soudry & Srebro 2018): Fourier-concentrated vs l2 max margin",
          "[studies][linear-conv]") {
  StudyResult r = linear_conv({});  // depth 3
  INFO(r.measured);
  CHECK(r.holds);
  // |F β|₁/|F β|₂ of the unit-normalised spectra: the convolutional predictor is clearly more concentrated.
  auto spread = [&](const char* column) {
    Scalar l1 = 0;
    for (Scalar v : r.series[column]) l1 += v;
    return l1;
  };
  CHECK(spread("dft_conv") < spread("dft_svm") - 0.1);
  CHECK(std::fabs(spread("dft_fully_connected") - spread("dft_svm")) < 0.05);
}

TEST_CASE("mean-field (Chizat & Bach 2018): wider students fit a 5-neuron teacher better, on every seed",
          "[studies][mean-field]") {
  MeanFieldOptions o;
  o.widths = {5, 50, 500};
  o.seeds = 2;
  o.steps = 1500;
  StudyResult r = mean_field(o);
  INFO(r.measured);
  CHECK(r.holds);
  auto& loss = r.series["final_loss"];                     // rows: (width, seed)
  CHECK(std::max(loss[4], loss[5]) < 1e-3);                // m = 500: every seed fits
  CHECK((loss[4] + loss[5]) < 0.1 * (loss[0] + loss[1]));  // mean falls with m
  CHECK(r.particles.size() == 50 * o.snapshots);           // particles of the m = 50 student over time
}
