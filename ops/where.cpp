#include "ops/support.hpp"

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
  std::vector<Var> vjp(const DiffContext& ctx, const std::vector<Var>& x, const Var&, const Var& g) const override {
    Var m = detail::piece(ctx, x[0], 0);
    return {Var(), detail::unbroadcast(g * m, x[1].shape()), detail::unbroadcast(g * (1.0 - m), x[2].shape())};
  }
  Var jvp(const DiffContext& ctx, const std::vector<Var>& x, const Var& y, const std::vector<Var>& t) const override {
    if (!t[1].valid() && !t[2].valid()) return Var();
    Var m = detail::piece(ctx, x[0], 0);
    Var da = t[1].valid() ? t[1] * m : Var();
    Var db = t[2].valid() ? t[2] * (1.0 - m) : Var();
    return detail::widen(detail::sum_or_invalid(da, db), y.shape());
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override { return detail::elementwise_cost(in, out, 1); }
};

}  // namespace

Var where(const Var& cond, const Var& a, const Var& b) { return detail::make<Where>({cond, a, b}); }

}  // namespace dagrad
