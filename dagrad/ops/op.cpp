#include "dagrad/ops/op.hpp"

#include "dagrad/ops/ops.hpp"

namespace dagrad {

Tangent add_tangents(const Tangent& a, const Tangent& b) {
  if (a.is_zero()) return b;
  if (b.is_zero()) return a;
  return add(a.var(), b.var());
}

const Op& rules_of(const Graph& graph, NodeId node) {
  const auto* op = dynamic_cast<const Op*>(graph.node(node).op.get());
  if (!op)
    throw AutodiffError(graph.describe(node) + ": its kernel '" + graph.node(node).op->name() +
                        "' has no derivative rules (derive it from dagrad::Op to differentiate through it)");
  return *op;
}

}  // namespace dagrad
