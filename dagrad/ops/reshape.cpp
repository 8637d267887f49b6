#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

struct Reshape : detail::Linear<Op> {
  Shape shape;
  explicit Reshape(Shape s) : shape(std::move(s)) {}
  std::string name() const override { return "reshape"; }
  std::string attributes() const override {
    std::string s = "shape=[";
    for (std::size_t i = 0; i < shape.size(); ++i)
      s += (i ? "," : "") + (shape[i] == kInferred ? std::string("?") : std::to_string(shape[i]));
    return s + "]";
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    Shape out = shape;
    std::size_t known = 1, inferred = 0;
    for (std::size_t d : shape) d == kInferred ? ++inferred : known *= d;
    if (inferred > 1) throw ShapeMismatch{"at most one dimension may be inferred"};
    if (inferred == 1) {
      if (known == 0 || size_of(in[0]) % known != 0)
        throw ShapeMismatch{"cannot reshape " + std::to_string(size_of(in[0])) + " elements into " + attributes()};
      for (std::size_t& d : out)
        if (d == kInferred) d = size_of(in[0]) / known;
    }
    if (size_of(in[0]) != size_of(out))
      throw ShapeMismatch{"cannot reshape " + std::to_string(size_of(in[0])) + " elements into " + to_string(out)};
    return out;
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    std::copy(in[0]->data(), in[0]->data() + out.size(), out.data());
  }
  Var adjoint(const Var& g, const std::vector<Var>& x, const Var&) const override { return reshape(g, x[0].shape()); }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 0);
  }
};

}  // namespace

Var reshape(const Var& x, const Shape& shape) {
  if (x.valid() && x.shape() == shape) return x;
  return detail::make<Reshape>({x}, shape);
}

DAGRAD_REGISTER_OP(reshape, true)

}  // namespace dagrad
