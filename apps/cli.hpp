#pragma once
// The dagrad command line as a library: parsing, checking and running are separate steps, so tests
// and the fuzzer (tests/fuzz/fuzz_cli.cpp) drive every option without running a study.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cost.hpp"
#include "demo.hpp"
#include "report.hpp"
#include "train.hpp"

namespace dagrad::apps {

struct Invocation {
  enum class Command { report, demo, train, study, study_table, cost };
  Command command = Command::report;
  DemoOptions demo;
  TrainCommand train;
  CostCommand cost;
  std::string study_name, study_out = "out/studies", study_table_out = "out/study-table";
  bool study_quick = false;
  studies::StudyOverrides study_overrides;
  std::string report_out = "out";
  int blas_threads = 1;
  // Set when parsing already decided the outcome: --help (kSuccess, the help on `out`) or a
  // malformed command line (kUsage, CLI11's message on `err`).
  std::optional<int> exit_status;
};

// `args` excludes the program name.
Invocation parse_command_line(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Everything the chosen command can check before doing work (names, finite numbers, paths, sizes
// against this machine's memory); throws dagrad::Error naming the option.
void check_invocation(const Invocation& invocation);

// Checks, then runs the command; returns its exit status (apps/checks.hpp).
int run_invocation(const Invocation& invocation);

// main(): parse, check and run. Any error is one line on stderr ("dagrad: ...") and status kUsage (2)
// when parsing or checking refused the command line, kFailure (1) when running failed; nothing
// escapes as a crash (std::bad_alloc and filesystem errors included).
int run_command_line(int argc, const char* const* argv);

}  // namespace dagrad::apps
