#include <cstring>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// Zeros before and after along one axis; the transpose of slice.
struct Pad : detail::Linear<Op> {
  int axis;
  std::size_t before, after;
  Pad(int a, std::size_t b, std::size_t e) : axis(a), before(b), after(e) {}
  std::string name() const override { return "pad"; }
  std::string attributes() const override {
    return "axis=" + std::to_string(axis) + " before=" + std::to_string(before) + " after=" + std::to_string(after);
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    std::size_t ax = detail::normalize_axis(axis, in[0].size(), "pad");
    Shape out = in[0];
    out[ax] += before + after;
    return out;
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    Shape shape(out.shape().begin(), out.shape().end());
    std::size_t ax = detail::normalize_axis(axis, shape.size(), "pad");
    detail::AxisSplit s(shape, ax);
    std::size_t n = in[0]->shape()[ax];
    std::fill(out.begin(), out.end(), Scalar(0));
    for (std::size_t i = 0; i < s.outer; ++i)
      std::memcpy(out.data() + (i * s.n + before) * s.inner, in[0]->data() + i * n * s.inner,
                  n * s.inner * sizeof(Scalar));
  }
  Var adjoint(const Var& g, const std::vector<Var>& x, const Var&) const override {
    std::size_t ax = detail::normalize_axis(axis, x[0].shape().size(), "pad");
    return slice(g, axis, before, before + x[0].shape()[ax]);
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 0);
  }
};

}  // namespace

Var pad(const Var& x, int axis, std::size_t before, std::size_t after) {
  return detail::make<Pad>({x}, axis, before, after);
}

DAGRAD_REGISTER_OP(pad, true)

}  // namespace dagrad
