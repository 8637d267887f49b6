#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

struct Mul : detail::Elementwise {
  std::string name() const override { return "mul"; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    if (!detail::fast_binary(*in[0], *in[1], out, [](Scalar a, Scalar b) { return a * b; }))
      xt::noalias(out) = *in[0] * *in[1];
  }
  std::vector<Var> vjp(const DiffContext&, const std::vector<Var>& x, const Var&, const Var& g) const override {
    return {detail::unbroadcast(g * x[1], x[0].shape()), detail::unbroadcast(g * x[0], x[1].shape())};
  }
  Var jvp(const DiffContext&, const std::vector<Var>& x, const Var& y, const std::vector<Var>& t) const override {
    Var da = t[0].valid() ? t[0] * x[1] : Var();
    Var db = t[1].valid() ? x[0] * t[1] : Var();
    return detail::widen(detail::sum_or_invalid(da, db), y.shape());
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 1);
  }
};

}  // namespace

Var mul(const Var& a, const Var& b) { return detail::make<Mul>({a, b}); }

}  // namespace dagrad
