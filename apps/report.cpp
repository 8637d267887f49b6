#include "report.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/core.h>

#include "demo.hpp"

namespace dagrad::apps {

namespace {

analysis::StudyResult run_named(const std::string& name, bool quick) {
  using namespace analysis;
  if (name == "max-margin") {
    MaxMarginOptions o;
    if (quick) o.steps = 30000;
    return max_margin(o);
  }
  if (name == "max-margin-digits") {
    MaxMarginOptions o;
    o.digits = true;
    o.steps = quick ? 3000 : 20000;
    return max_margin(o);
  }
  if (name == "deep-linear") {
    DeepLinearOptions o;
    if (quick) o.steps = 10000;
    return deep_linear(o);
  }
  if (name == "balancedness") return balancedness_study({});
  if (name == "balancedness-linear") {
    BalancednessOptions o;
    o.activation = "linear";
    return balancedness_study(o);
  }
  if (name == "kinks") return kinks_study({});
  if (name == "landscape") {
    LandscapeOptions o;
    if (quick) o.widths = {8, 32};
    return landscape_study(o);
  }
  if (name == "lazy-vs-active") return lazy_vs_active({});
  if (name == "linear-conv") return linear_conv_study({});
  if (name == "mean-field") {
    MeanFieldOptions o;
    if (quick) o.widths = {5, 50, 500}, o.seeds = 2, o.steps = 1500;
    return mean_field(o);
  }
  if (name == "factorization") {
    FactorizationOptions o;
    if (quick) o.size = 30, o.rank = 2, o.observed = {200};
    return factorization_study(o);
  }
  throw Error("unknown study '" + name +
              "' (max-margin, max-margin-digits, deep-linear, balancedness, balancedness-linear, kinks, landscape, lazy-vs-active, factorization, linear-conv, mean-field)");
}

}  // namespace

std::string write_study(const analysis::StudyResult& r, const std::string& dir, const std::string& slug) {
  std::filesystem::create_directories(dir);
  std::string csv = dir + "/" + slug + ".csv", png = dir + "/" + slug + ".png", script = dir + "/" + slug + ".gp";
  std::ofstream out(csv);
  out.precision(12);
  for (std::size_t c = 0; c < r.columns.size(); ++c) out << (c ? "," : "") << r.columns[c];
  out << "\n";
  std::size_t rows = r.columns.empty() ? 0 : r.series.at(r.columns[0]).size();
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t c = 0; c < r.columns.size(); ++c) out << (c ? "," : "") << r.series.at(r.columns[c])[i];
    out << "\n";
  }
  out.close();
  std::size_t panels = r.columns.size() - 1;
  std::ofstream gp(script);
  gp << "set terminal pngcairo size " << 360 * std::min<std::size_t>(panels, 3) << "," << 300 * ((panels + 2) / 3) << "\n"
     << "set output '" << png << "'\nset datafile separator ','\nset multiplot layout " << (panels + 2) / 3 << ","
     << std::min<std::size_t>(panels, 3) << " title '" << r.name << "'\n" << (r.columns[0] == "depth" ? "unset logscale x\nset style data points\n" : "set logscale x\n")
     << "set xlabel '" << r.columns[0] << "'\nunset key\n";
  for (std::size_t c = 1; c < r.columns.size(); ++c) {
    bool log_y = r.columns[c].find("loss") != std::string::npos || r.columns[c].find("angle") != std::string::npos;
    gp << (log_y ? "set logscale y\n" : "unset logscale y\n") << "set title '" << r.columns[c] << "' noenhanced\n"
       << "plot '" << csv << "' using 1:" << c + 1 << (r.columns[0] == "depth" ? " with points pt 7\n" : " every ::1 with lines lw 2\n");
  }
  gp << "unset multiplot\n";
  if (!r.particles.empty()) {  // particles over time, coloured by snapshot
    std::string pcsv = dir + "/" + slug + "_particles.csv";
    std::ofstream pout(pcsv);
    pout << "snapshot,x,y\n";
    for (const auto& q : r.particles) pout << q[0] << ',' << q[1] << ',' << q[2] << '\n';
    gp << "set terminal pngcairo size 600,560\nset output '" << dir << "/" << slug << "_particles.png'\nunset logscale\n"
       << "set title 'particles |a_j| b_j over time' noenhanced\nset xlabel 'x'\nset ylabel 'y'\nset size ratio -1\n"
       << "plot '" << pcsv << "' every ::1 using 2:3:1 with points pt 7 ps 0.6 palette\n";
  }
  gp.close();
  bool plotted = std::system(("gnuplot '" + script + "' 2>/dev/null").c_str()) == 0;
  std::ostringstream md;
  md << "## " << r.name << "\n\n**Claim.** " << r.claim << "\n\n**Measured.** " << r.measured << "\n\n**Holds:** "
     << (r.holds ? "yes" : "NO") << "\n\n";
  if (plotted) md << "![" << r.name << "](" << slug << ".png)\n\n";
  if (plotted && !r.particles.empty()) md << "![particles](" << slug << "_particles.png)\n\n";
  md << "Data: `" << slug << ".csv`.\n\n";
  return md.str();
}

int run_study(const std::string& name, bool quick, const std::string& out_dir) {
  auto start = std::chrono::steady_clock::now();
  fmt::print("dagrad study {}{} ...\n", name, quick ? " (quick)" : "");
  analysis::StudyResult r = run_named(name, quick);
  std::string section = write_study(r, out_dir, name);
  std::ofstream(out_dir + "/" + name + ".md") << section;
  fmt::print("{}\n(took {:.1f}s; wrote {}/{}.csv, .png, .md)\n", section,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), out_dir, name);
  return r.holds ? 0 : 4;
}

int run_report(const std::string& out_dir) {
  auto start = std::chrono::steady_clock::now();
  std::filesystem::create_directories(out_dir);
  std::ostringstream md;
  md << "# dagrad report\n\nQuick editions of the headline studies; full runs: `dagrad study NAME`.\n\n";
  DemoOptions demo;
  demo.out_dir = out_dir;
  demo.markdown = &md;
  int status = run_demo(demo);
  bool all_hold = status == 0;
  for (const char* name : {"kinks", "max-margin", "deep-linear", "balancedness"}) {
    fmt::print("\nstudy {} ...\n", name);
    std::fflush(stdout);
    analysis::StudyResult r = run_named(name, true);
    fmt::print("  {}: {}\n", r.holds ? "holds" : "DOES NOT HOLD", r.measured);
    md << write_study(r, out_dir, name);
    all_hold = all_hold && r.holds;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  md << "---\nGenerated in " << fmt::format("{:.1f}", seconds) << " s.\n";
  std::ofstream(out_dir + "/report.md") << md.str();
  fmt::print("\nwrote {}/report.md ({:.1f}s)\n", out_dir, seconds);
  return all_hold ? 0 : 4;
}

}  // namespace dagrad::apps
