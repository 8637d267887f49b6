#include <cmath>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// log Σ exp(x) along one axis, shifted by the max so that no exp overflows (detail::shifted_logsumexp).
struct LogSumExp : Op {
  int axis;
  bool keepdims;
  LogSumExp(int a, bool k) : axis(a), keepdims(k) {}
  std::string name() const override { return "logsumexp"; }
  std::string attributes() const override {
    return "axis=" + std::to_string(axis) + " keepdims=" + (keepdims ? "1" : "0");
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    std::size_t ax = detail::normalize_axis(axis, in[0].size(), "logsumexp");
    return detail::reduced_shape(in[0], {ax}, keepdims);
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    Shape shape(in[0]->shape().begin(), in[0]->shape().end());
    detail::AxisSplit s(shape, detail::normalize_axis(axis, shape.size(), "logsumexp"));
    const Scalar* x = in[0]->data();
    for (std::size_t o = 0; o < s.outer; ++o)
      for (std::size_t k = 0; k < s.inner; ++k) {
        detail::ShiftedLogSumExp lse = detail::shifted_logsumexp(x + o * s.n * s.inner + k, s.n, s.inner);
        out.data()[o * s.inner + k] = std::isinf(lse.max) ? lse.max : lse.max + lse.log_rest;
      }
  }
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>& x, const Var&, const Var& g) const override {
    std::size_t ax = detail::normalize_axis(axis, x[0].shape().size(), "logsumexp");
    return {detail::spread(g, x[0].shape(), {ax}, keepdims) * softmax(x[0], axis)};
  }
  Tangent jvp(const DiffContext&, const std::vector<Var>& x, const Var&, const std::vector<Tangent>& t) const override {
    return sum(softmax(x[0], axis) * t[0].var(), {axis}, keepdims);
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 4);
  }
};

}  // namespace

Var logsumexp(const Var& x, int axis, bool keepdims) { return detail::make<LogSumExp>({x}, axis, keepdims); }

DAGRAD_REGISTER_OP(logsumexp, true)

}  // namespace dagrad
