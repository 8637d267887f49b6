#include "checks.hpp"

#include <cmath>
#include <filesystem>
#include <system_error>

#include "dagrad/graph/error.hpp"

namespace dagrad::apps {

void require_directory_or_absent(const std::string& option, const std::string& path) {
  if (path.empty()) throw Error(option + ": the path is empty");
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_directory(status))
    throw Error(option + " " + path + ": exists and is not a directory");
}

void require_finite(const std::string& option, double value) {
  if (!std::isfinite(value)) throw Error(option + " must be a finite number");
}

}  // namespace dagrad::apps
