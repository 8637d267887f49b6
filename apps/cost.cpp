#include "cost.hpp"

#include <chrono>
#include <sstream>

#include <fmt/core.h>

#include "checks.hpp"
#include "dagrad/analysis/cost.hpp"
#include "dagrad/data/files.hpp"
#include "plot.hpp"

namespace dagrad::apps {

namespace {

const char* sweep_title(const std::string& sweep) {
  if (sweep == "d") return "gradient of R^d -> R against input dimension d";
  if (sweep == "w") return "gradient against width w";
  if (sweep == "L") return "gradient against depth L";
  return "Jacobian of R^d -> R^m against outputs m";
}

// One wide CSV per sweep (size, flops per method, seconds per method) for gnuplot.
void write_sweep_csv(const analysis::CostStudy& study, const std::string& sweep, const std::string& path) {
  std::ostringstream out;
  out.precision(10);
  bool header = false;
  for (const auto& p : study.points) {
    if (p.sweep != sweep) continue;
    if (!header) {
      out << sweep;
      for (const auto& m : p.methods) out << ",flops " << m.method;
      for (const auto& m : p.methods) out << ",seconds " << m.method;
      out << "\n";
      header = true;
    }
    out << p.size;
    for (const auto& m : p.methods) out << "," << m.flops;
    for (const auto& m : p.methods) out << "," << m.seconds;
    out << "\n";
  }
  data::write_file(path, out.str());
}

// Counted flops (top row) and measured time (bottom row) against each swept size, log-log. The
// directory reaches gnuplot as ARG1, never inside the script.
bool plot(const analysis::CostStudy& study, const std::string& dir) {
  const char* sweeps[4] = {"d", "w", "L", "m"};
  std::ostringstream gp;
  gp << "set terminal pngcairo size 1600,760\nset output ARG1.'/cost.png'\nset datafile separator ','\n"
     << "set multiplot layout 2,4 title 'cost of derivatives: counted flops (top), median time (bottom)'\n"
     << "set logscale xy\nset format y '10^{%L}'\nset key top left Left reverse font ',7'\nset grid\n";
  for (int row = 0; row < 2; ++row)
    for (const char* sweep : sweeps) {
      std::vector<std::string> method_names;
      for (const auto& p : study.points)
        if (p.sweep == sweep && method_names.empty())
          for (const auto& m : p.methods) method_names.push_back(m.method);
      const std::size_t methods = method_names.size();
      gp << "set title " << gnuplot_quoted(sweep_title(sweep)) << " noenhanced font ',9'\nset xlabel "
         << gnuplot_quoted(sweep) << "\nset ylabel '" << (row == 0 ? "flops" : "seconds") << "'\nplot ";
      for (std::size_t m = 0; m < methods; ++m)
        gp << (m ? ", " : "") << "ARG1." << gnuplot_quoted("/cost_" + std::string(sweep) + ".csv")
           << " using 1:" << 2 + row * methods + m << " with linespoints lw 2 pt 7 title "
           << gnuplot_quoted(method_names[m]) << " noenhanced";
      gp << "\n";
    }
  gp << "unset multiplot\n";
  return run_gnuplot(dir + "/cost.gp", gp.str(), {dir}, {dir + "/cost.png"});
}

std::string table(const analysis::CostStudy& study, const std::string& sweep) {
  std::ostringstream md;
  bool header = false;
  for (const auto& p : study.points) {
    if (p.sweep != sweep) continue;
    if (!header) {
      md << "| " << sweep;
      for (const auto& m : p.methods) md << " | " << m.method << ": flops, ms";
      md << (p.note.empty() ? "" : " | ") << " |\n|---";
      for (std::size_t m = 0; m < p.methods.size() + !p.note.empty(); ++m) md << "|---";
      md << "|\n";
      header = true;
    }
    md << "| " << p.size;
    for (const auto& m : p.methods) md << fmt::format(" | {:.3g}, {:.3g}", m.flops, m.seconds * 1e3);
    md << (p.note.empty() ? "" : " | " + p.note) << " |\n";
  }
  return md.str();
}

}  // namespace

void check_cost(const CostCommand& c) {
  if (c.repeats && *c.repeats < 1) throw Error("cost: --repeats must be positive");
  require_directory_or_absent("--out", c.out_dir);
}

int run_cost(const CostCommand& c) {
  check_cost(c);
  data::require_writable_directory("--out", c.out_dir);
  auto start = std::chrono::steady_clock::now();
  analysis::CostOptions o = c.quick ? analysis::quick_cost_options() : analysis::CostOptions{};
  if (c.repeats) o.repeats = *c.repeats;
  o.seed = c.seed;
  o.dtype = parse_dtype(c.dtype);
  fmt::print("dagrad cost{}: tanh MLP, one example, {}; d = {}, w = {}, L = {} unless swept; median of up to {} runs\n",
             c.quick ? " (quick)" : "", c.dtype, o.d, o.width, o.depth, o.repeats);
  std::fflush(stdout);
  analysis::CostStudy study = analysis::cost_study(o);

  std::ostringstream md;
  md << "## Forward vs reverse mode: what derivatives cost\n\n"
     << fmt::format(
            "A tanh MLP g: R^d -> R on one example, L hidden layers of width w (d = {}, w = {}, L = {} "
            "unless swept). Each cell: flops counted by the cost model, median milliseconds.\n\n",
            o.d, o.width, o.depth);
  for (const char* sweep : {"d", "w", "L", "m"}) {
    md << "### " << sweep_title(sweep) << "\n\n";
    if (std::string(sweep) == "m") md << "Input dimension d = " << o.jacobian_inputs << ".\n\n";
    md << table(study, sweep) << "\n";
  }
  md << "### Fitted exponents (log-log slope of cost against the swept size)\n\n"
     << "| sweep | method | textbook | fitted (flops) | fitted (time) |\n|---|---|---|---|---|\n";
  for (const auto& f : study.fits)
    md << fmt::format("| {} | {} | {:g} | {:.2f} | {:.2f} |\n", f.sweep, f.method, f.textbook, f.flops_exponent,
                      f.time_exponent);
  md << "\nTextbook: a function value costs O(dw + w²L), O(w²L) for d ≪ w; reverse mode a small multiple of it; "
        "forward mode and central differences d times it. jacfwd costs d JVPs whatever m is, jacrev m VJPs.\n\n";
  const auto& ch = study.chain;
  std::string sizes;
  for (std::size_t k = 0; k < ch.sizes.size(); ++k) sizes += (k ? ", " : "") + std::to_string(ch.sizes[k]);
  md << "### Jacobian accumulation along a chain\n\nA tanh chain x_k = tanh(W_k x_{k-1}) with sizes " << sizes
     << " (input first). Mode::Auto's plan, by dynamic programming over segments (each pushed through by "
        "tangents or adjoints, or multiplied from two shorter ones): `"
     << ch.bracketing << "`.\n\n"
     << "| mode | predicted multiplications | counted flops | time [ms] | max abs diff |\n|---|---|---|---|---|\n";
  const double predicted[3] = {ch.forward, ch.reverse, ch.multiplications};
  for (std::size_t r = 0; r < study.chain_costs.size(); ++r) {
    const auto& m = study.chain_costs[r];
    md << fmt::format("| {} | {:.4g} | {:.4g} | {:.3f} | {:.1e} |\n", m.method, predicted[r], m.flops, m.seconds * 1e3,
                      m.max_abs_diff);
  }
  md << fmt::format(
      "\nWere the local Jacobians given, multiplying them would cost {:.4g} multiplications right to left, "
      "{:.4g} left to right and {:.4g} in the matrix-chain order `{}`.\n\n",
      study.chain_given.forward, study.chain_given.reverse, study.chain_given.multiplications,
      study.chain_given.bracketing);

  for (const char* sweep : {"d", "w", "L", "m"})
    write_sweep_csv(study, sweep, c.out_dir + "/cost_" + std::string(sweep) + ".csv");
  bool plotted = plot(study, c.out_dir);
  if (plotted) md << "![cost](cost.png)\n\n";
  md << "Data: `cost_d.csv`, `cost_w.csv`, `cost_L.csv`, `cost_m.csv`.\n\n";
  data::write_file(c.out_dir + "/cost.md", md.str());
  if (c.markdown) *c.markdown << md.str();
  // As for the studies: gnuplot-nox is a main-job package, so a missing figure is a failure, named,
  // after the tables and cost.md are written.
  if (!plotted)
    throw Error("gnuplot did not render " + c.out_dir + "/cost.png (scripts/install-deps.sh installs gnuplot-nox); " +
                "the data are in " + c.out_dir + "/cost_*.csv");
  fmt::print("\n{}(took {:.1f}s; wrote {}/cost_*.csv, {}cost.md)\n", md.str(),
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), c.out_dir,
             plotted ? "cost.png, " : "");

  // Forward mode agrees up to rounding, differences to O(h²); the Jacobian orders up to rounding.
  double worst_forward = 0, worst_differences = 0, worst_jacobian = 0;
  for (const auto& p : study.points) {
    if (p.sweep == "m") {
      worst_jacobian = std::max({worst_jacobian, p.methods[0].max_abs_diff, p.methods[2].max_abs_diff});
    } else {
      worst_forward = std::max(worst_forward, p.methods[2].max_abs_diff);
      worst_differences = std::max(worst_differences, p.methods[3].max_abs_diff);
    }
  }
  for (const auto& m : study.chain_costs) worst_jacobian = std::max(worst_jacobian, m.max_abs_diff);
  const GradientAgreement agree(o.dtype);
  if (worst_forward > agree.modes || worst_differences > agree.differences || worst_jacobian > agree.modes) {
    fmt::print(stderr, "dagrad cost: methods disagree (forward {:.2e}, differences {:.2e}, Jacobians {:.2e})\n",
               worst_forward, worst_differences, worst_jacobian);
    return kClaimFails;
  }
  return 0;
}

}  // namespace dagrad::apps
