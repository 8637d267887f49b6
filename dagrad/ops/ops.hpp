#pragma once
// dagrad's primitives and composites. Every function adds a node (or a few) to the graph its
// arguments live in; shapes are checked at once, with a ShapeError naming op, node and shapes.
#include <functional>
#include <string>
#include <vector>

#include "dagrad/graph/graph.hpp"

namespace dagrad {

// Elementwise, NumPy broadcasting.
Var add(const Var& a, const Var& b);
Var sub(const Var& a, const Var& b);
Var mul(const Var& a, const Var& b);
Var div(const Var& a, const Var& b);
Var maximum(const Var& a, const Var& b);  // ties split evenly under a convention
Var minimum(const Var& a, const Var& b);
Var where(const Var& cond, const Var& a, const Var& b);  // cond > 0 ? a : b; cond gets no gradient

// Elementwise unary: rows of the table in ops/unary.cpp.
Var neg(const Var& x);
Var square(const Var& x);
Var sqrt(const Var& x);
Var exp(const Var& x);
Var log(const Var& x);
Var sin(const Var& x);
Var cos(const Var& x);
Var tanh(const Var& x);
Var sigmoid(const Var& x);
Var softplus(const Var& x);  // log(1 + e^x), accurate down to e^x ~ 1e-308
Var relu(const Var& x);
Var leaky_relu(const Var& x, Scalar slope = 0.01);
Var abs(const Var& x);
Var pow(const Var& x, Scalar exponent);
Var erf(const Var& x);
Var gelu(const Var& x);                         // x·Φ(x), exact (PyTorch's default)
Var gelu_tanh(const Var& x);                    // PyTorch's gelu(approximate="tanh")
Var silu(const Var& x);                         // x·sigmoid(x) (swish)
Var softsign(const Var& x);                     // x / (1 + |x|)
Var log1p(const Var& x);                        // log(1 + x), exact for tiny x
Var expm1(const Var& x);                        // eˣ − 1, exact for tiny x
Var elu(const Var& x, Scalar alpha = 1);        // kink at 0 unless alpha = 1; PyTorch's derivative there: alpha
Var hardsigmoid(const Var& x);                  // clamp(x/6 + ½, 0, 1); kinks at ±3, derivative 0 there as PyTorch
Var hardswish(const Var& x);                    // x·hardsigmoid(x); kinks at ±3, the middle piece there as PyTorch
Var clamp(const Var& x, Scalar lo, Scalar hi);  // derivative 1 at the bounds, as PyTorch
Var hardtanh(const Var& x, Scalar lo = -1, Scalar hi = 1);  // clamp with derivative 0 at the bounds, as PyTorch
Var relu6(const Var& x);                                    // hardtanh(x, 0, 6)

// The registry of the unary table: what tools and tests enumerate instead of a list of names.
// `reference` is f in long double, rounded once; `build` applies the op with a parameter (ignored
// by ops that take none). The op's domain is (lowest, ∞).
struct UnaryOpInfo {
  std::string name;
  std::string parameter;  // empty: none
  Scalar example_parameter;
  Scalar lowest;
  std::function<Scalar(Scalar x, Scalar param)> reference;
  std::function<Var(const Var& x, Scalar param)> build;
};
const std::vector<UnaryOpInfo>& unary_ops();

// Piece selectors used by the derivative rules of nonsmooth ops (zero derivative themselves).
// step: per element, 1 if the first nonzero key is > 0, 0 if < 0, `tie` if every key is 0. `site`
// names the nonsmooth node in kink reports; `gaps` (value and tangents of piece a − piece b) let
// a tie that no key decides be reported as unqualified when the pieces differ.
Var step(const std::vector<Var>& keys, Scalar tie, const std::string& site = "", const std::vector<Var>& gaps = {});
// max_mask: per reduction group, weight 1/k on each of the k elements whose keys are
// lexicographically largest (keys[0] is the value); sums to 1 over the reduced axes.
Var max_mask(const std::vector<Var>& keys, const std::vector<int>& axes, const std::string& site = "");

// Linear algebra and shapes. matmul: (m,k)·(k,n), (m,k)·(k), (k)·(k,n), (k)·(k); the flags
// transpose a 2-D operand inside gemm/gemv, never as a copy.
Var matmul(const Var& a, const Var& b, bool transpose_a = false, bool transpose_b = false);
Var transpose(const Var& x, std::vector<std::size_t> perm = {});  // default: reverse the axes
// One entry of `shape` may be kInferred: it takes whatever size makes the element counts agree,
// so a graph built for one batch size can be substituted to another.
inline constexpr std::size_t kInferred = static_cast<std::size_t>(-1);
Var reshape(const Var& x, const Shape& shape);
Var broadcast_to(const Var& x, const Shape& shape);
Var sum_to(const Var& x, const Shape& shape);  // sums the axes broadcast_to would have added
Var sum(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);  // {}: all axes
Var mean(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);
Var max(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);
Var concat(const std::vector<Var>& xs, int axis = 0);
Var slice(const Var& x, int axis, std::size_t begin, std::size_t end);
Var pad(const Var& x, int axis, std::size_t before, std::size_t after);  // zeros on both sides

// Max pooling without padding over the last one or two axes ((N, C, L) or (N, C, H, W)); the
// window's winner gets the cotangent: the first maximum under a convention (PyTorch), the
// lexicographically largest (value, tangents) under a directional policy.
Var maxpool1d(const Var& x, std::size_t kernel, std::size_t stride = 0);  // stride 0: = kernel
Var maxpool2d(const Var& x, std::size_t kernel_h, std::size_t kernel_w, std::size_t stride_h = 0,
              std::size_t stride_w = 0);
// Pooling helpers, also usable alone. pool_argmax: flat index (into the pooled input) of each
// window's winner, a piece selector. gather_flat: t.flat[index]. scatter_add: zeros of `shape`
// with g added at `index`; the two are each other's transpose.
struct PoolGeometry {
  std::vector<std::size_t> kernel, stride;  // over the trailing axes
};
Var pool_argmax(const std::vector<Var>& keys, const PoolGeometry& geometry, const std::string& site = "");
Var gather_flat(const Var& t, const Var& index);
Var scatter_add(const Var& g, const Var& index, const Shape& shape);

// Average pooling over the trailing axes (no padding) and its adjoint (spreads each output
// equally over its window; the two are each other's transpose).
Var avgpool2d(const Var& x, std::size_t kernel_h, std::size_t kernel_w, std::size_t stride_h = 0,
              std::size_t stride_w = 0);
Var avgpool_adjoint(const Var& g, const PoolGeometry& geometry, const Shape& input_shape);

// 2-D convolution (cross-correlation, as PyTorch): x (N, C, H, W), w (K, C, kh, kw), stride 1,
// zero padding `padding` on each side → (N, K, H + 2p − kh + 1, W + 2p − kw + 1).
Var conv2d(const Var& x, const Var& w, std::size_t padding = 0);
Var conv2d(const Var& x, const Var& w, std::size_t padding_h, std::size_t padding_w);
// The weight gradient of conv2d(x, w, padding) given its output cotangent g (N, K, Ho, Wo):
// Σ_n g_n ⋆ x_n, shape (K, C, kh, kw) with kh = H + 2·padding_h − Ho + 1.
Var conv2d_weight_grad(const Var& x, const Var& g, std::size_t padding_h, std::size_t padding_w);
// Reverses the order of elements along the given axes.
Var flip(const Var& x, const std::vector<int>& axes);
// circulant(w) for w (d): the (d, d) matrix C[i][j] = w[(j − i) mod d], so x·C is the circular
// convolution of each row of x with w. circulant_adjoint(G)[k] = Σ_i G[i][(i + k) mod d] is its transpose.
Var circulant(const Var& w);
Var circulant_adjoint(const Var& g);

// Normalisations over one axis, stable for large inputs.
Var softmax(const Var& x, int axis = -1);
Var log_softmax(const Var& x, int axis = -1);
Var logsumexp(const Var& x, int axis = -1, bool keepdims = false);

// Losses, each the mean over examples. Labels are ±1 for the margin losses: any other label is a
// ValueError when the program runs (labels {0, 1} gave the 0-labelled examples no gradient).
Var mse_loss(const Var& prediction, const Var& target);
Var logistic_loss(const Var& scores, const Var& labels);     // mean log(1 + e^{-y z})
Var exponential_loss(const Var& scores, const Var& labels);  // mean e^{-y z}
Var hinge_loss(const Var& scores, const Var& labels);        // mean max(0, 1 - y z)
// logits (batch, classes), labels (batch) holding class indices as integral values.
Var cross_entropy(const Var& logits, const Var& labels);
Var one_hot(const Var& labels, std::size_t classes);
// The labels unchanged, after checking each is −1 or +1 (ValueError naming `loss` otherwise).
Var sign_labels(const Var& labels, const std::string& loss);

// Operators. Scalars become shared constant nodes.
Var operator+(const Var& a, const Var& b);
Var operator-(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);
Var operator/(const Var& a, const Var& b);
Var operator-(const Var& a);
Var operator+(const Var& a, Scalar b);
Var operator+(Scalar a, const Var& b);
Var operator-(const Var& a, Scalar b);
Var operator-(Scalar a, const Var& b);
Var operator*(const Var& a, Scalar b);
Var operator*(Scalar a, const Var& b);
Var operator/(const Var& a, Scalar b);
Var operator/(Scalar a, const Var& b);

// Zeros of a shape, as a broadcast scalar (no tensor-sized constant is stored).
Var zeros(Graph& g, const Shape& shape);

}  // namespace dagrad
