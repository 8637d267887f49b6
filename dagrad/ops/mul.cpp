#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

struct Mul : detail::Bilinear<detail::Elementwise> {
  std::string name() const override { return "mul"; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    if (!detail::fast_binary(*in[0], *in[1], out, [](Scalar a, Scalar b) { return a * b; }))
      xt::noalias(out) = *in[0] * *in[1];
  }
  bool runs_in_float(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::binary_runs_in_float(in, out);
  }
  void forward_float(const std::vector<const FloatBuffer*>& in, FloatBuffer& out) const override {
    detail::float_binary(in, out, [](float a, float b) { return a * b; });
  }
  Var adjoint_a(const Var& g, const Var& a, const Var& b) const override {
    return detail::unbroadcast(g * b, a.shape());
  }
  Var adjoint_b(const Var& g, const Var& a, const Var& b) const override {
    return detail::unbroadcast(g * a, b.shape());
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 1);
  }
};

}  // namespace

Var mul(const Var& a, const Var& b) { return detail::make<Mul>({a, b}); }

DAGRAD_REGISTER_OP(mul, true)

}  // namespace dagrad
