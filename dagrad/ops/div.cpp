#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// y = a / b; dy = (da - y db) / b, which reuses y instead of forming a / b².
struct Div : detail::Elementwise {
  std::string name() const override { return "div"; }
  void forward(const std::vector<const View*>& in, View& out) const override { xt::noalias(out) = *in[0] / *in[1]; }
  bool runs_in_float(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::binary_runs_in_float(in, out);
  }
  void forward_float(const std::vector<const FloatBuffer*>& in, FloatBuffer& out) const override {
    detail::float_binary(in, out, [](float a, float b) { return a / b; });
  }
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>& x, const Var& y, const Var& g) const override {
    Var ga = g / x[1];
    return {detail::unbroadcast(ga, x[0].shape()), detail::unbroadcast(neg(ga * y), x[1].shape())};
  }
  Tangent jvp(const DiffContext&, const std::vector<Var>& x, const Var& y,
              const std::vector<Tangent>& t) const override {
    Var num = t[1].is_zero() ? t[0].var() : t[0].is_zero() ? neg(t[1].var() * y) : t[0].var() - t[1].var() * y;
    return detail::widen(num / x[1], y.shape());
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 1);
  }
};

}  // namespace

Var div(const Var& a, const Var& b) { return detail::make<Div>({a, b}); }

DAGRAD_REGISTER_OP(div, true)

}  // namespace dagrad
