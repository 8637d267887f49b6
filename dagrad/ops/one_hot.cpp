#include <cmath>

#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// Class indices stored as integral doubles → one row per label. Labels carry no derivative.
struct OneHot : detail::LabelOp {
  std::size_t classes;
  explicit OneHot(std::size_t c) : classes(c) {}
  std::string name() const override { return "one_hot"; }
  std::string attributes() const override { return "classes=" + std::to_string(classes); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    if (in[0].size() != 1) throw ShapeMismatch{"labels must be a vector"};
    return {in[0][0], classes};
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    std::fill(out.begin(), out.end(), Scalar(0));
    for (std::size_t i = 0, n = in[0]->size(); i < n; ++i) {
      Scalar label = in[0]->data()[i];
      if (!(label >= 0 && label < static_cast<Scalar>(classes) && std::floor(label) == label))
        throw ValueError("one_hot: label " + std::to_string(label) + " at index " + std::to_string(i) +
                         " is not an integer in [0, " + std::to_string(classes) + ")");
      out.data()[i * classes + static_cast<std::size_t>(label)] = 1;
    }
  }
};

}  // namespace

Var one_hot(const Var& labels, std::size_t classes) { return detail::make<OneHot>({labels}, classes); }

DAGRAD_REGISTER_OP(one_hot, false)

}  // namespace dagrad
