#include "dagrad/ops/registry.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {

// As PyTorch: relu6 is hardtanh(0, 6), so its derivative is 0 at both 0 and 6 under the convention.
Var relu6(const Var& x) { return detail::bounded(x, 0, 6, 0, "relu6"); }

DAGRAD_REGISTER_OP(relu6, true)

}  // namespace dagrad
