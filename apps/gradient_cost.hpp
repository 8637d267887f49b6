#pragma once
// One evaluation of a scalar, then its full gradient three ways — reverse mode, forward mode (one JVP per parameter
// element) and central finite differences (two evaluations per element) — counted by the cost
// model and timed, each checked against the reverse-mode answer.
#include <string>
#include <vector>

#include "dagrad.hpp"

namespace dagrad::apps {

struct GradientCost {
  std::string method;
  double passes = 0;        // program runs needed for one full gradient
  double flops = 0;         // counted by the cost model over all passes
  double seconds = 0;       // median wall time of one full gradient
  double max_abs_diff = 0;  // against the reverse-mode gradient (0 for the value and reverse rows)
};

// `loss` depends on the store's parameters; `data` binds every input it reads.
std::vector<GradientCost> gradient_costs(Graph& g, const Var& loss, ParamStore& store,
                                         const std::vector<std::pair<Var, Tensor>>& data, int repeats);

}  // namespace dagrad::apps
