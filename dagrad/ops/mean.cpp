#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {

// Composite: sum scaled by the number of reduced elements.
Var mean(const Var& x, const std::vector<int>& axes, bool keepdims) {
  Var s = sum(x, axes, keepdims);
  return s * (static_cast<Scalar>(s.size()) / static_cast<Scalar>(x.size()));
}

DAGRAD_REGISTER_OP(mean, true)

}  // namespace dagrad
