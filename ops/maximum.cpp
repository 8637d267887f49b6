#include "ops/support.hpp"

namespace dagrad {
namespace {

// The piece is chosen on a − b: a wins where it is larger; a tie goes half to each under a
// convention (PyTorch's choice), or to the larger tangent under a directional policy.
struct Maximum : detail::Elementwise {
  std::string name() const override { return "maximum"; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    xt::noalias(out) = xt::maximum(*in[0], *in[1]);
  }
  std::vector<Var> vjp(const DiffContext& ctx, const std::vector<Var>& x, const Var&, const Var& g) const override {
    Var m = detail::piece(ctx, x[0] - x[1], 0.5);
    return {detail::unbroadcast(g * m, x[0].shape()), detail::unbroadcast(g * (1.0 - m), x[1].shape())};
  }
  Var jvp(const DiffContext& ctx, const std::vector<Var>& x, const Var& y, const std::vector<Var>& t) const override {
    Var m = detail::piece(ctx, x[0] - x[1], 0.5);
    Var da = t[0].valid() ? t[0] * m : Var();
    Var db = t[1].valid() ? t[1] * (1.0 - m) : Var();
    return detail::widen(detail::sum_or_invalid(da, db), y.shape());
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override { return detail::elementwise_cost(in, out, 1); }
};

}  // namespace

Var maximum(const Var& a, const Var& b) { return detail::make<Maximum>({a, b}); }

}  // namespace dagrad
