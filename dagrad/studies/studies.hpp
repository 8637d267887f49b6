#pragma once
// Studies: each reproduces a paper's experiment with dagrad and returns the measured series, the
// figure the paper's claim is judged by, and whether it holds. One study is one file in studies/;
// registry.hpp lists them for the command line, the report and the tests. The command line writes
// CSV, plots and the report.
#include <array>
#include <map>
#include <string>
#include <vector>

#include "dagrad/graph/dtype.hpp"
#include "dagrad/graph/tensor.hpp"

namespace dagrad::studies {

// A named table of numeric columns (one row per recorded step) plus the verdict.
struct StudyResult {
  std::string name, claim, measured;
  bool holds = false;
  std::map<std::string, std::vector<Scalar>> series;  // column name → values
  std::vector<std::string> columns;                   // column order for CSV
  // Optional 2-D points over time (snapshot index, x, y), plotted as a scatter coloured by time.
  std::vector<std::array<Scalar, 3>> particles;
  bool log_x = true;  // the plots' first-column axis (false where a law is linear in it)
  // How one panel (columns named "panel | line" share a panel) is drawn: what its y axis measures,
  // whether that axis is logarithmic (a power law is a line there), and a shaded band of
  // `band_center` +- `band_spread` (two column names, e.g. a mean over seeds and its standard deviation).
  struct PanelStyle {
    std::string y_label;
    bool log_y = false;
    std::string band_center, band_spread;
  };
  std::map<std::string, PanelStyle> panel_styles;  // by panel title; unstyled panels: log y for losses and angles
  std::string x_label;                             // the first column's name when empty
  // Further tables with their own first column (a sweep over another variable, a spectrum over
  // training), each written as <study>_<name>.csv and .png; `name` is the file suffix (a-z, 0-9, -).
  std::vector<StudyResult> tables;
  void add(const std::string& column, Scalar value);
  void style(const std::string& panel, PanelStyle panel_style) { panel_styles[panel] = std::move(panel_style); }
};

// Soudry et al. (2018): GD on the logistic loss over separable data. Loss ~ 1/t (log-log slope
// −1 ± 0.1 over the last decade), ‖w_t‖ ~ log t, angle to the SVM direction → 0; normalized GD
// (Nacson et al. 2019) closes the angle much faster at equal step counts.
struct MaxMarginOptions {
  std::size_t n = 30, d = 3, steps = 100000;
  Scalar margin = 0.2;
  Scalar lr = 0;  // gradient descent's step; 0: 1/L with L = lambda_max(X^T X)/(4n), the loss's smoothness
  std::string loss_reduction = "mean";  // or "sum": the loss times n, step not rescaled
  std::string data;                     // a CSV of rows (features, label in {0,1} or {-1,1}) instead of generated data
  std::string init;                     // a directory of <parameter>.npy initial weights instead of the default init
  std::uint64_t seed = 0;
  bool digits = false;  // a separable pair of digits classes (0 vs 1) instead of synthetic data
};
StudyResult max_margin(const MaxMarginOptions& options);

// Ji & Telgarsky (2019): GD on deep linear nets (depth 2–4) with logistic loss over separable
// data: consecutive layers align, each layer tends to rank one, and the end-to-end predictor's
// direction approaches the SVM direction.
struct DeepLinearOptions {
  std::size_t n = 60, d = 4, width = 4, depth = 3, steps = 20000;
  Scalar lr = 0.2, init_scale = 0.05;
  std::string loss_reduction = "mean";  // or "sum": the loss times n, step not rescaled
  std::string data;                     // a CSV of rows (features, label in {0,1} or {-1,1}) instead of generated data
  std::string init;                     // a directory of <parameter>.npy initial weights instead of the default init
  std::uint64_t seed = 0;
};
StudyResult deep_linear(const DeepLinearOptions& options);

// Du, Hu & Lee (2018): for positively homogeneous activations, per hidden neuron Σ(incoming
// weights × gradients, bias included) = Σ(outgoing weights × gradients) at any parameters; so a GD
// step changes ‖W_{h+1}‖² − ‖W_h‖² − ‖b_h‖² by exactly η²(‖g_{W_{h+1}}‖² − ‖g_{W_h}‖² − ‖g_{b_h}‖²).
struct BalancednessOptions {
  std::size_t n = 32, d = 5, width = 8, steps = 2000;
  Scalar lr = 0.01;
  std::string activation = "relu";      // relu, leaky_relu, linear
  std::string loss_reduction = "mean";  // or "sum": the loss times n, step not rescaled
  std::uint64_t seed = 0;
};
StudyResult balancedness(const BalancednessOptions& options);

// Bertoin, Bolte, Gerchinovitz & Pauwels (NeurIPS 2021): a digits MLP and a small conv net trained
// by SGD in each dtype under Clarke, relu'(0) = 0 and relu'(0) = 1, with the same seeds, initial
// draws and minibatch order; how often each meets exact kinks, how far the policies' trajectories
// drift apart, their test accuracy; and the constructions where Clarke and the convention differ.
struct KinksOptions {
  std::size_t n = 64, width = 32, channels = 8, steps = 300;
  // 0.2: at 0.05 the conv net stays near chance (16% test accuracy in float64 after 300 steps).
  Scalar lr = 0.2;
  std::vector<std::string> dtypes{"bfloat16", "float32", "float64"};
  std::uint64_t seed = 0;
};
StudyResult kinks(const KinksOptions& options);
// One model in one dtype, as the verdict reads it.
struct KinksMeasurement {
  DType dtype = DType::Float64;
  Scalar kinks_per_step = 0;     // kink elements per training step (the Clarke run)
  Scalar steps_with_kinks = 0;   // fraction of steps meeting any
  Scalar drift_0_vs_1 = 0;       // final ‖θ(relu'(0)=0) − θ(relu'(0)=1)‖ / ‖θ(relu'(0)=1)‖
  Scalar drift_clarke_vs_0 = 0;  // final ‖θ(relu'(0)=0) − θ(Clarke)‖ / ‖θ(Clarke)‖
  std::size_t clarke_unqualified = 0;
};
struct KinksVerdict {
  bool more_kinks_lower = false;       // bfloat16 ≥ 10× float32's kink elements per step (> 0), float32 ≥ float64
  bool choice_moves_bfloat16 = false;  // relu'(0)=0 vs 1 end more than bfloat16's epsilon apart
  bool clarke_qualified = false;       // no unqualified kink under Clarke in any dtype
  bool no_kink_no_drift = false;       // a dtype that met no kink has one trajectory for all policies
  bool holds = false;
};
// The study's judgement of its measurements (dtypes missing from them are not judged).
KinksVerdict judge_kinks(const std::vector<KinksMeasurement>& measured);

// Landscape: perturbed GD escapes the strict saddle of f(x) = −‖x‖² + ‖x‖⁴ at 0 where GD stays
// (Jin et al. 2017); extreme Hessian eigenvalues (Lanczos on HVPs) along training of a small ReLU
// net; σ_min of the Jacobian at initialisation grows with width (the PL constant, Liu et al. 2022).
struct LandscapeOptions {
  std::size_t d = 10, steps = 400, hessian_every = 50;
  Scalar lr = 0.05;  // the saddle's GD and perturbed GD (the ReLU net keeps 0.05, below its 2/lambda_max ~ 0.1)
  std::vector<std::size_t> widths{8, 32, 128};
  std::uint64_t seed = 0;
};
StudyResult landscape(const LandscapeOptions& options);

// Lazy vs active training (Chizat, Oyallon & Bach 2019): a two-layer ReLU student f = α(h(w) −
// h(w0)) (zero output at initialisation) fits a teacher by GD with step η/α². The relative
// displacement ‖w − w0‖/‖w0‖ falls like 1/α and the trained model approaches its linearisation.
struct LazyVsActiveOptions {
  std::size_t n = 20, d = 4, width = 50, steps = 3000;
  std::vector<Scalar> alphas{16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576};
  Scalar lr = 0.25;
  Scalar init_scale = 1;                // τ: the drawn initial weights are multiplied by it
  std::string scaling = "mean-field";   // output scale 1/m ("mean-field") or 1/√m ("ntk")
  std::string loss_reduction = "mean";  // or "sum": the loss times n, step not rescaled
  std::uint64_t seed = 0;
};
StudyResult lazy_vs_active(const LazyVsActiveOptions& options);

// Policy gradient on the linear-quadratic regulator (Fazel, Ge, Kakade & Mesbahi 2018): a random
// stable system x' = Ax + Bu with Q = R = Sigma0 = I and u = -Kx from K0 = 0. dagrad's reverse mode
// through the cost rolled out for `horizon` steps is checked against the closed-form gradient;
// gradient descent, natural policy gradient and Gauss-Newton run from K0 and are judged against the
// paper's gradient-domination inequality and per-step contraction bounds, and against the Riccati
// gain K* (solved independently by the Riccati recursion).
struct LqrOptions {
  std::size_t d = 6, inputs = 3, horizon = 200, steps = 3000;
  Scalar spectral_radius = 0.9;  // of the open loop A
  Scalar lr = 0.01;              // gradient descent's step (the paper's safe step is far smaller)
  std::uint64_t seed = 0;
};
StudyResult lqr(const LqrOptions& options);

// Langevin dynamics (Raginsky, Rakhlin & Telgarsky 2017) on the tilted double well U(x) = x⁴/4 −
// x²/2 + c·x with n independent chains: the mean escape time from the shallow well against β
// follows Kramers' law (2π/√(U''(min)|U''(saddle)|)) exp(β ΔU), and the chains' histogram matches
// exp(−βU). The library's Langevin optimizer does the sampling; dagrad's reverse mode the gradient.
struct LangevinOptions {
  std::size_t n = 1000;       // chains
  std::size_t steps = 20000;  // sampling steps for the histogram, after its burn-in
  Scalar lr = 0.01, tilt = 0.1, histogram_beta = 2;
  std::vector<Scalar> barrier_heights{3, 3.5, 4, 4.5, 5, 5.5, 6};  // beta dU of the escape runs
  std::uint64_t seed = 0;
};
StudyResult langevin(const LangevinOptions& options);

// Strict-saddle escape (Jin, Ge, Netrapalli, Kakade & Jordan 2017; Ge, Huang, Jin & Yuan 2015) on the
// factorization objective f(U) = |U U^T - v v^T|^2 / 4: gradient descent stalls at and near the saddle
// U = 0 (for ln(1/eps)/ln(1 + lr) steps from eps away), perturbed GD escapes in steps growing like
// ln(d)/(2 ln(1 + lr)) and reaches a second-order stationary point. The saddle's Hessian is judged by Lanczos.
struct SaddlesOptions {
  std::vector<std::size_t> dims{8, 16, 32, 64, 128, 256, 512, 1024};  // rows d of U for perturbed GD
  std::size_t d = 64;                                                 // rows of U for GD from eps
  std::size_t rank = 5;                                               // columns r of U
  std::size_t runs = 128;                                             // independent seeds per setting
  std::size_t steps = 1500;                                           // budget per run
  Scalar lr = 0.1, radius = 1e-6;                                     // step; perturbed GD's kick radius
  std::uint64_t seed = 0;
};
StudyResult saddles(const SaddlesOptions& options);

// The PL* condition along gradient descent (Liu, Zhu & Belkin 2020): mu_t = |grad L|^2/(2L) against
// the tangent kernel's lambda_min(K_t)/n, on one-hidden-layer tanh nets (NTK parameterization) of
// several widths fitting n points: wide nets keep PL* on the whole path and converge linearly, nets
// with fewer parameters than points lose it and stall.
struct PlOptions {
  std::vector<std::size_t> widths{1, 4, 16, 64, 256, 1024, 4096};
  std::size_t n = 16, d = 8, steps = 8000;  // steps: the budget per width (a run stops at L <= 1e-10 L_0)
  Scalar lr = 1;
  std::uint64_t seed = 0;
};
StudyResult pl(const PlOptions& options);

// Random features against feature learning (Rahimi & Recht 2007) and double descent (Belkin et al.
// 2019; Mei & Montanari 2019): the min-norm ReLU random-features fit to n noisy samples of a
// single-index teacher, by number of features m (`widths`); then gradient descent at one width m
// (`feature_width`) on the output layer only and on all layers.
struct RandomFeaturesOptions {
  std::vector<std::size_t> widths{10, 25, 50, 75, 90, 100, 110, 125, 150, 200, 400, 800, 1600, 3200};
  std::size_t n = 100, d = 10;
  std::size_t runs = 5;             // feature draws averaged per m
  std::size_t feature_width = 400;  // the width gradient descent trains
  std::size_t steps = 3000;         // gradient descent steps
  Scalar noise = 0.2;               // label noise of the double-descent fits
  Scalar lr = 0.5;                  // times m: the mean-field scale's step
  std::uint64_t seed = 0;
};
StudyResult random_features(const RandomFeaturesOptions& options);

// Narrow residual nets as universal approximators (Lin & Jegelka 2018): residual blocks with one hidden
// neuron on h in R^2 against plain ReLU nets of width 2 and the same depth, classifying a disk.
struct NarrowResnetOptions {
  std::size_t depth = 8, n = 1000, runs = 5, steps = 3000;
  Scalar lr = 0.01;  // Adam's step
  std::uint64_t seed = 0;
};
StudyResult narrow_resnet(const NarrowResnetOptions& options);

// Matrix completion by depth-N factorizations from small initialisation (Gunasekar et al. 2017;
// Arora, Cohen, Hu & Luo 2019): depth ≥ 3 recovers the unobserved entries far better than depth 2,
// which beats depth 1; deeper factorizations have lower effective rank; against the minimum
// nuclear-norm completion (convex reference, soft-impute with continuation).
struct FactorizationOptions {
  std::size_t size = 100, rank = 5;
  std::size_t steps = 100000;  // the budget per run; runs stop once the training loss is below `tolerance`
  Scalar tolerance = 1e-14;
  std::vector<std::size_t> observed{2000, 5000};
  std::vector<std::size_t> depths{1, 2, 3, 4};
  std::vector<Scalar> init_scales{1e-3, 1e-2, 1e-1};
  Scalar lr = 2;  // capped per run by the initial curvature; depth 1 uses 1 (unit curvature on the mask)
  std::uint64_t seed = 0;
};
StudyResult factorization(const FactorizationOptions& options);

// Gunasekar, Lee, Soudry & Srebro (2018): GD on full-width circular linear convolutional nets of
// depth L over separable data converges towards predictors sparse in the Fourier domain (a
// stationary point of min ‖DFT β‖_{2/L} under unit margins); fully connected linear nets of the
// same depth converge to the ℓ2 max-margin direction.
struct LinearConvOptions {
  std::size_t n = 40, d = 8, depth = 3, steps = 20000;
  Scalar lr = 0.05;
  std::string loss_reduction = "mean";  // or "sum": the loss times n, step not rescaled
  std::string data;                     // a CSV of rows (features, label in {0,1} or {-1,1}) instead of generated data
  std::uint64_t seed = 0;
};
StudyResult linear_conv(const LinearConvOptions& options);

// Mean-field two-layer nets (Chizat & Bach 2018): a teacher with 5 ReLU neurons in d = 2 and
// students of m neurons under the 1/m scaling, trained by GD (step ∝ m). The final loss over
// seeds falls with m and wide students fit on every seed; the particles |a_j|·b_j are recorded.
struct MeanFieldOptions {
  std::vector<std::size_t> widths{5, 10, 50, 200, 1000};
  std::size_t seeds = 3, n = 200, steps = 3000, snapshots = 6, particle_width = 50;
  Scalar lr = 0.5;
  std::string loss_reduction = "mean";  // or "sum": the loss times n, step not rescaled
  std::uint64_t seed = 0;
};
StudyResult mean_field(const MeanFieldOptions& options);

}  // namespace dagrad::studies
