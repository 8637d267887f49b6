#pragma once
#include <cstdint>
#include <ostream>
#include <string>

namespace dagrad::apps {

struct DemoOptions {
  std::size_t inputs = 8;
  std::size_t width = 32;
  std::size_t depth = 2;  // hidden layers
  std::size_t batch = 64;
  std::uint64_t seed = 0;
  std::string dtype = "float64";
  int repeats = 20;
  std::string out_dir = "out";
  std::ostream* markdown = nullptr;  // also appends the cost table as markdown here
};

// Forward mode and differences in the cost table take one pass per parameter: beyond this the demo
// would run for hours.
inline constexpr double kMaxDemoParameters = 2e5;

// Refuses sizes of zero, more than kMaxDemoParameters, more memory than this machine has, or an --out
// that is a file: throws dagrad::Error naming the option.
void check_demo(const DemoOptions& options);

// Checks, then builds a tanh MLP with a logistic loss on synthetic data, prints loss and gradient norm,
// writes its DOT file, and prints the full-gradient cost table. Returns a process exit code.
int run_demo(const DemoOptions& options);

}  // namespace dagrad::apps
