#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// zeros(shape) with out.flat[index[i]] += g[i]; the transpose of gather_flat.
struct ScatterAdd : detail::Linear<Op> {
  Shape shape;
  explicit ScatterAdd(Shape s) : shape(std::move(s)) {}
  std::string name() const override { return "scatter_add"; }
  std::string attributes() const override { return "shape=" + to_string(shape); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 2);
    if (in[0] != in[1]) throw ShapeMismatch{"values and indices must have one shape"};
    return shape;
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    std::fill(out.begin(), out.end(), Scalar(0));
    const Scalar* index = in[1]->data();
    for (std::size_t i = 0, m = in[0]->size(); i < m; ++i) {
      std::size_t k = static_cast<std::size_t>(index[i]);
      if (!(index[i] >= 0) || k >= out.size())
        throw ValueError("scatter_add: index " + std::to_string(index[i]) + " out of range");
      out.data()[k] += in[0]->data()[i];
    }
  }
  Var adjoint(const Var& g, const std::vector<Var>& x, const Var&) const override { return gather_flat(g, x[1]); }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return {static_cast<double>(size_of(in[0])),
            sizeof(Scalar) * static_cast<double>(2 * size_of(in[0]) + size_of(out))};
  }
};

}  // namespace

Var scatter_add(const Var& g, const Var& index, const Shape& shape) {
  return detail::make<ScatterAdd>({g, index}, shape);
}

DAGRAD_REGISTER_OP(scatter_add, true)

}  // namespace dagrad
