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

// One row per study for the README's table: name, source, whether its quick edition holds, seconds.
struct StudyTableRow {
  std::string name, source, claim, measured;
  bool holds = false;
  double seconds = 0;
};
// The README's compact table and docs/studies.md's sections (claim and measured figures), both
// from the studies' own results.
std::string study_table_markdown(const std::vector<StudyTableRow>& rows);
std::string study_sections_markdown(const std::vector<StudyTableRow>& rows);

// `dagrad study-table`: every study's quick edition in registry order, each written as `dagrad study`
// writes it, then <out_dir>/study-table.md and <out_dir>/studies.md (scripts/study-table.sh puts them
// in README.md and docs/). Exit status 4 when some claim does not hold.
int run_study_table(const std::string& out_dir);

// `dagrad` with no subcommand: the demo's gradient cost table (sizes from `demo_options`, whose
// out_dir is replaced by `out_dir`), the Clarke example and quick editions of max-margin and
// deep-linear, written to <out_dir>/report.md with plots.
int run_report(const std::string& out_dir, const DemoOptions& demo_options = {});

}  // namespace dagrad::apps
