#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

// The margin losses' labels, passed through after a check that each is −1 or +1: labels in {0, 1}
// (the habit from cross-entropy) silently gave every 0-labelled example a zero loss gradient.
struct SignLabels : detail::LabelOp {
  std::string loss;
  explicit SignLabels(std::string l) : loss(std::move(l)) {}
  std::string name() const override { return "sign_labels"; }
  std::string attributes() const override { return "loss=" + loss; }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    detail::expect_inputs(in, 1);
    return in[0];
  }
  void forward(const std::vector<const View*>& in, View& out) const override {
    for (std::size_t i = 0, n = in[0]->size(); i < n; ++i) {
      Scalar label = in[0]->data()[i];
      if (label != 1 && label != -1)
        throw ValueError(loss + ": label " + std::to_string(label) + " at index " + std::to_string(i) +
                         " is not -1 or +1 (margin losses take signed labels; map {0, 1} to {-1, +1})");
      out.data()[i] = label;
    }
  }
};

}  // namespace

Var sign_labels(const Var& labels, const std::string& loss) { return detail::make<SignLabels>({labels}, loss); }

DAGRAD_REGISTER_OP(sign_labels, false)

}  // namespace dagrad
