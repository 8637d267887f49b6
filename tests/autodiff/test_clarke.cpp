// Clarke-correct subgradients by the directional chain rule (Kakade & Lee, NeurIPS 2018,
// "Provably correct automatic subdifferentiation for qualified programs"). Each classic case is
// checked against its exact Clarke subdifferential and against what the fixed convention
// (PyTorch's, Subgradient::Convention{0}) returns.
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;

namespace {

struct Result {
  std::vector<Tensor> grads;
  KinkReport report;
};

Result gradient(Graph& g, const Var& y, const std::vector<Var>& wrt, const std::vector<Tensor>& at,
                const SubgradientPolicy& policy = {}) {
  std::vector<Var> gs = grad(y, wrt, policy);
  Program p(g, gs);
  for (std::size_t i = 0; i < wrt.size(); ++i) p.set(wrt[i], at[i]);
  p.run();
  Result r;
  for (const Var& gv : gs) r.grads.push_back(p.get(gv));
  r.report = p.kink_report();
  return r;
}

const Subgradient::Convention kPyTorch{0};

// The vector with its two halves swapped (pairs unit i with unit i + m/2 for maximum ties).
Var reverse_halves(const Var& h) {
  std::size_t m = h.shape()[0], half = m / 2;
  return concat({slice(h, 0, half, m), slice(h, 0, 0, half)}, 0);
}

}  // namespace

TEST_CASE("relu(x) - relu(-x) is the identity: Clarke {1}, the convention says 0", "[clarke]") {
  Graph g;
  Var x = g.input("x", {});
  Var f = relu(x) - relu(neg(x));
  Result clarke = gradient(g, f, {x}, {scalar_tensor(0)});
  CHECK(clarke.grads[0]() == 1);
  CHECK(clarke.report.directional_pass_ran);
  CHECK(clarke.report.kinks() == 2);
  CHECK(clarke.report.qualified());
  CHECK(gradient(g, f, {x}, {scalar_tensor(0)}, kPyTorch).grads[0]() == 0);  // wrong
  CHECK(gradient(g, f, {x}, {scalar_tensor(0.5)}).grads[0]() == 1);          // away from the kink
}

TEST_CASE("directions are independent per leaf whatever the names: relu(x - y) - relu(y - x) at (0, 0) is (1, -1)",
          "[clarke][seed]") {
  // Regression: directions were seeded by the leaf's name; two inputs both named "z" (or both unnamed,
  // or an input and a parameter sharing a name) got one direction, and the gradient came out (0, 0).
  for (const auto& [first, second] :
       std::vector<std::pair<std::string, std::string>>{{"x", "y"}, {"z", "z"}, {"", ""}}) {
    INFO("names '" << first << "', '" << second << "'");
    Graph g;
    Var x = g.input(first, {}), y = g.input(second, {});
    Var f = relu(x - y) - relu(y - x);
    Result clarke = gradient(g, f, {x, y}, {scalar_tensor(0), scalar_tensor(0)});
    CHECK(clarke.grads[0]() == 1);
    CHECK(clarke.grads[1]() == -1);
    CHECK(clarke.report.qualified());
  }
  Graph g;
  Var x = g.input("w", {2}), w = g.parameter("w", {2});
  Var f = sum(relu(x - w) - relu(w - x));
  std::vector<Var> gs = grad(f, {x, w});
  Program p(g, gs);
  ParamStore store(g, 0);
  p.bind(store);
  for (Scalar& v : store.values()) v = 0;
  p.set(x, Tensor{0, 0});
  p.run();
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(p.get(gs[0])(i) == 1);
    CHECK(p.get(gs[1])(i) == -1);
  }
}

TEST_CASE("x - relu(x) + relu(-x) is zero: Clarke {0}, the convention says 1", "[clarke]") {
  Graph g;
  Var x = g.input("x", {});
  Var f = x - relu(x) + relu(neg(x));
  CHECK(gradient(g, f, {x}, {scalar_tensor(0)}).grads[0]() == 0);
  CHECK(gradient(g, f, {x}, {scalar_tensor(0)}, kPyTorch).grads[0]() == 1);  // wrong
}

TEST_CASE("|x| - 2 relu(x) + x is zero: Clarke {0}, the convention says 1", "[clarke]") {
  Graph g;
  Var x = g.input("x", {});
  Var f = abs(x) - 2.0 * relu(x) + x;
  CHECK(gradient(g, f, {x}, {scalar_tensor(0)}).grads[0]() == 0);
  CHECK(gradient(g, f, {x}, {scalar_tensor(0)}, kPyTorch).grads[0]() == 1);  // wrong
}

TEST_CASE("max(x, y) + min(x, y) = x + y at (1, 1): Clarke {(1, 1)}", "[clarke]") {
  Graph g;
  Var x = g.input("x", {}), y = g.input("y", {});
  Var f = maximum(x, y) + minimum(x, y);
  for (const SubgradientPolicy& policy : {SubgradientPolicy{}, SubgradientPolicy{kPyTorch}}) {
    Result r = gradient(g, f, {x, y}, {scalar_tensor(1), scalar_tensor(1)}, policy);
    CHECK(r.grads[0]() == 1);  // the convention's even split happens to be right here
    CHECK(r.grads[1]() == 1);
  }
}

TEST_CASE("max + min of three tied values: a point of the hull of (1,1,0), (1,0,1), (0,1,1)", "[clarke]") {
  Graph g;
  Var v = g.input("v", {3});
  Var f = max(v) - max(neg(v));  // max + min
  auto in_hull = [](const Tensor& t) {
    double s = t(0) + t(1) + t(2);
    return std::fabs(s - 2) < 1e-15 && xt::all(t >= -1e-15) && xt::all(t <= 1 + 1e-15);
  };
  Result clarke = gradient(g, f, {v}, {Tensor{0.0, 0.0, 0.0}});
  CHECK(in_hull(clarke.grads[0]));
  // With one direction the ties resolve to a vertex: one coordinate 0, two coordinates 1.
  CHECK(std::count(clarke.grads[0].begin(), clarke.grads[0].end(), 1.0) == 2);
  CHECK(in_hull(gradient(g, f, {v}, {Tensor{0.0, 0.0, 0.0}}, kPyTorch).grads[0]));  // (2/3, 2/3, 2/3)
}

TEST_CASE("one ReLU unit on x1 = +1, x2 = -1: f(w, v) = v relu(w x1) - v relu(w x2) = v w", "[clarke]") {
  // At (w, v) = (0, 1) every pre-activation is exactly 0; the Clarke subdifferential is {(1, 0)}.
  Graph g;
  Var w = g.input("w", {}), v = g.input("v", {});
  Var f = v * relu(w * 1.0) - v * relu(w * -1.0);
  Result clarke = gradient(g, f, {w, v}, {scalar_tensor(0), scalar_tensor(1)});
  CHECK(clarke.grads[0]() == 1);
  CHECK(clarke.grads[1]() == 0);
  Result conv = gradient(g, f, {w, v}, {scalar_tensor(0), scalar_tensor(1)}, kPyTorch);
  CHECK(conv.grads[0]() == 0);  // wrong
  CHECK(conv.grads[1]() == 0);
}

TEST_CASE("where(x*x > 0, x, -x) at 0 is reported unqualified", "[clarke][report]") {
  // The condition's tangent 2x·d vanishes in every direction, while the pieces x and −x differ:
  // no direction decides the tie. The tie must be reported, never hidden.
  Graph g;
  Var x = g.input("x", {});
  Var f = where(x * x, x, neg(x)).named("flip");
  Result r = gradient(g, f, {x}, {scalar_tensor(0)}, Subgradient::Clarke{3, 1});
  CHECK_FALSE(r.report.qualified());
  REQUIRE(r.report.sites.size() == 1);
  CHECK(r.report.sites[0].site == "flip");
  CHECK(r.report.sites[0].count.unqualified == 1);
  CHECK(r.report.summary().find("UNQUALIFIED") != std::string::npos);
  // relu(x*x) has the same undecided tie, but its pieces agree (value 0, tangent 0): qualified.
  Result harmless = gradient(g, relu(x * x), {x}, {scalar_tensor(0)});
  CHECK(harmless.report.unresolved() == 1);
  CHECK(harmless.report.qualified());
  CHECK(harmless.grads[0]() == 0);
}

TEST_CASE("fast path: without kinks the directional pass is skipped and the answer is the plain gradient",
          "[clarke][fastpath]") {
  Rng rng(11);
  Graph g;
  Var x = g.input("x", {5, 3});
  Var w1 = g.parameter("W1", {3, 8}, Init::normal());
  Var b1 = g.parameter("b1", {8}, Init::zeros());
  Var w2 = g.parameter("W2", {8}, Init::normal());
  Var loss = sum(square(matmul(relu(matmul(x, w1) + b1), w2))).named("loss");
  std::vector<Var> params{w1, b1, w2};
  std::vector<Var> clarke = grad(loss, params), conv = grad(loss, params, kPyTorch);
  std::vector<Var> outs = clarke;
  outs.insert(outs.end(), conv.begin(), conv.end());
  Program p(g, outs);
  ParamStore store(g, 3);
  p.bind(store);
  CHECK(p.kink_report().has_directional_pass);
  p.set(x, random_normal(rng, {5, 3}));
  p.run();
  CHECK_FALSE(p.kink_report().directional_pass_ran);
  CHECK(p.kink_report().kinks() == 0);
  for (std::size_t i = 0; i < 3; ++i) CHECK(same_tensor(p.get(clarke[i]), p.get(conv[i])));
  double skipped_flops = p.stats().executed_flops;
  // A zero input row puts every unit of that row exactly at its kink (zero biases).
  Tensor xv = random_normal(rng, {5, 3});
  xt::view(xv, 2) = 0.0;
  p.set(x, xv);
  p.run();
  CHECK(p.kink_report().directional_pass_ran);
  CHECK(p.kink_report().directional_ops_ran);
  CHECK(p.kink_report().kinks(KinkPolicy::Clarke) == 8);  // one relu, seen by each policy apart
  CHECK(p.kink_report().kinks(KinkPolicy::Convention) == 8);
  REQUIRE(p.kink_report().sites.size() == 2);
  CHECK(p.kink_report().sites[0].site.rfind("relu", 0) == 0);
  CHECK(p.kink_report().sites[1].site == p.kink_report().sites[0].site);
  CHECK(p.kink_report().sites[0].policy != p.kink_report().sites[1].policy);
  CHECK(p.stats().executed_flops - skipped_flops > p.stats().per_run.flops - p.stats().directional.flops);
}

TEST_CASE("the same seed gives the same Clarke gradient; directions can be given explicitly", "[clarke][seed]") {
  Graph g;
  Var v = g.input("v", {4});
  Var f = max(v) + sum(abs(v));
  Tensor at{0.0, 0.0, 0.0, 0.0};
  Tensor a = gradient(g, f, {v}, {at}, Subgradient::Clarke{1, 7}).grads[0];
  Tensor b = gradient(g, f, {v}, {at}, Subgradient::Clarke{1, 7}).grads[0];
  CHECK(same_tensor(a, b));
  // Explicit d: the winner of max is the largest d_i, abs′ is sign(d_i).
  Var d = g.constant(Tensor{0.5, -2.0, 3.0, -0.1}, "d");
  Tensor c = gradient(g, f, {v}, {at}, Subgradient::Clarke{1, 0, {d}}).grads[0];
  CHECK(same_tensor(c, Tensor{1.0, -1.0, 2.0, -1.0}));
}

TEST_CASE("forward and reverse Jacobians agree at kinks under the same Clarke seed", "[clarke][jacobian]") {
  Graph g;
  Var x = g.input("x", {3});
  Var y = concat({relu(x), abs(x - 1.0), reshape(max(x), {1})}, 0);
  Var jf = jacobian(y, x, Mode::Forward), jr = jacobian(y, x, Mode::Reverse);
  Program p(g, {jf, jr});
  p.set(x, Tensor{0.0, 1.0, 1.0});
  p.run();
  CHECK(same_tensor(p.get(jf), p.get(jr)));
  CHECK(p.kink_report().kinks() > 0);
}

TEST_CASE("randomized: the Clarke gradient along d is the plain gradient at x + τd (piecewise-linear nets)",
          "[clarke][property]") {
  // f is piecewise bilinear in (x, W1), so along the ray ∇f(x + τd) is affine in τ on (0, τ0), and
  // Kakade & Lee's directional chain rule returns exactly lim_{τ↓0} ∇f(x + τd) = 2∇f(x + τd) −
  // ∇f(x + 2τd). Points are chosen with many exact ties: integer weights, zero biases, zero inputs,
  // duplicated units.
  Rng rng(2018);
  std::uniform_int_distribution<int> small(-1, 1), pick(0, 3);
  int trials_with_kinks = 0;
  const int trials = 300;
  for (int trial = 0; trial < trials; ++trial) {
    INFO("trial " << trial);
    std::size_t n = 2 + static_cast<std::size_t>(trial % 3), m = 3 + static_cast<std::size_t>(trial % 4);
    Graph g;
    Var x = g.input("x", {n}), w1 = g.input("W1", {n, m});
    Tensor w2v = Tensor::from_shape({m, m});
    for (auto& v : w2v) v = small(rng);
    Var w2 = g.constant(w2v, "W2");
    auto activation = [&](const Var& h, int which) {
      switch (which) {
        case 0:
          return relu(h);
        case 1:
          return abs(h);
        case 2:
          return maximum(h, reverse_halves(h));
        default:
          return leaky_relu(h, 0.25);
      }
    };
    Var z1 = activation(matmul(x, w1), pick(rng));
    Var z2 = activation(matmul(z1, w2), pick(rng));
    Tensor cv = Tensor::from_shape({m});
    for (auto& v : cv) v = small(rng) + 2;
    Var f = sum(g.constant(cv, "c") * z2) + max(z2) - max(neg(z1)) + 0.5 * sum(relu(z1 - z2));

    Tensor xv = Tensor::from_shape({n}), w1v = Tensor::from_shape({n, m});
    for (auto& v : xv) v = pick(rng) < 2 ? 0 : small(rng);
    for (auto& v : w1v) v = small(rng);
    for (std::size_t j = 0; j + 1 < m; j += 2)  // duplicated units
      if (pick(rng) < 2) xt::view(w1v, xt::all(), j + 1) = xt::view(w1v, xt::all(), j);
    Tensor dx = random_normal(rng, {n}), dw = random_normal(rng, {n, m});

    Var dxv = g.constant(dx, "dx"), dwv = g.constant(dw, "dW");
    std::vector<Var> clarke = grad(f, {x, w1}, Subgradient::Clarke{1, 0, {dxv, dwv}});
    std::vector<Var> plain = grad(f, {x, w1}, kPyTorch);
    Program pc(g, clarke), pp(g, plain);
    pc.set(x, xv);
    pc.set(w1, w1v);
    pc.run();
    trials_with_kinks += pc.kink_report().kinks() > 0;
    auto plain_at = [&](double tau) {
      pp.set(x, Tensor(xv + tau * dx));
      pp.set(w1, Tensor(w1v + tau * dw));
      pp.run();
      return std::vector<Tensor>{pp.get(plain[0]), pp.get(plain[1])};
    };
    auto near = plain_at(1e-6), far = plain_at(2e-6);
    for (std::size_t i = 0; i < 2; ++i) {
      Tensor limit = 2.0 * near[i] - far[i];
      CHECK(max_abs_diff(pc.get(clarke[i]), limit) < 1e-8 * (1 + l2norm(limit)));
    }
  }
  CHECK(trials_with_kinks > trials / 2);  // the points really sit at kinks
}

// Regression: directional_pass_ran was false for clamp(x, 0, 1) − relu(x) at 0 though the
// directions decided both kinks, and a Convention gradient beside a Clarke one made Clarke's
// resolved ties read as unresolved, with nothing saying which policy a count belonged to.
TEST_CASE("kink report: per policy and per node, directions decided, ties, unqualified", "[clarke][report]") {
  Graph g;
  Var x = g.input("x", {1});
  Var y = sum(clamp(x, 0, 1) - relu(x));
  Var clarke = grad(y, x), convention = grad(y, x, kPyTorch);
  Program p(g, {y, clarke, convention});
  p.set(x, Tensor{0.0});
  p.run();
  const KinkReport& r = p.kink_report();
  CHECK(r.has_directional_pass);
  CHECK(r.directional_pass_ran);  // relu and clamp read x's direction directly: no tangent op needed
  CHECK(r.kinks(KinkPolicy::Clarke) == 2);
  CHECK(r.decided() == 2);
  CHECK(r.unresolved() == 0);  // Convention's two kinks do not count as Clarke's ties
  CHECK(r.kinks(KinkPolicy::Convention) == 2);
  CHECK(r.qualified());
  std::size_t clarke_sites = 0;
  for (const KinkSite& s : r.sites) {
    INFO(s.site << " " << to_string(s.policy));
    CHECK(s.count.kinks == 1);
    if (s.policy == KinkPolicy::Clarke) {
      ++clarke_sites;
      CHECK(s.count.decided() == 1);
    }
  }
  CHECK(clarke_sites == 2);
  std::string text = r.summary();
  CHECK_THAT(text, Catch::Contains("clarke relu") && Catch::Contains("convention relu") &&
                       Catch::Contains("1 decided by directions, 0 tied") && Catch::Contains("fixed derivative"));
  CHECK(p.get(clarke)(0) == 0);      // clamp′ − relu′ along one direction: both 1 or both 0
  CHECK(p.get(convention)(0) == 1);  // torch: clamp′(0) = 1, relu′(0) = 0
  p.set(x, Tensor{0.5});
  p.run();
  CHECK_FALSE(p.kink_report().directional_pass_ran);
  CHECK(p.kink_report().kinks() == 0);
}

// The activations with kinks (elu with α ≠ 1, hardsigmoid and hardswish at ±3): along a direction
// d the Clarke answer is the one-sided derivative lim_{τ↓0} f′(x0 + τd), each checked against the
// closed form on that side; Convention gives PyTorch's choice (checked against PyTorch in the peer test).
TEST_CASE("elu, hardsigmoid, hardswish at their kinks: one-sided derivatives along the direction", "[clarke][ops]") {
  struct Case {
    const char* name;
    std::function<Var(const Var&)> f;
    double kink, left, right;
  };
  const Case cases[] = {
      {"elu", [](const Var& x) { return elu(x, 0.5); }, 0.0, 0.5, 1.0},
      {"hardsigmoid lo", [](const Var& x) { return hardsigmoid(x); }, -3.0, 0.0, 1.0 / 6},
      {"hardsigmoid hi", [](const Var& x) { return hardsigmoid(x); }, 3.0, 1.0 / 6, 0.0},
      {"hardswish lo", [](const Var& x) { return hardswish(x); }, -3.0, 0.0, -3.0 / 3 + 0.5},
      {"hardswish hi", [](const Var& x) { return hardswish(x); }, 3.0, 3.0 / 3 + 0.5, 1.0},
  };
  for (const Case& c : cases) {
    for (double sign : {1.0, -1.0}) {
      INFO(c.name << " along " << sign);
      Graph g;
      Var x = g.input("x", {});
      Var d = g.constant(scalar_tensor(sign), "d");
      Result r = gradient(g, c.f(x), {x}, {scalar_tensor(c.kink)}, Subgradient::Clarke{1, 0, {d}});
      CHECK(r.grads[0]() == Approx(sign > 0 ? c.right : c.left).epsilon(1e-15).margin(1e-15));
      CHECK(r.report.kinks() >= 1);
      CHECK(r.report.unresolved() == 0);
    }
  }
}
