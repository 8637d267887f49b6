#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <shared_mutex>
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "dagrad/graph/dtype.hpp"
#include "dagrad/graph/error.hpp"
#include "dagrad/graph/kernel.hpp"
#include "dagrad/graph/tensor.hpp"
#include "dagrad/graph/var.hpp"

namespace dagrad {

enum class Role { Input, Parameter, Constant, Op };
const char* to_string(Role role);

// How a parameter's first value is drawn from (seed, parameter name): what dumps show, and the draw.
// params/init.hpp makes them from Init's schemes (normal, Glorot, orthogonal, ...); the graph only
// keeps them and knows no scheme. An empty one is the stores' default, a standard normal.
struct Initializer {
  std::string description;
  std::function<void(std::uint64_t seed, const std::string& name, View& out)> draw;
};
// The description dumps show ("normal(0,1)" for the default).
std::string describe_initializer(const Initializer& init);

struct Node {
  Role role = Role::Op;
  std::shared_ptr<const Kernel> op;  // Role::Op only
  std::vector<NodeId> inputs;        // ordered; may repeat (x * x)
  Shape shape;
  std::string name;
  Tensor value;              // Role::Constant only
  bool derivative = false;   // created by an autodiff transform
  bool conditional = false;  // runs only when a gate asks for it (a Clarke directional pass)
};

// Append-only DAG of tensor operations. Nodes are never removed, so ids and Vars stay valid;
// an op's inputs always exist before it, so the graph cannot hold a cycle.
//
// Threads: building one Graph from several threads at once is safe (nodes, edges, names,
// memoized transforms are guarded; a node, once added, never moves, so node() and Var::shape()
// need no lock), and name and flag scopes belong to the thread that opened them. Renaming a
// node while another thread reads its name is not. Programs compiled on one graph run in
// parallel without touching it. A ParamStore and a Program are each used by one thread at a time.
class ParamStore;
struct ProgramPlan;  // graph/program.cpp

class Graph {
 public:
  using Bgl = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;

  // Every node of a graph has its dtype (dagrad/graph/dtype.hpp): one precision per model, as a
  // PyTorch module after .to(dtype). Derivative nodes are built in the same graph, so gradients,
  // tangents and Hessian products inherit it; an op never sees two dtypes, since Vars of two graphs
  // cannot meet (check_owns names both dtypes when they differ).
  explicit Graph(DType dtype = DType::Float64) : dtype_(dtype) {}
  DType dtype() const { return dtype_; }
  ~Graph();
  Graph(const Graph&) = delete;  // Vars point at their graph; a copy would silently split them
  Graph& operator=(const Graph&) = delete;

  Var input(const std::string& name, const Shape& shape);
  Var parameter(const std::string& name, const Shape& shape, Initializer init = {});
  // How parameter `id` is drawn (GraphError for a node that is not a parameter).
  const Initializer& initializer(NodeId id) const;
  // Kept exact: a Program rounds it to the dtype, unless it is read only as labels or indices.
  Var constant(const Tensor& value, const std::string& name = "");
  // Scalar constants are shared per value: derivative rules create many ones and zeros. A Program
  // rounds them to the dtype's op-math type (bfloat16 keeps float32 scalars, as PyTorch keeps numbers).
  Var scalar(Scalar value);
  Var apply(std::shared_ptr<const Kernel> op, const std::vector<Var>& inputs);

  std::size_t size() const { return size_.load(std::memory_order_acquire); }
  const Node& node(NodeId id) const;
  Var var(NodeId id);
  void rename(NodeId id, const std::string& name);
  std::vector<Var> parameters();
  std::vector<Var> inputs();
  // A joint initialiser of several parameters (a balanced deep linear net's factors): every
  // ParamStore made on this graph runs it after its per-parameter draws, with the store's seed, so
  // a model's initialisation cannot be forgotten (it used to need model.initialize(store, seed)).
  using JointInit = std::function<void(ParamStore& store, std::uint64_t seed)>;
  void add_joint_init(std::vector<Var> params, JointInit init);
  struct JointInitEntry {
    std::vector<Var> params;
    JointInit init;
  };
  std::vector<JointInitEntry> joint_inits() const;
  Bgl bgl() const;  // a copy of the edges, taken under the graph's lock

  // Topological order of the nodes the outputs depend on (Boost topological_sort, then pruned).
  std::vector<NodeId> schedule(const std::vector<NodeId>& outputs) const;
  // Membership masks (indexed by id) of the ancestors of `nodes` and the descendants of `nodes`,
  // each including `nodes` themselves.
  std::vector<bool> ancestors(const std::vector<NodeId>& nodes) const;
  std::vector<bool> descendants(const std::vector<NodeId>& nodes) const;

  // Memo of graph transforms (autodiff): the nodes a transform built, under a key that names the
  // transform and everything its result depends on. Calling grad() inside a training loop then
  // returns the nodes built the first time instead of growing the graph every step. `build` runs
  // outside the lock (it adds nodes); when two threads race on one key, the first result stored wins.
  using MemoKey = std::vector<std::uint64_t>;
  std::vector<Var> memoized(const MemoKey& key, const std::function<std::vector<Var>()>& build);
  std::size_t memo_size() const;
  // Compiled Program plans, cached the same way (a Program made again for the same outputs reuses one).
  std::shared_ptr<const ProgramPlan> program_plan(const MemoKey& key,
                                                  const std::function<std::shared_ptr<const ProgramPlan>()>& build);
  std::size_t program_plans() const;

  // While a scope lives, nodes this thread creates in this graph get its flag or name prefix:
  // DerivativeScope marks derivative nodes (DOT colours them); ConditionalScope marks nodes that only
  // gates read (the Clarke directional pass, read by piece selectors), so a Program may skip them
  // when no gate asks for them; NameScope puts "prefix/" before names. Scopes are per thread: another thread
  // building in the same graph meanwhile is not affected.
  struct BuildFlags {
    bool derivative = false;
    bool conditional = false;
    std::string prefix;
  };
  class BuildScope {
   public:
    BuildScope(const Graph& g, const std::function<void(BuildFlags&)>& change);
    ~BuildScope();
    BuildScope(const BuildScope&) = delete;
    BuildScope& operator=(const BuildScope&) = delete;
  };
  struct DerivativeScope : BuildScope {
    explicit DerivativeScope(const Graph& g) : BuildScope(g, [](BuildFlags& f) { f.derivative = true; }) {}
  };
  struct ConditionalScope : BuildScope {
    explicit ConditionalScope(const Graph& g) : BuildScope(g, [](BuildFlags& f) { f.conditional = true; }) {}
  };
  struct NameScope : BuildScope {
    NameScope(const Graph& g, const std::string& prefix)
        : BuildScope(g, [&](BuildFlags& f) { f.prefix += prefix + "/"; }) {}
  };
  // This thread's flags for this graph.
  BuildFlags build_flags() const;

  // "%3 (matmul_3)" style label used by every error message.
  std::string describe(NodeId id) const;
  void check_owns(const Var& v, const char* where) const;

 private:
  Var add_node(Node node);
  Var add_node_locked(Node node);
  // Nodes live in chunks that never move: chunk k holds kFirstChunk << k nodes. A reader holding
  // an id below size() reads its node without a lock while another thread appends.
  static constexpr std::size_t kFirstChunk = 64;
  static constexpr std::size_t kChunks = 40;
  Node* slot(NodeId id) const;
  Node* chunks_[kChunks] = {};
  DType dtype_ = DType::Float64;
  std::atomic<std::size_t> size_{0};
  mutable std::shared_mutex mutex_;  // edges, maps below, and appending
  Bgl bgl_;
  std::map<std::uint64_t, NodeId> scalar_cache_;
  std::map<std::string, NodeId> parameter_names_;
  std::map<NodeId, Initializer> initializers_;
  std::vector<JointInitEntry> joint_inits_;
  std::map<MemoKey, std::vector<NodeId>> memo_;
  std::map<MemoKey, std::shared_ptr<const ProgramPlan>> plans_;
};

// A stable, jaxpr-like listing, one node per line; used as golden output in tests.
void write_text(std::ostream& os, const Graph& g, const std::vector<NodeId>& outputs = {});
std::string to_text(const Graph& g, const std::vector<NodeId>& outputs = {});
// Graphviz DOT via boost::write_graphviz, nodes coloured by role (input, parameter, constant, op,
// derivative); with outputs given, only what they depend on.
void write_dot(std::ostream& os, const Graph& g, const std::vector<NodeId>& outputs = {});

}  // namespace dagrad
