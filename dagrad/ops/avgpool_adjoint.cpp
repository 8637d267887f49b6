#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// Spreads each pooled value equally over its window (overlaps add): the transpose of avgpool.
struct AvgPoolAdjoint : detail::Linear<Op> {
  PoolGeometry geometry;
  Shape input;
  AvgPoolAdjoint(PoolGeometry g, Shape s) : geometry(std::move(g)), input(std::move(s)) {}
  std::string name() const override { return "avgpool_adjoint"; }
  std::string attributes() const override {
    return "kernel=" + detail::axes_string(geometry.kernel) + " stride=" + detail::axes_string(geometry.stride) +
           " shape=" + to_string(input);
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    if (detail::PoolWindows(input, geometry).out != in[0])
      throw ShapeMismatch{"pooled shape of " + to_string(input) + " is not " + to_string(in[0])};
    return input;
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    detail::PoolWindows w(input, geometry);
    std::fill(out.begin(), out.end(), Scalar(0));
    for (std::size_t k = 0; k < w.windows; ++k) {
      Scalar share = in[0]->data()[k] / static_cast<Scalar>(w.members);
      for (std::size_t j = 0; j < w.members; ++j) out.data()[w.offset(k, j)] += share;
    }
  }
  Var adjoint(const Var& g, const std::vector<Var>&, const Var&) const override { return detail::avgpool(g, geometry); }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return {static_cast<double>(size_of(out)), sizeof(Scalar) * static_cast<double>(size_of(in[0]) + size_of(out))};
  }
};

}  // namespace

Var avgpool_adjoint(const Var& g, const PoolGeometry& geometry, const Shape& input_shape) {
  return detail::make<AvgPoolAdjoint>({g}, geometry, input_shape);
}

DAGRAD_REGISTER_OP(avgpool_adjoint, true)

}  // namespace dagrad
