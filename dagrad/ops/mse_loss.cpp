#include "dagrad/ops/losses_support.hpp"

namespace dagrad {

Var mse_loss(const Var& prediction, const Var& target) {
  detail::expect_same_shape("mse_loss", prediction, target);
  return mean(square(prediction - target));
}

DAGRAD_REGISTER_OP(mse_loss, true)

}  // namespace dagrad
