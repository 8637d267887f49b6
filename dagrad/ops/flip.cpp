#include <xtensor/xmanipulation.hpp>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

struct Flip : detail::Linear<Op> {
  std::vector<int> axes;
  explicit Flip(std::vector<int> a) : axes(std::move(a)) {}
  std::string name() const override { return "flip"; }
  std::string attributes() const override { return "axes=" + detail::int_axes_string(axes); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    detail::normalize_axes(axes, in[0].size(), "flip");
    return in[0];
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    Shape shape(in[0]->shape().begin(), in[0]->shape().end());
    std::copy(in[0]->begin(), in[0]->end(), out.begin());
    for (std::size_t a : detail::normalize_axes(axes, shape.size(), "flip")) {
      detail::AxisSplit s(shape, a);
      for (std::size_t o = 0; o < s.outer; ++o)
        for (std::size_t i = 0; i < s.n / 2; ++i)
          std::swap_ranges(out.data() + (o * s.n + i) * s.inner, out.data() + (o * s.n + i + 1) * s.inner,
                           out.data() + (o * s.n + s.n - 1 - i) * s.inner);
    }
  }
  Var adjoint(const Var& g, const std::vector<Var>&, const Var&) const override { return flip(g, axes); }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 0);
  }
};

}  // namespace

Var flip(const Var& x, const std::vector<int>& axes) { return detail::make<Flip>({x}, axes); }

DAGRAD_REGISTER_OP(flip, true)

}  // namespace dagrad
