#include "ops/support.hpp"

namespace dagrad {
namespace {

// clamp(x, lo, hi) = min(max(x, lo), hi). Under the fixed convention the derivative is 1 at both
// bounds, as PyTorch's clamp_backward ((x >= lo) & (x <= hi)); a directional policy decides by the
// signs of (x − lo, ẋ) and (hi − x, −ẋ).
struct Clamp : detail::Elementwise {
  Scalar lo, hi;
  Clamp(Scalar l, Scalar h) : lo(l), hi(h) {}
  std::string name() const override { return "clamp"; }
  std::string attributes() const override { return "lo=" + std::to_string(lo) + " hi=" + std::to_string(hi); }
  void forward(const std::vector<const View*>& in, View& out) const override {
    xt::noalias(out) = xt::minimum(xt::maximum(*in[0], lo), hi);
  }
  Var derivative(const DiffContext& ctx, const Var& x) const {
    return detail::piece(ctx, x - lo, 1) * detail::piece(ctx, hi - x, 1);
  }
  std::vector<Var> vjp(const DiffContext& ctx, const std::vector<Var>& x, const Var&, const Var& g) const override {
    return {g * derivative(ctx, x[0])};
  }
  Var jvp(const DiffContext& ctx, const std::vector<Var>& x, const Var&, const std::vector<Var>& t) const override {
    return t[0] * derivative(ctx, x[0]);
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override { return detail::elementwise_cost(in, out, 2); }
};

}  // namespace

Var clamp(const Var& x, Scalar lo, Scalar hi) {
  if (!(lo <= hi)) throw GraphError("clamp on '" + x.name() + "': lower bound " + std::to_string(lo) + " exceeds upper bound " + std::to_string(hi));
  return detail::make<Clamp>({x}, lo, hi);
}

}  // namespace dagrad
