#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {

Var hardtanh(const Var& x, Scalar lo, Scalar hi) { return detail::bounded(x, lo, hi, 0, "hardtanh"); }

DAGRAD_REGISTER_OP(hardtanh, true)

}  // namespace dagrad
