// docs/examples/custom_op.cpp
// Adding a primitive: erf, with its derivative rules written in dagrad ops (so its second derivative
// comes free), then checked by check_grads as the library checks its own ops.
#include <dagrad/dagrad.hpp>

#include <cmath>
#include <iostream>

using namespace dagrad;

class Erf : public Op {
 public:
  std::string name() const override { return "my_erf"; }
  Shape infer_shape(const std::vector<Shape>& inputs) const override { return inputs[0]; }
  void forward(const std::vector<const View*>& inputs, View& out) const override {
    for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = std::erf(inputs[0]->data()[i]);
  }
  // erf′(x) = 2/√π e^{−x²}
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>& inputs, const Var&,
                           const Var& cotangent) const override {
    return {cotangent * slope(inputs[0])};
  }
  // Called when some input tangent is not zero: with one input, tangents[0] is a node.
  Tangent jvp(const DiffContext&, const std::vector<Var>& inputs, const Var&,
              const std::vector<Tangent>& tangents) const override {
    return tangents[0].var() * slope(inputs[0]);
  }
  Cost cost(const std::vector<Shape>& inputs, const Shape&) const override {
    double n = static_cast<double>(size_of(inputs[0]));
    return {20 * n, 16 * n};  // flops (a rough count for erf), bytes read and written
  }

 private:
  static Var slope(const Var& x) { return (2 / std::sqrt(M_PI)) * exp(-square(x)); }
};

Var my_erf(const Var& x) { return x.graph().apply(std::make_shared<Erf>(), {x}); }

int main() {
  // jvp against differences, the transpose identity, forward = reverse, HVP against differences.
  GradCheckReport report =
      check_grads([](const std::vector<Var>& x) { return my_erf(x[0]); }, {Tensor{-1.2, -0.3, 0.4, 1.5}});
  std::cout << "check_grads: jvp vs differences " << report.jvp_vs_differences << ", transpose gap "
            << report.transpose_gap << ", hvp vs differences " << report.hvp_vs_differences << "\n";
  return 0;  // check_grads throws GradCheckError, naming the failed checks, when a rule is wrong
}
