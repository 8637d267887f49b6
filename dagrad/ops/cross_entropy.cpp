#include <cmath>

#include "dagrad/ops/losses_support.hpp"

namespace dagrad {
namespace {

// Mean over the batch of −log softmax(logits)[label], per row (max − x_label) + log1p(Σ_others
// exp(x − max)). Not −Σ one_hot · log_softmax: at logits ±1e308 log_softmax holds −inf and
// 0 · −inf is NaN; and the log1p keeps the loss at margin 40 (4.25e-18) where log rounds it to 0.
struct CrossEntropy : Op {
  std::string name() const override { return "cross_entropy"; }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 2);
    if (in[0].size() != 2 || in[1].size() != 1 || in[1][0] != in[0][0])
      throw ShapeMismatch{"logits must be (batch, classes) and labels (batch)"};
    return {};
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    std::size_t batch = in[0]->shape()[0], classes = in[0]->shape()[1];
    Scalar total = 0;
    for (std::size_t b = 0; b < batch; ++b) {
      Scalar label = in[1]->data()[b];
      if (!(label >= 0 && label < static_cast<Scalar>(classes) && std::floor(label) == label))
        throw ValueError("cross_entropy: label " + std::to_string(label) + " at index " + std::to_string(b) +
                         " is not an integer in [0, " + std::to_string(classes) + ")");
      const Scalar* row = in[0]->data() + b * classes;
      detail::ShiftedLogSumExp lse = detail::shifted_logsumexp(row, classes, 1);
      total += (lse.max - row[static_cast<std::size_t>(label)]) + lse.log_rest;
    }
    out.data()[0] = total / static_cast<Scalar>(batch);
  }
  bool differentiable(std::size_t i) const override { return i == 0; }
  // ∂/∂logits = (softmax(logits) − one_hot(labels)) / batch (residual); labels carry no derivative.
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>& x, const Var&, const Var& g) const override {
    return {residual(x) * g, Tangent::zero()};
  }
  Tangent jvp(const DiffContext&, const std::vector<Var>& x, const Var&, const std::vector<Tangent>& t) const override {
    return t[0].is_zero() ? Tangent::zero() : Tangent(sum(residual(x) * t[0].var()));
  }
  Cost cost(const std::vector<Shape>& in, const Shape&) const override {
    return detail::elementwise_cost(in, in[0], 4);
  }

 private:
  // softmax − one_hot, with the label's entry written −Σ_{others} softmax instead of softmax − 1: at
  // margin 40 the latter is 1 − 1 = 0, the former −4.25e-18 (equal wherever softmax sums to 1).
  static Var residual(const std::vector<Var>& x) {
    const Shape& z = x[0].shape();
    Var label = one_hot(x[1], z[1]), others = softmax(x[0], 1) * (1.0 - label);
    return (others - label * sum(others, {1}, true)) / static_cast<Scalar>(z[0]);
  }
};

}  // namespace

Var cross_entropy(const Var& logits, const Var& labels) {
  logits.graph().check_owns(labels, "cross_entropy");
  const Shape &z = logits.shape(), &y = labels.shape();
  if (z.size() != 2 || y.size() != 1 || y[0] != z[0])
    throw ShapeError("shape error in loss 'cross_entropy': logits '" + logits.name() + "' " + to_string(z) +
                     " must be (batch, classes) and labels '" + labels.name() + "' " + to_string(y) +
                     " must be (batch)");
  return detail::make<CrossEntropy>({logits, labels});
}

DAGRAD_REGISTER_OP(cross_entropy, true)

}  // namespace dagrad
