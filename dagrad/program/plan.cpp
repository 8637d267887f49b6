#include "dagrad/program/plan.hpp"

#include <algorithm>

#include "dagrad/ops/op.hpp"

namespace dagrad::detail {

void plan_steps(Graph& graph, const PassMembership& passes, ProgramPlan& P) {
  const std::vector<NodeId>& order = P.order;
  const std::vector<char>&in_pass = passes.in_pass, &after_pass = passes.after_pass;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Node& n = graph.node(order[i]);
    if (n.role != Role::Op) {
      P.leaf_slots.push_back(i);
      continue;
    }
    ProgramPlan::StepPlan s{order[i], n.op.get(), {}, i};
    s.in_float = P.float_step[i];
    std::size_t step_index = P.steps.size();
    bool reads_pass = false;
    for (std::size_t k = 0; k < n.inputs.size(); ++k) {
      if (!in_pass[n.inputs[k]]) continue;
      reads_pass = true;
      if (!in_pass[order[i]] && (k == 0 || !dynamic_cast<const PieceSelector*>(n.op.get()) || after_pass[n.inputs[0]] ||
                                 in_pass[n.inputs[0]]))
        P.directional_skippable = false;  // something besides a selector's directional keys reads the pass
    }
    if (in_pass[order[i]]) {
      if (P.directional_begin == P.directional_end) P.directional_begin = step_index;
      P.directional_end = step_index + 1;
    } else if (auto* selector = dynamic_cast<const PieceSelector*>(n.op.get())) {
      s.selector = true;
      if (reads_pass) P.gate_steps.push_back(step_index);
      P.uses_directions = P.uses_directions || selector->uses_directions(n.inputs.size());
    }
    std::vector<Shape> in_shapes;
    for (NodeId in : n.inputs) {
      s.input_slots.push_back(P.slot_of_node[in]);
      in_shapes.push_back(graph.node(in).shape);
    }
    Cost c = n.op->cost(in_shapes, n.shape);
    P.stats.per_run += c;
    if (in_pass[order[i]]) P.stats.directional += c;
    P.steps.push_back(std::move(s));
  }
  P.stats.ops = P.steps.size();
  P.stats.float_ops = static_cast<std::size_t>(
      std::count_if(P.steps.begin(), P.steps.end(), [](const ProgramPlan::StepPlan& s) { return s.in_float; }));
}

void plan_storage(Graph& graph, const std::vector<NodeId>& outputs, const ProgramOptions& options,
                  const PassMembership& passes, ProgramPlan& P) {
  const std::vector<NodeId>& order = P.order;
  std::vector<char> read(order.size(), 0), read_differentiably(order.size(), 0);
  for (NodeId id : order) {
    const Node& n = graph.node(id);
    if (n.role != Role::Op) continue;
    const auto* rules = dynamic_cast<const Op*>(n.op.get());
    for (std::size_t k = 0; k < n.inputs.size(); ++k) {
      std::size_t in = P.slot_of_node[n.inputs[k]];
      read[in] = 1;
      if (!rules || rules->differentiable(k)) read_differentiably[in] = 1;
    }
  }
  P.exact_slot.assign(order.size(), false);
  for (std::size_t i = 0; i < order.size(); ++i) P.exact_slot[i] = read[i] && !read_differentiably[i];

  P.float_step.assign(order.size(), false);
  P.float_slot.assign(order.size(), false);
  if (graph.dtype() == DType::Float64 || !options.float_kernels) return;
  std::vector<char> output(order.size(), 0);
  for (NodeId o : outputs) output[P.slot_of_node[o]] = 1;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Node& n = graph.node(order[i]);
    // The directional pass keeps its float64 tangents; an exact result is never rounded, so it
    // cannot come from a float32 kernel.
    if (n.role != Role::Op || passes.in_pass[order[i]] || P.exact_slot[i]) continue;
    // Labels and indices may not be float32 numbers (an index above 2^24); tangents of the pass
    // are float64 numbers: such operands are read by float64 kernels only.
    auto narrowable = [&](NodeId in) { return !P.exact_slot[P.slot_of_node[in]] && !passes.in_pass[in]; };
    if (const auto* selector = dynamic_cast<const PieceSelector*>(n.op.get())) {
      // Its value key in float32 memory; its other keys are float64 views (PieceSelector).
      bool others_float64 = std::none_of(n.inputs.begin() + 1, n.inputs.end(),
                                         [&](NodeId in) { return P.float_slot[P.slot_of_node[in]]; });
      P.float_step[i] = selector->selects_in_float() && narrowable(n.inputs[0]) && others_float64;
    } else {
      std::vector<Shape> shapes;
      for (NodeId in : n.inputs) shapes.push_back(graph.node(in).shape);
      P.float_step[i] =
          std::all_of(n.inputs.begin(), n.inputs.end(), narrowable) && n.op->runs_in_float(shapes, n.shape);
    }
    P.float_slot[i] = P.float_step[i] && !output[i];
  }
}

std::shared_ptr<const ProgramPlan> make_plan(Graph& graph, const std::vector<NodeId>& outputs,
                                             const ProgramOptions& options) {
  auto plan = std::make_shared<ProgramPlan>();
  plan->outputs = outputs;
  PassMembership passes;
  order_steps(graph, outputs, *plan, passes);
  plan_storage(graph, outputs, options, passes, *plan);
  plan_memory(graph, outputs, options, passes, *plan);
  plan_steps(graph, passes, *plan);
  return plan;
}

// What a plan depends on: the outputs, which of them live outside the arena, and where parameters
// live. (The memory outside outputs point to is the Program's own, not the plan's.)
Graph::MemoKey plan_key(const std::vector<NodeId>& outputs, const ProgramOptions& options) {
  Graph::MemoKey key{0x70726f6772616dULL /* "program" */, outputs.size()};
  key.insert(key.end(), outputs.begin(), outputs.end());
  key.push_back(options.parameters_outside);
  key.push_back(options.float_kernels);
  key.push_back(options.outputs_outside.size());
  for (const auto& [v, memory] : options.outputs_outside) key.push_back(v.valid() ? v.id() : kNoNode);
  return key;
}

}  // namespace dagrad::detail
