#include "ops/support.hpp"

namespace dagrad {

// Composite: x − logsumexp(x) is as stable as logsumexp and costs one extra subtraction.
Var log_softmax(const Var& x, int axis) { return x - logsumexp(x, axis, true); }

}  // namespace dagrad
