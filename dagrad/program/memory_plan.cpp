#include "dagrad/program/arena_planner.hpp"
#include "dagrad/program/plan.hpp"

namespace dagrad::detail {

void plan_memory(Graph& graph, const std::vector<NodeId>& outputs, const ProgramOptions& options,
                 const PassMembership& passes, ProgramPlan& P) {
  const std::vector<NodeId>& order = P.order;
  const std::vector<char>& in_pass = passes.in_pass;
  std::vector<std::size_t> last_use(order.size(), 0);
  for (std::size_t i = 0; i < order.size(); ++i)
    for (NodeId in : graph.node(order[i]).inputs) last_use[P.slot_of_node[in]] = i;
  std::vector<bool> pinned(order.size(), false);
  for (NodeId o : outputs) pinned[P.slot_of_node[o]] = true;
  P.readable.assign(order.size(), false);  // outputs and leaves keep their buffers to the end
  for (std::size_t i = 0; i < order.size(); ++i) P.readable[i] = pinned[i] || graph.node(order[i]).role != Role::Op;

  P.outside_output.assign(order.size(), false);
  for (const auto& [v, memory] : options.outputs_outside) {
    graph.check_owns(v, "ProgramOptions::outputs_outside");
    std::size_t slot = v.id() < P.slot_of_node.size() ? P.slot_of_node[v.id()] : kNoNode;
    if (slot == kNoNode || !pinned[slot] || graph.node(v.id()).role != Role::Op || !memory || P.outside_output[slot])
      throw BindError("ProgramOptions::outputs_outside: " + graph.describe(v.id()) +
                      " must be an output computed by an op, named once, with memory");
    P.outside_output[slot] = true;
    P.stats.outside_bytes += size_of(graph.node(v.id()).shape) * sizeof(Scalar);
  }
  // The Clarke directional pass gets an arena of its own, allocated at the first run that needs the
  // pass: training that never meets a kink never holds the pass's tangents.
  // Float32 intermediates get one of their own, in float32 elements.
  ArenaPlanner planner, pass_planner, float_planner;
  P.offset.assign(order.size(), kNoNode);
  P.in_pass_slot.assign(order.size(), false);
  for (std::size_t i = 0; i < order.size(); ++i) P.in_pass_slot[i] = in_pass[order[i]] != 0;
  // Constants only the pass reads (its random directions, as large as the parameters) belong to it too.
  std::vector<char> read_outside_pass(order.size(), 0);
  for (std::size_t i = 0; i < order.size(); ++i)
    for (NodeId in : graph.node(order[i]).inputs) read_outside_pass[P.slot_of_node[in]] |= !P.in_pass_slot[i];
  for (NodeId o : outputs) read_outside_pass[P.slot_of_node[o]] = 1;
  for (std::size_t i = 0; i < order.size(); ++i)
    if (graph.node(order[i]).role == Role::Constant && !read_outside_pass[i]) P.in_pass_slot[i] = true;
  auto planner_of = [&](std::size_t slot) -> ArenaPlanner& {
    return P.float_slot[slot] ? float_planner : P.in_pass_slot[slot] ? pass_planner : planner;
  };
  std::vector<std::vector<std::size_t>> release_after(order.size());
  // Leaves hold their values from set() until the run ends, so they are placed before any op.
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Node& n = graph.node(order[i]);
    if (n.role == Role::Op) continue;
    if (n.role == Role::Parameter && options.parameters_outside)
      P.stats.outside_bytes += size_of(n.shape) * sizeof(Scalar);
    else
      P.offset[i] = planner_of(i).allocate(size_of(n.shape));
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Node& n = graph.node(order[i]);
    if (n.role == Role::Op && !P.outside_output[i]) {
      P.offset[i] = planner_of(i).allocate(size_of(n.shape));
      // Outputs live to the end; an op's output is placed before its inputs are freed.
      if (!pinned[i]) release_after[std::max(i, last_use[i])].push_back(i);
    }
    for (std::size_t r : release_after[i]) planner_of(r).release(P.offset[r]);
  }
  P.pass_arena_size = pass_planner.end();
  P.arena_size = planner.end();
  P.stats.directional_bytes = pass_planner.end() * sizeof(Scalar);
  P.float_arena_size = float_planner.end();
  P.stats.arena_bytes = planner.end() * sizeof(Scalar) + float_planner.end() * sizeof(float);
  // The two arenas' peaks need not coincide: their sum bounds the live memory from above.
  P.stats.peak_live_bytes = planner.peak() * sizeof(Scalar) + float_planner.peak() * sizeof(float);
}

}  // namespace dagrad::detail
