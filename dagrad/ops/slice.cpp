#include <cstring>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// x[..., begin:end, ...] along one axis; its transpose is pad.
struct Slice : detail::Linear<Op> {
  int axis;
  std::size_t begin, end;
  Slice(int a, std::size_t b, std::size_t e) : axis(a), begin(b), end(e) {}
  std::string name() const override { return "slice"; }
  std::string attributes() const override {
    return "axis=" + std::to_string(axis) + " begin=" + std::to_string(begin) + " end=" + std::to_string(end);
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    std::size_t ax = detail::normalize_axis(axis, in[0].size(), "slice");
    if (begin > end || end > in[0][ax])
      throw ShapeMismatch{"range [" + std::to_string(begin) + ", " + std::to_string(end) + ") does not fit axis " +
                          std::to_string(ax) + " of size " + std::to_string(in[0][ax])};
    Shape out = in[0];
    out[ax] = end - begin;
    return out;
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    Shape shape(in[0]->shape().begin(), in[0]->shape().end());
    detail::AxisSplit s(shape, detail::normalize_axis(axis, shape.size(), "slice"));
    std::size_t n = end - begin;
    for (std::size_t i = 0; i < s.outer; ++i)
      std::memcpy(out.data() + i * n * s.inner, in[0]->data() + (i * s.n + begin) * s.inner,
                  n * s.inner * sizeof(Scalar));
  }
  Var adjoint(const Var& g, const std::vector<Var>& x, const Var&) const override {
    std::size_t ax = detail::normalize_axis(axis, x[0].shape().size(), "slice");
    return pad(g, axis, begin, x[0].shape()[ax] - end);
  }
  Cost cost(const std::vector<Shape>&, const Shape& out) const override {
    return {0, 2.0 * sizeof(Scalar) * static_cast<double>(size_of(out))};
  }
};

}  // namespace

Var slice(const Var& x, int axis, std::size_t begin, std::size_t end) {
  return detail::make<Slice>({x}, axis, begin, end);
}

DAGRAD_REGISTER_OP(slice, true)

}  // namespace dagrad
