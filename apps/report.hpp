#pragma once
#include <string>
#include <vector>

#include "dagrad/studies/registry.hpp"
#include "demo.hpp"

namespace dagrad::apps {

// Writes <dir>/<slug>.csv and <dir>/<slug>.png (gnuplot: every column against the step, log-scaled
// steps, log-scaled losses) and returns the study's markdown section.
std::string write_study(const studies::StudyResult& result, const std::string& dir, const std::string& slug);

// Refuses an unknown study or an override it does not have (Error naming both), without running it.
void check_study(const std::string& name, bool quick, const studies::StudyOverrides& overrides = {});

// `dagrad study NAME`: runs one study in full (or quick) and prints its section. Exit status 4 when
// the claim does not hold. Progress goes to stderr.
int run_study(const std::string& name, bool quick, const std::string& out_dir,
              const studies::StudyOverrides& overrides = {});

// `dagrad` with no subcommand: the demo's gradient cost table (sizes from `demo_options`, whose
// out_dir is replaced by `out_dir`), the Clarke example and quick editions of max-margin and
// deep-linear, written to <out_dir>/report.md with plots.
int run_report(const std::string& out_dir, const DemoOptions& demo_options = {});

}  // namespace dagrad::apps
