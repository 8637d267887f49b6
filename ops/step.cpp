#include "ops/support.hpp"

namespace dagrad {
namespace {

// The piece selector of every nonsmooth op: the lexicographic sign of (key0, key1, ...), with
// `tie` where all keys are zero. Its value is the recorded piece, per element.
struct Step : Op {
  Scalar tie;
  explicit Step(Scalar t) : tie(t) {}
  std::string name() const override { return "step"; }
  std::string attributes() const override { return "tie=" + std::to_string(tie); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    if (in.empty()) throw ShapeMismatch{"needs at least one key"};
    for (const Shape& s : in)
      if (s != in[0]) throw ShapeMismatch{"all keys must have one shape"};
    return in[0];
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    for (std::size_t e = 0, n = out.size(); e < n; ++e) {
      Scalar v = tie;
      for (const View* key : in) {
        Scalar k = key->data()[e];
        if (k != 0) {
          v = k > 0 ? 1 : 0;
          break;
        }
      }
      out.data()[e] = v;
    }
  }
  bool differentiable(std::size_t) const override { return false; }
  bool piecewise_constant() const override { return true; }
  std::vector<Var> vjp(const DiffContext&, const std::vector<Var>& x, const Var&, const Var&) const override {
    return std::vector<Var>(x.size());
  }
  Var jvp(const DiffContext&, const std::vector<Var>&, const Var&, const std::vector<Var>&) const override { return {}; }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override { return detail::elementwise_cost(in, out, 1); }
};

}  // namespace

Var step(const std::vector<Var>& keys, Scalar tie) {
  if (keys.empty()) throw GraphError("step needs at least one key");
  return detail::make<Step>(keys, tie);
}

}  // namespace dagrad
