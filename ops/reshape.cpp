#include "ops/support.hpp"

namespace dagrad {
namespace {

struct Reshape : Op {
  Shape shape;
  explicit Reshape(Shape s) : shape(std::move(s)) {}
  std::string name() const override { return "reshape"; }
  std::string attributes() const override { return "shape=" + to_string(shape); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    if (size_of(in[0]) != size_of(shape))
      throw ShapeMismatch{"cannot reshape " + std::to_string(size_of(in[0])) + " elements into " + to_string(shape)};
    return shape;
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    std::copy(in[0]->data(), in[0]->data() + out.size(), out.data());
  }
  std::vector<Var> vjp(const DiffContext&, const std::vector<Var>& x, const Var&, const Var& g) const override {
    return {reshape(g, x[0].shape())};
  }
  Var jvp(const DiffContext&, const std::vector<Var>&, const Var&, const std::vector<Var>& t) const override {
    return reshape(t[0], shape);
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override { return detail::elementwise_cost(in, out, 0); }
};

}  // namespace

Var reshape(const Var& x, const Shape& shape) {
  if (x.valid() && x.shape() == shape) return x;
  return detail::make<Reshape>({x}, shape);
}

}  // namespace dagrad
