#include <xtensor/xreducer.hpp>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

struct Sum : detail::Linear<detail::Reduction> {
  using Linear::Linear;
  std::string name() const override { return "sum"; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    const View& x = *in[0];
    auto ax = resolved(x.dimension());
    if (ax.empty())
      std::copy(x.begin(), x.end(), out.begin());
    else if (keepdims_)
      xt::noalias(out) = xt::sum(x, ax, xt::keep_dims);
    else
      xt::noalias(out) = xt::sum(x, ax);
  }
  Var adjoint(const Var& g, const std::vector<Var>& x, const Var&) const override {
    return detail::spread(g, x[0].shape(), resolved(x[0].shape().size()), keepdims_);
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return {static_cast<double>(size_of(in[0])), sizeof(Scalar) * static_cast<double>(size_of(in[0]) + size_of(out))};
  }
};

}  // namespace

Var sum(const Var& x, const std::vector<int>& axes, bool keepdims_) { return detail::make<Sum>({x}, axes, keepdims_); }

DAGRAD_REGISTER_OP(sum, true)

}  // namespace dagrad
