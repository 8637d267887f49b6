#pragma once
#include <cstddef>
#include <limits>
#include <string>

#include "dagrad/graph/dtype.hpp"
#include "dagrad/graph/tensor.hpp"

namespace dagrad {

class Graph;
using NodeId = std::size_t;
inline constexpr NodeId kNoNode = std::numeric_limits<NodeId>::max();

// A handle on one node of a graph: cheap to copy, valid as long as the graph lives.
// Arithmetic operators live in ops/ops.hpp (the graph layer knows no concrete op).
class Var {
 public:
  Var() = default;
  Var(Graph* graph, NodeId id) : graph_(graph), id_(id) {}
  bool valid() const { return graph_ != nullptr && id_ != kNoNode; }
  Graph& graph() const;
  NodeId id() const { return id_; }
  Shape shape() const;  // by value: adding nodes moves the storage a reference would point into
  std::size_t size() const { return size_of(shape()); }
  std::string name() const;
  DType dtype() const;  // its graph's
  // Renames the node (names appear in errors, dumps and DOT); returns *this for chaining.
  Var& named(const std::string& name);
  bool operator==(const Var& o) const { return graph_ == o.graph_ && id_ == o.id_; }
  bool operator!=(const Var& o) const { return !(*this == o); }

 private:
  Graph* graph_ = nullptr;
  NodeId id_ = kNoNode;
};

}  // namespace dagrad
