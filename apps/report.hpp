#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dagrad/analysis/studies.hpp"
#include "demo.hpp"

namespace dagrad::apps {

// Writes <dir>/<slug>.csv and <dir>/<slug>.png (gnuplot: every column against the step, log-scaled
// steps, log-scaled losses) and returns the study's markdown section.
std::string write_study(const analysis::StudyResult& result, const std::string& dir, const std::string& slug);

// Command-line overrides of a study's options, for reruns with other seeds and sizes. Setting one the
// study does not have is an error naming the study and the option.
struct StudyOverrides {
  std::optional<std::uint64_t> seed;
  std::optional<std::size_t> steps, n, d, width, depth, size, rank;
  std::optional<double> lr;
  std::vector<std::size_t> depths, observed, widths;
  std::vector<double> init_scales;
};

// The studies `dagrad study NAME` runs, in the order the help lists them.
const std::vector<std::string>& study_names();
// study_names() as one comma-separated line, for help and error messages.
std::string study_name_list();

// Refuses an unknown study or an override it does not have (Error naming both), without running it.
void check_study(const std::string& name, bool quick, const StudyOverrides& overrides = {});

// `dagrad study NAME`: runs one study in full (or quick) and prints its section. Exit status 4 when
// the claim does not hold. Progress goes to stderr.
int run_study(const std::string& name, bool quick, const std::string& out_dir, const StudyOverrides& overrides = {});

// `dagrad` with no subcommand: the demo's gradient cost table (sizes from `demo_options`, whose
// out_dir is replaced by `out_dir`), the Clarke example and quick editions of max-margin and
// deep-linear, written to <out_dir>/report.md with plots.
int run_report(const std::string& out_dir, const DemoOptions& demo_options = {});

}  // namespace dagrad::apps
