// Random DAGs of ops with random shapes (a graph fuzzer): every attempted op either builds or
// throws a dagrad::Error (never another exception, never a crash — the sanitizer build runs this too),
// and every graph that builds has derivatives that agree: ⟨u, J v⟩ = ⟨Jᵀu, v⟩ to rounding, and the
// gradient of a scalar reduction against central differences.
#include <catch2/catch.hpp>

#include <functional>

#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;

namespace {

Shape random_shape(Rng& rng) {
  std::uniform_int_distribution<std::size_t> rank(0, 3), dim(1, 3);
  Shape s(rank(rng));
  for (auto& d : s) d = dim(rng);
  return s;
}

// Smooth ops only: central differences must be meaningful everywhere the inputs can land.
Var random_op(Rng& rng, std::vector<Var>& nodes) {
  std::uniform_int_distribution<std::size_t> pick(0, nodes.size() - 1);
  std::uniform_int_distribution<int> which(0, 17), axis(-3, 3);
  const Var a = nodes[pick(rng)], b = nodes[pick(rng)];
  switch (which(rng)) {
    case 0:
      return add(a, b);
    case 1:
      return sub(a, b);
    case 2:
      return mul(a, b);
    case 3:
      return tanh(a);
    case 4:
      return sin(a);
    case 5:
      return sigmoid(a);
    case 6:
      return square(tanh(a));
    case 7:
      return matmul(a, b);
    case 8:
      return matmul(a, b, true, false);
    case 9:
      return transpose(a);
    case 10:
      return sum(a, {axis(rng)});
    case 11:
      return mean(a, {axis(rng)}, true);
    case 12:
      return reshape(a, random_shape(rng));
    case 13:
      return broadcast_to(a, random_shape(rng));
    case 14:
      return concat({a, b}, axis(rng));
    case 15:
      return softmax(a, axis(rng));
    case 16:
      return logsumexp(a, axis(rng));
    default:
      return slice(a, axis(rng), 0, 1);
  }
}

std::size_t flat_size(const Shape& s) {
  std::size_t n = 1;
  for (std::size_t d : s) n *= d;
  return n;
}

}  // namespace

TEST_CASE("random graphs build or throw dagrad::Error, and their derivatives agree", "[autodiff][fuzz]") {
  int built = 0, refused = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    INFO("seed " << seed);
    Rng rng(seed);
    Graph g;
    std::vector<Var> inputs{g.input("x0", random_shape(rng)), g.input("x1", random_shape(rng))};
    std::vector<Var> nodes = inputs;
    for (int k = 0; k < 8; ++k) {
      try {
        nodes.push_back(random_op(rng, nodes));
      } catch (const Error&) {
        ++refused;  // a shape or axis the op does not take: refused with a dagrad::Error
      }
    }
    Var y = nodes.back();
    if (y.id() == inputs.back().id()) continue;
    ++built;
    std::vector<Tensor> at;
    for (const Var& x : inputs) at.push_back(random_tensor(rng, x.shape()));
    Var u = g.input("u", y.shape());
    std::vector<Var> v;
    for (const Var& x : inputs) v.push_back(g.input("v_" + x.name(), x.shape()));
    Var jv = jvp(std::vector<Var>{y}, inputs, v)[0];
    std::vector<Var> jtu = vjp({y}, {u}, inputs);
    Var scalar = sum(mul(y, u));
    Program p(g, {y, jv, jtu[0], jtu[1], scalar});
    Tensor uv = random_tensor(rng, y.shape());
    p.set(u, uv);
    std::vector<Tensor> vv;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      p.set(inputs[i], at[i]);
      vv.push_back(random_tensor(rng, inputs[i].shape()));
      p.set(v[i], vv.back());
    }
    p.run();
    double left = inner(uv, p.get(jv)), right = inner(p.get(jtu[0]), vv[0]) + inner(p.get(jtu[1]), vv[1]);
    CHECK(std::fabs(left - right) <= 1e-10 * (1 + std::fabs(left) + std::fabs(right)));
    // ∂⟨u, y⟩/∂x by central differences, element by element.
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      Tensor grad = p.get(jtu[i]);
      for (std::size_t e = 0; e < flat_size(inputs[i].shape()); ++e) {
        Tensor plus = at[i], minus = at[i];
        const double h = 1e-6;
        plus.flat(e) += h;
        minus.flat(e) -= h;
        p.set(inputs[i], plus);
        p.run();
        double up = p.scalar(scalar);
        p.set(inputs[i], minus);
        p.run();
        double fd = (up - p.scalar(scalar)) / (2 * h);
        CHECK(std::fabs(fd - grad.flat(e)) <= 1e-5 * (1 + std::fabs(grad.flat(e))));
      }
      p.set(inputs[i], at[i]);
    }
  }
  // The fuzzer must reach both outcomes often, or it tests little.
  CHECK(built > 150);
  CHECK(refused > 100);
}
