#include "dagrad/program/program.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "dagrad/graph/memory.hpp"
#include "dagrad/ops/op.hpp"
#include "dagrad/program/plan.hpp"

namespace dagrad {

Program::Program(Graph& graph, const std::vector<Var>& outputs, ProgramOptions options)
    : graph_(&graph), options_(options) {
  if (outputs.empty()) throw BindError("Program needs at least one output");
  for (const Var& v : outputs) {
    graph.check_owns(v, "Program");
    outputs_.push_back(v.id());
  }
  // A training loop that builds its Program every step (the PyTorch habit) compiles once: the plan
  // is cached in the graph, and the buffers of the previous Program are reused.
  plan_ = graph.program_plan(detail::plan_key(outputs_, options_),
                             [&] { return detail::make_plan(graph, outputs_, options_); });
  const ProgramPlan& P = *plan_;
  std::vector<Scalar*> outside(P.order.size(), nullptr);
  for (const auto& [v, memory] : options_.outputs_outside) outside[P.slot_of_node[v.id()]] = memory;
  float_outside_.assign(P.order.size(), nullptr);
  for (const auto& [v, memory] : options_.float_outputs_outside) {
    graph.check_owns(v, "ProgramOptions::float_outputs_outside");
    if (v.id() < P.slot_of_node.size() && P.slot_of_node[v.id()] != kNoNode && is_output(v))
      float_outside_[P.slot_of_node[v.id()]] = memory;
  }
  for (const ProgramPlan::StepPlan& sp : P.steps)
    if (!sp.in_float || P.float_slot[sp.slot]) float_outside_[sp.slot] = nullptr;  // made in float64 only
  float_store_of_.assign(P.order.size(), nullptr);
  float_parameter_.assign(P.order.size(), nullptr);
  double_stale_.assign(P.order.size(), 0);
  tie_free_.assign(P.steps.size(), 0);
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
  if (P.float_slot[i]) return buffers_.wide_copies[i].empty() ? nullptr : buffers_.wide_copies[i].data();
  return P.offset[i] == kNoNode || P.in_pass_slot[i] ? nullptr : buffers_.arena.data() + P.offset[i];
}

void Program::lay_out_buffers(const std::vector<Scalar*>& outside) {
  const ProgramPlan& P = *plan_;
  require_memory(static_cast<double>(P.arena_size + P.pass_arena_size) * sizeof(Scalar),
                 "Program of " + std::to_string(P.order.size()) + " nodes: its buffers");
  buffers_.arena.assign(std::max<std::size_t>(P.arena_size, 1), 0);
  lay_out_float_memory();
  buffers_.views.reserve(P.order.size());
  for (std::size_t i = 0; i < P.order.size(); ++i) {
    const Node& n = graph_->node(P.order[i]);
    buffers_.views.push_back(make_view(home_of(i, outside), n.shape));
    if (n.role == Role::Constant && !P.in_pass_slot[i]) copy_constant(i);  // else when the pass arena is made
  }
  buffers_.steps.reserve(P.steps.size());
  for (const ProgramPlan::StepPlan& sp : P.steps) {
    Step s{sp.node, sp.op, {}, sp.slot, sp.selector, {}, nullptr};
    for (std::size_t in : sp.input_slots) s.inputs.push_back(&buffers_.views[in]);
    if (sp.in_float) {
      for (std::size_t in : sp.input_slots) s.float_inputs.push_back(&buffers_.floats[in]);
      s.float_out = &buffers_.floats[sp.slot];
    }
    buffers_.steps.push_back(std::move(s));
  }
}

// The float32 side of a float32 or bfloat16 program: the float arena, and the copies that carry
// values between float32 and float64 kernels (docs/design.md, "Precision").
void Program::lay_out_float_memory() {
  const ProgramPlan& P = *plan_;
  const std::size_t n = P.order.size();
  buffers_.floats.resize(n);
  buffers_.narrow_copies.resize(n);
  buffers_.wide_copies.resize(n);
  buffers_.copied_in_run.assign(n, 0);
  std::vector<char> narrow_needed(n, 0), wide_needed(n, 0);
  for (const ProgramPlan::StepPlan& sp : P.steps) {
    for (std::size_t k = 0; k < sp.input_slots.size(); ++k) {
      const std::size_t in = sp.input_slots[k];
      narrow_needed[in] |= sp.reads_float(k) && !P.float_slot[in];
      wide_needed[in] |= !sp.reads_float(k) && P.float_slot[in];
    }
    narrow_needed[sp.slot] |= sp.in_float && !P.float_slot[sp.slot];  // made in float32, kept in float64
  }
  for (std::size_t i = 0; i < n; ++i) narrow_needed[i] &= !float_outside_[i];
  buffers_.narrow_needed = narrow_needed;
  double bytes = static_cast<double>(P.float_arena_size) * sizeof(float);
  for (std::size_t i = 0; i < n; ++i) {
    const double elements = static_cast<double>(size_of(graph_->node(P.order[i]).shape));
    bytes += narrow_needed[i] * elements * sizeof(float) + wide_needed[i] * elements * sizeof(Scalar);
  }
  if (bytes == 0) return;
  require_memory(bytes, "Program of " + std::to_string(n) + " nodes: its float32 buffers and copies");
  buffers_.float_arena.assign(std::max<std::size_t>(P.float_arena_size, 1), 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    const Shape& shape = graph_->node(P.order[i]).shape;
    if (P.float_slot[i]) {
      buffers_.floats[i] = {buffers_.float_arena.data() + P.offset[i], shape, graph_->dtype()};
      if (wide_needed[i]) buffers_.wide_copies[i].assign(size_of(shape), 0);
    } else if (float_outside_[i]) {
      buffers_.floats[i] = {float_outside_[i], shape, graph_->dtype()};
    } else if (narrow_needed[i]) {
      buffers_.narrow_copies[i].assign(size_of(shape), 0.0f);
      buffers_.floats[i] = {buffers_.narrow_copies[i].data(), shape, graph_->dtype()};
    }
  }
}

void Program::narrow_copy(std::size_t slot) {
  if (buffers_.copied_in_run[slot] == run_serial_) return;
  narrow_to_float(buffers_.views[slot].data(), buffers_.floats[slot].size(), buffers_.floats[slot].data);
  buffers_.copied_in_run[slot] = run_serial_;
}

void Program::wide_copy(std::size_t slot) {
  if (buffers_.copied_in_run[slot] == run_serial_) return;
  widen_to_scalar(buffers_.floats[slot].data, buffers_.wide_copies[slot].size(), buffers_.wide_copies[slot].data());
  buffers_.copied_in_run[slot] = run_serial_;
}

// Buffers from a Program that died: constants and op buffers are as laid out (no op writes a
// leaf), but that Program may have pointed its parameters at a store or at buffers of its own,
// and this one's outside outputs may be elsewhere. Re-pointing sets a pointer, so every slot
// outside the directional pass is simply sent home.
void Program::reset_views(const std::vector<Scalar*>& outside) {
  std::fill(buffers_.copied_in_run.begin(), buffers_.copied_in_run.end(), 0);  // that Program's runs
  for (std::size_t i = 0; i < plan_->order.size(); ++i) {
    if (plan_->in_pass_slot[i]) continue;
    repoint(buffers_.views[i], home_of(i, outside));
    // Float32 buffers that pointed at that Program's outside memory (a store's) come home too.
    if (plan_->float_slot[i] || buffers_.narrow_needed.empty()) continue;
    if (float_outside_[i]) {
      buffers_.floats[i].data = float_outside_[i];
    } else if (buffers_.narrow_needed[i] || !buffers_.narrow_copies[i].empty()) {
      if (buffers_.narrow_copies[i].empty()) buffers_.narrow_copies[i].assign(buffers_.floats[i].size(), 0.0f);
      buffers_.floats[i].data = buffers_.narrow_copies[i].data();
    }
  }
}

void Program::allocate_pass_arena() {
  const ProgramPlan& P = *plan_;
  buffers_.pass_arena.assign(std::max<std::size_t>(P.pass_arena_size, 1), 0);
  for (std::size_t i = 0; i < P.order.size(); ++i) {
    if (!P.in_pass_slot[i]) continue;
    const Node& n = graph_->node(P.order[i]);
    repoint(buffers_.views[i], buffers_.pass_arena.data() + P.offset[i]);
    if (n.role == Role::Constant) copy_constant(i);
  }
}

// A constant as this program's dtype stores it (Graph::constant keeps the exact value, since only
// its readers say whether it is a label, kept exact, or a value, rounded). A rank-0 constant is a
// number (Graph::scalar): it keeps the op-math type, as a Python number does in PyTorch.
void Program::copy_constant(std::size_t slot) {
  const Node& n = graph_->node(plan_->order[slot]);
  View& v = buffers_.views[slot];
  std::copy(n.value.begin(), n.value.end(), v.begin());
  DType dtype = n.shape.empty() ? opmath(graph_->dtype()) : graph_->dtype();
  if (!plan_->exact_slot[slot]) round_in_place(dtype, v.data(), v.size());
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
  float_store_of_[slot] = nullptr;
  double_stale_[slot] = 0;
  point_parameter_float(slot);
  View& target = buffers_.views[slot];
  std::copy(value.begin(), value.end(), target.begin());
  if (!plan_->exact_slot[slot]) round_in_place(graph_->dtype(), target.data(), target.size());
  bound_[slot] = true;
}

void Program::bind(ParamStore& store) {
  if (&store.graph() != graph_) throw BindError("Program::bind: the ParamStore belongs to another graph");
  for (std::size_t slot : plan_->leaf_slots) {
    NodeId id = plan_->order[slot];
    if (graph_->node(id).role != Role::Parameter) continue;
    Var p(graph_, id);
    if (!store.contains(p)) continue;
    repoint(buffers_.views[slot], store.value_memory(p));  // exposes nothing (ParamStore's class comment)
    bound_[slot] = true;
    store_of_[slot] = store.liveness();
    float_store_of_[slot] = store.holds_float() ? &store : nullptr;
    float_parameter_[slot] = store.holds_float() ? store.float_values() + store.offset(p) : nullptr;
  }
}

// A parameter of a store whose float32 memory holds it is read there by float32 kernels (no copy),
// and its float64 memory is made current only for a float64 kernel; otherwise float32 kernels read
// the float32 copy of its float64 memory, made once per run.
void Program::point_parameter_float(std::size_t slot) {
  if (buffers_.floats.empty() || plan_->float_slot[slot]) return;
  const bool in_float = float_store_of_[slot] && float_store_of_[slot]->values_in_float();
  if (in_float) {
    buffers_.floats[slot].data = float_parameter_[slot];
    buffers_.copied_in_run[slot] = run_serial_;
  } else if (!buffers_.narrow_copies[slot].empty()) {
    buffers_.floats[slot].data = buffers_.narrow_copies[slot].data();
  }
  double_stale_[slot] = in_float;
}

void Program::ensure_double(std::size_t slot) const {
  if (!double_stale_[slot]) return;
  if (float_store_of_[slot]) {
    float_store_of_[slot]->widen_value(Var(graph_, plan_->order[slot]));
  } else {
    const FloatBuffer& f = buffers_.floats[slot];
    widen_to_scalar(f.data, f.size(), const_cast<Scalar*>(buffers_.views[slot].data()));  // memory this program writes
  }
  double_stale_[slot] = 0;
}

bool Program::made_in_float(const Var& output) const {
  const std::size_t slot = slot_of(output, "Program::made_in_float");
  return float_outside_[slot] != nullptr;
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
    if (options_.check_finite && (!plan_->in_pass_slot[slot] || !buffers_.pass_arena.empty())) {
      if (float_store_of_[slot]) float_store_of_[slot]->widen_value(Var(graph_, plan_->order[slot]));
      check_leaf_finite(slot);
    }
  }
  kinks_.sites.clear();
  ++run_serial_;
  for (std::size_t slot : plan_->leaf_slots)
    if (float_store_of_[slot]) point_parameter_float(slot);
  run_steps(0, plan_->directional_begin);
  bool needed = !plan_->directional_skippable;
  for (std::size_t k = 0; !needed && k < plan_->gate_steps.size(); ++k) {
    const std::size_t gate = plan_->gate_steps[k], key = plan_->steps[gate].input_slots[0];
    const auto* selector = static_cast<const PieceSelector*>(buffers_.steps[gate].op);
    // The value key, made before the pass: read where it lives.
    if (plan_->steps[gate].in_float && plan_->float_slot[key]) {
      needed = selector->has_kink_float(buffers_.floats[key]);
    } else {
      if (plan_->float_slot[key]) wide_copy(key);
      ensure_double(key);
      needed = selector->has_kink(buffers_.steps[gate].inputs);
    }
  }
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
  const Step& step = buffers_.steps[k];
  if (plan_->steps[k].in_float && tie_free_[k]) return;  // its selection pass found no tie
  KinkCount c = plan_->steps[k].in_float ? selector->count_kinks_float(*step.float_inputs[0], step.inputs)
                                         : selector->count_kinks(step.inputs);
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

namespace {
template <class T>
std::size_t first_non_finite(const T* data, std::size_t n) {
  for (std::size_t e = 0; e < n; ++e)
    if (!std::isfinite(data[e])) return e;
  return n;
}
}  // namespace

// A float32 kernel on float32 memory. A float64 operand is read through its float32 copy (exact: it
// holds a value of the dtype); a result kept in float64 is made in float32 and widened (exact).
void Program::run_float_step(std::size_t k) {
  const ProgramPlan& P = *plan_;
  const Step& s = buffers_.steps[k];
  const ProgramPlan::StepPlan& sp = P.steps[k];
  for (std::size_t j = 0; j < sp.input_slots.size(); ++j) {
    if (!sp.reads_float(j))
      ensure_double(sp.input_slots[j]);
    else if (!P.float_slot[sp.input_slots[j]])
      narrow_copy(sp.input_slots[j]);
  }
  if (sp.selector)
    tie_free_[k] =
        !static_cast<const PieceSelector*>(s.op)->forward_float_key(*s.float_inputs[0], s.inputs, *s.float_out);
  else
    s.op->forward_float(s.float_inputs, *s.float_out);
  round_in_place(graph_->dtype(), s.float_out->data, s.float_out->size());  // on store, as below
  if (!P.float_slot[s.slot]) {
    // A store's gradient is widened only while its float64 side is exposed (ParamStore).
    const ParamStore* store = options_.float_outputs_store;
    double_stale_[s.slot] = float_outside_[s.slot] && store && store->grads_in_float();
    if (!double_stale_[s.slot]) widen_to_scalar(s.float_out->data, s.float_out->size(), buffers_.views[s.slot].data());
    buffers_.copied_in_run[s.slot] = run_serial_;
  }
}

void Program::check_finite_output(const Step& s) const {
  const bool in_float = plan_->float_slot[s.slot];
  const std::size_t n = in_float ? s.float_out->size() : buffers_.views[s.slot].size();
  const std::size_t e =
      in_float ? first_non_finite(s.float_out->data, n) : first_non_finite(buffers_.views[s.slot].data(), n);
  if (e == n) return;
  const double value = in_float ? s.float_out->data[e] : buffers_.views[s.slot].data()[e];
  const Node& node = graph_->node(s.node);
  std::string inputs;
  for (NodeId in : node.inputs) inputs += (inputs.empty() ? "" : ", ") + graph_->describe(in);
  throw NumericError("first non-finite value (" + std::to_string(value) + ") produced by " + graph_->describe(s.node) +
                     " at flat index " + std::to_string(e) + "; its inputs: " + inputs);
}

void Program::run_steps(std::size_t begin, std::size_t end) {
  using Clock = std::chrono::steady_clock;
  const DType dtype = graph_->dtype();
  for (std::size_t k = begin; k < end; ++k) {
    Step& s = buffers_.steps[k];
    const ProgramPlan::StepPlan& sp = plan_->steps[k];
    View& out = buffers_.views[s.slot];
    Clock::time_point start;
    if (options_.time_nodes) start = Clock::now();
    try {
      // Clarke's tangents, kept wide, are computed in float64 throughout (no float32 GEMM either).
      const bool wide = dtype == DType::Float64 || (plan_->in_pass_slot[s.slot] && options_.wide_directions);
      if (sp.in_float) {
        run_float_step(k);
      } else {
        if (dtype != DType::Float64)
          for (std::size_t in : sp.input_slots) {
            if (plan_->float_slot[in]) wide_copy(in);
            ensure_double(in);
          }
        if (wide) {
          s.op->forward(s.inputs, out);
        } else {
          s.op->forward_float32(s.inputs, out, dtype);
          // Where a low-precision result is made: on store, once per op (PyTorch's CPU kernels round
          // their float32 results to bfloat16 in the same place).
          if (!plan_->exact_slot[s.slot]) round_in_place(dtype, out.data(), out.size());
        }
      }
    } catch (const ValueError& e) {
      throw ValueError(graph_->describe(s.node) + ": " + e.what());
    }
    if (options_.time_nodes) stats_.timings[k].seconds += std::chrono::duration<double>(Clock::now() - start).count();
    if (s.selector && options_.report_kinks) count_kinks(k);
    if (options_.check_finite) check_finite_output(s);
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
  ensure_double(slot);
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