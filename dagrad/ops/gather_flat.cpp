#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// out[i] = t.flat[index[i]]; linear in t, its transpose is scatter_add. The index carries no
// derivative (it is a piece choice).
struct GatherFlat : detail::Linear<Op> {
  std::string name() const override { return "gather_flat"; }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 2);
    return in[1];
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    const Scalar* t = in[0]->data();
    const Scalar* index = in[1]->data();
    std::size_t n = in[0]->size();
    for (std::size_t i = 0, m = out.size(); i < m; ++i) {
      std::size_t k = static_cast<std::size_t>(index[i]);
      if (!(index[i] >= 0) || k >= n)
        throw ValueError("gather_flat: index " + std::to_string(index[i]) + " out of range");
      out.data()[i] = t[k];
    }
  }
  Var adjoint(const Var& g, const std::vector<Var>& x, const Var&) const override {
    return scatter_add(g, x[1], x[0].shape());
  }
  Cost cost(const std::vector<Shape>&, const Shape& out) const override {
    return {0, 3.0 * sizeof(Scalar) * static_cast<double>(size_of(out))};
  }
};

}  // namespace

Var gather_flat(const Var& t, const Var& index) { return detail::make<GatherFlat>({t, index}); }

DAGRAD_REGISTER_OP(gather_flat, true)

}  // namespace dagrad
