#pragma once
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace dagrad::apps {

struct CostCommand {
  bool quick = false;  // small sizes (seconds): the edition the report and tests use
  std::optional<int> repeats;
  std::uint64_t seed = 0;
  std::string dtype = "float64";
  std::string out_dir = "out/cost";
  std::ostream* markdown = nullptr;  // also appends the tables as markdown here
};

// Refuses --repeats below 1 or an --out that is a file (dagrad::Error naming the option).
void check_cost(const CostCommand& command);

// `dagrad cost`: the forward-vs-reverse cost study (analysis::cost_study). Prints its tables and
// fitted exponents, writes cost_{d,w,L,m}.csv, cost.png (log-log, gnuplot) and cost.md under out_dir.
// Exit status kClaimFails (4) when the methods disagree numerically.
int run_cost(const CostCommand& command);

}  // namespace dagrad::apps
