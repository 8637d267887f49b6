#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// Mirror of maximum: a wins where b − a > 0.
struct Minimum : detail::Elementwise {
  std::string name() const override { return "minimum"; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    xt::noalias(out) = xt::minimum(*in[0], *in[1]);
  }
  std::vector<Tangent> vjp(const DiffContext& ctx, const std::vector<Var>& x, const Var&, const Var& g) const override {
    return detail::blend_vjp(g, detail::piece(ctx, x[1] - x[0], 0.5), x[0], x[1]);
  }
  Tangent jvp(const DiffContext& ctx, const std::vector<Var>& x, const Var& y,
              const std::vector<Tangent>& t) const override {
    return detail::blend_jvp(t[0], t[1], detail::piece(ctx, x[1] - x[0], 0.5), y.shape());
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 1);
  }
};

}  // namespace

Var minimum(const Var& a, const Var& b) { return detail::make<Minimum>({a, b}); }

DAGRAD_REGISTER_OP(minimum, true)

}  // namespace dagrad
