#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// C[i][j] = w[(j − i) mod d]: x·C convolves x circularly with w. Linear; transpose: circulant_adjoint.
struct Circulant : detail::Linear<Op> {
  std::string name() const override { return "circulant"; }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    if (in[0].size() != 1) throw ShapeMismatch{"circulant takes a vector"};
    return {in[0][0], in[0][0]};
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    std::size_t d = in[0]->size();
    for (std::size_t i = 0; i < d; ++i)
      for (std::size_t j = 0; j < d; ++j) out.data()[i * d + j] = in[0]->data()[(j + d - i) % d];
  }
  Var adjoint(const Var& g, const std::vector<Var>&, const Var&) const override { return circulant_adjoint(g); }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 0);
  }
};

}  // namespace

Var circulant(const Var& w) { return detail::make<Circulant>({w}); }

DAGRAD_REGISTER_OP(circulant, true)

}  // namespace dagrad
