#include "dagrad/ops/op.hpp"

namespace dagrad {

const Op& rules_of(const Graph& graph, NodeId node) {
  const auto* op = dynamic_cast<const Op*>(graph.node(node).op.get());
  if (!op)
    throw AutodiffError(graph.describe(node) + ": its kernel '" + graph.node(node).op->name() +
                        "' has no derivative rules (derive it from dagrad::Op to differentiate through it)");
  return *op;
}

}  // namespace dagrad
