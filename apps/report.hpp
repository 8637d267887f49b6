#pragma once
#include <string>

#include "analysis/studies.hpp"

namespace dagrad::apps {

// Writes <dir>/<slug>.csv and <dir>/<slug>.png (gnuplot: every column against the step, log-scaled
// steps, log-scaled losses) and returns the study's markdown section.
std::string write_study(const analysis::StudyResult& result, const std::string& dir, const std::string& slug);

// `dagrad study NAME`: runs one study in full (or quick) and prints its section. Exit status 4 when
// the claim does not hold.
int run_study(const std::string& name, bool quick, const std::string& out_dir);

// `dagrad` with no arguments: the demo's gradient cost table, the Clarke example and quick editions
// of max-margin and deep-linear, written to <out_dir>/report.md with plots.
int run_report(const std::string& out_dir);

}  // namespace dagrad::apps
