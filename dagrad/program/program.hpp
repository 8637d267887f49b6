#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dagrad/graph/graph.hpp"
#include "dagrad/ops/op.hpp"
#include "dagrad/params/param_store.hpp"

namespace dagrad {

struct ProgramOptions {
  bool check_finite = false;  // throw NumericError naming the first node that yields NaN/Inf
  bool time_nodes = false;    // record per-node wall time of every run
  bool report_kinks = true;   // count kink elements of every piece selector after each run
  // Parameters get no arena space: a training program reads them where bind(store) points, so a
  // copy in the arena would only double their memory. set() on one gives it a buffer of its own.
  bool parameters_outside = false;
  // Outputs the program's ops write straight into memory that outlives it (a ParamStore's gradient
  // buffer: no arena copy, no copy after each run). Each must be an output computed by an op; the
  // memory must hold the output's size.
  std::vector<std::pair<Var, Scalar*>> outputs_outside = {};
  // A float32 or bfloat16 program makes these outputs' float32 results here (a ParamStore's float32
  // gradients), where their op runs a float32 kernel (made_in_float), and widens them into their
  // float64 memory only while `float_outputs_store` has its gradients exposed, or when view() or
  // get() reads them.
  std::vector<std::pair<Var, float*>> float_outputs_outside = {};
  const ParamStore* float_outputs_store = nullptr;
  // In a float32 or bfloat16 graph, the Clarke directional pass's tangents are not rounded to the
  // dtype: they only decide pieces by their signs, and a tangent that cancels in low precision can
  // round to 0 (undecided) or change sign where float64 decides it (docs/design.md, "Precision").
  bool wide_directions = true;
  // In a float32 or bfloat16 graph, ops with float32 kernels (matmul and the elementwise glue of
  // training) run on float32 memory, as PyTorch's do, instead of on float64 buffers holding values
  // of the dtype. Every number is the same bit for bit either way; false is the reference path the
  // tests compare with.
  bool float_kernels = true;
};

// Where the last run met kinks, per subgradient policy and per nonsmooth node: one entry for each
// (policy, node) whose selectors saw any. A Clarke entry says how many kinks its directions decided
// and how many stayed tied (and of those, how many are unqualified: the pieces differ, so no
// direction could decide them); a Convention entry's kinks all took the fixed derivative.
enum class KinkPolicy { Clarke, Convention };
const char* to_string(KinkPolicy policy);
struct KinkSite {
  std::string site;
  KinkPolicy policy = KinkPolicy::Clarke;
  KinkCount count;
};
struct KinkReport {
  bool has_directional_pass = false;  // the program differentiates with Clarke directions
  bool directional_pass_ran = false;  // ... and in the last run they were read at a kink
  bool directional_ops_ran =
      false;  // the pass's tangent ops ran (skipped when no selector that reads them was at a kink)
  std::vector<KinkSite> sites;
  std::size_t kinks() const;  // every policy
  std::size_t kinks(KinkPolicy policy) const;
  std::size_t decided() const;      // Clarke: settled by a direction
  std::size_t unresolved() const;   // Clarke: tied on every direction
  std::size_t unqualified() const;  // Clarke: tied where the pieces differ
  bool qualified() const { return unqualified() == 0; }
  std::string summary() const;  // one line per policy and node
};

struct NodeTiming {
  NodeId node;
  std::string name;
  std::string op;
  double seconds = 0;  // summed over runs
};

struct ProgramStats {
  Cost per_run;      // from the ops' cost model, over the scheduled ops
  Cost directional;  // the part of per_run in a skippable Clarke directional pass
  std::size_t runs = 0;
  double executed_flops = 0;          // summed over runs, without directional passes that were skipped
  std::size_t peak_live_bytes = 0;    // largest total of simultaneously live arena buffers, leaves included
  std::size_t arena_bytes = 0;        // what the planned arena actually holds (after reuse)
  std::size_t outside_bytes = 0;      // parameters and outputs held outside the arena (ProgramOptions)
  std::size_t directional_bytes = 0;  // the Clarke pass's own arena, held from the first run at a kink
  std::size_t ops = 0;                // scheduled op nodes
  std::size_t float_ops = 0;          // ... of which run float32 kernels on float32 memory
  bool reused_buffers = false;        // runs in the buffers of a Program of the same outputs that died
  std::vector<NodeTiming> timings;    // filled when ProgramOptions::time_nodes
};

// A compiled set of outputs: the pruned topological schedule plus one arena whose slices are
// planned once (a buffer is reused after its last consumer ran). Running allocates nothing.
class Program {
 public:
  Program(Graph& graph, const std::vector<Var>& outputs, ProgramOptions options = {});
  Program(const Program&) = delete;  // views point into the arena
  Program& operator=(const Program&) = delete;
  // Hands the buffers to the plan, for the next Program of the same outputs.
  ~Program();

  // Copies a value into an input (or a parameter, which then stops following any bound store).
  void set(const Var& leaf, const Tensor& value);
  // Parameters read the store's memory directly, so optimizer updates need no rebinding. The
  // store must outlive the runs: run() refuses (BindError) once a bound store was destroyed.
  void bind(ParamStore& store);
  void run();
  Tensor get(const Var& v) const;
  const View& view(const Var& v) const;
  Scalar scalar(const Var& v) const;  // for size-1 outputs
  const ProgramStats& stats() const { return stats_; }
  const KinkReport& kink_report() const { return kinks_; }
  const std::vector<NodeId>& schedule() const;
  bool is_output(const Var& v) const;
  // Whether the last runs wrote `output`'s float32 result to its ProgramOptions::float_outputs_outside
  // memory (its op has a float32 kernel here); otherwise only its float64 memory holds it.
  bool made_in_float(const Var& output) const;

 private:
  struct Step {
    NodeId node;
    const Kernel* op;
    std::vector<const View*> inputs;
    std::size_t slot;
    bool selector = false;  // a piece selector outside the directional pass: counted for the report
    // A float32 kernel's operands (Kernel::forward_float): float slots' buffers, or the float32
    // copies of float64 slots.
    std::vector<const FloatBuffer*> float_inputs;
    FloatBuffer* float_out = nullptr;
  };
  std::size_t slot_of(const Var& v, const char* what) const;
  void check_leaf_finite(std::size_t slot) const;
  void run_steps(std::size_t begin, std::size_t end);
  void allocate_pass_arena();
  void lay_out_buffers(const std::vector<Scalar*>& outside);
  void reset_views(const std::vector<Scalar*>& outside);
  Scalar* home_of(std::size_t slot, const std::vector<Scalar*>& outside);
  void count_kinks(std::size_t step);
  void copy_constant(std::size_t slot);
  void lay_out_float_memory();
  void narrow_copy(std::size_t slot);  // a float64 slot's float32 copy, made once per run
  void wide_copy(std::size_t slot);    // a float slot's float64 copy, made once per run
  void run_float_step(std::size_t step);
  void ensure_double(std::size_t slot) const;    // a slot's float64 memory, current before a float64 read
  void point_parameter_float(std::size_t slot);  // where float32 kernels read a parameter this run
  void check_finite_output(const Step& s) const;

  Graph* graph_;
  ProgramOptions options_;
  std::vector<NodeId> outputs_;
  std::shared_ptr<const ProgramPlan> plan_;  // schedule and buffer layout, shared through the graph's cache
  // The memory a run uses. A Program that dies gives it back to its plan, and the next Program of
  // the same outputs (a loop that builds one every step, the PyTorch habit) starts from it instead
  // of allocating, zeroing and laying out views again. Steps point into `views`, whose elements
  // keep their addresses when the vectors move.
  struct Buffers {
    std::vector<Scalar> arena;
    std::vector<Scalar> pass_arena;  // the directional pass's buffers (empty until needed)
    std::vector<View> views;         // one per scheduled node
    std::vector<Step> steps;
    // A float32 or bfloat16 program's float32 memory: the float slots' arena, each slot's float32
    // buffer (into it, or a float64 slot's float32 copy, or none), the float64 copies of float
    // slots that float64 kernels read (where `views` of float slots point), and the run whose
    // values each copy holds.
    std::vector<float> float_arena;
    std::vector<FloatBuffer> floats;
    std::vector<std::vector<float>> narrow_copies;
    std::vector<std::vector<Scalar>> wide_copies;
    std::vector<std::size_t> copied_in_run;
    std::vector<char> narrow_needed;  // a float64 slot that float32 kernels read or a float32 kernel makes
  };
  friend struct ProgramPlan;
  Buffers buffers_;
  std::vector<std::vector<Scalar>> own_;                            // buffers of outside parameters that were set()
  std::vector<bool> bound_;                                         // leaves only
  std::vector<std::optional<std::weak_ptr<const bool>>> store_of_;  // parameters following a store: its liveness
  // A float32 or bfloat16 store's parameters are read from its float32 memory while that holds them
  // (ParamStore's class comment): per parameter slot, the store and the float32 values.
  std::vector<const ParamStore*> float_store_of_;
  std::vector<float*> float_parameter_;
  std::vector<float*> float_outside_;       // per slot: ProgramOptions::float_outputs_outside, where honoured
  mutable std::vector<char> double_stale_;  // per slot: its float64 memory lags its float32 values
  std::vector<char> tie_free_;              // per step: a float32 selector's last selection met no tie
  ProgramStats stats_;
  KinkReport kinks_;
  std::size_t run_serial_ = 0;  // counts runs from 1, so a copy made in no run is stale
};

}  // namespace dagrad
