#include <vector>

#include <xtensor/xreducer.hpp>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// The transpose of broadcast_to: sums the leading axes and the axes where the target has size 1.
struct SumTo : detail::Linear<Op> {
  Shape shape;
  explicit SumTo(Shape s) : shape(std::move(s)) {}
  std::string name() const override { return "sum_to"; }
  std::string attributes() const override { return "shape=" + to_string(shape); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    if (shape.size() > in[0].size() || detail::broadcast_shapes(in[0], shape) != in[0])
      throw ShapeMismatch{"cannot sum " + to_string(in[0]) + " down to " + to_string(shape)};
    return shape;
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    const View& x = *in[0];
    if (out.size() > 0 && detail::is_trailing_block(shape, x.shape())) {  // a bias gradient: sum the rows
      sum_rows(x.data(), x.size(), out.size(), out.data());
      return;
    }
    std::size_t lead = x.dimension() - shape.size();
    std::vector<std::size_t> axes;
    Shape kept(x.dimension(), 1);
    for (std::size_t i = 0; i < x.dimension(); ++i) {
      if (i < lead || (shape[i - lead] == 1 && x.shape()[i] != 1))
        axes.push_back(i);
      else
        kept[i] = x.shape()[i];
    }
    View o = make_view(out.data(), kept);
    xt::noalias(o) = xt::sum(x, axes, xt::keep_dims);
  }
  // A bias gradient in a float32 or bfloat16 program: the rows of float32 memory summed in float64,
  // in the float64 kernel's order, so the result rounds to the same number, without widening the
  // whole cotangent to float64 memory first.
  bool runs_in_float(const std::vector<Shape>& in, const Shape& out) const override {
    return size_of(out) > 0 && detail::is_trailing_block(shape, in[0]);
  }
  void forward_float(const std::vector<const FloatBuffer*>& in, FloatBuffer& out) const override {
    thread_local std::vector<Scalar> sums;
    sums.resize(out.size());
    sum_rows(in[0]->data, in[0]->size(), out.size(), sums.data());
    narrow_to_float(sums.data(), sums.size(), out.data);
  }
  // sums (block) = the rows of x (n / block rows of block values), added in float64 in row order.
  template <class T>
  static void sum_rows(const T* x, std::size_t n, std::size_t block, Scalar* sums) {
    std::fill(sums, sums + block, Scalar(0));
    for (std::size_t r = 0; r < n; r += block)
      for (std::size_t j = 0; j < block; ++j) sums[j] += x[r + j];
  }
  Var adjoint(const Var& g, const std::vector<Var>& x, const Var&) const override {
    return broadcast_to(g, x[0].shape());
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return {static_cast<double>(size_of(in[0])), sizeof(Scalar) * static_cast<double>(size_of(in[0]) + size_of(out))};
  }
};

}  // namespace

Var sum_to(const Var& x, const Shape& shape) {
  if (x.valid() && x.shape() == shape) return x;
  return detail::make<SumTo>({x}, shape);
}

DAGRAD_REGISTER_OP(sum_to, true)

}  // namespace dagrad
