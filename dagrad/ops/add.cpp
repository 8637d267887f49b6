#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

struct Add : detail::Elementwise {
  std::string name() const override { return "add"; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    if (!detail::fast_binary(*in[0], *in[1], out, [](Scalar a, Scalar b) { return a + b; }))
      xt::noalias(out) = *in[0] + *in[1];
  }
  bool runs_in_float(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::binary_runs_in_float(in, out);
  }
  void forward_float(const std::vector<const FloatBuffer*>& in, FloatBuffer& out) const override {
    detail::float_binary(in, out, [](float a, float b) { return a + b; });
  }
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>& x, const Var&, const Var& g) const override {
    return {detail::unbroadcast(g, x[0].shape()), detail::unbroadcast(g, x[1].shape())};
  }
  Tangent jvp(const DiffContext&, const std::vector<Var>&, const Var& y, const std::vector<Tangent>& t) const override {
    return detail::widen(add_tangents(t[0], t[1]), y.shape());
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 1);
  }
};

}  // namespace

Var add(const Var& a, const Var& b) { return detail::make<Add>({a, b}); }

DAGRAD_REGISTER_OP(add, true)

}  // namespace dagrad
