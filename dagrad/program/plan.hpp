#pragma once
// Compiling a Program, in three parts: the schedule (schedule.cpp: the order of the steps around the
// conditional pass), the memory plan (memory_plan.cpp: every buffer's slice of an arena) and the
// steps the executor runs (plan.cpp). Internal to program/; a plan is cached by its graph.
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "dagrad/program/program.hpp"

namespace dagrad {

// Everything compiling decides, shared by every Program made for the same outputs and layout.
struct ProgramPlan {
  struct StepPlan {
    NodeId node;
    const Kernel* op;
    std::vector<std::size_t> input_slots;
    std::size_t slot;
    bool selector = false;
    bool in_float = false;  // runs Kernel::forward_float (a float32 or bfloat16 program)
    // Whether input k is read from float32 memory: every input of a float step, except a float
    // selector's directional and gap keys (PieceSelector::forward_float_key).
    bool reads_float(std::size_t k) const { return in_float && (!selector || k == 0); }
  };
  std::vector<NodeId> order, outputs;
  std::vector<std::size_t> slot_of_node;  // by node id; kNoNode where the node is not scheduled
  std::vector<std::size_t> offset;        // each slot's slice of its arena (kNoNode: outside)
  std::vector<bool> in_pass_slot, readable, outside_output;
  // Slots every reader takes as a non-differentiable operand (labels, indices, conditions, piece
  // keys): a float32 or bfloat16 program keeps their float64 values, as PyTorch keeps labels int64,
  // so that class 257 stays 257 in bfloat16 (docs/design.md, "Precision").
  std::vector<bool> exact_slot;
  // In a float32 or bfloat16 program: slots whose op has a float32 kernel (float_step) and whose
  // buffer is float32 memory in the float arena (float_slot: everything such an op makes except
  // outputs, which are read as float64 views). Leaves and other slots stay float64; a float step
  // reads them through a float32 copy made once per run, and other steps read a float slot through
  // a float64 copy (docs/design.md, "Precision").
  std::vector<bool> float_step, float_slot;
  std::vector<StepPlan> steps;
  std::vector<std::size_t> leaf_slots, gate_steps;
  std::size_t directional_begin = 0, directional_end = 0;
  bool directional_skippable = false, has_directional_pass = false;
  bool uses_directions = false;  // a selector reads Clarke directions (with or without tangent ops)
  std::size_t arena_size = 0, pass_arena_size = 0, float_arena_size = 0;
  ProgramStats stats;  // the per-run figures; runs and timings stay zero

  // The buffers of the last Program that died, for the next one. One set at most: a loop that
  // makes a Program per step holds one Program's memory, as the loop that makes one holds.
  std::optional<Program::Buffers> take_spare() const {
    std::lock_guard lock(spare_mutex);
    std::optional<Program::Buffers> out = std::move(spare);
    spare.reset();
    return out;
  }
  void keep_spare(Program::Buffers&& buffers) const {
    std::lock_guard lock(spare_mutex);
    if (!spare) spare = std::move(buffers);
  }

 private:
  mutable std::mutex spare_mutex;
  mutable std::optional<Program::Buffers> spare;
};

namespace detail {

// Which nodes form the Clarke directional pass, and which read it.
struct PassMembership {
  std::vector<char> in_pass, after_pass;  // by node id
};

// The schedule: late as possible, then partitioned around the directional pass.
void order_steps(Graph& graph, const std::vector<NodeId>& outputs, ProgramPlan& P, PassMembership& passes);

// Which slots are exact (never rounded) and which run and live in float32.
void plan_storage(Graph& graph, const std::vector<NodeId>& outputs, const ProgramOptions& options,
                  const PassMembership& passes, ProgramPlan& P);
// Where each buffer lives: leaves first (they hold their values for the whole run), then each op's
// output, freed after its last reader; the conditional pass's buffers get an arena of their own.
void plan_memory(Graph& graph, const std::vector<NodeId>& outputs, const ProgramOptions& options,
                 const PassMembership& passes, ProgramPlan& P);
// One step per op, with its input slots, cost and role around the conditional pass.
void plan_steps(Graph& graph, const PassMembership& passes, ProgramPlan& P);
// The whole plan: schedule, memory, steps.
std::shared_ptr<const ProgramPlan> make_plan(Graph& graph, const std::vector<NodeId>& outputs,
                                             const ProgramOptions& options);
// What a plan depends on: the outputs, which of them live outside the arena, and where parameters
// live. (The memory outside outputs point to is the Program's own, not the plan's.)
Graph::MemoKey plan_key(const std::vector<NodeId>& outputs, const ProgramOptions& options);

}  // namespace detail
}  // namespace dagrad
