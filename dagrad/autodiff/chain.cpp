// Jacobian accumulation along a chain: the plan that costs least, by dynamic programming over segments.
#include <functional>
#include <limits>

#include "dagrad/autodiff/autodiff.hpp"
#include "dagrad/autodiff/memo.hpp"
#include "dagrad/ops/ops.hpp"

namespace dagrad {

namespace {

std::string describe_plan(const ChainOrder& order, std::size_t i, std::size_t j) {
  const ChainOrder::Segment& s = order.plan[i][j];
  if (s.split == 0) {
    std::string range = i == j ? "J" + std::to_string(i) : "J" + std::to_string(j) + ".." + "J" + std::to_string(i);
    if (s.direct == Mode::Auto) return range;
    return (s.direct == Mode::Forward ? "fwd[" : "rev[") + range + "]";
  }
  return "(" + describe_plan(order, s.split + 1, j) + " " + describe_plan(order, i, s.split) + ")";
}

// Stage i may reach stages 0..i−2 only through stage i−1; otherwise the chain rule along the chain
// misses a path and the product would be silently wrong.
void check_chain(const std::vector<Var>& stages) {
  Graph& g = stages.front().graph();
  for (std::size_t i = 2; i < stages.size(); ++i) {
    std::vector<bool> earlier(g.size()), seen(g.size());
    for (std::size_t j = 0; j + 1 < i; ++j) earlier[stages[j].id()] = true;
    std::vector<NodeId> todo{stages[i].id()};
    while (!todo.empty()) {
      NodeId id = todo.back();
      todo.pop_back();
      if (seen[id] || id == stages[i - 1].id()) continue;
      seen[id] = true;
      if (earlier[id])
        throw AutodiffError("jacobian_chain: stage " + std::to_string(i) + " (" + g.describe(stages[i].id()) +
                            ") reads " + g.describe(id) + " without going through stage " + std::to_string(i - 1) +
                            " (" + g.describe(stages[i - 1].id()) + ")");
      for (NodeId in : g.node(id).inputs) todo.push_back(in);
    }
  }
}

// Multiplications of one evaluation of stage k: the cost model's flops (two per multiply-add) of the
// ops between stage k−1 and stage k.
double stage_cost(const std::vector<Var>& stages, std::size_t k) {
  Graph& g = stages.front().graph();
  std::vector<bool> before = g.ancestors({stages[k - 1].id()});
  double flops = 0;
  for (NodeId id : g.schedule({stages[k].id()})) {
    const Node& node = g.node(id);
    if (before[id] || node.role != Role::Op) continue;
    std::vector<Shape> inputs;
    for (NodeId in : node.inputs) inputs.push_back(g.node(in).shape);
    flops += node.op->cost(inputs, node.shape).flops;
  }
  return flops / 2;
}

}  // namespace

ChainOrder chain_order(const std::vector<std::size_t>& sizes, const std::vector<double>& stage_costs) {
  if (sizes.size() < 2) throw AutodiffError("chain_order: a chain needs at least two sizes (input and output)");
  const std::size_t L = sizes.size() - 1;
  const bool matrix_free = !stage_costs.empty();
  if (matrix_free && stage_costs.size() != L)
    throw AutodiffError("chain_order: " + std::to_string(L) + " stages but " + std::to_string(stage_costs.size()) +
                        " stage costs");
  ChainOrder order;
  order.sizes = sizes;
  order.stage_costs = stage_costs;
  auto n = [&sizes](std::size_t k) { return static_cast<double>(sizes[k]); };
  // through[i][j]: one tangent (or adjoint) through stages i..j.
  std::vector<std::vector<double>> through(L + 1, std::vector<double>(L + 1, 0));
  for (std::size_t i = 1; matrix_free && i <= L; ++i)
    for (std::size_t j = i; j <= L; ++j) through[i][j] = (j > i ? through[i][j - 1] : 0) + stage_costs[j - 1];
  if (matrix_free) {
    order.forward = n(0) * through[1][L];
    order.reverse = n(L) * through[1][L];
  } else {
    for (std::size_t k = 2; k <= L; ++k) order.forward += n(k) * n(k - 1) * n(0);
    for (std::size_t k = 1; k + 1 <= L; ++k) order.reverse += n(L) * n(k) * n(k - 1);
  }
  // best[i][j]: fewest multiplications for J_j⋯J_i, an n_j × n_{i−1} matrix.
  std::vector<std::vector<double>> best(L + 1, std::vector<double>(L + 1, 0));
  order.plan.assign(L + 1, std::vector<ChainOrder::Segment>(L + 1));
  for (std::size_t span = 0; span < L; ++span)
    for (std::size_t i = 1; i + span <= L; ++i) {
      std::size_t j = i + span;
      double& b = best[i][j];
      ChainOrder::Segment& plan = order.plan[i][j];
      b = std::numeric_limits<double>::infinity();
      if (matrix_free) {
        double tangents = n(i - 1) * through[i][j], adjoints = n(j) * through[i][j];
        b = std::min(tangents, adjoints);
        plan.direct = tangents <= adjoints ? Mode::Forward : Mode::Reverse;
      } else if (i == j) {
        b = 0;
      }
      for (std::size_t k = i; k < j; ++k) {
        double c = best[i][k] + best[k + 1][j] + n(j) * n(k) * n(i - 1);
        if (c < b) {
          b = c;
          plan.split = k;
        }
      }
    }
  order.multiplications = best[1][L];
  order.bracketing = describe_plan(order, 1, L);
  return order;
}

ChainOrder chain_order(const std::vector<Var>& stages) {
  if (stages.size() < 2) throw AutodiffError("jacobian_chain: needs the input and at least one stage");
  for (const Var& s : stages)
    if (!s.valid()) throw AutodiffError("jacobian_chain: empty Var among the stages");
  Graph& g = stages.front().graph();
  for (const Var& s : stages) g.check_owns(s, "jacobian_chain");
  check_chain(stages);
  std::vector<std::size_t> sizes;
  std::vector<double> costs;
  for (const Var& s : stages) sizes.push_back(s.size());
  for (std::size_t k = 1; k < stages.size(); ++k) costs.push_back(stage_cost(stages, k));
  return chain_order(sizes, costs);
}

Var jacobian_chain(const std::vector<Var>& stages, Mode mode, const SubgradientPolicy& policy) {
  ChainOrder order = chain_order(stages);  // validates the chain whatever the mode
  if (mode != Mode::Auto) return jacobian(stages.back(), stages.front(), mode, policy);
  Graph& g = stages.front().graph();
  return g.memoized(detail::transform_key("jacobian_chain", g, {&stages}, {}, policy), [&] {
    const std::size_t L = stages.size() - 1;
    const std::vector<std::size_t>& sizes = order.sizes;
    std::function<Var(std::size_t, std::size_t)> build = [&](std::size_t i, std::size_t j) -> Var {
      const ChainOrder::Segment& s = order.plan[i][j];
      if (s.split == 0) return reshape(jacobian(stages[j], stages[i - 1], s.direct, policy), {sizes[j], sizes[i - 1]});
      return matmul(build(s.split + 1, j), build(i, s.split));
    };
    Shape full = stages.back().shape();
    Shape in = stages.front().shape();
    full.insert(full.end(), in.begin(), in.end());
    return std::vector<Var>{reshape(build(1, L), full)};
  })[0];
}

}  // namespace dagrad
