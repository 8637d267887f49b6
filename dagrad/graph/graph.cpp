#include "dagrad/graph/graph.hpp"

#include "dagrad/graph/memory.hpp"

#include <cstring>
#include <mutex>
#include <new>
#include <sstream>

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <boost/graph/topological_sort.hpp>

namespace dagrad {

const char* to_string(Role role) {
  switch (role) {
    case Role::Input:
      return "input";
    case Role::Parameter:
      return "parameter";
    case Role::Constant:
      return "constant";
    case Role::Op:
      return "op";
  }
  return "?";
}

Graph& Var::graph() const {
  if (!graph_) throw GraphError("use of an empty Var (it belongs to no graph)");
  return *graph_;
}
Shape Var::shape() const { return graph().node(id_).shape; }
std::string Var::name() const { return graph().node(id_).name; }
DType Var::dtype() const { return graph().dtype(); }
Var& Var::named(const std::string& name) {
  graph().rename(id_, name);
  return *this;
}

namespace {
// Each thread's open build scopes, innermost last: (graph, the flags in force inside the scope).
thread_local std::vector<std::pair<const Graph*, Graph::BuildFlags>> build_scopes;
}  // namespace

Graph::BuildScope::BuildScope(const Graph& g, const std::function<void(BuildFlags&)>& change) {
  BuildFlags flags = g.build_flags();
  change(flags);
  build_scopes.emplace_back(&g, std::move(flags));
}

Graph::BuildScope::~BuildScope() { build_scopes.pop_back(); }

Graph::BuildFlags Graph::build_flags() const {
  for (auto it = build_scopes.rbegin(); it != build_scopes.rend(); ++it)
    if (it->first == this) return it->second;
  return {};
}

Graph::~Graph() {
  std::size_t n = size();
  for (NodeId id = 0; id < n; ++id) slot(id)->~Node();
  for (std::size_t k = 0; k < kChunks; ++k) ::operator delete(chunks_[k]);
}

Node* Graph::slot(NodeId id) const {
  std::size_t chunk = 0;
  for (std::size_t block = id / kFirstChunk + 1; block > 1; block >>= 1) ++chunk;
  return chunks_[chunk] + (id - kFirstChunk * ((std::size_t{1} << chunk) - 1));
}

const Node& Graph::node(NodeId id) const {
  std::size_t n = size();
  if (id >= n)
    throw GraphError("node id " + std::to_string(id) + " is not in this graph (" + std::to_string(n) + " nodes)");
  return *slot(id);
}

Var Graph::var(NodeId id) {
  node(id);
  return Var(this, id);
}

void Graph::rename(NodeId id, const std::string& name) {
  std::unique_lock lock(mutex_);
  node(id);
  Node& n = *slot(id);
  if (n.role == Role::Parameter && name != n.name) {
    if (parameter_names_.count(name))
      throw GraphError("parameter name '" + name + "' is already taken by " + describe(parameter_names_.at(name)));
    parameter_names_.erase(n.name);
    parameter_names_[name] = id;
  }
  n.name = name;
}

std::string Graph::describe(NodeId id) const {
  const Node& n = node(id);
  std::string what = n.role == Role::Op ? n.op->name() : to_string(n.role);
  return "node %" + std::to_string(id) + " '" + n.name + "' (" + what + " " + to_string(n.shape) + ")";
}

void Graph::check_owns(const Var& v, const char* where) const {
  if (!v.valid()) throw GraphError(std::string(where) + ": empty Var");
  if (&v.graph() != this) {
    std::string dtypes = v.graph().dtype() == dtype_ ? ""
                                                     : std::string(" (a ") + to_string(v.graph().dtype()) +
                                                           " graph; this one is " + to_string(dtype_) + ")";
    throw GraphError(std::string(where) + ": Var '" + v.name() + "' belongs to another graph" + dtypes);
  }
}

Var Graph::add_node(Node n) {
  std::unique_lock lock(mutex_);
  return add_node_locked(std::move(n));
}

// The caller holds mutex_ exclusively.
Var Graph::add_node_locked(Node n) {
  NodeId id = size_.load(std::memory_order_relaxed);
  if (!within_max_elements(n.shape)) checked_size(n.shape, "node %" + std::to_string(id) + " '" + n.name + "'");
  BuildFlags flags = build_flags();
  n.derivative = flags.derivative;
  n.conditional = flags.conditional;
  std::size_t chunk = 0;
  for (std::size_t block = id / kFirstChunk + 1; block > 1; block >>= 1) ++chunk;
  if (chunk >= kChunks) throw MemoryError("Graph: more nodes than " + std::to_string(id));
  if (!chunks_[chunk]) chunks_[chunk] = static_cast<Node*>(::operator new(sizeof(Node) * (kFirstChunk << chunk)));
  std::vector<NodeId> inputs = n.inputs;
  Node* stored = new (slot(id)) Node(std::move(n));
  try {
    NodeId vertex = boost::add_vertex(bgl_);
    for (NodeId in : inputs) boost::add_edge(in, vertex, bgl_);
  } catch (...) {
    stored->~Node();
    throw;
  }
  size_.store(id + 1, std::memory_order_release);  // publishes the node to lock-free readers
  return Var(this, id);
}

Var Graph::input(const std::string& name, const Shape& shape) {
  Node n;
  n.role = Role::Input;
  n.shape = shape;
  n.name = build_flags().prefix + name;
  return add_node(std::move(n));
}

Var Graph::parameter(const std::string& name, const Shape& shape, Initializer init) {
  std::string full = build_flags().prefix + name;
  std::unique_lock lock(mutex_);
  if (parameter_names_.count(full))
    throw GraphError("parameter name '" + full + "' is already taken by " + describe(parameter_names_.at(full)) +
                     "; parameters are initialised from their names, so names must be unique");
  Node n;
  n.role = Role::Parameter;
  n.shape = shape;
  n.name = full;
  Var v = add_node_locked(std::move(n));
  parameter_names_[full] = v.id();
  initializers_[v.id()] = std::move(init);
  return v;
}

const Initializer& Graph::initializer(NodeId id) const {
  {
    std::shared_lock lock(mutex_);
    auto hit = initializers_.find(id);
    if (hit != initializers_.end()) return hit->second;  // map nodes never move
  }
  throw GraphError(describe(id) + " is not a parameter; only parameters have initializers");
}

std::string describe_initializer(const Initializer& init) {
  return init.description.empty() ? "normal(0,1)" : init.description;  // the stores' default
}

Var Graph::constant(const Tensor& value, const std::string& name) {
  Node n;
  n.role = Role::Constant;
  n.shape = Shape(value.shape().begin(), value.shape().end());
  n.value = value;
  std::string prefix = build_flags().prefix;
  std::unique_lock lock(mutex_);
  n.name = prefix + (name.empty() ? "const_" + std::to_string(size()) : name);
  return add_node_locked(std::move(n));
}

Var Graph::scalar(Scalar value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  std::unique_lock lock(mutex_);
  auto it = scalar_cache_.find(bits);
  if (it != scalar_cache_.end()) return Var(this, it->second);
  std::ostringstream name;
  name << value;
  Tensor t = xt::xarray<Scalar>::from_shape({});
  t() = value;
  Node n;
  n.role = Role::Constant;
  n.value = std::move(t);
  n.name = name.str();
  Var v = add_node_locked(std::move(n));
  scalar_cache_[bits] = v.id();
  return v;
}

Var Graph::apply(std::shared_ptr<const Kernel> op, const std::vector<Var>& inputs) {
  std::vector<Shape> shapes;
  shapes.reserve(inputs.size());
  for (const Var& v : inputs) {
    check_owns(v, op->name().c_str());
    shapes.push_back(v.shape());
  }
  std::string prefix = build_flags().prefix;
  std::unique_lock lock(mutex_);  // the node's name carries its id
  std::string name = prefix + op->name() + "_" + std::to_string(size());
  Node n;
  try {
    n.shape = op->infer_shape(shapes);
  } catch (const ShapeMismatch& m) {
    std::string msg = "shape error in op '" + op->name() + "'";
    if (!op->attributes().empty()) msg += " {" + op->attributes() + "}";
    msg += " at node %" + std::to_string(size()) + " '" + name + "': " + m.reason + "; inputs:";
    for (std::size_t i = 0; i < inputs.size(); ++i)
      msg += (i ? ", " : " ") + std::string("'") + inputs[i].name() + "' " + to_string(shapes[i]);
    throw ShapeError(msg);
  }
  n.role = Role::Op;
  n.op = std::move(op);
  n.name = std::move(name);
  for (const Var& v : inputs) n.inputs.push_back(v.id());
  return add_node_locked(std::move(n));
}

std::vector<Var> Graph::parameters() {
  std::vector<Var> out;
  std::size_t n = size();
  for (NodeId i = 0; i < n; ++i)
    if (node(i).role == Role::Parameter) out.emplace_back(this, i);
  return out;
}

void Graph::add_joint_init(std::vector<Var> params, JointInit init) {
  for (const Var& p : params) {
    check_owns(p, "add_joint_init");
    if (node(p.id()).role != Role::Parameter)
      throw GraphError("add_joint_init: " + describe(p.id()) + " is not a parameter");
  }
  std::unique_lock lock(mutex_);
  joint_inits_.push_back({std::move(params), std::move(init)});
}

std::vector<Graph::JointInitEntry> Graph::joint_inits() const {
  std::shared_lock lock(mutex_);
  return joint_inits_;
}

std::vector<Var> Graph::inputs() {
  std::vector<Var> out;
  std::size_t n = size();
  for (NodeId i = 0; i < n; ++i)
    if (node(i).role == Role::Input) out.emplace_back(this, i);
  return out;
}

Graph::Bgl Graph::bgl() const {
  std::shared_lock lock(mutex_);
  return bgl_;
}

std::vector<Var> Graph::memoized(const MemoKey& key, const std::function<std::vector<Var>()>& build) {
  auto as_vars = [this](const std::vector<NodeId>& ids) {
    std::vector<Var> out;
    for (NodeId id : ids) out.emplace_back(this, id);
    return out;
  };
  {
    std::shared_lock lock(mutex_);
    auto hit = memo_.find(key);
    if (hit != memo_.end()) return as_vars(hit->second);
  }
  std::vector<Var> built = build();
  std::vector<NodeId> ids;
  for (const Var& v : built) {
    check_owns(v, "Graph::memoized");
    ids.push_back(v.id());
  }
  std::unique_lock lock(mutex_);
  auto [it, inserted] = memo_.emplace(key, std::move(ids));
  return inserted ? built : as_vars(it->second);
}

std::shared_ptr<const ProgramPlan> Graph::program_plan(
    const MemoKey& key, const std::function<std::shared_ptr<const ProgramPlan>()>& build) {
  {
    std::shared_lock lock(mutex_);
    auto hit = plans_.find(key);
    if (hit != plans_.end()) return hit->second;
  }
  std::shared_ptr<const ProgramPlan> built = build();
  std::unique_lock lock(mutex_);
  return plans_.emplace(key, std::move(built)).first->second;
}

std::size_t Graph::program_plans() const {
  std::shared_lock lock(mutex_);
  return plans_.size();
}

std::size_t Graph::memo_size() const {
  std::shared_lock lock(mutex_);
  return memo_.size();
}

namespace {

template <class G>
std::vector<bool> reachable(const G& g, const std::vector<NodeId>& sources, std::size_t n) {
  std::vector<boost::default_color_type> colour(n, boost::white_color);
  auto colours = boost::make_iterator_property_map(colour.begin(), boost::get(boost::vertex_index, g));
  boost::queue<NodeId> queue;
  for (NodeId s : sources)
    if (colour[s] == boost::white_color) boost::breadth_first_visit(g, s, queue, boost::default_bfs_visitor(), colours);
  std::vector<bool> mask(n);
  for (std::size_t i = 0; i < n; ++i) mask[i] = colour[i] != boost::white_color;
  return mask;
}

}  // namespace

std::vector<bool> Graph::ancestors(const std::vector<NodeId>& nodes) const {
  for (NodeId id : nodes) node(id);
  std::shared_lock lock(mutex_);
  return reachable(boost::make_reverse_graph(bgl_), nodes, boost::num_vertices(bgl_));
}

std::vector<bool> Graph::descendants(const std::vector<NodeId>& nodes) const {
  for (NodeId id : nodes) node(id);
  std::shared_lock lock(mutex_);
  return reachable(bgl_, nodes, boost::num_vertices(bgl_));
}

std::vector<NodeId> Graph::schedule(const std::vector<NodeId>& outputs) const {
  for (NodeId id : outputs) node(id);
  std::shared_lock lock(mutex_);
  std::vector<bool> needed = reachable(boost::make_reverse_graph(bgl_), outputs, boost::num_vertices(bgl_));
  std::vector<NodeId> reversed;
  reversed.reserve(boost::num_vertices(bgl_));
  try {
    boost::topological_sort(bgl_, std::back_inserter(reversed));
  } catch (const boost::not_a_dag&) {
    throw GraphError("the graph has a cycle");  // unreachable by construction; kept as a guard
  }
  std::vector<NodeId> order;
  for (auto it = reversed.rbegin(); it != reversed.rend(); ++it)
    if (needed[*it]) order.push_back(*it);
  return order;
}

}  // namespace dagrad
