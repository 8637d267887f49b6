#pragma once
// Checks the commands share, run before any work so a bad option fails in milliseconds with a message
// naming it, not after hours or with a crash.
#include <limits>
#include <string>

#include "dagrad/graph/dtype.hpp"

namespace dagrad::apps {

// How closely demo's and cost's gradients must agree in `dtype`. Forward and reverse mode agree to
// rounding: 1e-10 in float64, scaled by the ratio of epsilons in float32 and bfloat16. Central
// differences (h = 1e-5, bound 1e-6) measure only rounding below float64 (in bfloat16 x ± h is x),
// so they are judged in float64 alone.
struct GradientAgreement {
  double modes, differences;
  explicit GradientAgreement(DType dtype)
      : modes(1e-10 * epsilon(dtype) / epsilon(DType::Float64)),
        differences(dtype == DType::Float64 ? 1e-6 : std::numeric_limits<double>::infinity()) {}
};

// Exit statuses of every dagrad command (the README's table). kFailure: an error while running (data,
// files, checkpoints, memory); kUsage: a command line refused by parsing or by the checks, before
// any work; kBelowAccuracy: train's --min-accuracy not reached; kClaimFails: a study's claim, or the
// report's or cost's agreement check, does not hold.
inline constexpr int kSuccess = 0, kFailure = 1, kUsage = 2, kBelowAccuracy = 3, kClaimFails = 4;

// Throws dagrad::Error when `path` is empty, or exists and is not a directory (an output directory
// named by `option`). Changes nothing: the fuzzer runs every check.
void require_directory_or_absent(const std::string& option, const std::string& path);

// Throws dagrad::Error when `value` (of `option`) is NaN or infinite.
void require_finite(const std::string& option, double value);

}  // namespace dagrad::apps
