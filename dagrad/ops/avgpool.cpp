#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// Mean over each window of the trailing axes; linear, its transpose is avgpool_adjoint.
struct AvgPool : detail::Linear<detail::Pooling> {
  using Linear::Linear;
  std::string name() const override { return "avgpool"; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    detail::PoolWindows w(Shape(in[0]->shape().begin(), in[0]->shape().end()), geometry);
    for (std::size_t k = 0; k < w.windows; ++k) {
      Scalar total = 0;
      for (std::size_t j = 0; j < w.members; ++j) total += in[0]->data()[w.offset(k, j)];
      out.data()[k] = total / static_cast<Scalar>(w.members);
    }
  }
  Var adjoint(const Var& g, const std::vector<Var>& x, const Var&) const override {
    return avgpool_adjoint(g, geometry, x[0].shape());
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return {static_cast<double>(size_of(in[0])), sizeof(Scalar) * static_cast<double>(size_of(in[0]) + size_of(out))};
  }
};

}  // namespace

Var avgpool2d(const Var& x, std::size_t kernel_h, std::size_t kernel_w, std::size_t stride_h, std::size_t stride_w) {
  return detail::make<AvgPool>(
      {x}, PoolGeometry{{kernel_h, kernel_w}, {stride_h ? stride_h : kernel_h, stride_w ? stride_w : kernel_w}});
}

namespace detail {
Var avgpool(const Var& x, const PoolGeometry& geometry) { return make<AvgPool>({x}, geometry); }
}  // namespace detail

DAGRAD_REGISTER_OP(avgpool2d, true)

}  // namespace dagrad
