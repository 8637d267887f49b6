#pragma once
// What derivatives cost, counted by the ops' cost model and timed: the full gradient of a scalar by
// reverse mode, forward mode and central differences; full Jacobians by jacfwd and jacrev; Jacobian
// chains in forward, reverse and cheapest order; and how each scales with the input dimension d,
// width w and depth L of an MLP (Griewank & Walther, "Evaluating Derivatives", 2nd ed., §4.6:
// reverse mode costs a small multiple of one evaluation, forward mode and differences d times it).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dagrad/autodiff/autodiff.hpp"
#include "dagrad/program/program.hpp"

namespace dagrad::analysis {

// One way of computing a derivative.
struct MethodCost {
  std::string method;
  double passes = 0;        // program runs for one full result
  double flops = 0;         // counted by the cost model over those runs (skipped Clarke passes excluded)
  double seconds = 0;       // median wall time of one full result
  double max_abs_diff = 0;  // against the reverse-mode result (0 for the reference rows)
};

// Median wall time of f: at least 3 and at most max_repeats calls, fewer once `budget` seconds are spent.
double median_seconds(const std::function<void()>& f, int max_repeats, double budget = 0.5);

// The full gradient of the scalar y with respect to the leaves `wrt` (inputs or parameters) at the
// values `at`, four ways, each a compiled program reused across calls. `bind` sets every other leaf.
class GradientMethods {
 public:
  GradientMethods(Graph& g, const Var& y, std::vector<Var> wrt, std::vector<Tensor> at,
                  const std::function<void(Program&)>& bind);
  Scalar value();                            // one evaluation
  const std::vector<Scalar>& reverse();      // one VJP, every element of wrt at once
  const std::vector<Scalar>& forward();      // one JVP per element of wrt (a basis tangent each)
  const std::vector<Scalar>& differences();  // central differences: two evaluations per element
  std::size_t dimension() const { return n_; }
  // Counted flops of one full result: {value, reverse, forward, differences}.
  std::vector<double> flops() const;

 private:
  Var y_;
  std::vector<Var> wrt_, tangents_, grads_;
  std::vector<Tensor> at_, basis_;
  std::size_t n_ = 0;
  Var directional_;
  std::unique_ptr<Program> value_, reverse_, forward_;
  std::vector<Scalar> reverse_out_, forward_out_, differences_out_;
};

// The four rows (value, reverse, forward, differences), timed by median_seconds.
std::vector<MethodCost> gradient_costs(GradientMethods& methods, int repeats);

// The full Jacobian of y with respect to the leaf x at `at` by jacobian(y, x, Forward) (jacfwd: one
// JVP per input element), jacobian(y, x, Reverse) (jacrev: one VJP per output element) and Auto,
// each one compiled program sharing the primal evaluation. Rows: jacfwd, jacrev, Auto (its pick
// is cheaper_mode(d, m)).
std::vector<MethodCost> jacobian_costs(Graph& g, const Var& y, const Var& x, const Tensor& at,
                                       const std::function<void(Program&)>& bind, int repeats);

// Sweeps of a tanh MLP g: R^d → R (one example, `depth` hidden layers of `width`) over d, w and L,
// and of a map R^d → R^m over m for the Jacobians; one size varies while the others stay at the
// defaults below.
struct CostOptions {
  std::size_t d = 16, width = 256, depth = 4;
  std::vector<std::size_t> ds{4, 8, 16, 32, 64, 128}, widths{64, 128, 256, 512, 1024}, depths{4, 8, 16, 32, 64};
  std::size_t jacobian_inputs = 32;
  std::vector<std::size_t> jacobian_outputs{1, 4, 16, 64, 256};
  // Widths x_0 … x_L of a tanh chain for the Jacobian-accumulation comparison.
  std::vector<std::size_t> chain{64, 512, 8, 512, 8, 512, 16};
  int repeats = 7;
  std::uint64_t seed = 0;
  DType dtype = DType::Float64;  // of every graph the study builds
};
CostOptions quick_cost_options();  // small sizes: seconds, for tests and the report

struct CostPoint {
  std::string sweep;  // "d", "w", "L" (gradient) or "m" (Jacobian)
  std::size_t size = 0;
  std::vector<MethodCost> methods;
  std::string note;  // e.g. which mode Auto picked
};
// A log-log slope of cost against the swept size, next to the textbook exponent.
struct CostFit {
  std::string sweep, method;
  double textbook = 0, flops_exponent = 0, time_exponent = 0;
};
struct CostStudy {
  std::vector<CostPoint> points;
  std::vector<CostFit> fits;
  ChainOrder chain;        // the matrix-free plan jacobian_chain(Auto) follows, stage costs from the cost model
  ChainOrder chain_given;  // the matrix-chain order if the local Jacobians were given
  // jacobian_chain in Forward, Reverse and Auto mode; max_abs_diff against the first row.
  std::vector<MethodCost> chain_costs;
};
CostStudy cost_study(const CostOptions& options);

}  // namespace dagrad::analysis
