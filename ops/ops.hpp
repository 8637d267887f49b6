#pragma once
// dagrad's primitives and composites. Every function adds a node (or a few) to the graph its
// arguments live in; shapes are checked at once, with a ShapeError naming op, node and shapes.
#include <vector>

#include "graph/graph.hpp"

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
Var clamp(const Var& x, Scalar lo, Scalar hi);  // derivative 1 at the bounds, as PyTorch

// Piece selectors used by the derivative rules of nonsmooth ops (zero derivative themselves).
// step: per element, 1 if the first nonzero key is > 0, 0 if < 0, `tie` if every key is 0.
Var step(const std::vector<Var>& keys, Scalar tie);
// max_mask: per reduction group, weight 1/k on each of the k elements whose keys are
// lexicographically largest (keys[0] is the value); sums to 1 over the reduced axes.
Var max_mask(const std::vector<Var>& keys, const std::vector<int>& axes);

// Linear algebra and shapes. matmul: (m,k)·(k,n), (m,k)·(k), (k)·(k,n), (k)·(k); the flags
// transpose a 2-D operand inside gemm/gemv, never as a copy.
Var matmul(const Var& a, const Var& b, bool transpose_a = false, bool transpose_b = false);
Var transpose(const Var& x, std::vector<std::size_t> perm = {});  // default: reverse the axes
Var reshape(const Var& x, const Shape& shape);
Var broadcast_to(const Var& x, const Shape& shape);
Var sum_to(const Var& x, const Shape& shape);  // sums the axes broadcast_to would have added
Var sum(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);  // {}: all axes
Var mean(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);
Var max(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);
Var concat(const std::vector<Var>& xs, int axis = 0);
Var slice(const Var& x, int axis, std::size_t begin, std::size_t end);
Var pad(const Var& x, int axis, std::size_t before, std::size_t after);  // zeros on both sides

// Normalisations over one axis, stable for large inputs.
Var softmax(const Var& x, int axis = -1);
Var log_softmax(const Var& x, int axis = -1);
Var logsumexp(const Var& x, int axis = -1, bool keepdims = false);

// Losses, each the mean over examples. Labels are ±1 for the margin losses.
Var mse_loss(const Var& prediction, const Var& target);
Var logistic_loss(const Var& scores, const Var& labels);  // mean log(1 + e^{-y z})
Var exponential_loss(const Var& scores, const Var& labels);  // mean e^{-y z}
Var hinge_loss(const Var& scores, const Var& labels);  // mean max(0, 1 - y z)
// logits (batch, classes), labels (batch) holding class indices as integral values.
Var cross_entropy(const Var& logits, const Var& labels);
Var one_hot(const Var& labels, std::size_t classes);

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
