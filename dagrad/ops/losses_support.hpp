#pragma once
#include "dagrad/ops/support.hpp"

namespace dagrad::detail {

// Losses are composites; they check their own argument shapes so that the error names the loss.
inline void expect_same_shape(const char* loss, const Var& a, const Var& b) {
  a.graph().check_owns(b, loss);
  if (a.shape() != b.shape())
    throw ShapeError(std::string("shape error in loss '") + loss + "': '" + a.name() + "' " + to_string(a.shape()) +
                     " and '" + b.name() + "' " + to_string(b.shape()) + " must have the same shape");
}

}  // namespace dagrad::detail
