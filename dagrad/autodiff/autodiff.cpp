#include "dagrad/autodiff/autodiff.hpp"

#include <memory>
#include <unordered_map>

#include "dagrad/autodiff/memo.hpp"
#include "dagrad/ops/op.hpp"
#include "dagrad/ops/ops.hpp"
#include "dagrad/params/param_store.hpp"

namespace dagrad {

namespace {

// A transform's result for a node that no path reached: zeros of its shape (as JAX does).
Var or_zeros(Graph& g, const Tangent& t, const Shape& shape) { return t.is_zero() ? zeros(g, shape) : t.var(); }

Graph& common_graph(const char* where, std::initializer_list<const std::vector<Var>*> lists) {
  Graph* g = nullptr;
  for (const auto* list : lists)
    for (const Var& v : *list) {
      if (!v.valid()) throw AutodiffError(std::string(where) + ": empty Var among the arguments");
      if (!g)
        g = &v.graph();
      else
        g->check_owns(v, where);
    }
  if (!g) throw AutodiffError(std::string(where) + ": nothing to differentiate");
  return *g;
}

std::vector<NodeId> ids(const std::vector<Var>& vs) {
  std::vector<NodeId> out;
  for (const Var& v : vs) out.push_back(v.id());
  return out;
}

void check_seed(const char* where, const char* what, const Var& seed, const Var& target) {
  if (seed.shape() != target.shape())
    throw AutodiffError(std::string(where) + ": " + what + " '" + seed.name() + "' has shape " +
                        to_string(seed.shape()) + " but " + target.graph().describe(target.id()) + " has shape " +
                        to_string(target.shape()));
}

// A derivative rule that returns the wrong shape is a bug in the op; say which op.
void check_rule(const char* rule, const Graph& g, NodeId node, const Tangent& result, const Shape& expected) {
  if (!result.is_zero() && result.var().shape() != expected)
    throw AutodiffError(std::string(rule) + " rule of " + g.describe(node) + " returned shape " +
                        to_string(result.var().shape()) + ", expected " + to_string(expected));
}

// The tangent of node `id` from its inputs' tangents (tangent_of(input)), by its op's jvp rule:
// zero for a leaf, a piecewise-constant op, or when every differentiable input's tangent is zero.
template <class TangentOf>
Tangent push_forward(Graph& g, NodeId id, const Node& node, DiffContext& ctx, TangentOf tangent_of) {
  if (node.role != Role::Op) return Tangent::zero();
  const Op& op = rules_of(g, id);
  if (op.piecewise_constant()) return Tangent::zero();
  std::vector<Var> inputs;
  std::vector<Tangent> tangents;
  bool any = false;
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    inputs.emplace_back(&g, node.inputs[i]);
    tangents.push_back(op.differentiable(i) ? tangent_of(inputs.back()) : Tangent::zero());
    any = any || !tangents.back().is_zero();
  }
  if (!any) return Tangent::zero();
  ctx.site = node.name;
  Tangent t = op.jvp(ctx, inputs, Var(&g, id), tangents);
  check_rule("jvp", g, id, t, node.shape);
  return t;
}

// Tangents of nodes along one direction, computed on demand (memoised) by the ops' jvp rules with
// the same direction deciding their own kinks: the exact one-sided directional derivative.
class TangentCache {
 public:
  TangentCache(Graph& g, std::unordered_map<NodeId, Tangent> seeds) : g_(g), seeds_(std::move(seeds)) {
    ctx_.directional_tangents = [this](const Var& v) { return std::vector<Var>{key(v)}; };
  }
  // A selector's directional key: v's tangent, a node even where the tangent is zero.
  Var key(const Var& v) {
    Tangent t = get(v);
    if (!t.is_zero()) return t.var();
    Graph::ConditionalScope directional(g_);
    return zeros(g_, v.shape());
  }
  Tangent get(const Var& v) {
    auto hit = memo_.find(v.id());
    if (hit != memo_.end()) return hit->second;
    Graph::DerivativeScope derivative(g_);
    Graph::ConditionalScope directional(g_);
    const Node node = g_.node(v.id());
    Tangent t = push_forward(g_, v.id(), node, ctx_, [this](const Var& input) { return get(input); });
    auto seed = seeds_.find(v.id());
    if (seed != seeds_.end()) t = add_tangents(t, seed->second);
    memo_[v.id()] = t;
    return t;
  }

 private:
  Graph& g_;
  std::unordered_map<NodeId, Tangent> seeds_;
  std::unordered_map<NodeId, Tangent> memo_;
  DiffContext ctx_;
};

// What a policy needs while a transform runs: the context handed to rules and, for Clarke, the
// directional tangent caches that context reads.
struct PolicyState {
  DiffContext ctx;
  std::vector<std::unique_ptr<TangentCache>> caches;
};

std::unique_ptr<PolicyState> prepare(const SubgradientPolicy& policy, Graph& g, const std::vector<Var>& wrt) {
  auto state = std::make_unique<PolicyState>();
  if (auto* c = std::get_if<Subgradient::Convention>(&policy)) {
    state->ctx.relu_slope_at_zero = c->relu_slope_at_zero;
    return state;
  }
  const auto& clarke = std::get<Subgradient::Clarke>(policy);
  std::vector<Var> directions = clarke.directions;
  if (directions.empty()) {
    if (clarke.directions_drawn < 1) throw AutodiffError("Subgradient::Clarke needs at least one direction");
    Graph::DerivativeScope derivative(g);
    for (int k = 0; k < clarke.directions_drawn; ++k)
      for (const Var& w : wrt) {
        Tensor d = Tensor::from_shape(w.shape());
        View view = make_view(d.data(), w.shape());
        // Keyed by the leaf's node id, not its name: names may repeat or be empty, and two leaves
        // sharing one direction turned relu(x − y) − relu(y − x) at 0 into a zero gradient.
        draw_init(Init::normal(), clarke.seed + 0x9E3779B9ULL * static_cast<std::uint64_t>(k),
                  "direction/node" + std::to_string(w.id()), view);
        directions.push_back(g.constant(d, "d" + std::to_string(k) + "/" + w.name()));
      }
  }
  if (directions.size() % wrt.size() != 0)
    throw AutodiffError("Subgradient::Clarke: " + std::to_string(directions.size()) + " directions do not split over " +
                        std::to_string(wrt.size()) + " variables");
  for (std::size_t k = 0; k < directions.size() / wrt.size(); ++k) {
    std::unordered_map<NodeId, Tangent> seeds;
    for (std::size_t i = 0; i < wrt.size(); ++i) {
      const Var& d = directions[k * wrt.size() + i];
      g.check_owns(d, "Subgradient::Clarke");
      check_seed("Subgradient::Clarke", "direction", d, wrt[i]);
      seeds[wrt[i].id()] = add_tangents(seeds[wrt[i].id()], d);
    }
    state->caches.push_back(std::make_unique<TangentCache>(g, std::move(seeds)));
  }
  PolicyState* raw = state.get();
  state->ctx.directional_tangents = [raw](const Var& v) {
    std::vector<Var> keys;
    for (auto& cache : raw->caches) keys.push_back(cache->key(v));
    return keys;
  };
  return state;
}

// The transforms themselves; the public functions check arguments and memoize.
std::vector<Var> vjp_unmemoized(Graph& g, const std::vector<Var>& ys, const std::vector<Var>& cotangents,
                                const std::vector<Var>& wrt, const SubgradientPolicy& policy);
std::vector<Var> jvp_unmemoized(Graph& g, const std::vector<Var>& ys, const std::vector<Var>& wrt,
                                const std::vector<Var>& tangents, const SubgradientPolicy& policy);
Var jacobian_unmemoized(Graph& g, const Var& y, const Var& x, Mode mode, const SubgradientPolicy& policy);
std::vector<Var> substitute_unmemoized(Graph& g, const std::vector<Var>& ys, const std::vector<Var>& from,
                                       const std::vector<Var>& to);
Linearization linearize_unmemoized(Graph& g, const std::vector<Var>& ys, const std::vector<Var>& wrt,
                                   const SubgradientPolicy& policy);

}  // namespace

std::vector<Var> vjp(const std::vector<Var>& ys, const std::vector<Var>& cotangents, const std::vector<Var>& wrt,
                     const SubgradientPolicy& policy) {
  Graph& g = common_graph("vjp", {&ys, &cotangents, &wrt});
  if (ys.size() != cotangents.size())
    throw AutodiffError("vjp: " + std::to_string(ys.size()) + " outputs but " + std::to_string(cotangents.size()) +
                        " cotangents");
  for (std::size_t i = 0; i < ys.size(); ++i) check_seed("vjp", "cotangent", cotangents[i], ys[i]);
  return g.memoized(detail::transform_key("vjp", g, {&ys, &cotangents, &wrt}, {}, policy),
                    [&] { return vjp_unmemoized(g, ys, cotangents, wrt, policy); });
}

namespace {
std::vector<Var> vjp_unmemoized(Graph& g, const std::vector<Var>& ys, const std::vector<Var>& cotangents,
                                const std::vector<Var>& wrt, const SubgradientPolicy& policy) {
  std::vector<NodeId> y_ids = ids(ys);
  std::vector<bool> depends_on_wrt = g.descendants(ids(wrt));
  std::vector<NodeId> order = g.schedule(y_ids);  // taken before any derivative node is added
  auto state = prepare(policy, g, wrt);
  DiffContext& ctx = state->ctx;
  Graph::DerivativeScope scope(g);
  std::vector<Tangent> ct(g.size());
  for (std::size_t i = 0; i < ys.size(); ++i)
    if (depends_on_wrt[ys[i].id()]) ct[ys[i].id()] = add_tangents(ct[ys[i].id()], cotangents[i]);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    NodeId id = *it;
    if (ct[id].is_zero()) continue;
    const Node node = g.node(id);  // a copy: rules add vertices, which moves stored nodes
    if (node.role != Role::Op) continue;
    const Op& op = rules_of(g, id);
    if (op.piecewise_constant()) continue;
    std::vector<Var> inputs;
    for (NodeId in : node.inputs) inputs.emplace_back(&g, in);
    ctx.site = node.name;
    std::vector<Tangent> grads = op.vjp(ctx, inputs, Var(&g, id), ct[id].var());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      NodeId in = node.inputs[i];
      if (!depends_on_wrt[in] || !op.differentiable(i) || grads[i].is_zero()) continue;
      check_rule("vjp", g, id, grads[i], g.node(in).shape);
      ct[in] = add_tangents(ct[in], grads[i]);
    }
  }
  std::vector<Var> out;
  for (const Var& w : wrt) out.push_back(or_zeros(g, ct[w.id()], w.shape()));
  return out;
}
}  // namespace

std::vector<Var> grad(const Var& y, const std::vector<Var>& wrt, const SubgradientPolicy& policy) {
  if (!y.valid()) throw AutodiffError("grad: empty output Var");
  if (y.size() != 1)
    throw AutodiffError("grad: output " + y.graph().describe(y.id()) +
                        " is not a scalar; reduce it (sum, mean) or call vjp with a cotangent of its shape");
  Graph& g = y.graph();
  for (const Var& w : wrt) g.check_owns(w, "grad");
  std::vector<Var> ys{y};
  return g.memoized(detail::transform_key("grad", g, {&ys, &wrt}, {}, policy), [&] {
    Var one = y.shape().empty() ? g.scalar(1) : broadcast_to(g.scalar(1), y.shape());
    return vjp({y}, {one}, wrt, policy);
  });
}

Var grad(const Var& y, const Var& wrt, const SubgradientPolicy& policy) {
  return grad(y, std::vector<Var>{wrt}, policy)[0];
}

std::vector<Var> jvp(const std::vector<Var>& ys, const std::vector<Var>& wrt, const std::vector<Var>& tangents,
                     const SubgradientPolicy& policy) {
  Graph& g = common_graph("jvp", {&ys, &wrt, &tangents});
  if (wrt.size() != tangents.size())
    throw AutodiffError("jvp: " + std::to_string(wrt.size()) + " inputs but " + std::to_string(tangents.size()) +
                        " tangents");
  for (std::size_t i = 0; i < wrt.size(); ++i) check_seed("jvp", "tangent", tangents[i], wrt[i]);
  return g.memoized(detail::transform_key("jvp", g, {&ys, &wrt, &tangents}, {}, policy),
                    [&] { return jvp_unmemoized(g, ys, wrt, tangents, policy); });
}

namespace {
std::vector<Var> jvp_unmemoized(Graph& g, const std::vector<Var>& ys, const std::vector<Var>& wrt,
                                const std::vector<Var>& tangents, const SubgradientPolicy& policy) {
  std::vector<bool> depends_on_wrt = g.descendants(ids(wrt));
  std::vector<NodeId> order = g.schedule(ids(ys));
  auto state = prepare(policy, g, wrt);
  DiffContext& ctx = state->ctx;
  Graph::DerivativeScope scope(g);
  std::vector<Tangent> seed(g.size()), tan(g.size());
  for (std::size_t i = 0; i < wrt.size(); ++i) seed[wrt[i].id()] = add_tangents(seed[wrt[i].id()], tangents[i]);
  for (NodeId id : order) {
    if (!depends_on_wrt[id]) continue;
    const Node node = g.node(id);
    Tangent pushed = push_forward(g, id, node, ctx, [&tan](const Var& input) { return tan[input.id()]; });
    tan[id] = add_tangents(pushed, seed[id]);
  }
  std::vector<Var> out;
  for (const Var& y : ys) out.push_back(or_zeros(g, tan[y.id()], y.shape()));
  return out;
}
}  // namespace

Var jvp(const Var& y, const Var& x, const Var& tangent, const SubgradientPolicy& policy) {
  return jvp(std::vector<Var>{y}, std::vector<Var>{x}, std::vector<Var>{tangent}, policy)[0];
}

std::vector<Var> hvp(const Var& y, const std::vector<Var>& wrt, const std::vector<Var>& v,
                     const SubgradientPolicy& policy) {
  std::vector<Var> g = grad(y, wrt, policy);
  return jvp(g, wrt, v, policy);
}

Mode cheaper_mode(std::size_t inputs, std::size_t outputs) { return inputs <= outputs ? Mode::Forward : Mode::Reverse; }

Var jacobian(const Var& y, const Var& x, Mode mode, const SubgradientPolicy& policy) {
  if (!y.valid() || !x.valid()) throw AutodiffError("jacobian: empty Var");
  Graph& g = y.graph();
  g.check_owns(x, "jacobian");
  std::size_t m = y.size(), n = x.size();
  if (mode == Mode::Auto) mode = cheaper_mode(n, m);
  std::vector<Var> yx{y, x};
  return g.memoized(detail::transform_key("jacobian", g, {&yx}, {static_cast<std::uint64_t>(mode)}, policy),
                    [&] { return std::vector<Var>{jacobian_unmemoized(g, y, x, mode, policy)}; })[0];
}

namespace {
// The k-th standard basis tensor of a shape, as a constant of the graph.
Var basis_constant(Graph& g, const Shape& shape, std::size_t k) {
  Tensor e = xt::zeros<Scalar>(shape);
  e.flat(k) = 1;
  return g.constant(e, "e" + std::to_string(k));
}

Var jacobian_unmemoized(Graph& g, const Var& y, const Var& x, Mode mode, const SubgradientPolicy& policy) {
  std::size_t m = y.size(), n = x.size();
  Shape full = y.shape();
  Shape x_shape = x.shape();
  full.insert(full.end(), x_shape.begin(), x_shape.end());
  auto basis = [&g](const Shape& shape, std::size_t k) { return basis_constant(g, shape, k); };
  std::vector<Var> parts;
  if (mode == Mode::Reverse) {
    for (std::size_t i = 0; i < m; ++i)
      parts.push_back(reshape(vjp({y}, {basis(y.shape(), i)}, {x}, policy)[0], {1, n}));
    return reshape(concat(parts, 0), full);
  }
  for (std::size_t j = 0; j < n; ++j) parts.push_back(reshape(jvp(y, x, basis(x.shape(), j), policy), {m, 1}));
  return reshape(concat(parts, 1), full);
}
}  // namespace

Var hessian(const Var& y, const Var& x, const SubgradientPolicy& policy) {
  return jacobian(grad(y, x, policy), x, Mode::Forward, policy);
}

std::vector<std::vector<Var>> hessian(const Var& y, const std::vector<Var>& xs, const SubgradientPolicy& policy) {
  if (xs.empty()) throw AutodiffError("hessian: no variables to differentiate by");
  std::vector<Var> gs = grad(y, xs, policy);  // checks y (a scalar) and that y's graph owns every x
  Graph& g = y.graph();
  std::vector<Var> flat = g.memoized(detail::transform_key("hessian_blocks", g, {&gs, &xs}, {}, policy), [&] {
    // Column block j: one tangent pass per element of x_j gives that column of every block H[i][j].
    std::vector<std::vector<Var>> blocks(xs.size() * xs.size());
    for (std::size_t j = 0; j < xs.size(); ++j) {
      std::vector<std::vector<Var>> columns(xs.size());
      for (std::size_t k = 0; k < xs[j].size(); ++k) {
        std::vector<Var> t = jvp(gs, {xs[j]}, {basis_constant(g, xs[j].shape(), k)}, policy);
        for (std::size_t i = 0; i < xs.size(); ++i) columns[i].push_back(reshape(t[i], {xs[i].size(), 1}));
      }
      for (std::size_t i = 0; i < xs.size(); ++i) blocks[i * xs.size() + j] = std::move(columns[i]);
    }
    std::vector<Var> out;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      const Var& xi = xs[b / xs.size()];
      const Var& xj = xs[b % xs.size()];
      Shape full = xi.shape();
      const Shape tail = xj.shape();
      full.insert(full.end(), tail.begin(), tail.end());
      out.push_back(reshape(concat(blocks[b], 1), full));
    }
    return out;
  });
  std::vector<std::vector<Var>> H(xs.size());
  for (std::size_t b = 0; b < flat.size(); ++b) H[b / xs.size()].push_back(flat[b]);
  return H;
}

std::vector<Var> substitute(const std::vector<Var>& ys, const std::vector<Var>& from, const std::vector<Var>& to) {
  Graph& g = common_graph("substitute", {&ys, &from, &to});
  if (from.size() != to.size()) throw AutodiffError("substitute: from and to differ in length");
  return g.memoized(detail::transform_key("substitute", g, {&ys, &from, &to}, {}, SubgradientPolicy{}),
                    [&] { return substitute_unmemoized(g, ys, from, to); });
}

namespace {
std::vector<Var> substitute_unmemoized(Graph& g, const std::vector<Var>& ys, const std::vector<Var>& from,
                                       const std::vector<Var>& to) {
  std::vector<bool> affected = g.descendants(ids(from));
  std::vector<NodeId> order = g.schedule(ids(ys));
  std::vector<Var> image(g.size());
  for (std::size_t i = 0; i < from.size(); ++i) image[from[i].id()] = to[i];
  for (NodeId id : order) {
    if (!affected[id] || image[id].valid()) continue;
    const Node node = g.node(id);
    std::vector<Var> inputs;
    for (NodeId in : node.inputs) inputs.push_back(image[in].valid() ? image[in] : Var(&g, in));
    image[id] = g.apply(node.op, inputs);
  }
  std::vector<Var> out;
  for (const Var& y : ys) out.push_back(image[y.id()].valid() ? image[y.id()] : y);
  return out;
}
}  // namespace

Linearization linearize(const std::vector<Var>& ys, const std::vector<Var>& wrt, const SubgradientPolicy& policy) {
  Graph& g = common_graph("linearize", {&ys, &wrt});
  // Memoized as outputs then anchors, so a loop that linearizes again gets the same anchors.
  std::vector<Var> both = g.memoized(detail::transform_key("linearize", g, {&ys, &wrt}, {}, policy), [&] {
    Linearization built = linearize_unmemoized(g, ys, wrt, policy);
    built.outputs.insert(built.outputs.end(), built.anchors.begin(), built.anchors.end());
    return built.outputs;
  });
  Linearization lin;
  lin.outputs.assign(both.begin(), both.begin() + static_cast<long>(ys.size()));
  lin.anchors.assign(both.begin() + static_cast<long>(ys.size()), both.end());
  return lin;
}

namespace {
Linearization linearize_unmemoized(Graph& g, const std::vector<Var>& ys, const std::vector<Var>& wrt,
                                   const SubgradientPolicy& policy) {
  Linearization lin;
  std::vector<Var> deltas;
  for (const Var& w : wrt) {
    lin.anchors.push_back(g.input(w.name() + "@0", w.shape()));
    deltas.push_back(w - lin.anchors.back());
  }
  std::vector<Var> at_anchor = substitute(ys, wrt, lin.anchors);
  std::vector<Var> slopes = jvp(at_anchor, lin.anchors, deltas, policy);
  for (std::size_t i = 0; i < ys.size(); ++i) lin.outputs.push_back(at_anchor[i] + slopes[i]);
  return lin;
}
}  // namespace

}  // namespace dagrad
