#pragma once
// Differentiation as graph transforms: every function here adds nodes to the graph its arguments
// live in and returns handles on them; compile those with a Program to evaluate. Seeds (tangents,
// cotangents) are ordinary nodes, usually inputs, so one compiled program serves every seed.
#include <cstdint>
#include <variant>
#include <vector>

#include "graph/graph.hpp"

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

// Jacobian accumulation along a chain x_0 → x_1 → … → x_L with local Jacobians J_i = ∂x_i/∂x_{i−1}
// (n_i × n_{i−1}, n_i = x_i.size()): J = J_L ⋯ J_1 is a matrix-chain product (Naumann 2004; Griewank
// & Walther, "Evaluating Derivatives", 2nd ed., ch. 9), and its bracketing decides the cost. Forward
// accumulation multiplies right to left, J_L(⋯(J_2 J_1)); reverse left to right, ((J_L J_{L−1})⋯)J_1;
// the cheapest bracketing comes from the matrix-chain dynamic programme (CLRS §15.2).
struct ChainOrder {
  std::vector<std::size_t> sizes;  // n_0 (input) … n_L (output)
  double multiplications = 0;      // scalar multiplications of the cheapest bracketing
  double forward = 0;              // … of right-to-left (forward) accumulation
  double reverse = 0;              // … of left-to-right (reverse) accumulation
  std::string bracketing;          // e.g. "(J3 (J2 J1))"
  // split[i][j] (1 ≤ i < j ≤ L): the cheapest product J_j⋯J_i is (J_j⋯J_{k+1})(J_k⋯J_i), k = split.
  std::vector<std::vector<std::size_t>> split;
};
ChainOrder chain_order(const std::vector<std::size_t>& sizes);
// The Jacobian of stages.back() with respect to stages.front(), shape stages.back().shape ++
// stages.front().shape, formed from the local Jacobians (each by its cheaper mode) multiplied in the
// order `mode` names: Forward, Reverse, or Auto = chain_order's cheapest. Each stage may read the
// earlier ones only through its predecessor; a stage that skips one is an error naming it.
Var jacobian_chain(const std::vector<Var>& stages, Mode mode = Mode::Auto, const SubgradientPolicy& policy = {});

// Hessian of a scalar, shape x.shape ++ x.shape: forward-mode Jacobian of the gradient.
Var hessian(const Var& y, const Var& x, const SubgradientPolicy& policy = {});

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
