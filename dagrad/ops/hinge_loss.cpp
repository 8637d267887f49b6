#include "dagrad/ops/losses_support.hpp"

namespace dagrad {

Var hinge_loss(const Var& scores, const Var& labels) {
  detail::expect_same_shape("hinge_loss", scores, labels);
  return mean(relu(1.0 - sign_labels(labels, "hinge_loss") * scores));
}

DAGRAD_REGISTER_OP(hinge_loss, true)

}  // namespace dagrad
