#include <xtensor/xreducer.hpp>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// Max over axes. Its derivative routes the cotangent through max_mask, which records the winning
// element(s) of every group: ties share equally under a convention (PyTorch's amax), or go to the
// largest tangent under a directional policy.
struct Max : detail::Reduction {
  using Reduction::Reduction;
  std::string name() const override { return "max"; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    const View& x = *in[0];
    auto ax = resolved(x.dimension());
    if (ax.empty())
      std::copy(x.begin(), x.end(), out.begin());
    else if (keepdims_)
      xt::noalias(out) = xt::amax(x, ax, xt::keep_dims);
    else
      xt::noalias(out) = xt::amax(x, ax);
  }
  Var mask(const DiffContext& ctx, const Var& x) const { return max_mask(ctx.kink_keys(x), axes_, ctx.site); }
  std::vector<Tangent> vjp(const DiffContext& ctx, const std::vector<Var>& x, const Var&, const Var& g) const override {
    return {detail::spread(g, x[0].shape(), resolved(x[0].shape().size()), keepdims_) * mask(ctx, x[0])};
  }
  Tangent jvp(const DiffContext& ctx, const std::vector<Var>& x, const Var&,
              const std::vector<Tangent>& t) const override {
    return sum(mask(ctx, x[0]) * t[0].var(), axes_, keepdims_);
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return {static_cast<double>(size_of(in[0])), sizeof(Scalar) * static_cast<double>(size_of(in[0]) + size_of(out))};
  }
};

}  // namespace

Var max(const Var& x, const std::vector<int>& axes, bool keepdims) { return detail::make<Max>({x}, axes, keepdims); }

DAGRAD_REGISTER_OP(max, true)

}  // namespace dagrad
