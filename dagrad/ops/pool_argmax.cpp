#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// Per pooling window, the flat input index of the winner: the first maximum of keys[0]; at a tie,
// the lexicographically largest (value, tangent1, ...), still the first among exact ties (tied
// pieces agree in value and tangents, so the choice cannot change a derivative).
struct PoolArgmax : PieceSelector {
  PoolGeometry geometry;
  std::string site_name;
  PoolArgmax(PoolGeometry g, std::string s) : geometry(std::move(g)), site_name(std::move(s)) {}
  std::string name() const override { return "pool_argmax"; }
  std::string site() const override { return site_name; }
  std::string attributes() const override {
    return "kernel=" + detail::axes_string(geometry.kernel) + " stride=" + detail::axes_string(geometry.stride) +
           (site_name.empty() ? "" : " site=" + site_name);
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    if (in.empty()) throw ShapeMismatch{"needs at least one key"};
    for (const Shape& s : in)
      if (s != in[0]) throw ShapeMismatch{"all keys must have one shape"};
    return detail::PoolWindows(in[0], geometry).out;
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    detail::PoolWindows w(Shape(in[0]->shape().begin(), in[0]->shape().end()), geometry);
    for (std::size_t k = 0; k < w.windows; ++k) {
      auto member = [&w, k](std::size_t j) { return w.offset(k, j); };
      auto [top, ties] = detail::lex_best(in, 1, w.members, member);
      if (ties > 1 && in.size() > 1)
        top = detail::lex_best(in, in.size(), w.members, member).first;  // tangents decide ties only
      out.data()[k] = static_cast<Scalar>(top);
    }
  }
  bool has_kink(const std::vector<const View*>& in) const override {
    detail::PoolWindows w(Shape(in[0]->shape().begin(), in[0]->shape().end()), geometry);
    for (std::size_t k = 0; k < w.windows; ++k)
      if (detail::lex_best(in, 1, w.members, [&w, k](std::size_t j) { return w.offset(k, j); }).second > 1) return true;
    return false;
  }
  KinkCount count_kinks(const std::vector<const View*>& in) const override {
    detail::PoolWindows w(Shape(in[0]->shape().begin(), in[0]->shape().end()), geometry);
    KinkCount c;
    for (std::size_t k = 0; k < w.windows; ++k)
      detail::count_group_kinks(
          in, w.members, [&w, k](std::size_t j) { return w.offset(k, j); }, c);
    return c;
  }
  bool differentiable(std::size_t) const override { return false; }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost({in[0]}, out, 1);
  }
};

}  // namespace

Var pool_argmax(const std::vector<Var>& keys, const PoolGeometry& geometry, const std::string& site) {
  if (keys.empty()) throw GraphError("pool_argmax needs at least one key");
  return detail::make<PoolArgmax>(keys, geometry, site);
}

DAGRAD_REGISTER_OP(pool_argmax, true)

}  // namespace dagrad
