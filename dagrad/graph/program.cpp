#include "dagrad/graph/program.hpp"

#include "dagrad/graph/arena_planner.hpp"
#include "dagrad/graph/memory.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>

namespace dagrad {

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

// Everything compiling decides, shared by every Program made for the same outputs and layout.
struct ProgramPlan {
  struct StepPlan {
    NodeId node;
    const Op* op;
    std::vector<std::size_t> input_slots;
    std::size_t slot;
    bool selector = false;
  };
  std::vector<NodeId> order, outputs;
  std::vector<std::size_t> slot_of_node;  // by node id; kNoNode where the node is not scheduled
  std::vector<std::size_t> offset;        // each slot's slice of its arena (kNoNode: outside)
  std::vector<bool> in_pass_slot, readable, outside_output;
  std::vector<StepPlan> steps;
  std::vector<std::size_t> leaf_slots, gate_steps;
  std::size_t directional_begin = 0, directional_end = 0;
  bool directional_skippable = false, has_directional_pass = false;
  bool uses_directions = false;  // a selector reads Clarke directions (with or without tangent ops)
  std::size_t arena_size = 0, pass_arena_size = 0;
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

namespace {

// Which nodes form the Clarke directional pass, and which read it.
struct PassMembership {
  std::vector<char> in_pass, after_pass;  // by node id
};

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
    in_pass[id] = n.role == Role::Op && n.directional;
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

// Where each buffer lives: leaves first (they hold their values for the whole run), then each op's
// output, freed after its last reader; the directional pass's buffers get an arena of their own.
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
  ArenaPlanner planner, pass_planner;
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
  std::vector<std::vector<std::size_t>> release_after(order.size());
  // Leaves hold their values from set() until the run ends, so they are placed before any op.
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Node& n = graph.node(order[i]);
    if (n.role == Role::Op) continue;
    if (n.role == Role::Parameter && options.parameters_outside)
      P.stats.outside_bytes += size_of(n.shape) * sizeof(Scalar);
    else
      P.offset[i] = (P.in_pass_slot[i] ? pass_planner : planner).allocate(size_of(n.shape));
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Node& n = graph.node(order[i]);
    if (n.role == Role::Op && !P.outside_output[i]) {
      P.offset[i] = (P.in_pass_slot[i] ? pass_planner : planner).allocate(size_of(n.shape));
      // Outputs live to the end; an op's output is placed before its inputs are freed.
      if (!pinned[i]) release_after[std::max(i, last_use[i])].push_back(i);
    }
    for (std::size_t r : release_after[i]) (P.in_pass_slot[r] ? pass_planner : planner).release(P.offset[r]);
  }
  P.pass_arena_size = pass_planner.end();
  P.arena_size = planner.end();
  P.stats.directional_bytes = pass_planner.end() * sizeof(Scalar);
  P.stats.arena_bytes = planner.end() * sizeof(Scalar);
  P.stats.peak_live_bytes = planner.peak() * sizeof(Scalar);
}

// One step per op, with its input slots, cost and role around the directional pass.
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
}

std::shared_ptr<const ProgramPlan> make_plan(Graph& graph, const std::vector<NodeId>& outputs,
                                             const ProgramOptions& options) {
  auto plan = std::make_shared<ProgramPlan>();
  plan->outputs = outputs;
  PassMembership passes;
  order_steps(graph, outputs, *plan, passes);
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
  key.push_back(options.outputs_outside.size());
  for (const auto& [v, memory] : options.outputs_outside) key.push_back(v.valid() ? v.id() : kNoNode);
  return key;
}

}  // namespace

Program::Program(Graph& graph, const std::vector<Var>& outputs, ProgramOptions options)
    : graph_(&graph), options_(options) {
  if (outputs.empty()) throw BindError("Program needs at least one output");
  for (const Var& v : outputs) {
    graph.check_owns(v, "Program");
    outputs_.push_back(v.id());
  }
  // A training loop that builds its Program every step (the PyTorch habit) compiles once: the plan
  // is cached in the graph, and the buffers of the previous Program are reused.
  plan_ = graph.program_plan(plan_key(outputs_, options_), [&] { return make_plan(graph, outputs_, options_); });
  const ProgramPlan& P = *plan_;
  std::vector<Scalar*> outside(P.order.size(), nullptr);
  for (const auto& [v, memory] : options_.outputs_outside) outside[P.slot_of_node[v.id()]] = memory;
  stats_ = P.stats;
  kinks_.has_directional_pass = P.has_directional_pass || P.uses_directions;
  if (std::optional<Buffers> spare = P.take_spare()) {
    buffers_ = std::move(*spare);
    reset_views(outside);
    stats_.reused_buffers = true;
  } else {
    lay_out_buffers(outside);
  }
  bound_.assign(P.order.size(), false);
  store_of_.resize(P.order.size());
  for (std::size_t i : P.leaf_slots) bound_[i] = graph.node(P.order[i]).role == Role::Constant;
  if (options_.time_nodes)
    for (const ProgramPlan::StepPlan& sp : P.steps)
      stats_.timings.push_back({sp.node, graph.node(sp.node).name, sp.op->name(), 0});
  if (P.has_directional_pass && !P.directional_skippable && buffers_.pass_arena.empty()) allocate_pass_arena();
}

Program::~Program() {
  try {
    plan_->keep_spare(std::move(buffers_));
  } catch (...) {  // a failed lock only costs the next Program its reuse
  }
}

// Where slot i's view points before anything is bound: its outside memory, or its arena slice.
// Outside parameters and the directional pass point nowhere until bound or allocated; run()
// refuses unbound leaves, and only selectors at kinks read the pass.
Scalar* Program::home_of(std::size_t i, const std::vector<Scalar*>& outside) {
  const ProgramPlan& P = *plan_;
  if (outside[i]) return outside[i];
  return P.offset[i] == kNoNode || P.in_pass_slot[i] ? nullptr : buffers_.arena.data() + P.offset[i];
}

void Program::lay_out_buffers(const std::vector<Scalar*>& outside) {
  const ProgramPlan& P = *plan_;
  require_memory(static_cast<double>(P.arena_size + P.pass_arena_size) * sizeof(Scalar),
                 "Program of " + std::to_string(P.order.size()) + " nodes: its buffers");
  buffers_.arena.assign(std::max<std::size_t>(P.arena_size, 1), 0);
  buffers_.views.reserve(P.order.size());
  for (std::size_t i = 0; i < P.order.size(); ++i) {
    const Node& n = graph_->node(P.order[i]);
    buffers_.views.push_back(make_view(home_of(i, outside), n.shape));
    if (n.role == Role::Constant && !P.in_pass_slot[i])  // else when the pass arena is made
      std::copy(n.value.begin(), n.value.end(), buffers_.views[i].begin());
  }
  buffers_.steps.reserve(P.steps.size());
  for (const ProgramPlan::StepPlan& sp : P.steps) {
    Step s{sp.node, sp.op, {}, sp.slot, sp.selector};
    for (std::size_t in : sp.input_slots) s.inputs.push_back(&buffers_.views[in]);
    buffers_.steps.push_back(std::move(s));
  }
}

// Buffers from a Program that died: constants and op buffers are as laid out (no op writes a
// leaf), but that Program may have pointed its parameters at a store or at buffers of its own,
// and this one's outside outputs may be elsewhere. Re-pointing sets a pointer, so every slot
// outside the directional pass is simply sent home.
void Program::reset_views(const std::vector<Scalar*>& outside) {
  for (std::size_t i = 0; i < plan_->order.size(); ++i)
    if (!plan_->in_pass_slot[i]) repoint(buffers_.views[i], home_of(i, outside));
}

void Program::allocate_pass_arena() {
  const ProgramPlan& P = *plan_;
  buffers_.pass_arena.assign(std::max<std::size_t>(P.pass_arena_size, 1), 0);
  for (std::size_t i = 0; i < P.order.size(); ++i) {
    if (!P.in_pass_slot[i]) continue;
    const Node& n = graph_->node(P.order[i]);
    repoint(buffers_.views[i], buffers_.pass_arena.data() + P.offset[i]);
    if (n.role == Role::Constant) std::copy(n.value.begin(), n.value.end(), buffers_.views[i].begin());
  }
}

std::size_t Program::slot_of(const Var& v, const char* what) const {
  graph_->check_owns(v, what);
  std::size_t slot = v.id() < plan_->slot_of_node.size() ? plan_->slot_of_node[v.id()] : kNoNode;
  if (slot == kNoNode)
    throw BindError(std::string(what) + ": " + graph_->describe(v.id()) + " is not used by this program's outputs");
  return slot;
}

void Program::set(const Var& leaf, const Tensor& value) {
  graph_->check_owns(leaf, "Program::set");
  const Node& n = graph_->node(leaf.id());
  if (n.role != Role::Input && n.role != Role::Parameter)
    throw BindError("Program::set: " + graph_->describe(leaf.id()) + " is not an input or a parameter");
  Shape got(value.shape().begin(), value.shape().end());
  if (got != n.shape)
    throw BindError("Program::set: " + graph_->describe(leaf.id()) + " expects shape " + to_string(n.shape) + ", got " +
                    to_string(got));
  // A leaf these outputs do not need is accepted and ignored, so callers can bind a whole data set
  // to programs that each read part of it.
  std::size_t slot = leaf.id() < plan_->slot_of_node.size() ? plan_->slot_of_node[leaf.id()] : kNoNode;
  if (slot == kNoNode) return;
  if (plan_->offset[slot] == kNoNode && own_.size() <= slot) own_.resize(plan_->offset.size());
  if (plan_->offset[slot] == kNoNode && own_[slot].empty()) own_[slot].resize(size_of(n.shape));
  Scalar* own = plan_->offset[slot] == kNoNode ? own_[slot].data() : buffers_.arena.data() + plan_->offset[slot];
  repoint(buffers_.views[slot], own);  // stop following a ParamStore
  store_of_[slot].reset();
  View& target = buffers_.views[slot];
  std::copy(value.begin(), value.end(), target.begin());
  bound_[slot] = true;
}

void Program::bind(ParamStore& store) {
  if (&store.graph() != graph_) throw BindError("Program::bind: the ParamStore belongs to another graph");
  for (std::size_t slot : plan_->leaf_slots) {
    NodeId id = plan_->order[slot];
    if (graph_->node(id).role != Role::Parameter) continue;
    Var p(graph_, id);
    if (!store.contains(p)) continue;
    View& v = store.value(p);
    repoint(buffers_.views[slot], v.data());
    bound_[slot] = true;
    store_of_[slot] = store.liveness();
  }
}

void Program::check_leaf_finite(std::size_t slot) const {
  const View& v = buffers_.views[slot];
  for (std::size_t k = 0; k < v.size(); ++k)
    if (!std::isfinite(v.data()[k]))
      throw NumericError("non-finite value " + std::to_string(v.data()[k]) + " at flat index " + std::to_string(k) +
                         " of " + graph_->describe(plan_->order[slot]) + ", bound before the run");
}

void Program::run() {
  for (std::size_t slot : plan_->leaf_slots) {
    if (store_of_[slot] && store_of_[slot]->expired())
      throw BindError("Program::run: " + graph_->describe(plan_->order[slot]) +
                      " reads a ParamStore that was destroyed; bind a live store");
    if (!bound_[slot]) {
      const Node& n = graph_->node(plan_->order[slot]);
      throw BindError("Program::run: " + graph_->describe(plan_->order[slot]) + " is unbound; " +
                      (n.role == Role::Parameter ? "bind a ParamStore or set() it" : "set() it") + " before running");
    }
    if (options_.check_finite && (!plan_->in_pass_slot[slot] || !buffers_.pass_arena.empty())) check_leaf_finite(slot);
  }
  kinks_.sites.clear();
  run_steps(0, plan_->directional_begin);
  bool needed = !plan_->directional_skippable;
  for (std::size_t k = 0; !needed && k < plan_->gate_steps.size(); ++k)
    needed = static_cast<const PieceSelector*>(buffers_.steps[plan_->gate_steps[k]].op)
                 ->has_kink(buffers_.steps[plan_->gate_steps[k]].inputs);
  kinks_.directional_ops_ran = plan_->has_directional_pass && needed;
  if (kinks_.directional_ops_ran) {
    if (buffers_.pass_arena.empty()) allocate_pass_arena();  // once, at the first kink
    run_steps(plan_->directional_begin, plan_->directional_end);
  }
  run_steps(plan_->directional_end, buffers_.steps.size());
  // Directions were read where a Clarke selector met a kink, whether or not tangent ops were needed
  // (relu(x) reads x's direction itself, with no op in between).
  kinks_.directional_pass_ran = kinks_.directional_ops_ran || kinks_.kinks(KinkPolicy::Clarke) > 0;
  ++stats_.runs;
  stats_.executed_flops += stats_.per_run.flops - (kinks_.directional_ops_ran ? 0 : stats_.directional.flops);
}

// Called right after selector step k ran: its keys' buffers may be reused by later steps. Several
// selectors may decide for one site (a gradient and a Jacobian row of the same relu): they see the
// same elements, so a site keeps the largest count rather than the sum.
void Program::count_kinks(std::size_t k) {
  const auto* selector = static_cast<const PieceSelector*>(buffers_.steps[k].op);
  KinkCount c = selector->count_kinks(buffers_.steps[k].inputs);
  if (c.kinks == 0) return;
  std::string site = selector->site().empty() ? graph_->node(buffers_.steps[k].node).name : selector->site();
  // Counts of one node under two policies are kept apart: Convention's ties are not Clarke's.
  KinkPolicy policy =
      selector->uses_directions(buffers_.steps[k].inputs.size()) ? KinkPolicy::Clarke : KinkPolicy::Convention;
  auto it = std::find_if(kinks_.sites.begin(), kinks_.sites.end(),
                         [&](const KinkSite& s) { return s.site == site && s.policy == policy; });
  if (it == kinks_.sites.end()) it = kinks_.sites.insert(kinks_.sites.end(), KinkSite{site, policy, {}});
  it->count.kinks = std::max(it->count.kinks, c.kinks);
  it->count.unresolved = std::max(it->count.unresolved, c.unresolved);
  it->count.unqualified = std::max(it->count.unqualified, c.unqualified);
}

const char* to_string(KinkPolicy policy) { return policy == KinkPolicy::Clarke ? "clarke" : "convention"; }

std::size_t KinkReport::kinks() const {
  std::size_t n = 0;
  for (const auto& s : sites) n += s.count.kinks;
  return n;
}
std::size_t KinkReport::kinks(KinkPolicy policy) const {
  std::size_t n = 0;
  for (const auto& s : sites) n += s.policy == policy ? s.count.kinks : 0;
  return n;
}
std::size_t KinkReport::decided() const {
  std::size_t n = 0;
  for (const auto& s : sites) n += s.policy == KinkPolicy::Clarke ? s.count.decided() : 0;
  return n;
}
std::size_t KinkReport::unresolved() const {
  std::size_t n = 0;
  for (const auto& s : sites) n += s.policy == KinkPolicy::Clarke ? s.count.unresolved : 0;
  return n;
}
std::size_t KinkReport::unqualified() const {
  std::size_t n = 0;
  for (const auto& s : sites) n += s.policy == KinkPolicy::Clarke ? s.count.unqualified : 0;
  return n;
}
std::string KinkReport::summary() const {
  std::string out = "kinks: " + std::to_string(kinks()) + " element(s) at " + std::to_string(sites.size()) +
                    " (policy, node) pair(s); Clarke directions " +
                    (has_directional_pass ? (directional_pass_ran ? "read" : "not needed") : "absent") +
                    (has_directional_pass && directional_pass_ran
                         ? (directional_ops_ran ? " (tangent ops ran)" : " (no tangent ops needed)")
                         : "") +
                    (qualified() ? "" : "; UNQUALIFIED ties present") + "\n";
  for (const auto& s : sites) {
    out +=
        std::string("  ") + to_string(s.policy) + " " + s.site + ": " + std::to_string(s.count.kinks) + " at kinks, ";
    if (s.policy == KinkPolicy::Convention)
      out += "all took the fixed derivative\n";
    else
      out += std::to_string(s.count.decided()) + " decided by directions, " + std::to_string(s.count.unresolved) +
             " tied, " + std::to_string(s.count.unqualified) + " unqualified\n";
  }
  return out;
}

void Program::run_steps(std::size_t begin, std::size_t end) {
  using Clock = std::chrono::steady_clock;
  for (std::size_t k = begin; k < end; ++k) {
    Step& s = buffers_.steps[k];
    View& out = buffers_.views[s.slot];
    Clock::time_point start;
    if (options_.time_nodes) start = Clock::now();
    try {
      s.op->forward(s.inputs, out);
    } catch (const ValueError& e) {
      throw ValueError(graph_->describe(s.node) + ": " + e.what());
    }
    if (options_.time_nodes) stats_.timings[k].seconds += std::chrono::duration<double>(Clock::now() - start).count();
    if (s.selector && options_.report_kinks) count_kinks(k);
    if (options_.check_finite) {
      for (std::size_t e = 0; e < out.size(); ++e)
        if (!std::isfinite(out.data()[e])) {
          const Node& n = graph_->node(s.node);
          std::string inputs;
          for (NodeId in : n.inputs) inputs += (inputs.empty() ? "" : ", ") + graph_->describe(in);
          throw NumericError("first non-finite value (" + std::to_string(out.data()[e]) + ") produced by " +
                             graph_->describe(s.node) + " at flat index " + std::to_string(e) +
                             "; its inputs: " + inputs);
        }
    }
  }
}

const std::vector<NodeId>& Program::schedule() const { return plan_->order; }

bool Program::is_output(const Var& v) const {
  return std::find(outputs_.begin(), outputs_.end(), v.id()) != outputs_.end() && &v.graph() == graph_;
}

const View& Program::view(const Var& v) const {
  std::size_t slot = slot_of(v, "Program::get");
  if (!plan_->readable[slot])
    throw BindError("Program::get: " + graph_->describe(v.id()) +
                    " is an intermediate whose buffer is reused; compile it as an output to read it");
  if (graph_->node(v.id()).role != Role::Op && !bound_[slot])
    throw BindError("Program::get: " + graph_->describe(v.id()) + " is unbound; bind or set() it before reading it");
  return buffers_.views[slot];
}

Tensor Program::get(const Var& v) const {
  const View& view_ = view(v);
  Tensor t = Tensor::from_shape(view_.shape());
  std::copy(view_.begin(), view_.end(), t.begin());
  return t;
}

Scalar Program::scalar(const Var& v) const {
  const View& w = view(v);
  if (w.size() != 1)
    throw BindError("Program::scalar: " + graph_->describe(v.id()) + " has " + std::to_string(w.size()) + " elements");
  return w.data()[0];
}

}  // namespace dagrad
