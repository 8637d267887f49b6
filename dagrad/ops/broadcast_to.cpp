#include <xtensor/xbroadcast.hpp>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

struct BroadcastTo : detail::Linear<Op> {
  Shape shape;
  explicit BroadcastTo(Shape s) : shape(std::move(s)) {}
  std::string name() const override { return "broadcast_to"; }
  std::string attributes() const override { return "shape=" + to_string(shape); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    if (in[0].size() > shape.size() || detail::broadcast_shapes(in[0], shape) != shape)
      throw ShapeMismatch{"cannot broadcast " + to_string(in[0]) + " to " + to_string(shape)};
    return shape;
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    xt::noalias(out) = xt::broadcast(*in[0], shape);
  }
  Var adjoint(const Var& g, const std::vector<Var>& x, const Var&) const override { return sum_to(g, x[0].shape()); }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 0);
  }
};

}  // namespace

Var broadcast_to(const Var& x, const Shape& shape) {
  if (x.valid() && x.shape() == shape) return x;
  return detail::make<BroadcastTo>({x}, shape);
}

DAGRAD_REGISTER_OP(broadcast_to, true)

}  // namespace dagrad
