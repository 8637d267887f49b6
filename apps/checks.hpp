#pragma once
// Checks the commands share, run before any work so a bad option fails in milliseconds with a message
// naming it, not after hours or with a crash.
#include <string>

namespace dagrad::apps {

// Throws dagrad::Error when `path` exists and is not a directory (an output directory named by `option`).
void require_directory_or_absent(const std::string& option, const std::string& path);

// Throws dagrad::Error when `value` (of `option`) is NaN or infinite.
void require_finite(const std::string& option, double value);

}  // namespace dagrad::apps
