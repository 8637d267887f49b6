#pragma once
// Differentiation as graph transforms: every function here adds nodes to the graph its arguments
// live in and returns handles on them; compile those with a Program to evaluate. Seeds (tangents,
// cotangents) are ordinary nodes, usually inputs, so one compiled program serves every seed.
#include <cstdint>
#include <variant>
#include <vector>

#include "dagrad/graph/graph.hpp"

namespace dagrad {

namespace Subgradient {
// Kakade & Lee (NeurIPS 2018), the directional chain rule: draw Gaussian directions d1..dk on the
// requested leaves only (seeded), run a JVP along each, and let every nonsmooth op pick its piece
// per element by the lexicographic sign of (value, tangent1, ..., tangentk). The result is
// lim_{τ↓0} ∇f(x + τ d1), an element of the Clarke subdifferential for qualified programs. Programs
// skip the directional pass when no element sits at a kink, and report kinks (Program::kink_report).
// `directions` gives d explicitly instead: directions.size() must be a multiple of wrt.size().
struct Clarke {
  int directions_drawn = 1;
  std::uint64_t seed = 0;
  std::vector<Var> directions = {};
};
// PyTorch/JAX-style fixed derivatives at kinks: relu′(0) = relu_slope_at_zero (leaky_relu
// interpolates), ties of max/min split evenly, abs′(0) = 0, clamp′ = 1 at its bounds, where takes b.
struct Convention {
  Scalar relu_slope_at_zero = 0;
};
}  // namespace Subgradient
// Clarke is the default.
using SubgradientPolicy = std::variant<Subgradient::Clarke, Subgradient::Convention>;

enum class Mode { Forward, Reverse, Auto };

// Cotangents of `wrt` given cotangents of `ys` (Jᵀu). A node of `wrt` that `ys` do not depend on
// gets zeros of its shape (as JAX does). `wrt` may name an intermediate node: its cotangent is
// ∂y/∂v with v's own inputs held fixed, and leaves upstream of it still see every path (as
// PyTorch's retain_grad). Nonsmooth ops follow `policy`.
std::vector<Var> vjp(const std::vector<Var>& ys, const std::vector<Var>& cotangents, const std::vector<Var>& wrt,
                     const SubgradientPolicy& policy = {});
// Gradient of a scalar (one element); a larger y needs vjp with an explicit cotangent.
std::vector<Var> grad(const Var& y, const std::vector<Var>& wrt, const SubgradientPolicy& policy = {});
Var grad(const Var& y, const Var& wrt, const SubgradientPolicy& policy = {});

// Tangents of `ys` (J v) given tangents of `wrt`. A seed on an intermediate node adds to what
// flows into it, which keeps ⟨u, jvp⟩ = ⟨vjp, v⟩ for any choice of wrt.
std::vector<Var> jvp(const std::vector<Var>& ys, const std::vector<Var>& wrt, const std::vector<Var>& tangents,
                     const SubgradientPolicy& policy = {});
Var jvp(const Var& y, const Var& x, const Var& tangent, const SubgradientPolicy& policy = {});

// Hessian-vector product of a scalar, forward over reverse: jvp of grad.
std::vector<Var> hvp(const Var& y, const std::vector<Var>& wrt, const std::vector<Var>& v,
                     const SubgradientPolicy& policy = {});

// Full Jacobian of shape y.shape ++ x.shape, by one jvp per input element (Forward), one vjp per
// output element (Reverse), or whichever needs fewer passes (Auto).
Var jacobian(const Var& y, const Var& x, Mode mode = Mode::Auto, const SubgradientPolicy& policy = {});
Mode cheaper_mode(std::size_t inputs, std::size_t outputs);

// Jacobian accumulation along a chain x_0 → x_1 → … → x_L: J = J_L ⋯ J_1 with J_i = ∂x_i/∂x_{i−1}
// (n_i × n_{i−1}, n_i = x_i.size()). Dynamic programming over segments J_j⋯J_i finds the cheapest
// plan under one of two cost models, in scalar multiplications:
// - local Jacobians given (no stage costs): the matrix-chain product (CLRS §15.2). Forward
//   accumulation multiplies right to left, J_L(⋯(J_2 J_1)); reverse left to right, ((J_L J_{L−1})⋯)J_1.
// - stages given as programs (stage_costs[k−1]: one tangent or adjoint through stage k): a segment is
//   a product of two shorter ones or pushed through directly by n_{i−1} tangents or n_j adjoints, the
//   matrix-free chain of Naumann et al. ("Matrix-Free Jacobian Chaining", arXiv:2406.11862). Pure
//   forward mode costs n_0·Σc, pure reverse n_L·Σc; the plan never costs more than either.
struct ChainOrder {
  struct Segment {
    std::size_t split = 0;     // k ≥ i: (J_j⋯J_{k+1})(J_k⋯J_i); 0: evaluated directly
    Mode direct = Mode::Auto;  // how a direct segment is evaluated (Auto: a given local Jacobian)
  };
  std::vector<std::size_t> sizes;  // n_0 (input) … n_L (output)
  std::vector<double> stage_costs;
  double multiplications = 0;              // of the cheapest plan
  double forward = 0, reverse = 0;         // of pure forward and pure reverse accumulation
  std::string bracketing;                  // e.g. "(J3 (J2 J1))" or "(rev[J3..J2] fwd[J1])"
  std::vector<std::vector<Segment>> plan;  // plan[i][j], 1 ≤ i ≤ j ≤ L
};
ChainOrder chain_order(const std::vector<std::size_t>& sizes, const std::vector<double>& stage_costs = {});
// The matrix-free plan jacobian_chain(stages, Mode::Auto) follows.
ChainOrder chain_order(const std::vector<Var>& stages);
// The Jacobian of stages.back() with respect to stages.front(), shape stages.back().shape ++
// stages.front().shape. Forward and Reverse push basis tangents or cotangents through the whole chain
// (as jacobian does); Auto follows chain_order's plan with each stage's cost taken from the ops' cost
// model (a tangent through a stage costs about one evaluation of it). Each stage may read the earlier
// ones only through its predecessor; a stage that skips one is an error naming it.
Var jacobian_chain(const std::vector<Var>& stages, Mode mode = Mode::Auto, const SubgradientPolicy& policy = {});

// Hessian of a scalar, shape x.shape ++ x.shape: forward-mode Jacobian of the gradient.
Var hessian(const Var& y, const Var& x, const SubgradientPolicy& policy = {});
// Hessian blocks over several variables (JAX's hessian with a tuple of argnums, PyTorch's
// autograd.functional.hessian of a tuple): H[i][j] = ∂²y/∂x_i∂x_j, shape x_i.shape ++ x_j.shape, so
// H[j][i] is H[i][j] transposed wherever y is twice differentiable. One tangent pass per element of
// each x_j gives column block j of every H[i][j].
std::vector<std::vector<Var>> hessian(const Var& y, const std::vector<Var>& xs, const SubgradientPolicy& policy = {});

// The tangent model T(w) = f(w0) + ∂f(w0)·(w − w0): `ys` are recomputed at new input nodes w0
// (the anchors, one per wrt, named "<name>@0"), so T is a graph of w and w0 alike.
struct Linearization {
  std::vector<Var> outputs;
  std::vector<Var> anchors;
};
Linearization linearize(const std::vector<Var>& ys, const std::vector<Var>& wrt, const SubgradientPolicy& policy = {});

// Copies the part of the graph between `from` and `ys`, reading `to[i]` wherever `from[i]` was read.
// Replacements may have other shapes (another batch size): every copied op infers its shape again.
std::vector<Var> substitute(const std::vector<Var>& ys, const std::vector<Var>& from, const std::vector<Var>& to);

}  // namespace dagrad
