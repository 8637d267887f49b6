#include "report.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <sstream>

#include <unistd.h>

#include <fmt/core.h>
#include <fmt/format.h>

#include "checks.hpp"
#include "cost.hpp"
#include "dagrad/analysis/progress.hpp"
#include "dagrad/data/files.hpp"
#include "demo.hpp"
#include "plot.hpp"

namespace dagrad::apps {

namespace {

// Progress of long studies on stderr: one rewritten line on a terminal, a line every ten seconds in
// logs (CI, nohup) so they stay readable.
class ProgressPrinter {
 public:
  ProgressPrinter() : terminal_(isatty(fileno(stderr)) != 0) {
    previous_ = analysis::set_progress_hook(
        [this](const std::string& stage, std::size_t done, std::size_t total) { show(stage, done, total); });
  }
  ~ProgressPrinter() { analysis::set_progress_hook(std::move(previous_)); }
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

 private:
  void show(const std::string& stage, std::size_t done, std::size_t total) {
    auto now = std::chrono::steady_clock::now();
    double elapsed = std::chrono::duration<double>(now - started_).count();
    bool finished = done >= total;
    if (!terminal_ && !finished && done != 0 && now - last_line_ < std::chrono::seconds(10)) return;
    last_line_ = now;
    std::string line = fmt::format("  {}: {}/{} ({:.0f}%), {:.0f}s", stage, done, total,
                                   total ? 100.0 * done / total : 100.0, elapsed);
    if (terminal_)
      fmt::print(stderr, "\r{:<100}{}", line, finished ? "\n" : "");
    else
      fmt::print(stderr, "{}\n", line);
    std::fflush(stderr);
  }
  bool terminal_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now(), last_line_ = started_;
  analysis::ProgressHook previous_;
};

// The named study with its options resolved (quick edition, then overrides), not yet run: an unknown
// name or an option the study does not have is refused here, before any work.
std::function<studies::StudyResult()> resolve_study(const std::string& name, bool quick,
                                                    const studies::StudyOverrides& v) {
  return studies::find_study(name).prepare(quick, v);
}

}  // namespace

std::string write_study(const studies::StudyResult& r, const std::string& dir, const std::string& slug) {
  data::require_writable_directory("the study's output directory", dir);
  std::string csv = dir + "/" + slug + ".csv", png = dir + "/" + slug + ".png";
  std::string particles_csv = dir + "/" + slug + "_particles.csv", particles_png = dir + "/" + slug + "_particles.png";
  std::ostringstream out;
  out.precision(12);
  for (std::size_t c = 0; c < r.columns.size(); ++c) out << (c ? "," : "") << r.columns[c];
  out << "\n";
  std::size_t rows = r.columns.empty() ? 0 : r.series.at(r.columns[0]).size();
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t c = 0; c < r.columns.size(); ++c) out << (c ? "," : "") << r.series.at(r.columns[c])[i];
    out << "\n";
  }
  data::write_file(csv, out.str());
  // Paths reach gnuplot as ARG1..ARG4, never inside the script; the labels are dagrad's, quoted.
  // Columns named "panel | line" share one panel (with a key); any other column is a panel alone.
  struct Panel {
    std::string title;
    std::vector<std::pair<std::size_t, std::string>> lines;  // column index, label
  };
  std::vector<Panel> panel_list;
  for (std::size_t c = 1; c < r.columns.size(); ++c) {
    std::size_t bar = r.columns[c].find(" | ");
    std::string title = bar == std::string::npos ? r.columns[c] : r.columns[c].substr(0, bar);
    std::string label = bar == std::string::npos ? "" : r.columns[c].substr(bar + 3);
    auto it = std::find_if(panel_list.begin(), panel_list.end(), [&](const Panel& p) { return p.title == title; });
    if (bar == std::string::npos || it == panel_list.end()) it = panel_list.insert(panel_list.end(), Panel{title, {}});
    it->lines.push_back({c, label});
  }
  std::size_t panels = panel_list.size();
  std::ostringstream gp;
  gp << "set terminal pngcairo font ',9' size " << 480 * std::min<std::size_t>(panels, 3) << ","
     << 380 * ((panels + 2) / 3) << "\n"
     << "set output ARG2\nset datafile separator ','\nset multiplot layout " << (panels + 2) / 3 << ","
     << std::min<std::size_t>(panels, 3) << " title " << gnuplot_quoted(r.name) << " noenhanced\n"
     << (r.columns[0] == "depth" ? "unset logscale x\nset style data points\n"
         : r.log_x               ? "set logscale x\n"
                                 : "unset logscale x\n")
     << "set xlabel " << gnuplot_quoted(r.x_label.empty() ? r.columns[0] : r.x_label) << " noenhanced\n";
  auto column_index = [&](const std::string& name) {
    auto it = std::find(r.columns.begin(), r.columns.end(), name);
    if (it == r.columns.end())
      throw Error("study '" + r.name + "': a plot band names the column '" + name + "', which the study lacks");
    return std::to_string(it - r.columns.begin() + 1);
  };
  for (const Panel& panel : panel_list) {
    auto styled = r.panel_styles.find(panel.title);
    const bool log_y = styled != r.panel_styles.end() ? styled->second.log_y
                                                      : panel.title.find("loss") != std::string::npos ||
                                                            panel.title.find("angle") != std::string::npos;
    gp << (log_y ? "set logscale y\n" : "unset logscale y\n") << "set title " << gnuplot_quoted(panel.title)
       << " noenhanced\n"
       << "set ylabel "
       << gnuplot_quoted(styled != r.panel_styles.end() && !styled->second.y_label.empty() ? styled->second.y_label
                                                                                           : panel.title)
       << " noenhanced\n"
       << (panel.lines.size() > 1 ? "set key top left font ',8' noenhanced\n" : "unset key\n") << "plot ";
    if (styled != r.panel_styles.end() && !styled->second.band_center.empty()) {
      // The band first, so the lines draw over it; on a log axis its lower edge is clipped to positive values.
      const std::string c = "column(" + column_index(styled->second.band_center) + ")",
                        s = "column(" + column_index(styled->second.band_spread) + ")";
      const std::string low =
          log_y ? "(" + c + " - " + s + " > 0 ? " + c + " - " + s + " : " + c + " / 10)" : c + " - " + s;
      gp << "ARG1 using 1:(" << low << "):(" << c << " + " << s
         << ") every ::1 with filledcurves fillcolor rgb '#c8c8e8' fillstyle transparent solid 0.5 title "
         << gnuplot_quoted("+- " + styled->second.band_spread) << ", ";
    }
    for (std::size_t l = 0; l < panel.lines.size(); ++l) {
      const auto& [c, label] = panel.lines[l];
      // A log axis takes positive normal numbers only: gnuplot refuses a range reaching a loss that
      // underflowed to a subnormal or 0 (normalized GD's, in max-margin) and the whole plot was lost.
      std::string column = "column(" + std::to_string(c + 1) + ")";
      std::string y = log_y ? "(" + column + " >= 2.3e-308 ? " + column + " : 1/0)" : std::to_string(c + 1);
      gp << (l ? ", " : "") << "ARG1 using 1:" << y
         << (r.columns[0] == "depth" ? " with points pt 7" : " every ::1 with lines lw 2")
         << (label.empty() ? "" : " title " + gnuplot_quoted(label));
    }
    gp << "\n";
  }
  gp << "unset multiplot\n";
  std::vector<std::string> outputs{png};
  if (!r.particles.empty()) {  // particles over time, coloured by snapshot
    std::ostringstream pout;
    pout << "snapshot,x,y\n";
    for (const auto& q : r.particles) pout << q[0] << ',' << q[1] << ',' << q[2] << '\n';
    data::write_file(particles_csv, pout.str());
    gp << "set terminal pngcairo size 600,560\nset output ARG4\nunset logscale\n"
       << "set title 'particles |a_j| b_j over time' noenhanced\nset xlabel 'x'\nset ylabel 'y'\nset size ratio -1\n"
       << "plot ARG3 every ::1 using 2:3:1 with points pt 7 ps 0.6 palette\n";
    outputs.push_back(particles_png);
  }
  bool plotted = run_gnuplot(dir + "/" + slug + ".gp", gp.str(), {csv, png, particles_csv, particles_png}, outputs);
  // gnuplot-nox is one of the main job's packages: a figure that does not render is a failure, named,
  // never a report that silently lacks it. The CSV is written first and stays.
  if (!plotted)
    throw Error("gnuplot did not render " + png + " (rerun `gnuplot -c " + dir + "/" + slug + ".gp " + csv + " " + png +
                "` to see why; scripts/install-deps.sh installs gnuplot-nox); the data is in " + csv);
  std::vector<std::string> table_images;
  for (const studies::StudyResult& table : r.tables) {
    const bool file_safe = !table.name.empty() && std::all_of(table.name.begin(), table.name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!file_safe)
      throw Error("study '" + r.name + "': a table's name must be a file suffix of a-z, 0-9 and '-', got '" +
                  table.name + "'");
    write_study(table, dir, slug + "_" + table.name);  // its CSV and figure; its section is not used
    table_images.push_back(slug + "_" + table.name);
  }
  std::ostringstream md;
  md << "## " << r.name << "\n\n**Claim.** " << r.claim << "\n\n**Measured.** " << r.measured << "\n\n**Holds:** "
     << (r.holds ? "yes" : "NO") << "\n\n";
  if (plotted) md << "![" << r.name << "](" << slug << ".png)\n\n";
  if (plotted && !r.particles.empty()) md << "![particles](" << slug << "_particles.png)\n\n";
  for (const std::string& image : table_images) md << "![" << image << "](" << image << ".png)\n\n";
  md << "Data: `" << slug << ".csv`.\n\n";
  return md.str();
}

void check_study(const std::string& name, bool quick, const studies::StudyOverrides& overrides) {
  resolve_study(name, quick, overrides);
}

int run_study(const std::string& name, bool quick, const std::string& out_dir,
              const studies::StudyOverrides& overrides) {
  check_study(name, quick, overrides);
  data::require_writable_directory("--out", out_dir);
  auto start = std::chrono::steady_clock::now();
  fmt::print("dagrad study {}{} ...\n", name, quick ? " (quick)" : "");
  std::fflush(stdout);
  ProgressPrinter printer;
  studies::StudyResult r = resolve_study(name, quick, overrides)();
  std::string section = write_study(r, out_dir, name);
  data::write_file(out_dir + "/" + name + ".md", section);
  bool plotted = section.find(".png)") != std::string::npos;
  fmt::print("{}\n(took {:.1f}s; wrote {}/{}.csv, {}.md)\n", section,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), out_dir, name,
             plotted ? ".png, " : "");
  return r.holds ? kSuccess : kClaimFails;
}

std::string study_table_markdown(const std::vector<StudyTableRow>& rows) {
  std::ostringstream md;
  md << "| study | source | quick edition | seconds |\n|---|---|---|---|\n";
  for (const StudyTableRow& row : rows)
    md << "| [`" << row.name << "`](docs/studies.md#" << row.name << ") | " << row.source << " | "
       << (row.holds ? "holds" : "**does not hold**") << " | " << fmt::format("{:.1f}", row.seconds) << " |\n";
  return md.str();
}

std::string study_sections_markdown(const std::vector<StudyTableRow>& rows) {
  std::ostringstream md;
  md << "# Studies: claims and quick-edition figures\n\nGenerated by `scripts/study-table.sh` (`dagrad study-table`) "
        "from the studies' own results; do not edit by hand. Full editions: `dagrad study NAME`; the figures of "
        "full runs, mutations and history are in [results.md](results.md).\n\n";
  for (const StudyTableRow& row : rows)
    md << "## " << row.name << "\n\n**Source.** " << row.source << "\n\n**Claim.** " << row.claim
       << "\n\n**Measured (quick edition, seed 0, " << fmt::format("{:.1f}", row.seconds) << " s).** " << row.measured
       << "\n\n**Holds:** " << (row.holds ? "yes" : "NO") << "\n\n";
  return md.str();
}

int run_study_table(const std::string& out_dir) {
  data::require_writable_directory("--out", out_dir);
  ProgressPrinter printer;
  std::vector<StudyTableRow> rows;
  for (const studies::StudyEntry& study : studies::registry()) {
    fmt::print("study {} (quick) ...\n", study.name);
    std::fflush(stdout);
    auto start = std::chrono::steady_clock::now();
    studies::StudyResult r = study.prepare(true, {})();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    data::write_file(out_dir + "/" + study.name + ".md", write_study(r, out_dir, study.name));
    rows.push_back({study.name, study.source, study.claim, r.measured, r.holds, seconds});
    fmt::print("  {} ({:.1f}s)\n", r.holds ? "holds" : "DOES NOT HOLD", seconds);
  }
  data::write_file(out_dir + "/study-table.md", study_table_markdown(rows));
  data::write_file(out_dir + "/studies.md", study_sections_markdown(rows));
  fmt::print("wrote {}/study-table.md and {}/studies.md\n", out_dir, out_dir);
  const bool all_hold = std::all_of(rows.begin(), rows.end(), [](const StudyTableRow& row) { return row.holds; });
  return all_hold ? kSuccess : kClaimFails;
}

int run_report(const std::string& out_dir, const DemoOptions& demo_options) {
  auto start = std::chrono::steady_clock::now();
  data::require_writable_directory("--report-out", out_dir);
  ProgressPrinter printer;
  std::ostringstream md;
  md << "# dagrad report\n\nQuick editions of the headline studies; full runs: `dagrad study NAME`.\n\n";
  DemoOptions demo = demo_options;
  demo.out_dir = out_dir;
  demo.markdown = &md;
  int status = run_demo(demo);
  fmt::print("\n");
  CostCommand cost;
  cost.quick = true;
  cost.out_dir = out_dir;
  cost.markdown = &md;
  status = std::max(status, run_cost(cost));
  bool all_hold = status == 0;
  for (const studies::StudyEntry& study : studies::registry()) {
    if (!study.in_report) continue;
    const std::string& name = study.name;
    fmt::print("\nstudy {} ...\n", name);
    std::fflush(stdout);
    studies::StudyResult r = study.prepare(true, {})();
    fmt::print("  {}: {}\n", r.holds ? "holds" : "DOES NOT HOLD", r.measured);
    md << write_study(r, out_dir, name);
    all_hold = all_hold && r.holds;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  md << "---\nGenerated in " << fmt::format("{:.1f}", seconds) << " s.\n";
  data::write_file(out_dir + "/report.md", md.str());
  fmt::print("\nwrote {}/report.md ({:.1f}s)\n", out_dir, seconds);
  return all_hold ? kSuccess : kClaimFails;
}

}  // namespace dagrad::apps
