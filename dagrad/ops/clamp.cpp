#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// clamp(x, lo, hi) = min(max(x, lo), hi), a max followed by a min. A directional policy decides
// kinks by the signs of (x − lo, ẋ) and (hi − x, −ẋ); the fixed convention uses `tie` at the bounds:
// 1 for clamp (PyTorch's clamp_backward, (x >= lo) & (x <= hi)), 0 for hardtanh (hardtanh_backward,
// (x > lo) & (x < hi)).
struct Clamp : detail::Elementwise {
  Scalar lo, hi, tie;
  std::string op_name;
  Clamp(Scalar l, Scalar h, Scalar t, std::string n) : lo(l), hi(h), tie(t), op_name(std::move(n)) {}
  std::string name() const override { return op_name; }
  std::string attributes() const override { return "lo=" + std::to_string(lo) + " hi=" + std::to_string(hi); }
  void forward(const std::vector<const View*>& in, View& out) const override {
    xt::noalias(out) = xt::minimum(xt::maximum(*in[0], lo), hi);
  }
  // Two selectors, reported as two sites ("clamp_4/lo", "clamp_4/hi"): an element can sit at either.
  Var derivative(const DiffContext& ctx, const Var& x) const {
    DiffContext at_lo = ctx, at_hi = ctx;
    at_lo.site += "/lo";
    at_hi.site += "/hi";
    return detail::piece(at_lo, x - lo, tie) * detail::piece(at_hi, hi - x, tie);
  }
  std::vector<Tangent> vjp(const DiffContext& ctx, const std::vector<Var>& x, const Var&, const Var& g) const override {
    return {g * derivative(ctx, x[0])};
  }
  Tangent jvp(const DiffContext& ctx, const std::vector<Var>& x, const Var&,
              const std::vector<Tangent>& t) const override {
    return t[0].var() * derivative(ctx, x[0]);
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 2);
  }
};

}  // namespace

Var detail::bounded(const Var& x, Scalar lo, Scalar hi, Scalar tie, const std::string& name) {
  if (!(lo <= hi))
    throw GraphError(name + " on '" + x.name() + "': lower bound " + std::to_string(lo) + " exceeds upper bound " +
                     std::to_string(hi));
  return detail::make<Clamp>({x}, lo, hi, tie, name);
}

Var clamp(const Var& x, Scalar lo, Scalar hi) { return detail::bounded(x, lo, hi, 1, "clamp"); }

DAGRAD_REGISTER_OP(clamp, true)

}  // namespace dagrad
