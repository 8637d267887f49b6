#pragma once
// Long studies report how far they are through a hook, so the library stays silent (tests, embedding
// programs) while the command line shows progress during runs of minutes or hours.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace dagrad::analysis {

using ProgressHook = std::function<void(const std::string& stage, std::size_t done, std::size_t total)>;

// Installs the process-wide hook (empty: silent, the default). Returns the previous one.
ProgressHook set_progress_hook(ProgressHook hook);

// One stage of a study (a depth, a seed, a width): tick() in the loop; the hook hears at most a few
// calls a second, and always the first and the last.
class Progress {
 public:
  Progress(std::string stage, std::size_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void tick(std::size_t done);

 private:
  std::string stage_;
  std::size_t total_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace dagrad::analysis
