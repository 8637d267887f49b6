#pragma once
// Helpers shared by op files: broadcasting, axis handling, costs, and derivative plumbing.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "dagrad/ops/op.hpp"
#include "dagrad/ops/ops.hpp"

namespace dagrad::detail {

Shape broadcast_shapes(const Shape& a, const Shape& b);  // throws ShapeMismatch
// Sums a cotangent back to the shape of an input that was broadcast.
Var unbroadcast(const Var& g, const Shape& target);
// clamp's op with a chosen derivative at the bounds under the fixed convention (clamp, hardtanh).
Var bounded(const Var& x, Scalar lo, Scalar hi, Scalar tie, const std::string& name);

// Selects a piece at a kink: step over the context's keys for v, reported under ctx.site. `gap`
// (piece a − piece b), when the pieces are not decided by v alone, lets unqualified ties be named.
Var piece(const DiffContext& ctx, const Var& v, Scalar tie, const Var& gap = Var());
// The op of `output` applied again, to other inputs: how derived rules apply a linear op to a tangent.
Var reapply(const Var& output, const std::vector<Var>& inputs);

// An op linear in its input 0, the only differentiable one (the others, such as indices, are held
// fixed): the jvp is the op itself applied to the tangent, and the vjp is the adjoint, the one rule
// the op writes (JAX's deflinear). Base is the op's other base (Op, Reduction, Pooling).
template <class Base = Op>
class Linear : public Base {
 public:
  using Base::Base;
  // Lᵀ applied to the cotangent g of the output, for input 0.
  virtual Var adjoint(const Var& g, const std::vector<Var>& inputs, const Var& output) const = 0;
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>& x, const Var& y, const Var& g) const final {
    std::vector<Tangent> cotangents(x.size());
    cotangents[0] = adjoint(g, x, y);
    return cotangents;
  }
  Tangent jvp(const DiffContext&, const std::vector<Var>& x, const Var& y, const std::vector<Tangent>& t) const final {
    std::vector<Var> inputs = x;
    inputs[0] = t[0].var();  // the only differentiable input, so not zero
    return reapply(y, inputs);
  }
  bool differentiable(std::size_t input) const override { return input == 0; }
};

// An op bilinear in its two inputs, y = B(a, b): the jvp is B(ta, b) + B(a, tb), the op itself
// applied twice with a zero tangent's term left out, and the vjp is the two adjoints, the rules the
// op writes (JAX's defbilinear). Base is the op's other base (Op, Elementwise).
template <class Base = Op>
class Bilinear : public Base {
 public:
  using Base::Base;
  // The adjoints of a ↦ B(a, b) and of b ↦ B(a, b), applied to the cotangent g of the output.
  virtual Var adjoint_a(const Var& g, const Var& a, const Var& b) const = 0;
  virtual Var adjoint_b(const Var& g, const Var& a, const Var& b) const = 0;
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>& x, const Var&, const Var& g) const final {
    return {adjoint_a(g, x[0], x[1]), adjoint_b(g, x[0], x[1])};
  }
  Tangent jvp(const DiffContext&, const std::vector<Var>& x, const Var& y, const std::vector<Tangent>& t) const final {
    Tangent along_a = t[0].is_zero() ? Tangent::zero() : Tangent(reapply(y, {t[0].var(), x[1]}));
    Tangent along_b = t[1].is_zero() ? Tangent::zero() : Tangent(reapply(y, {x[0], t[1].var()}));
    return add_tangents(along_a, along_b);
  }
};

std::size_t normalize_axis(int axis, std::size_t rank, const char* op);  // throws ShapeMismatch
std::vector<std::size_t> normalize_axes(const std::vector<int>& axes, std::size_t rank, const char* op);
std::string axes_string(const std::vector<std::size_t>& axes);
void expect_inputs(const std::vector<Shape>& in, std::size_t n);

// outer × n × inner view of a row-major shape around one axis.
struct AxisSplit {
  std::size_t outer = 1, n = 1, inner = 1;
  AxisSplit(const Shape& s, std::size_t axis);
};

Cost elementwise_cost(const std::vector<Shape>& in, const Shape& out, double flops_per_element);

// log Σ exp(x_i) over n values at `stride`, as max + log_rest where log_rest = log1p(Σ exp(x_i − max)
// over all terms but one maximal one). The max's own term is exactly 1, so log1p keeps what the others
// add even when it is below float64's resolution at 1 (at margin 40, log(1 + 4.2e-18) rounds to 0).
struct ShiftedLogSumExp {
  Scalar max, log_rest;
};
ShiftedLogSumExp shifted_logsumexp(const Scalar* x, std::size_t n, std::size_t stride);

// Ops on integer labels (one_hot, sign_labels): piecewise constant, no derivative to or from them.
struct LabelOp : PiecewiseConstant {
  bool differentiable(std::size_t) const override { return false; }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override { return elementwise_cost(in, out, 0); }
};

// Same-graph check plus creation of the op node.
template <class OpT, class... Args>
Var make(const std::vector<Var>& inputs, Args&&... args) {
  return inputs.at(0).graph().apply(std::make_shared<OpT>(std::forward<Args>(args)...), inputs);
}

// Base for ops whose output and every input share one broadcast shape.
class Elementwise : public Op {
 public:
  Shape infer_shape(const std::vector<Shape>& in) const override {
    Shape s = in.at(0);
    for (std::size_t i = 1; i < in.size(); ++i) s = broadcast_shapes(s, in[i]);
    return s;
  }
};

}  // namespace dagrad::detail

namespace dagrad::detail {
// True when `part` (leading unit axes ignored) equals the trailing axes of `whole`: it repeats as
// one contiguous block over whole's leading axes (a bias over a batch).
// Templated on the shape types so the run path compares views' shapes without copying them.
template <class PartShape, class WholeShape>
bool is_trailing_block(const PartShape& part, const WholeShape& whole) {
  std::size_t skip = 0;
  while (skip < part.size() && part[skip] == 1) ++skip;
  std::size_t rank = part.size() - skip;
  return rank <= whole.size() && std::equal(part.begin() + static_cast<std::ptrdiff_t>(skip), part.end(),
                                            whole.end() - static_cast<std::ptrdiff_t>(rank));
}

// The broadcasts training graphs are made of — equal shapes, a scalar side, a trailing block
// repeated over rows — each one plain loop (xtensor's general broadcasting steps a multi-index per
// element: ~10x slower on a bias add). Any other broadcast is General.
enum class BinaryLoop { Equal, ScalarB, ScalarA, RowsOfB, RowsOfA, General };
template <class ShapeA, class ShapeB, class ShapeOut>
BinaryLoop binary_loop(std::size_t na, const ShapeA& a, std::size_t nb, const ShapeB& b, std::size_t n,
                       const ShapeOut& out) {
  if (na == n && nb == n) return BinaryLoop::Equal;
  if (na == n && nb == 1) return BinaryLoop::ScalarB;
  if (nb == n && na == 1) return BinaryLoop::ScalarA;
  if (na == n && nb > 0 && is_trailing_block(b, out)) return BinaryLoop::RowsOfB;
  if (nb == n && na > 0 && is_trailing_block(a, out)) return BinaryLoop::RowsOfA;
  return BinaryLoop::General;
}
template <class T, class F>
void run_binary_loop(BinaryLoop loop, const T* pa, std::size_t na, const T* pb, std::size_t nb, T* po, std::size_t n,
                     F f) {
  switch (loop) {
    case BinaryLoop::Equal:
      for (std::size_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
      break;
    case BinaryLoop::ScalarB:
      for (std::size_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[0]);
      break;
    case BinaryLoop::ScalarA:
      for (std::size_t i = 0; i < n; ++i) po[i] = f(pa[0], pb[i]);
      break;
    case BinaryLoop::RowsOfB:
      for (std::size_t r = 0; r < n; r += nb)
        for (std::size_t j = 0; j < nb; ++j) po[r + j] = f(pa[r + j], pb[j]);
      break;
    case BinaryLoop::RowsOfA:
      for (std::size_t r = 0; r < n; r += na)
        for (std::size_t j = 0; j < na; ++j) po[r + j] = f(pa[j], pb[r + j]);
      break;
    case BinaryLoop::General:
      break;
  }
}
// out = f(a, b) by one of those loops; false for a general broadcast.
template <class F>
bool fast_binary(const View& a, const View& b, View& out, F f) {
  BinaryLoop loop = binary_loop(a.size(), a.shape(), b.size(), b.shape(), out.size(), out.shape());
  if (loop == BinaryLoop::General) return false;
  run_binary_loop(loop, a.data(), a.size(), b.data(), b.size(), out.data(), out.size(), f);
  return true;
}

// An elementwise binary op's float32 kernel (Kernel::forward_float) is those loops in float32: for
// + − × ÷ the float32 result is the correctly rounded float64 one (float64 carries more than twice
// float32's digits), so it equals forward_float32's, rounded, bit for bit.
inline bool binary_runs_in_float(const std::vector<Shape>& in, const Shape& out) {
  return in.size() == 2 &&
         binary_loop(size_of(in[0]), in[0], size_of(in[1]), in[1], size_of(out), out) != BinaryLoop::General;
}
template <class F>
void float_binary(const std::vector<const FloatBuffer*>& in, FloatBuffer& out, F f) {
  const FloatBuffer &a = *in[0], &b = *in[1];
  run_binary_loop(binary_loop(a.size(), a.shape, b.size(), b.shape, out.size(), out.shape), a.data, a.size(), b.data,
                  b.size(), out.data, out.size(), f);
}

// A value of one input, widened to the output's broadcast shape.
inline Var widen(const Var& v, const Shape& out) { return v.shape() == out ? v : broadcast_to(v, out); }
// A tangent of one input, widened to the output's broadcast shape.
inline Tangent widen(const Tangent& t, const Shape& out) {
  if (t.is_zero() || t.var().shape() == out) return t;
  return broadcast_to(t.var(), out);
}
}  // namespace dagrad::detail

namespace dagrad::detail {
// Shape after reducing `axes` (normalised, sorted), with or without the kept unit axes.
inline Shape reduced_shape(const Shape& s, const std::vector<std::size_t>& axes, bool keepdims) {
  Shape out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!reduced)
      out.push_back(s[i]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}
// A cotangent of a reduction, spread back over the reduced axes.
inline Var spread(const Var& g, const Shape& input, const std::vector<std::size_t>& axes, bool keepdims) {
  Var kept = keepdims ? g : reshape(g, reduced_shape(input, axes, true));
  return broadcast_to(kept, input);
}
}  // namespace dagrad::detail

namespace dagrad::detail {

std::string int_axes_string(const std::vector<int>& axes);

// Shared by reductions over a set of axes (sum, max): axes as given ({} = all), keepdims.
class Reduction : public Op {
 public:
  Reduction(std::vector<int> axes, bool keepdims) : axes_(std::move(axes)), keepdims_(keepdims) {}
  std::string attributes() const override {
    return "axes=" + int_axes_string(axes_) + " keepdims=" + (keepdims_ ? "1" : "0");
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    expect_inputs(in, 1);
    return reduced_shape(in[0], resolved(in[0].size()), keepdims_);
  }

 protected:
  std::vector<std::size_t> resolved(std::size_t rank) const { return normalize_axes(axes_, rank, name().c_str()); }
  std::vector<int> axes_;
  bool keepdims_;
};

// Ops that pass each element from one of two pieces a, b with weight m for a and 1 − m for b
// (maximum, minimum, where): the cotangents and tangent given the recorded piece m.
std::vector<Tangent> blend_vjp(const Var& g, const Var& m, const Var& a, const Var& b);
Tangent blend_jvp(const Tangent& ta, const Tangent& tb, const Var& m, const Shape& out);

}  // namespace dagrad::detail

namespace dagrad::detail {

// Windows of a pooling over the trailing axes of a row-major shape: for window w (flat over the
// pooled shape) and member j (flat over the kernel), the flat input offset.
struct PoolWindows {
  Shape in, out;
  std::vector<std::size_t> kernel, stride;
  std::size_t windows = 1, members = 1;
  PoolWindows(const Shape& input, const PoolGeometry& g);  // throws ShapeMismatch
  std::size_t offset(std::size_t window, std::size_t member) const;
};

}  // namespace dagrad::detail

namespace dagrad::detail {

// Sign of keys(a) − keys(b) over the first `depth` key tensors, lexicographically.
inline int lex_compare(const std::vector<const View*>& keys, std::size_t depth, std::size_t a, std::size_t b) {
  for (std::size_t k = 0; k < depth; ++k) {
    Scalar ka = keys[k]->data()[a], kb = keys[k]->data()[b];
    if (ka != kb) return ka > kb ? 1 : -1;
  }
  return 0;
}

// Among n members at flat offsets member(0..n-1): the first with the largest keys (over the first
// `depth`) and how many tie with it.
template <class Member>
std::pair<std::size_t, std::size_t> lex_best(const std::vector<const View*>& keys, std::size_t depth, std::size_t n,
                                             Member member) {
  std::size_t top = member(0), ties = 1;
  for (std::size_t j = 1; j < n; ++j) {
    std::size_t e = member(j);
    int c = lex_compare(keys, depth, e, top);
    if (c > 0)
      top = e, ties = 1;
    else if (c == 0)
      ++ties;
  }
  return {top, ties};
}

// Adds one group's kinks (members tied on the value) and unresolved ties (tied on every key).
template <class Member>
void count_group_kinks(const std::vector<const View*>& keys, std::size_t n, Member member, KinkCount& c) {
  std::size_t ties = lex_best(keys, 1, n, member).second;
  if (ties < 2) return;
  c.kinks += ties;
  std::size_t left = lex_best(keys, keys.size(), n, member).second;
  if (left > 1) c.unresolved += left;
}

}  // namespace dagrad::detail

namespace dagrad::detail {
Var avgpool(const Var& x, const PoolGeometry& geometry);  // avgpool2d with a given geometry (any rank)
}  // namespace dagrad::detail

namespace dagrad::detail {
// Shared by the pooling ops: the geometry, its attributes, and the pooled output shape.
class Pooling : public Op {
 public:
  explicit Pooling(PoolGeometry g) : geometry(std::move(g)) {}
  std::string attributes() const override {
    return "kernel=" + axes_string(geometry.kernel) + " stride=" + axes_string(geometry.stride);
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    expect_inputs(in, 1);
    return PoolWindows(in[0], geometry).out;
  }
  PoolGeometry geometry;
};
}  // namespace dagrad::detail

namespace dagrad::detail {

// im2col of one image (C, H, W) for a kh × kw kernel, stride 1, zero padding (ph, pw): row
// (c·kh + i)·kw + j holds the (Ho, Wo) window shifted by (i − ph, j − pw). cols: C·kh·kw × Ho·Wo.
// T: Scalar, or float for the float32 kernels.
template <class T>
void im2col(const T* image, std::size_t C, std::size_t H, std::size_t W, std::size_t kh, std::size_t kw, std::size_t ph,
            std::size_t pw, std::size_t Ho, std::size_t Wo, T* cols);
// The workspace convolutions fill: one per thread and type, grown to the largest layer, so runs
// allocate nothing.
template <class T>
T* conv_workspace(std::size_t elements);

// Each image of x (N, C, H, W) as its im2col matrix (C·kh·kw × Ho·Wo, in the per-thread
// workspace), handed to f(n, cols) in turn: the loop both convolutions run, in float64 and float32.
template <class T, class XShape, class F>
void for_each_im2col(const T* x, const XShape& shape, std::size_t kh, std::size_t kw, std::size_t ph, std::size_t pw,
                     std::size_t Ho, std::size_t Wo, F f) {
  const std::size_t N = shape[0], C = shape[1], H = shape[2], W = shape[3];
  T* cols = conv_workspace<T>(C * kh * kw * Ho * Wo);
  for (std::size_t n = 0; n < N; ++n) {
    im2col(x + n * C * H * W, C, H, W, kh, kw, ph, pw, Ho, Wo, cols);
    f(n, cols);
  }
}

// Row-major C (m × n, contiguous) = op(A)·op(B) + beta·C by sgemm, for the float32 and bfloat16
// paths (Kernel::forward_float32): the float64 buffers hold values of the dtype, so narrowing them to
// float32 is exact, and the sum accumulates in float32 as PyTorch's does. lda, ldb: row strides.
void sgemm_widened(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, const Scalar* a,
                   std::size_t lda, const Scalar* b, std::size_t ldb, Scalar beta, Scalar* c);
// The same on float32 memory (a float32 kernel, Kernel::forward_float).
void sgemm(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, const float* a,
           std::size_t lda, const float* b, std::size_t ldb, float beta, float* c);

}  // namespace dagrad::detail
