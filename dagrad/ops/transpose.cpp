#include <numeric>

#include <xtensor/xmanipulation.hpp>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

struct Transpose : detail::Linear<Op> {
  std::vector<std::size_t> perm;  // empty: reverse the axes
  explicit Transpose(std::vector<std::size_t> p) : perm(std::move(p)) {}
  std::vector<std::size_t> resolved(std::size_t rank) const {
    if (!perm.empty()) return perm;
    std::vector<std::size_t> r(rank);
    std::iota(r.rbegin(), r.rend(), 0);
    return r;
  }
  std::string name() const override { return "transpose"; }
  std::string attributes() const override { return perm.empty() ? "" : "perm=" + detail::axes_string(perm); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    auto p = resolved(in[0].size());
    std::vector<bool> seen(in[0].size());
    if (p.size() != in[0].size())
      throw ShapeMismatch{"permutation " + detail::axes_string(p) + " does not match the rank"};
    Shape out;
    for (auto a : p) {
      if (a >= seen.size() || seen[a])
        throw ShapeMismatch{"permutation " + detail::axes_string(p) + " is not a permutation"};
      seen[a] = true;
      out.push_back(in[0][a]);
    }
    return out;
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    xt::noalias(out) = xt::transpose(*in[0], resolved(in[0]->dimension()));
  }
  Var adjoint(const Var& g, const std::vector<Var>& x, const Var&) const override {
    auto p = resolved(x[0].shape().size());
    std::vector<std::size_t> inverse(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) inverse[p[i]] = i;
    return transpose(g, inverse);
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, 0);
  }
};

}  // namespace

Var transpose(const Var& x, std::vector<std::size_t> perm) { return detail::make<Transpose>({x}, std::move(perm)); }

DAGRAD_REGISTER_OP(transpose, true)

}  // namespace dagrad
