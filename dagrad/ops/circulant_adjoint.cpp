#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// a[k] = Σ_i G[i][(i + k) mod d]: sums along the wrapped diagonals; the transpose of circulant.
struct CirculantAdjoint : detail::Linear<Op> {
  std::string name() const override { return "circulant_adjoint"; }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    if (in[0].size() != 2 || in[0][0] != in[0][1]) throw ShapeMismatch{"circulant_adjoint takes a square matrix"};
    return {in[0][0]};
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    std::size_t d = out.size();
    std::fill(out.begin(), out.end(), Scalar(0));
    for (std::size_t i = 0; i < d; ++i)
      for (std::size_t k = 0; k < d; ++k) out.data()[k] += in[0]->data()[i * d + (i + k) % d];
  }
  Var adjoint(const Var& g, const std::vector<Var>&, const Var&) const override { return circulant(g); }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return {static_cast<double>(size_of(in[0])), sizeof(Scalar) * static_cast<double>(size_of(in[0]) + size_of(out))};
  }
};

}  // namespace

Var circulant_adjoint(const Var& g) { return detail::make<CirculantAdjoint>({g}); }

DAGRAD_REGISTER_OP(circulant_adjoint, true)

}  // namespace dagrad
