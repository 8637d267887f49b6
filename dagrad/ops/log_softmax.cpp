#include <cmath>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// (x − max) − log1p(Σ_others exp(x − max)) along one axis. Not x − logsumexp(x): at x = [1e17, 1e17]
// logsumexp is 1e17 + log 2 = 1e17 in float64 and the difference cancels to [0, 0] instead of −log 2.
struct LogSoftmax : Op {
  int axis;
  explicit LogSoftmax(int a) : axis(a) {}
  std::string name() const override { return "log_softmax"; }
  std::string attributes() const override { return "axis=" + std::to_string(axis); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    detail::normalize_axis(axis, in[0].size(), "log_softmax");
    return in[0];
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    Shape shape(out.shape().begin(), out.shape().end());
    detail::AxisSplit s(shape, detail::normalize_axis(axis, shape.size(), "log_softmax"));
    for (std::size_t o = 0; o < s.outer; ++o)
      for (std::size_t k = 0; k < s.inner; ++k) {
        std::size_t base = o * s.n * s.inner + k;
        const Scalar* x = in[0]->data() + base;
        detail::ShiftedLogSumExp lse = detail::shifted_logsumexp(x, s.n, s.inner);
        for (std::size_t i = 0; i < s.n; ++i)
          out.data()[base + i * s.inner] = (x[i * s.inner] - lse.max) - lse.log_rest;
      }
  }
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>& x, const Var&, const Var& g) const override {
    return {g - softmax(x[0], axis) * sum(g, {axis}, true)};
  }
  Tangent jvp(const DiffContext&, const std::vector<Var>& x, const Var&, const std::vector<Tangent>& t) const override {
    return t[0].var() - sum(softmax(x[0], axis) * t[0].var(), {axis}, true);
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 5);
  }
};

}  // namespace

Var log_softmax(const Var& x, int axis) { return detail::make<LogSoftmax>({x}, axis); }

DAGRAD_REGISTER_OP(log_softmax, true)

}  // namespace dagrad
