#pragma once
// The derivative-rule interface every op implements (Op), the zero-aware tangent it passes (Tangent),
// and how nonsmooth ops choose a piece at a kink (DiffContext, PieceSelector). Subgradient policies
// (autodiff/) fill the context; the ops only read it.
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dagrad/graph/error.hpp"
#include "dagrad/graph/graph.hpp"
#include "dagrad/graph/kernel.hpp"

namespace dagrad {

// What a derivative rule needs to know beyond its inputs: how to choose a piece at a kink.
// Nonsmooth ops select pieces with the `step` op over kink_keys(v): under a fixed convention the
// keys are {v} and a tie takes the convention's value; a directional (Clarke) policy appends the
// tangents of v along its directions, so the lexicographic sign of (v, t1, ..., tk) picks the piece.
struct DiffContext {
  Scalar relu_slope_at_zero = 0;                                     // relu'(0) under Subgradient::Convention{s}
  std::function<std::vector<Var>(const Var&)> directional_tangents;  // empty: fixed convention
  std::string site;  // name of the node whose rule is being applied; selectors report under it
  bool directional() const { return static_cast<bool>(directional_tangents); }
  std::vector<Var> kink_keys(const Var& v) const {
    std::vector<Var> keys{v};
    if (directional_tangents) {
      auto t = directional_tangents(v);
      keys.insert(keys.end(), t.begin(), t.end());
    }
    return keys;
  }
};

// A tangent or cotangent as a derivative rule takes and returns it: a node, or the symbolic zero
// (JAX's ad.Zero), which builds nothing and costs nothing. Zero is its own state, never an empty Var:
// a rule that hands back an empty Var gets an error naming it, so a forgotten result is not read as 0.
class Tangent {
 public:
  Tangent() = default;                      // zero
  Tangent(const Var& node) : node_(node) {  // implicit: rules return their ops' results as they are
    if (!node.valid()) throw AutodiffError("a derivative rule gave an empty Var; Tangent::zero() says zero");
  }
  static Tangent zero() { return {}; }
  bool is_zero() const { return !node_.valid(); }
  // The node; reading the zero is an error (test is_zero() first).
  const Var& var() const {
    if (is_zero()) throw AutodiffError("the zero tangent has no node");
    return node_;
  }

 private:
  Var node_;
};

// a + b, building nothing when either is zero: how rules and transforms accumulate tangents.
Tangent add_tangents(const Tangent& a, const Tangent& b);

// One primitive: a kernel with its derivative rules. The rules build graph nodes with dagrad's own
// ops, so derivatives of derivatives come for free. ops/support.hpp derives both rules for linear
// ops (from their adjoint) and bilinear ops (from their two adjoints).
class Op : public Kernel {
 public:
  // Cotangent of every input (zero for none) given the output's cotangent (never zero: a node
  // without one is skipped).
  virtual std::vector<Tangent> vjp(const DiffContext& ctx, const std::vector<Var>& inputs, const Var& output,
                                   const Var& cotangent) const = 0;
  // Tangent of the output given input tangents (at least one is not zero).
  virtual Tangent jvp(const DiffContext& ctx, const std::vector<Var>& inputs, const Var& output,
                      const std::vector<Tangent>& tangents) const = 0;
  // Integer-valued inputs (labels) and selectors (conditions) carry no derivative.
  virtual bool differentiable(std::size_t /*input*/) const { return true; }
  // Piecewise-constant ops (step, masks) have zero derivative everywhere they are defined.
  virtual bool piecewise_constant() const { return false; }
};

// Ops constant on the pieces where they are defined (selectors, ops on integer labels): zero
// derivative there, so transforms skip them and their rules only say so.
class PiecewiseConstant : public Op {
 public:
  bool piecewise_constant() const final { return true; }
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>& inputs, const Var&, const Var&) const final {
    return std::vector<Tangent>(inputs.size());
  }
  Tangent jvp(const DiffContext&, const std::vector<Var>&, const Var&, const std::vector<Tangent>&) const final {
    return Tangent::zero();
  }
};

// The rules of a graph node's op; an AutodiffError naming the node when its kernel has none (a
// Kernel that is not an Op).
const Op& rules_of(const Graph& graph, NodeId node);

// Per-element piece selection counts of one selector over one run.
struct KinkCount {
  std::size_t kinks = 0;        // elements exactly at a kink (tied on the value key)
  std::size_t unresolved = 0;   // of those, still tied on every directional key
  std::size_t unqualified = 0;  // of those, pieces that differ: no direction could decide them
  std::size_t decided() const { return kinks - unresolved; }  // by a directional key
};

// Ops that choose a piece per element at kinks (step, max_mask, pooling winners). The Program
// asks them, after running, how many elements sat at kinks, and before the conditional pass of
// Clarke directions whether any did (reading the value key only), so that pass can be skipped when
// none did.
class PieceSelector : public PiecewiseConstant {
 public:
  virtual std::string site() const = 0;  // the nonsmooth node this selector decides for
  virtual bool has_kink(const std::vector<const View*>& inputs) const = 0;
  virtual KinkCount count_kinks(const std::vector<const View*>& inputs) const = 0;
  // Whether it reads Clarke directional keys (Convention's selectors read the value key only).
  virtual bool uses_directions(std::size_t inputs) const { return inputs > 1; }

  // Selectors that read their value key (input 0) from float32 memory in a float32 or bfloat16
  // program, where that key is a float32 pre-activation: widening it for a float64 selector and
  // narrowing the piece again for the float32 multiply cost more than the selection itself. The
  // directional and gap keys (inputs 1...) stay float64 views, read at kinks only. A tie in the
  // stored float32 value is a tie in its float64 widening, so both storages select alike.
  virtual bool selects_in_float() const { return false; }
  // Returns whether the value key holds a tie anywhere: false lets the Program skip counting kinks
  // (count_kinks_float), since the selection pass has read every element already.
  virtual bool forward_float_key(const FloatBuffer& /*key0*/, const std::vector<const View*>& /*inputs*/,
                                 FloatBuffer& /*out*/) const {
    throw std::logic_error(name() + ": forward_float_key without a float32 selector");
  }
  virtual bool has_kink_float(const FloatBuffer& /*key0*/) const {
    throw std::logic_error(name() + ": has_kink_float without a float32 selector");
  }
  virtual KinkCount count_kinks_float(const FloatBuffer& /*key0*/, const std::vector<const View*>& /*inputs*/) const {
    throw std::logic_error(name() + ": count_kinks_float without a float32 selector");
  }
};

}  // namespace dagrad
