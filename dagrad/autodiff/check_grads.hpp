#pragma once
// A gradient checker for users' own ops and composites, in the spirit of JAX's check_grads: the
// derivative rules of f are compared with finite differences and with each other at given points.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dagrad/autodiff/autodiff.hpp"
#include "dagrad/graph/error.hpp"

namespace dagrad {

// Which derivatives to check, and how closely. Tolerances are relative to 1 + the checked
// quantity's size; the defaults suit float64 functions of moderate curvature evaluated away from
// kinks (a central difference with step h is off by about h²·f‴ and 1e-16/h).
struct GradCheckOptions {
  int order = 2;        // 1: first derivatives; 2: also Hessian-vector products
  bool forward = true;  // jvp against central differences of f
  bool reverse = true;  // ⟨u, J v⟩ = ⟨Jᵀu, v⟩, and the forward- and reverse-mode Jacobians agree
  double step = 1e-6;   // difference step for first derivatives
  double step2 = 1e-5;  // difference step of gradients for Hessian-vector products
  double jvp_tolerance = 1e-6;
  double transpose_tolerance = 1e-10;
  double jacobian_tolerance = 1e-12;
  double hvp_tolerance = 1e-5;
  std::uint64_t seed = 0;  // the random directions v, u and second-order weights
};

// The measured gaps: each is compared with its tolerance times (1 + the size it is relative to).
// A check that did not run (by order or mode) reports 0.
struct GradCheckReport {
  double jvp_vs_differences = 0;  // max |J v − (f(x + hv) − f(x − hv)) / 2h|
  double transpose_gap = 0;       // |⟨u, J v⟩ − ⟨Jᵀu, v⟩|
  double forward_vs_reverse = 0;  // max |J_forward − J_reverse| over all inputs
  double hvp_vs_differences = 0;  // max |H v − (∇φ(x + hv) − ∇φ(x − hv)) / 2h|
};

struct GradCheckError : Error {
  using Error::Error;
};

using GradCheckFunction = std::function<Var(const std::vector<Var>& inputs)>;

// Builds f on inputs shaped like `args` in a graph of its own and checks its derivatives at `args`.
// Second order checks φ = Σ w·f + ½ Σ w₂·f², so linear functions get curvature too. Throws
// GradCheckError naming every check that failed, with its gap and tolerance; returns the gaps.
GradCheckReport check_grads(const GradCheckFunction& f, const std::vector<Tensor>& args,
                            const GradCheckOptions& options = {});

}  // namespace dagrad
