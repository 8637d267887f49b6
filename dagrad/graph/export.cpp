#include <sstream>

#include <boost/graph/filtered_graph.hpp>
#include <boost/graph/graphviz.hpp>

#include "dagrad/graph/graph.hpp"

namespace dagrad {

namespace {

std::vector<NodeId> listed_nodes(const Graph& g, const std::vector<NodeId>& outputs) {
  if (!outputs.empty()) return g.schedule(outputs);
  std::vector<NodeId> all(g.size());
  for (NodeId i = 0; i < all.size(); ++i) all[i] = i;
  return all;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void write_text(std::ostream& os, const Graph& g, const std::vector<NodeId>& outputs) {
  if (g.dtype() != DType::Float64) os << "dtype " << to_string(g.dtype()) << "\n";  // float64 dumps stay as they were
  for (NodeId id : listed_nodes(g, outputs)) {
    const Node& n = g.node(id);
    os << "%" << id << " = ";
    switch (n.role) {
      case Role::Input:
        os << "input";
        break;
      case Role::Parameter:
        os << "parameter " << describe_initializer(g.initializer(id));
        break;
      case Role::Constant:
        os << "constant";
        if (n.value.size() == 1) os << " " << n.value.flat(0);
        break;
      case Role::Op: {
        os << n.op->name() << "(";
        for (std::size_t i = 0; i < n.inputs.size(); ++i) os << (i ? ", " : "") << "%" << n.inputs[i];
        os << ")";
        if (!n.op->attributes().empty()) os << " {" << n.op->attributes() << "}";
      }
    }
    os << " : " << to_string(n.shape) << " \"" << n.name << "\"" << (n.derivative ? " d" : "")
       << (n.conditional ? " cond" : "") << "\n";
  }
  if (!outputs.empty()) {
    os << "return";
    for (std::size_t i = 0; i < outputs.size(); ++i) os << (i ? ", " : " ") << "%" << outputs[i];
    os << "\n";
  }
}

std::string to_text(const Graph& g, const std::vector<NodeId>& outputs) {
  std::ostringstream s;
  write_text(s, g, outputs);
  return s.str();
}

void write_dot(std::ostream& os, const Graph& g, const std::vector<NodeId>& outputs) {
  std::vector<bool> keep(g.size(), outputs.empty());
  if (!outputs.empty()) keep = g.ancestors(outputs);
  // filtered_graph copies and default-constructs its predicates, so they are small structs.
  struct KeepVertex {
    const std::vector<bool>* keep = nullptr;
    bool operator()(NodeId v) const { return (*keep)[v]; }
  };
  struct KeepEdge {
    const std::vector<bool>* keep = nullptr;
    const Graph::Bgl* bgl = nullptr;
    bool operator()(const Graph::Bgl::edge_descriptor& e) const {
      return (*keep)[boost::source(e, *bgl)] && (*keep)[boost::target(e, *bgl)];
    }
  };
  Graph::Bgl edges = g.bgl();
  keep.resize(boost::num_vertices(edges));  // nodes another thread added since are not drawn
  boost::filtered_graph<Graph::Bgl, KeepEdge, KeepVertex> view(edges, KeepEdge{&keep, &edges}, KeepVertex{&keep});
  auto vertex_writer = [&g](std::ostream& out, NodeId v) {
    const Node& n = g.node(v);
    const char* colour = "white";
    switch (n.role) {
      case Role::Input:
        colour = "lightblue";
        break;
      case Role::Parameter:
        colour = "gold";
        break;
      case Role::Constant:
        colour = "lightgrey";
        break;
      case Role::Op:
        colour = n.derivative ? "pink" : "white";
        break;
    }
    std::string kind = n.role == Role::Op ? n.op->name() : to_string(n.role);
    out << "[label=\"" << escape(n.name) << "\\n"
        << escape(kind) << " " << to_string(n.shape) << "\", style=filled, fillcolor=" << colour
        << ", shape=" << (n.role == Role::Op ? "ellipse" : "box") << "]";
  };
  boost::write_graphviz(os, view, vertex_writer);
}

}  // namespace dagrad
