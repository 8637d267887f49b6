#include "dagrad/analysis/progress.hpp"

#include <utility>

namespace dagrad::analysis {

namespace {
ProgressHook& hook() {
  static ProgressHook instance;
  return instance;
}
constexpr std::chrono::milliseconds kInterval{200};
}  // namespace

ProgressHook set_progress_hook(ProgressHook next) { return std::exchange(hook(), std::move(next)); }

Progress::Progress(std::string stage, std::size_t total)
    : stage_(std::move(stage)), total_(total), last_(std::chrono::steady_clock::now()) {
  if (hook()) hook()(stage_, 0, total_);
}

Progress::~Progress() {
  if (hook()) hook()(stage_, total_, total_);
}

void Progress::tick(std::size_t done) {
  if (!hook()) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < kInterval) return;
  last_ = now;
  hook()(stage_, done, total_);
}

}  // namespace dagrad::analysis
