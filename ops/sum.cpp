#include <xtensor/xreducer.hpp>

#include "ops/support.hpp"

namespace dagrad {
namespace {

struct Sum : Op {
  std::vector<int> axes;  // {}: every axis
  bool keepdims;
  Sum(std::vector<int> a, bool k) : axes(std::move(a)), keepdims(k) {}
  std::vector<std::size_t> resolved(std::size_t rank) const { return detail::normalize_axes(axes, rank, "sum"); }
  std::string name() const override { return "sum"; }
  std::string attributes() const override {
    std::string s = "axes=[";
    for (std::size_t i = 0; i < axes.size(); ++i) s += (i ? "," : "") + std::to_string(axes[i]);
    return s + "] keepdims=" + (keepdims ? "1" : "0");
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    return detail::reduced_shape(in[0], resolved(in[0].size()), keepdims);
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    const View& x = *in[0];
    auto ax = resolved(x.dimension());
    if (ax.empty()) std::copy(x.begin(), x.end(), out.begin());
    else if (keepdims) xt::noalias(out) = xt::sum(x, ax, xt::keep_dims);
    else xt::noalias(out) = xt::sum(x, ax);
  }
  std::vector<Var> vjp(const DiffContext&, const std::vector<Var>& x, const Var&, const Var& g) const override {
    return {detail::spread(g, x[0].shape(), resolved(x[0].shape().size()), keepdims)};
  }
  Var jvp(const DiffContext&, const std::vector<Var>&, const Var&, const std::vector<Var>& t) const override {
    return sum(t[0], axes, keepdims);
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return {static_cast<double>(size_of(in[0])), sizeof(Scalar) * static_cast<double>(size_of(in[0]) + size_of(out))};
  }
};

}  // namespace

Var sum(const Var& x, const std::vector<int>& axes, bool keepdims) { return detail::make<Sum>({x}, axes, keepdims); }

}  // namespace dagrad
