#include "dagrad/ops/losses_support.hpp"

namespace dagrad {

Var exponential_loss(const Var& scores, const Var& labels) {
  detail::expect_same_shape("exponential_loss", scores, labels);
  return mean(exp(neg(sign_labels(labels, "exponential_loss") * scores)));
}

DAGRAD_REGISTER_OP(exponential_loss, true)

}  // namespace dagrad
