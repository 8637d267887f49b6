#pragma once
// Checks the commands share, run before any work so a bad option fails in milliseconds with a message
// naming it, not after hours or with a crash.
#include <string>

namespace dagrad::apps {

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
