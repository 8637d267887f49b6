#include <tuple>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// Per reduction group: weight 1/k on the k elements whose key tuples (value, tangent1, ...) are
// lexicographically largest. It is piecewise constant, so its own derivative is zero. Ties left
// after every key are harmless (tied pieces agree in value and in every tangent).
struct MaxMask : PieceSelector {
  std::vector<int> axes;
  std::string site_name;
  MaxMask(std::vector<int> a, std::string s) : axes(std::move(a)), site_name(std::move(s)) {}
  std::string name() const override { return "max_mask"; }
  std::string site() const override { return site_name; }
  std::string attributes() const override {
    return "axes=" + detail::int_axes_string(axes) + (site_name.empty() ? "" : " site=" + site_name);
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    if (in.empty()) throw ShapeMismatch{"needs at least one key"};
    for (const Shape& s : in)
      if (s != in[0]) throw ShapeMismatch{"all keys must have one shape"};
    detail::normalize_axes(axes, in[0].size(), "max_mask");
    return in[0];
  }

  // Calls visit(group members' flat offsets as a generator) for each reduction group.
  struct Groups {
    std::vector<std::size_t> kept_dims, kept_strides, red_dims, red_strides;
    std::size_t groups = 1, members = 1;
    Groups(const View& x, const std::vector<int>& axes) {
      Shape shape(x.shape().begin(), x.shape().end());
      auto ax = detail::normalize_axes(axes, shape.size(), "max_mask");
      std::size_t stride = 1;
      for (std::size_t i = shape.size(); i-- > 0;) {
        bool reduced = std::find(ax.begin(), ax.end(), i) != ax.end();
        auto& dims = reduced ? red_dims : kept_dims;
        auto& strides = reduced ? red_strides : kept_strides;
        dims.insert(dims.begin(), shape[i]);
        strides.insert(strides.begin(), stride);
        stride *= shape[i];
      }
      groups = size_of(kept_dims);
      members = size_of(red_dims);
    }
    static std::size_t offset(std::size_t index, const std::vector<std::size_t>& dims,
                              const std::vector<std::size_t>& strides) {
      std::size_t off = 0;
      for (std::size_t d = dims.size(); d-- > 0;) {
        off += (index % dims[d]) * strides[d];
        index /= dims[d];
      }
      return off;
    }
    std::size_t base(std::size_t g) const { return offset(g, kept_dims, kept_strides); }
    std::size_t member(std::size_t j) const { return offset(j, red_dims, red_strides); }
  };

  void forward(const std::vector<const View*>& in, View& out) const override {
    Groups gr(*in[0], axes);
    for (std::size_t g = 0; g < gr.groups; ++g) {
      auto member = [&gr, base = gr.base(g)](std::size_t j) { return base + gr.member(j); };
      auto [top, winners] = detail::lex_best(in, 1, gr.members, member);
      std::size_t depth = 1;
      if (winners > 1) {  // directional keys are read at ties only
        depth = in.size();
        std::tie(top, winners) = detail::lex_best(in, depth, gr.members, member);
      }
      for (std::size_t j = 0; j < gr.members; ++j)
        out.data()[member(j)] =
            detail::lex_compare(in, depth, member(j), top) == 0 ? Scalar(1) / static_cast<Scalar>(winners) : Scalar(0);
    }
  }
  bool has_kink(const std::vector<const View*>& in) const override {
    Groups gr(*in[0], axes);
    for (std::size_t g = 0; g < gr.groups; ++g)
      if (detail::lex_best(in, 1, gr.members, [&gr, base = gr.base(g)](std::size_t j) {
            return base + gr.member(j);
          }).second > 1)
        return true;
    return false;
  }
  KinkCount count_kinks(const std::vector<const View*>& in) const override {
    Groups gr(*in[0], axes);
    KinkCount c;
    for (std::size_t g = 0; g < gr.groups; ++g)
      detail::count_group_kinks(
          in, gr.members, [&gr, base = gr.base(g)](std::size_t j) { return base + gr.member(j); }, c);
    return c;
  }
  bool differentiable(std::size_t) const override { return false; }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost({in[0]}, out, 3);
  }
};

}  // namespace

Var max_mask(const std::vector<Var>& keys, const std::vector<int>& axes, const std::string& site) {
  if (keys.empty()) throw GraphError("max_mask needs at least one key");
  return detail::make<MaxMask>(keys, axes, site);
}

DAGRAD_REGISTER_OP(max_mask, true)

}  // namespace dagrad
