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
  CHECK(p.kink_report().kinks() == 8);
  REQUIRE(p.kink_report().sites.size() == 1);
  CHECK(p.kink_report().sites[0].site.rfind("relu", 0) == 0);
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
