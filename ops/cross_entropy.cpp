#include "ops/losses_support.hpp"

namespace dagrad {

// Mean over the batch of −log softmax(logits)[label].
Var cross_entropy(const Var& logits, const Var& labels) {
  logits.graph().check_owns(labels, "cross_entropy");
  const Shape &z = logits.shape(), &y = labels.shape();
  if (z.size() != 2 || y.size() != 1 || y[0] != z[0])
    throw ShapeError("shape error in loss 'cross_entropy': logits '" + logits.name() + "' " + to_string(z) +
                     " must be (batch, classes) and labels '" + labels.name() + "' " + to_string(y) + " must be (batch)");
  Var picked = sum(one_hot(labels, z[1]) * log_softmax(logits, 1), {1});
  return neg(mean(picked));
}

}  // namespace dagrad
