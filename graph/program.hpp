#pragma once
#include <optional>
#include <string>
#include <vector>

#include "graph/graph.hpp"
#include "graph/param_store.hpp"

namespace dagrad {

struct ProgramOptions {
  bool check_finite = false;  // throw NumericError naming the first node that yields NaN/Inf
  bool time_nodes = false;    // record per-node wall time of every run
};

struct NodeTiming {
  NodeId node;
  std::string name;
  std::string op;
  double seconds = 0;  // summed over runs
};

struct ProgramStats {
  Cost per_run;                     // from the ops' cost model, over the scheduled ops
  std::size_t runs = 0;
  double executed_flops = 0;        // per_run.flops * runs
  std::size_t peak_live_bytes = 0;  // largest total of simultaneously live buffers, leaves included
  std::size_t arena_bytes = 0;      // what the planned arena actually holds (after reuse)
  std::size_t ops = 0;              // scheduled op nodes
  std::vector<NodeTiming> timings;  // filled when ProgramOptions::time_nodes
};

// A compiled set of outputs: the pruned topological schedule plus one arena whose slices are
// planned once (a buffer is reused after its last consumer ran). Running allocates nothing.
class Program {
 public:
  Program(Graph& graph, const std::vector<Var>& outputs, ProgramOptions options = {});
  Program(const Program&) = delete;  // views point into the arena
  Program& operator=(const Program&) = delete;

  // Copies a value into an input (or a parameter, which then stops following any bound store).
  void set(const Var& leaf, const Tensor& value);
  // Parameters read the store's memory directly, so optimizer updates need no rebinding.
  void bind(ParamStore& store);
  void run();
  Tensor get(const Var& v) const;
  const View& view(const Var& v) const;
  Scalar scalar(const Var& v) const;  // for size-1 outputs
  const ProgramStats& stats() const { return stats_; }
  const std::vector<NodeId>& schedule() const { return order_; }
  bool is_output(const Var& v) const;

 private:
  struct Step {
    NodeId node;
    const Op* op;
    std::vector<const View*> inputs;
    std::size_t slot;
  };
  std::size_t slot_of(const Var& v, const char* what) const;
  void check_leaf_finite(std::size_t slot) const;

  Graph* graph_;
  ProgramOptions options_;
  std::vector<NodeId> order_;
  std::vector<NodeId> outputs_;
  std::vector<std::size_t> slot_of_node_;  // by node id; kNoNode where the node is not scheduled
  std::vector<Scalar> arena_;
  std::vector<std::size_t> offset_;        // each scheduled node's own slice of the arena
  std::vector<std::optional<View>> views_;  // one per scheduled node
  std::vector<bool> readable_;              // outputs and leaves keep their values after a run
  std::vector<bool> bound_;                 // leaves only
  std::vector<Step> steps_;
  std::vector<std::size_t> leaf_slots_;
  ProgramStats stats_;
};

}  // namespace dagrad
