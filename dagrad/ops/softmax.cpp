#include <cmath>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// Stable: subtracts the max along the axis before exponentiating.
struct Softmax : Op {
  int axis;
  explicit Softmax(int a) : axis(a) {}
  std::string name() const override { return "softmax"; }
  std::string attributes() const override { return "axis=" + std::to_string(axis); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    detail::normalize_axis(axis, in[0].size(), "softmax");
    return in[0];
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    Shape shape(out.shape().begin(), out.shape().end());
    detail::AxisSplit s(shape, detail::normalize_axis(axis, shape.size(), "softmax"));
    const Scalar* x = in[0]->data();
    Scalar* y = out.data();
    for (std::size_t o = 0; o < s.outer; ++o)
      for (std::size_t k = 0; k < s.inner; ++k) {
        std::size_t base = o * s.n * s.inner + k;
        Scalar m = -INFINITY, total = 0;
        for (std::size_t i = 0; i < s.n; ++i) m = std::max(m, x[base + i * s.inner]);
        for (std::size_t i = 0; i < s.n; ++i) total += y[base + i * s.inner] = std::exp(x[base + i * s.inner] - m);
        for (std::size_t i = 0; i < s.n; ++i) y[base + i * s.inner] /= total;
      }
  }
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>&, const Var& y, const Var& g) const override {
    return {y * (g - sum(g * y, {axis}, true))};
  }
  Tangent jvp(const DiffContext&, const std::vector<Var>&, const Var& y, const std::vector<Tangent>& t) const override {
    return y * (t[0].var() - sum(y * t[0].var(), {axis}, true));
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 5);
  }
};

}  // namespace

Var softmax(const Var& x, int axis) { return detail::make<Softmax>({x}, axis); }

DAGRAD_REGISTER_OP(softmax, true)

}  // namespace dagrad
