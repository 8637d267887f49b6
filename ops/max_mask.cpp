#include "ops/support.hpp"

namespace dagrad {
namespace {

// Per reduction group: weight 1/k on the k elements whose key tuples (value, tangent1, ...) are
// lexicographically largest. It is piecewise constant, so its own derivative is zero.
struct MaxMask : Op {
  std::vector<int> axes;
  explicit MaxMask(std::vector<int> a) : axes(std::move(a)) {}
  std::string name() const override { return "max_mask"; }
  std::string attributes() const override { return "axes=" + detail::int_axes_string(axes); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    if (in.empty()) throw ShapeMismatch{"needs at least one key"};
    for (const Shape& s : in)
      if (s != in[0]) throw ShapeMismatch{"all keys must have one shape"};
    detail::normalize_axes(axes, in[0].size(), "max_mask");
    return in[0];
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    Shape shape(in[0]->shape().begin(), in[0]->shape().end());
    auto ax = detail::normalize_axes(axes, shape.size(), "max_mask");
    // Row-major strides split into the kept part (which group) and the reduced part (where in it).
    std::vector<std::size_t> kept_dims, kept_strides, red_dims, red_strides;
    std::size_t stride = 1;
    for (std::size_t i = shape.size(); i-- > 0;) {
      bool reduced = std::find(ax.begin(), ax.end(), i) != ax.end();
      (reduced ? red_dims : kept_dims).insert((reduced ? red_dims : kept_dims).begin(), shape[i]);
      (reduced ? red_strides : kept_strides).insert((reduced ? red_strides : kept_strides).begin(), stride);
      stride *= shape[i];
    }
    auto offset = [](std::size_t index, const std::vector<std::size_t>& dims, const std::vector<std::size_t>& strides) {
      std::size_t off = 0;
      for (std::size_t d = dims.size(); d-- > 0;) {
        off += (index % dims[d]) * strides[d];
        index /= dims[d];
      }
      return off;
    };
    std::size_t groups = size_of(kept_dims), members = size_of(red_dims);
    auto compare = [&](std::size_t a, std::size_t b) {  // sign of key(a) − key(b), lexicographic
      for (const View* k : in) {
        Scalar ka = k->data()[a], kb = k->data()[b];
        if (ka != kb) return ka > kb ? 1 : -1;
      }
      return 0;
    };
    for (std::size_t g = 0; g < groups; ++g) {
      std::size_t base = offset(g, kept_dims, kept_strides);
      std::size_t best = base;
      for (std::size_t j = 1; j < members; ++j) {
        std::size_t e = base + offset(j, red_dims, red_strides);
        if (compare(e, best) > 0) best = e;
      }
      std::size_t winners = 0;
      for (std::size_t j = 0; j < members; ++j) winners += compare(base + offset(j, red_dims, red_strides), best) == 0;
      for (std::size_t j = 0; j < members; ++j) {
        std::size_t e = base + offset(j, red_dims, red_strides);
        out.data()[e] = compare(e, best) == 0 ? Scalar(1) / static_cast<Scalar>(winners) : Scalar(0);
      }
    }
  }
  bool differentiable(std::size_t) const override { return false; }
  bool piecewise_constant() const override { return true; }
  std::vector<Var> vjp(const DiffContext&, const std::vector<Var>& x, const Var&, const Var&) const override {
    return std::vector<Var>(x.size());
  }
  Var jvp(const DiffContext&, const std::vector<Var>&, const Var&, const std::vector<Var>&) const override { return {}; }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override { return detail::elementwise_cost(in, out, 3); }
};

}  // namespace

Var max_mask(const std::vector<Var>& keys, const std::vector<int>& axes) {
  if (keys.empty()) throw GraphError("max_mask needs at least one key");
  return detail::make<MaxMask>(keys, axes);
}

}  // namespace dagrad
