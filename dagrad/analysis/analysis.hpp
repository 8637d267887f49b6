#pragma once
// Diagnostics researchers read off trained models, reference solvers, and data generators.
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "dagrad/autodiff/autodiff.hpp"
#include "dagrad/params/param_store.hpp"
#include "dagrad/program/program.hpp"

namespace dagrad::analysis {

// ---- margins and the max-margin direction ----------------------------------------------------
// min_i y_i ⟨w, x_i⟩ and that divided by ‖w‖.
Scalar margin(const Tensor& w, const Tensor& X, const Tensor& y);
Scalar normalized_margin(const Tensor& w, const Tensor& X, const Tensor& y);
// Angle in radians between two vectors (0 when parallel).
Scalar angle(const Tensor& a, const Tensor& b);

// Hard-margin SVM through the origin: min ½‖w‖² s.t. y_i wᵀx_i ≥ 1 (labels ±1), solved exactly as a
// least-distance problem by Lawson & Hanson's active-set NNLS; NumericError (with the residual and
// smallest margin, as %g) when the relative KKT residual is above `tolerance` or no separator exists.
struct SvmSolution {
  Tensor w;                // primal solution
  Tensor alpha;            // dual variables
  Scalar kkt_residual;     // svm_kkt_residual: relative to the unit margin
  std::size_t iterations;  // active-set steps
};
SvmSolution hard_margin_svm(const Tensor& X, const Tensor& y, Scalar tolerance = 1e-9);
// max of primal infeasibility max(0, 1 − y_i wᵀx_i), dual infeasibility (relative to max α) and the
// α-weighted mean of |y_i wᵀx_i − 1| (complementary slackness), for w = Σ α_i y_i x_i.
Scalar svm_kkt_residual(const Tensor& X, const Tensor& y, const Tensor& alpha);

// ---- spectra of weight matrices ----------------------------------------------------------------
struct Spectrum {
  Tensor singular_values;  // descending
  Tensor u1, v1;           // top left and right singular vectors
};
Spectrum spectrum(const Tensor& W);
// Layers as dagrad's models store them, (in, out), for the maps W_k = layers[k]ᵀ of the papers:
// |v_{k+1}ᵀ u_k| (top right singular vector of W_{k+1} against top left of W_k), 1 when aligned.
std::vector<Scalar> layer_alignment(const std::vector<Tensor>& layers);
// ‖W_{k+1}ᵀ W_{k+1} − W_k W_kᵀ‖_F for the same maps, from (in, out) layers.
std::vector<Scalar> balancedness(const std::vector<Tensor>& layers);
// Effective rank exp(H(σ/‖σ‖₁)) (Roy & Vetterli 2007) and the nuclear norm Σσ.
Scalar effective_rank(const Tensor& W);
Scalar nuclear_norm(const Tensor& W);

// ---- curvature and conditioning ------------------------------------------------------------------
// Extreme eigenvalues of a symmetric operator by Lanczos with full reorthogonalisation.
struct ExtremeEigenvalues {
  Scalar smallest, largest;
  std::size_t iterations;
};
ExtremeEigenvalues lanczos(const std::function<void(const Tensor& v, Tensor& Av)>& apply, std::size_t n,
                           std::size_t iterations, std::uint64_t seed);
// The k largest or k smallest eigenpairs of a symmetric operator (scipy's eigsh with which='LA' or
// 'SA'), from `iterations` Lanczos steps with full reorthogonalisation. Each residual is measured
// with one more product, so a pair that has not converged says so: raise `iterations`.
enum class SpectrumEnd { Largest, Smallest };
struct Eigenpairs {
  Tensor values;     // (k): largest first for Largest, smallest first for Smallest
  Tensor vectors;    // (k, n): row i is the unit eigenvector of values(i)
  Tensor residuals;  // (k): ‖A v_i − λ_i v_i‖
  std::size_t iterations;
};
Eigenpairs lanczos_eigenpairs(const std::function<void(const Tensor& v, Tensor& Av)>& apply, std::size_t n,
                              std::size_t k, SpectrumEnd end, std::size_t iterations, std::uint64_t seed);
// The Hessian of a scalar program output w.r.t. the store's parameters, as an operator built on
// a compiled HVP program (one run per product).
class HessianOperator {
 public:
  HessianOperator(Graph& g, const Var& loss, ParamStore& store, const std::vector<std::pair<Var, Tensor>>& data);
  void operator()(const Tensor& v, Tensor& Hv);
  std::size_t size() const { return store_.size(); }

 private:
  ParamStore& store_;
  std::vector<Var> params_, directions_, products_;
  std::unique_ptr<Program> program_;
};
// The Jacobian J (n × store.size(), parameters in the store's order) of a model's outputs (a
// vector of n predictions) at the store's values, one reverse pass per output.
Tensor parameter_jacobian(Graph& g, const Var& output, ParamStore& store,
                          const std::vector<std::pair<Var, Tensor>>& data);
// Singular values of that Jacobian; their squares are the eigenvalues of the NTK Gram matrix JJᵀ,
// and σ_min² is the PL constant.
Tensor jacobian_singular_values(Graph& g, const Var& output, ParamStore& store,
                                const std::vector<std::pair<Var, Tensor>>& data);
// The empirical neural tangent kernel's Gram matrix K = JJᵀ (n × n) on the data at the store's
// current values (Jacot, Gabriel & Hongler 2018), and its eigenvalues in descending order.
Tensor ntk_gram(Graph& g, const Var& output, ParamStore& store, const std::vector<std::pair<Var, Tensor>>& data);
Tensor ntk_spectrum(const Tensor& gram);

// min ‖X‖_* subject to X = M on the mask (soft-impute: X ← SVT_λ(P_Ω(M) + P_Ω⊥(X)) with λ → 0): the
// convex reference that deep factorizations are compared with.
Tensor min_nuclear_norm_completion(const Tensor& M, const Tensor& mask, Scalar tolerance = 1e-9);
// |DFT(β)|_k for k = 0..d−1: the Fourier spectrum that linear convolutional nets sparsify.
Tensor dft_magnitudes(const Tensor& beta);

// ---- trajectories and landscapes -----------------------------------------------------------------
// Least-squares line y ≈ intercept + slope·x with the slope's standard error and the half-width of
// its two-sided confidence interval from Student's t with n − 2 degrees of freedom (infinite for
// two points): rates read off log-log series, judged against a theory's rate.
struct LineFit {
  Scalar slope = 0, intercept = 0, slope_stderr = 0, half_width = 0;
  std::size_t points = 0;
  bool contains(Scalar rate) const { return std::fabs(slope - rate) <= half_width; }
};
LineFit fit_line(const std::vector<Scalar>& x, const std::vector<Scalar>& y, Scalar confidence = 0.95);
// fit_line's slope alone.
Scalar fitted_slope(const std::vector<Scalar>& x, const std::vector<Scalar>& y);
Scalar distance(const std::vector<Scalar>& a, const std::vector<Scalar>& b);  // ‖a − b‖
// f(w + s·d1 + t·d2) on a grid (rows: s in s_values, columns: t in t_values); one direction: t = {0}.
Tensor landscape(const std::function<Scalar()>& loss, std::vector<Scalar>& w, const std::vector<Scalar>& d1,
                 const std::vector<Scalar>& d2, const std::vector<Scalar>& s_values,
                 const std::vector<Scalar>& t_values);

// ---- linear-quadratic control (reference solutions for policy-gradient studies) ----------------
// X = Q + A X A' for A with spectral radius < 1 (a NumericError otherwise), by Smith's doubling.
Tensor discrete_lyapunov(const Tensor& A, const Tensor& Q);
// The discrete algebraic Riccati equation P = Q + A'PA - A'PB (R + B'PB)^-1 B'PA and the optimal
// gain K* = (R + B'PB)^-1 B'PA (control u = -K* x), with the equation's relative residual.
struct Riccati {
  Tensor P, K;
  Scalar relative_residual = 0;
  std::size_t iterations = 0;
};
Riccati solve_discrete_riccati(const Tensor& A, const Tensor& B, const Tensor& Q, const Tensor& R,
                               std::size_t max_iterations = 1000000);
// The infinite-horizon cost C(K) = E sum_t x_t'(Q + K'RK) x_t of u = -Kx from x_0 with covariance
// Sigma0, its value matrix P_K, state covariance Sigma_K = sum_t E x_t x_t', and the closed-form
// gradient 2((R + B'P_K B)K - B'P_K A) Sigma_K (Fazel, Ge, Kakade & Mesbahi 2018, Lemma 1).
struct LqrCost {
  Scalar cost = 0;
  Tensor P, Sigma, gradient;
};
LqrCost lqr_cost(const Tensor& A, const Tensor& B, const Tensor& Q, const Tensor& R, const Tensor& Sigma0,
                 const Tensor& K);

// ---- data generators ---------------------------------------------------------------------------
struct Classification {
  Tensor X, y;    // y ∈ {−1, +1}
  Tensor w_star;  // the planted unit direction
};
// n points in d dimensions, labels sign⟨w*, x⟩, every point at margin ≥ `margin` from the plane.
Classification separable_data(std::size_t n, std::size_t d, Scalar margin, std::uint64_t seed);
struct Completion {
  Tensor M;     // the planted (rows, cols) matrix of rank r, unit Frobenius norm per √(rows·cols)
  Tensor mask;  // 1 where observed
};
Completion matrix_completion(std::size_t rows, std::size_t cols, std::size_t rank, std::size_t observed,
                             std::uint64_t seed);

}  // namespace dagrad::analysis
