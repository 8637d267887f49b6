#include "dagrad/ops/losses_support.hpp"

namespace dagrad {

// softplus(−m) is evaluated through log1p, so the loss at margin m stays ≈ e^{−m} (nonzero)
// until e^{−m} itself underflows near m ≈ 745, and its gradient −σ(−m) never overflows.
Var logistic_loss(const Var& scores, const Var& labels) {
  detail::expect_same_shape("logistic_loss", scores, labels);
  return mean(softplus(neg(sign_labels(labels, "logistic_loss") * scores)));
}

DAGRAD_REGISTER_OP(logistic_loss, true)

}  // namespace dagrad
