#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// Max over non-overlapping or strided windows of the trailing axes. Derivatives route through
// the winner chosen by pool_argmax over the policy's kink keys.
struct MaxPool : detail::Pooling {
  using Pooling::Pooling;
  std::string name() const override { return geometry.kernel.size() == 1 ? "maxpool1d" : "maxpool2d"; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    detail::PoolWindows w(Shape(in[0]->shape().begin(), in[0]->shape().end()), geometry);
    const Scalar* x = in[0]->data();
    for (std::size_t k = 0; k < w.windows; ++k) {
      Scalar m = x[w.offset(k, 0)];
      for (std::size_t j = 1; j < w.members; ++j) m = std::max(m, x[w.offset(k, j)]);
      out.data()[k] = m;
    }
  }
  Var winners(const DiffContext& ctx, const Var& x) const { return pool_argmax(ctx.kink_keys(x), geometry, ctx.site); }
  std::vector<Tangent> vjp(const DiffContext& ctx, const std::vector<Var>& x, const Var&, const Var& g) const override {
    return {scatter_add(g, winners(ctx, x[0]), x[0].shape())};
  }
  Tangent jvp(const DiffContext& ctx, const std::vector<Var>& x, const Var&,
              const std::vector<Tangent>& t) const override {
    return gather_flat(t[0].var(), winners(ctx, x[0]));
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    double members = 1;
    for (auto k : geometry.kernel) members *= static_cast<double>(k);
    return {members * static_cast<double>(size_of(out)),
            sizeof(Scalar) * static_cast<double>(size_of(in[0]) + size_of(out))};
  }
};

}  // namespace

Var maxpool1d(const Var& x, std::size_t kernel, std::size_t stride) {
  return detail::make<MaxPool>({x}, PoolGeometry{{kernel}, {stride ? stride : kernel}});
}

Var maxpool2d(const Var& x, std::size_t kernel_h, std::size_t kernel_w, std::size_t stride_h, std::size_t stride_w) {
  return detail::make<MaxPool>(
      {x}, PoolGeometry{{kernel_h, kernel_w}, {stride_h ? stride_h : kernel_h, stride_w ? stride_w : kernel_w}});
}

DAGRAD_REGISTER_OP(maxpool1d, true)
DAGRAD_REGISTER_OP(maxpool2d, true)

}  // namespace dagrad
