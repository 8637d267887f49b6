// Jacobian accumulation along a chain: local Jacobians multiplied in the order that costs least.
#include <functional>
#include <limits>

#include "autodiff/autodiff.hpp"
#include "ops/ops.hpp"

namespace dagrad {

namespace {

// The product J_j⋯J_i as text, following the split table.
std::string bracket(const ChainOrder& order, std::size_t i, std::size_t j) {
  if (i == j) return "J" + std::to_string(i);
  std::size_t k = order.split[i][j];
  return "(" + bracket(order, k + 1, j) + " " + bracket(order, i, k) + ")";
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
                            ") reads " + g.describe(id) + " without going through stage " + std::to_string(i - 1) + " (" +
                            g.describe(stages[i - 1].id()) + ")");
      for (NodeId in : g.node(id).inputs) todo.push_back(in);
    }
  }
}

}  // namespace

ChainOrder chain_order(const std::vector<std::size_t>& sizes) {
  if (sizes.size() < 2) throw AutodiffError("chain_order: a chain needs at least two sizes (input and output)");
  ChainOrder order;
  order.sizes = sizes;
  const std::size_t L = sizes.size() - 1;
  auto n = [&sizes](std::size_t k) { return static_cast<double>(sizes[k]); };
  for (std::size_t k = 2; k <= L; ++k) order.forward += n(k) * n(k - 1) * n(0);
  for (std::size_t k = 1; k + 1 <= L; ++k) order.reverse += n(L) * n(k) * n(k - 1);
  // best[i][j]: fewest multiplications for J_j⋯J_i, an n_j × n_{i−1} matrix.
  std::vector<std::vector<double>> best(L + 1, std::vector<double>(L + 1, 0));
  order.split.assign(L + 1, std::vector<std::size_t>(L + 1, 0));
  for (std::size_t span = 1; span < L; ++span)
    for (std::size_t i = 1; i + span <= L; ++i) {
      std::size_t j = i + span;
      best[i][j] = std::numeric_limits<double>::infinity();
      for (std::size_t k = i; k < j; ++k) {
        double c = best[i][k] + best[k + 1][j] + n(j) * n(k) * n(i - 1);
        if (c < best[i][j]) {
          best[i][j] = c;
          order.split[i][j] = k;
        }
      }
    }
  order.multiplications = best[1][L];
  order.bracketing = bracket(order, 1, L);
  return order;
}

Var jacobian_chain(const std::vector<Var>& stages, Mode mode, const SubgradientPolicy& policy) {
  if (stages.size() < 2) throw AutodiffError("jacobian_chain: needs the input and at least one stage");
  for (const Var& s : stages)
    if (!s.valid()) throw AutodiffError("jacobian_chain: empty Var among the stages");
  Graph& g = stages.front().graph();
  for (const Var& s : stages) g.check_owns(s, "jacobian_chain");
  check_chain(stages);
  const std::size_t L = stages.size() - 1;
  std::vector<std::size_t> sizes;
  for (const Var& s : stages) sizes.push_back(s.size());
  std::vector<Var> local(L + 1);
  for (std::size_t i = 1; i <= L; ++i)
    local[i] = reshape(jacobian(stages[i], stages[i - 1], Mode::Auto, policy), {sizes[i], sizes[i - 1]});
  ChainOrder order = chain_order(sizes);
  std::function<Var(std::size_t, std::size_t)> product = [&](std::size_t i, std::size_t j) -> Var {
    if (i == j) return local[i];
    std::size_t k = mode == Mode::Forward ? j - 1 : mode == Mode::Reverse ? i : order.split[i][j];
    return matmul(product(k + 1, j), product(i, k));
  };
  Shape full = stages.back().shape();
  Shape in = stages.front().shape();
  full.insert(full.end(), in.begin(), in.end());
  return reshape(product(1, L), full);
}

}  // namespace dagrad
