#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// where(c, a, b) = c > 0 ? a : b. At c = 0 the forward takes b, so the fixed convention's tie is 0;
// a directional policy decides by the sign of (c, ċ, ...).
struct Where : detail::Elementwise {
  std::string name() const override { return "where"; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    xt::noalias(out) = xt::where(*in[0] > 0, *in[1], *in[2]);
  }
  bool differentiable(std::size_t i) const override { return i != 0; }
  // The pieces are a and b, not decided by c's value: a − b tells whether an undecided tie matters.
  static Var selected(const DiffContext& ctx, const std::vector<Var>& x, const Shape& out) {
    Var gap = ctx.directional() ? detail::widen(x[1] - x[2], out) : Var();
    return detail::piece(ctx, detail::widen(x[0], out), 0, gap);
  }
  std::vector<Tangent> vjp(const DiffContext& ctx, const std::vector<Var>& x, const Var& y,
                           const Var& g) const override {
    std::vector<Tangent> ab = detail::blend_vjp(g, selected(ctx, x, y.shape()), x[1], x[2]);
    return {Tangent::zero(), ab[0], ab[1]};
  }
  Tangent jvp(const DiffContext& ctx, const std::vector<Var>& x, const Var& y,
              const std::vector<Tangent>& t) const override {
    if (t[1].is_zero() && t[2].is_zero()) return Tangent::zero();
    return detail::blend_jvp(t[1], t[2], selected(ctx, x, y.shape()), y.shape());
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 1);
  }
};

}  // namespace

Var where(const Var& cond, const Var& a, const Var& b) { return detail::make<Where>({cond, a, b}); }

DAGRAD_REGISTER_OP(where, true)

}  // namespace dagrad
