#include <algorithm>

#include "dagrad/ops/op.hpp"
#include "dagrad/program/plan.hpp"

namespace dagrad::detail {

namespace {

// Every node as late as its consumers allow: Kahn's algorithm on the reversed graph with a stack, so
// a node is placed right before the first of its consumers to run. A short side branch that only a
// late node reads (an activation transposed for a weight gradient) then runs just before it instead
// of wherever the topological sort put it, and its buffer is not live across the whole forward pass.
std::vector<NodeId> late_as_possible(const Graph& g, const std::vector<NodeId>& order) {
  std::vector<std::size_t> position(g.size(), kNoNode), waiting(order.size(), 0);
  for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
  for (NodeId id : order)
    for (NodeId in : g.node(id).inputs) ++waiting[position[in]];
  std::vector<std::size_t> stack, ready;
  for (std::size_t i = 0; i < order.size(); ++i)
    if (waiting[i] == 0) stack.push_back(i);
  std::vector<NodeId> reversed;
  reversed.reserve(order.size());
  while (!stack.empty()) {
    std::size_t i = stack.back();
    stack.pop_back();
    reversed.push_back(order[i]);
    ready.clear();
    for (NodeId in : g.node(order[i]).inputs)
      if (--waiting[position[in]] == 0) ready.push_back(position[in]);
    // The originally earlier input is placed first (right before this node): a short branch (a
    // transposed activation) goes there, while the long chain it waits beside keeps its place.
    std::sort(ready.rbegin(), ready.rend());
    stack.insert(stack.end(), ready.begin(), ready.end());
  }
  return {reversed.rbegin(), reversed.rend()};
}

}  // namespace

// The schedule: late as possible, then partitioned around the directional pass.
void order_steps(Graph& graph, const std::vector<NodeId>& outputs, ProgramPlan& P, PassMembership& passes) {
  std::vector<NodeId>& order = P.order;
  order = late_as_possible(graph, graph.schedule(outputs));
  // Phases: A (what the directional pass and the gate selectors' value keys need), G (the pass), B
  // (everything else). A's value keys are ready before G, so the run can decide whether G is needed
  // at all; the rest waits in B, so a weight gradient's side branches stay next to their consumers.
  std::vector<char>&in_pass = passes.in_pass, &after_pass = passes.after_pass;
  in_pass.assign(graph.size(), 0);
  after_pass.assign(graph.size(), 0);
  std::vector<char> before_pass(graph.size(), 0);
  for (NodeId id : order) {
    const Node& n = graph.node(id);
    in_pass[id] = n.role == Role::Op && n.conditional;
    for (NodeId in : n.inputs) after_pass[id] |= in_pass[in] | after_pass[in];
    after_pass[id] &= !in_pass[id];
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Node& n = graph.node(*it);
    bool reads_pass = std::any_of(n.inputs.begin(), n.inputs.end(), [&](NodeId in) { return in_pass[in] != 0; });
    if (in_pass[*it] || before_pass[*it]) {
      for (NodeId in : n.inputs) before_pass[in] = 1;
    } else if (reads_pass && !n.inputs.empty() && dynamic_cast<const PieceSelector*>(n.op.get())) {
      before_pass[n.inputs[0]] = 1;
    }
  }
  for (NodeId id : order) before_pass[id] &= !in_pass[id] && !after_pass[id];
  std::stable_partition(order.begin(), order.end(), [&](NodeId id) { return before_pass[id] != 0; });
  std::stable_partition(std::find_if(order.begin(), order.end(), [&](NodeId id) { return !before_pass[id]; }),
                        order.end(), [&](NodeId id) { return in_pass[id] != 0; });
  P.has_directional_pass = std::any_of(order.begin(), order.end(), [&](NodeId id) { return in_pass[id] != 0; });
  P.directional_skippable = P.has_directional_pass;
  for (NodeId o : outputs) P.directional_skippable = P.directional_skippable && !in_pass[o];
  P.slot_of_node.assign(graph.size(), kNoNode);
  for (std::size_t i = 0; i < order.size(); ++i) P.slot_of_node[order[i]] = i;
}

}  // namespace dagrad::detail
