#include <cstring>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

struct Concat : Op {
  int axis;
  explicit Concat(int a) : axis(a) {}
  std::string name() const override { return "concat"; }
  std::string attributes() const override { return "axis=" + std::to_string(axis); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    if (in.empty()) throw ShapeMismatch{"needs at least one input"};
    std::size_t ax = detail::normalize_axis(axis, in[0].size(), "concat");
    Shape out = in[0];
    out[ax] = 0;
    for (const Shape& s : in) {
      bool same = s.size() == out.size();
      for (std::size_t i = 0; same && i < s.size(); ++i) same = i == ax || s[i] == out[i];
      if (!same) throw ShapeMismatch{"inputs must agree on every axis but " + std::to_string(ax)};
      out[ax] += s[ax];
    }
    return out;
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    Shape shape(out.shape().begin(), out.shape().end());
    std::size_t ax = detail::normalize_axis(axis, shape.size(), "concat");
    detail::AxisSplit o(shape, ax);
    std::size_t at = 0;
    for (const View* x : in) {
      std::size_t n = x->shape()[ax];
      for (std::size_t i = 0; i < o.outer; ++i)
        std::memcpy(out.data() + (i * o.n + at) * o.inner, x->data() + i * n * o.inner, n * o.inner * sizeof(Scalar));
      at += n;
    }
  }
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>& x, const Var&, const Var& g) const override {
    std::vector<Tangent> out;
    std::size_t at = 0;
    std::size_t ax = detail::normalize_axis(axis, g.shape().size(), "concat");
    for (const Var& xi : x) {
      out.push_back(slice(g, axis, at, at + xi.shape()[ax]));
      at += xi.shape()[ax];
    }
    return out;
  }
  Tangent jvp(const DiffContext&, const std::vector<Var>& x, const Var&, const std::vector<Tangent>& t) const override {
    std::vector<Var> parts;
    for (std::size_t i = 0; i < x.size(); ++i)
      parts.push_back(t[i].is_zero() ? zeros(x[i].graph(), x[i].shape()) : t[i].var());
    return concat(parts, axis);
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 0);
  }
};

}  // namespace

Var concat(const std::vector<Var>& xs, int axis) {
  if (xs.empty()) throw GraphError("concat needs at least one input");
  if (xs.size() == 1) return xs[0];
  return detail::make<Concat>(xs, axis);
}

DAGRAD_REGISTER_OP(concat, true)

}  // namespace dagrad
