#include <catch2/catch.hpp>

#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;

namespace {
std::vector<Tensor> run(Graph& g, const std::vector<Var>& outs, const std::vector<std::pair<Var, Tensor>>& bind) {
  Program p(g, outs);
  for (const auto& [v, t] : bind) p.set(v, t);
  p.run();
  std::vector<Tensor> r;
  for (const Var& o : outs) r.push_back(p.get(o));
  return r;
}
}  // namespace

TEST_CASE("derivatives of derivatives: the k-th derivative of sin, to order 5", "[autodiff][higher]") {
  // Closed form: sin^(k)(x) = sin(x + kπ/2).
  Graph g;
  Var x = g.input("x", {});
  std::vector<Var> d{sin(x)};
  for (int k = 1; k <= 5; ++k) d.push_back(grad(d.back(), x));
  auto values = run(g, d, {{x, scalar_tensor(0.7)}});
  for (int k = 0; k <= 5; ++k) CHECK(values[k]() == Approx(std::sin(0.7 + k * M_PI / 2)).epsilon(1e-14));
  // Forward over forward gives the same third derivative.
  Var t = g.input("t", {});
  Var d1 = jvp(sin(x), x, t);
  Var d2 = jvp(d1, x, t);
  Var d3 = jvp(d2, x, t);
  auto f = run(g, {d3}, {{x, scalar_tensor(0.7)}, {t, scalar_tensor(1.0)}});
  CHECK(f[0]() == Approx(-std::cos(0.7)).epsilon(1e-14));
}

TEST_CASE("Hessians against closed forms", "[autodiff][hessian]") {
  Rng rng(5);
  Graph g;
  Var x = g.input("x", {3});
  Tensor Av = random_normal(rng, {3, 3}), bv = random_normal(rng, {3}), xv = random_normal(rng, {3});
  Var A = g.constant(Av, "A"), b = g.constant(bv, "b");
  // f = ½ xᵀAx + bᵀx: ∇f = ½(A + Aᵀ)x + b, ∇²f = ½(A + Aᵀ).
  Var f = 0.5 * matmul(x, matmul(A, x)) + matmul(b, x);
  Var H = hessian(f, x);
  // logsumexp: ∇² = diag(p) − ppᵀ with p = softmax(x).
  Var H2 = hessian(logsumexp(x), x);
  auto r = run(g, {H, H2, grad(f, x)}, {{x, xv}});
  Tensor sym = 0.5 * (Av + xt::transpose(Av));
  CHECK(max_abs_diff(r[0], sym) < 1e-14);
  CHECK(max_abs_diff(r[2], Tensor(xt::linalg::dot(sym, xv) + bv)) < 1e-14);
  Tensor p = xt::exp(xv) / xt::sum(xt::exp(xv))();
  Tensor expected = xt::diag(p) - xt::linalg::outer(p, p);
  CHECK(max_abs_diff(r[1], expected) < 1e-15);
}

TEST_CASE("Hessian blocks over several variables against closed forms", "[autodiff][hessian]") {
  Rng rng(8);
  Graph g;
  Var x = g.input("x", {3});
  Var y = g.input("y", {2, 2});
  Var unused = g.input("unused", {2});
  Tensor bv = random_normal(rng, {3}), cv = random_normal(rng, {2, 2});
  Tensor xv = random_normal(rng, {3}), yv = random_normal(rng, {2, 2});
  // f = (bᵀx)(⟨c, y⟩)² + ‖x‖²: H_xx = 2I, H_xy = 2⟨c, y⟩ b ⊗ c, H_yy = 2(bᵀx) c ⊗ c.
  Var f = matmul(g.constant(bv, "b"), x) * square(sum(g.constant(cv, "c") * y)) + sum(x * x);
  std::vector<std::vector<Var>> H = hessian(f, {x, y, unused});
  REQUIRE(H.size() == 3);
  CHECK(H[0][1].shape() == Shape{3, 2, 2});
  CHECK(H[1][0].shape() == Shape{2, 2, 3});
  CHECK(H[1][1].shape() == Shape{2, 2, 2, 2});
  CHECK(H[2][2].shape() == Shape{2, 2});
  std::vector<Var> outs;
  for (const auto& row : H) outs.insert(outs.end(), row.begin(), row.end());
  outs.push_back(hessian(f, x));
  auto r = run(g, outs, {{x, xv}, {y, yv}, {unused, random_normal(rng, {2})}});
  const Scalar s = xt::sum(cv * yv)(), bx = xt::sum(bv * xv)();
  Tensor cf = xt::flatten(cv);
  Tensor Hxy = xt::reshape_view(2 * s * xt::linalg::outer(bv, cf), {3, 2, 2});
  Tensor Hyx = xt::reshape_view(2 * s * xt::linalg::outer(cf, bv), {2, 2, 3});
  Tensor Hyy = xt::reshape_view(2 * bx * xt::linalg::outer(cf, cf), {2, 2, 2, 2});
  CHECK(max_abs_diff(r[0], Tensor(2.0 * xt::eye<Scalar>(3))) < 1e-14);
  CHECK(max_abs_diff(r[1], Hxy) < 1e-13);
  CHECK(max_abs_diff(r[3], Hyx) < 1e-13);
  CHECK(max_abs_diff(r[4], Hyy) < 1e-13);
  for (std::size_t b : {2, 5, 6, 7, 8}) CHECK(xt::amax(xt::abs(r[b]))() == 0);  // f does not read `unused`
  CHECK(max_abs_diff(r[0], r[9]) == 0);  // the one-variable Hessian is block (0, 0)
  std::size_t nodes = g.size();
  CHECK(hessian(f, {x, y, unused}) == H);  // memoized
  CHECK(g.size() == nodes);
  CHECK_THROWS_WITH(hessian(f, std::vector<Var>{}), Catch::Contains("no variables"));
  CHECK_THROWS_AS(hessian(x * 2.0, {x, y}), AutodiffError);  // not a scalar
}

TEST_CASE("one compiled program serves every seed: rows of a Jacobian from one vjp program", "[autodiff][seeds]") {
  Graph g;
  Var x = g.input("x", {3});
  Tensor Wv{{1.0, 2.0, 3.0}, {0.5, -1.0, 2.0}};
  Var y = tanh(matmul(g.constant(Wv, "W"), x));
  Var u = g.input("u", {2});
  Var row = vjp({y}, {u}, {x})[0];
  Var J = jacobian(y, x, Mode::Reverse);
  Program p(g, {row, J});
  Tensor xv{0.1, -0.2, 0.3};
  p.set(x, xv);
  for (std::size_t i = 0; i < 2; ++i) {
    Tensor e = xt::zeros<double>({2});
    e(i) = 1;
    p.set(u, e);
    p.run();
    Tensor Jrow = xt::view(p.get(J), i);
    CHECK(max_abs_diff(p.get(row), Jrow) < 1e-15);
  }
  CHECK(cheaper_mode(2, 100) == Mode::Forward);
  CHECK(cheaper_mode(100, 1) == Mode::Reverse);
}

TEST_CASE("grad of a non-scalar needs a cotangent", "[autodiff][errors]") {
  Graph g;
  Var x = g.input("x", {3});
  Var y = exp(x).named("y");
  CHECK_THROWS_AS(grad(y, x), AutodiffError);
  CHECK_THROWS_WITH(grad(y, x), Catch::Contains("'y'") && Catch::Contains("not a scalar") && Catch::Contains("[3]"));
  Var bad_u = g.input("u", {2});
  CHECK_THROWS_WITH(vjp({y}, {bad_u}, {x}), Catch::Contains("cotangent 'u' has shape [2]") && Catch::Contains("[3]"));
  CHECK_THROWS_WITH(jvp(y, x, bad_u), Catch::Contains("tangent 'u' has shape [2]"));
  Var one = g.input("one", {1});
  CHECK_NOTHROW(grad(sum(exp(one), {}, true), one));  // a one-element tensor counts as a scalar
}

namespace {
// A kernel the graph runs but that carries no derivative rules (it is not a dagrad::Op).
struct Doubler : Kernel {
  std::string name() const override { return "doubler"; }
  Shape infer_shape(const std::vector<Shape>& in) const override { return in[0]; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = 2 * in[0]->data()[i];
  }
  Cost cost(const std::vector<Shape>& in, const Shape&) const override { return {double(size_of(in[0])), 0}; }
};
// An op whose jvp forgets its result and returns an empty Var instead of Tangent::zero().
struct ForgetfulSquare : Op {
  std::string name() const override { return "forgetful_square"; }
  Shape infer_shape(const std::vector<Shape>& in) const override { return in[0]; }
  void forward(const std::vector<const View*>& in, View& out) const override {
    for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = in[0]->data()[i] * in[0]->data()[i];
  }
  std::vector<Tangent> vjp(const DiffContext&, const std::vector<Var>& x, const Var&, const Var& g) const override {
    return {2.0 * x[0] * g};
  }
  Tangent jvp(const DiffContext&, const std::vector<Var>&, const Var&, const std::vector<Tangent>&) const override {
    return Var();
  }
  Cost cost(const std::vector<Shape>& in, const Shape&) const override { return {double(size_of(in[0])), 0}; }
};
}  // namespace

TEST_CASE("a zero tangent is its own state: an empty Var from a rule is an error, a kernel without rules is named",
          "[autodiff][errors]") {
  Graph g;
  Var x = g.input("x", {3});
  Var doubled = g.apply(std::make_shared<Doubler>(), {x}).named("twice");
  // It runs like any op...
  Program p(g, {doubled});
  p.set(x, Tensor{1, 2, 3});
  p.run();
  CHECK(p.get(doubled)(2) == 6);
  // ...but differentiating through it says which node has no rules.
  CHECK_THROWS_WITH(grad(sum(doubled), x), Catch::Contains("'twice'") && Catch::Contains("no derivative rules"));
  CHECK_NOTHROW(grad(sum(x), x));  // other nodes of the same graph still differentiate
  Var y = g.apply(std::make_shared<ForgetfulSquare>(), {x});
  CHECK_NOTHROW(grad(sum(y), x));  // its vjp is right
  CHECK_THROWS_WITH(jvp(y, x, g.input("t", {3})), Catch::Contains("empty Var") && Catch::Contains("Tangent::zero()"));
  CHECK(Tangent().is_zero());
  CHECK(Tangent::zero().is_zero());
  CHECK_THROWS_AS(Tangent::zero().var(), AutodiffError);
  CHECK_FALSE(Tangent(x).is_zero());
}

TEST_CASE("differentiating with respect to a node the output does not depend on gives zeros", "[autodiff][wrt]") {
  // Documented choice (as JAX): zeros of the node's shape, not an error.
  Graph g;
  Var x = g.input("x", {2}), unrelated = g.input("z", {2, 2});
  Var y = sum(x * x);
  auto gs = grad(y, std::vector<Var>{x, unrelated});
  auto r = run(g, gs, {{x, Tensor{1.0, 2.0}}});
  CHECK(same_tensor(r[0], Tensor{2.0, 4.0}));
  CHECK(same_tensor(r[1], Tensor(xt::zeros<double>({2, 2}))));
  Var t = g.input("t", {2, 2});
  auto jt = run(g, {jvp(y, unrelated, t)}, {{x, Tensor{1.0, 2.0}}});
  CHECK(jt[0]() == 0);
}

TEST_CASE("differentiating with respect to an intermediate node", "[autodiff][wrt]") {
  // Documented choice (as PyTorch's retain_grad): ∂y/∂h with h's inputs held fixed; leaves
  // upstream still receive the full gradient. jvp seeds on h add to what flows into h.
  Graph g;
  Var x = g.input("x", {});
  Var h = square(x).named("h");
  Var y = sin(h) + x;
  auto gs = grad(y, std::vector<Var>{h, x});
  const double xv = 0.3;
  auto r = run(g, gs, {{x, scalar_tensor(xv)}});
  CHECK(r[0]() == Approx(std::cos(xv * xv)).epsilon(1e-15));
  CHECK(r[1]() == Approx(std::cos(xv * xv) * 2 * xv + 1).epsilon(1e-15));
  Var th = g.input("th", {}), tx = g.input("tx", {});
  Var ty = jvp({y}, {h, x}, {th, tx})[0];
  auto j = run(g, {ty}, {{x, scalar_tensor(xv)}, {th, scalar_tensor(0.7)}, {tx, scalar_tensor(-1.1)}});
  CHECK(j[0]() == Approx(r[0]() * 0.7 + r[1]() * -1.1).epsilon(1e-14));  // ⟨∇y, (th, tx)⟩
}

TEST_CASE("linearize builds the tangent model T(w) = f(w0) + J(w0)(w - w0)", "[autodiff][linearize]") {
  Graph g;
  Var w = g.input("w", {3});
  Tensor Xv{{1.0, 0.5, -1.0}, {0.2, -0.3, 0.8}};
  Var f = tanh(matmul(g.constant(Xv, "X"), w));
  Linearization lin = linearize({f}, {w});
  REQUIRE(lin.anchors.size() == 1);
  CHECK(lin.anchors[0].name() == "w@0");
  Tensor w0{0.1, 0.2, 0.3}, d{0.5, -0.5, 1.0};
  Var J = jacobian(f, w, Mode::Forward);
  auto at_w0 = run(g, {lin.outputs[0], f, J}, {{w, w0}, {lin.anchors[0], w0}});
  CHECK(max_abs_diff(at_w0[0], at_w0[1]) < 1e-15);  // T(w0) = f(w0)
  auto moved = run(g, {lin.outputs[0]}, {{w, Tensor(w0 + d)}, {lin.anchors[0], w0}});
  Tensor expected = at_w0[1] + xt::linalg::dot(at_w0[2], d);
  CHECK(max_abs_diff(moved[0], expected) < 1e-14);  // exactly affine in w
}

TEST_CASE("Convention policy reproduces PyTorch's fixed kink derivatives", "[autodiff][subgradient]") {
  // PyTorch (derivatives.yaml): relu′(0) = 0, abs′(0) = sgn(0) = 0, maximum/minimum/amax split
  // ties evenly, clamp′ = 1 at its bounds, leaky_relu′(0) = slope.
  Graph g;
  Var x = g.input("x", {}), v = g.input("v", {3});
  auto at_zero = [&](const Var& y, const SubgradientPolicy& policy = Subgradient::Convention{}) {
    return run(g, {grad(y, x, policy)}, {{x, scalar_tensor(0)}})[0]();
  };
  CHECK(at_zero(relu(x)) == 0);
  CHECK(at_zero(relu(x), Subgradient::Convention{1.0}) == 1);
  CHECK(at_zero(leaky_relu(x, 0.1)) == Approx(0.1));
  CHECK(at_zero(abs(x)) == 0);
  CHECK(at_zero(maximum(x, g.scalar(0))) == 0.5);
  CHECK(at_zero(minimum(x, g.scalar(0))) == 0.5);
  CHECK(at_zero(clamp(x, 0, 1)) == 1);
  CHECK(at_zero(where(x, x, 2.0 * x)) == 2);  // where takes b at cond = 0
  // The composition that no per-op convention gets right (Kakade & Lee 2018): relu(x) − relu(−x)
  // is the identity, yet the convention's chain rule returns 0 at x = 0 (Clarke mode: test_clarke).
  CHECK(at_zero(relu(x) - relu(neg(x))) == 0);
  auto gm = run(g, {grad(max(v), v, Subgradient::Convention{})}, {{v, Tensor{1.0, 3.0, 3.0}}});
  CHECK(same_tensor(gm[0], Tensor{0.0, 0.5, 0.5}));
}

// Regression: grad() inside a training loop (the PyTorch habit) grew the graph by 12 nodes a
// step. The same transform call returns the nodes it built the first time.
TEST_CASE("transforms are memoized: the same call returns the same nodes and adds none", "[autodiff][memo]") {
  Graph g;
  Var x = g.input("x", {3});
  Var w = g.parameter("w", {3});
  Var t = g.input("t", {3});
  Var y = sum(relu(x * w) * w);
  std::vector<Var> first = grad(y, {x, w});
  Var first_jvp = jvp(y, x, t);
  std::vector<Var> first_hvp = hvp(y, {w}, {t});
  Var first_jac = jacobian(relu(x * w), x);
  Var first_hess = hessian(y, w);
  Linearization first_lin = linearize({y}, {w});
  std::size_t nodes = g.size();
  for (int step = 0; step < 50; ++step) {
    CHECK(grad(y, {x, w}) == first);
    CHECK(jvp(y, x, t) == first_jvp);
    CHECK(hvp(y, {w}, {t}) == first_hvp);
    CHECK(hessian(y, w) == first_hess);
    Linearization lin = linearize({y}, {w});
    CHECK(lin.outputs == first_lin.outputs);
    CHECK(lin.anchors == first_lin.anchors);
  }
  CHECK(g.size() == nodes);
  CHECK(jacobian(relu(x * w), x) != first_jac);  // relu(x * w) is a new node each time: a new transform
  std::size_t after_jacobian = g.size();
  CHECK(after_jacobian > nodes);
  CHECK(g.size() == after_jacobian);
  // Whatever the key holds besides the Vars tells calls apart.
  CHECK(grad(y, {w, x}) != first);
  CHECK(grad(y, {x, w}, Subgradient::Clarke{1, 7}) != first);
  CHECK(grad(y, {x, w}, Subgradient::Convention{}) != grad(y, {x, w}, Subgradient::Convention{0.5}));
  CHECK(grad(y, {x, w}, Subgradient::Convention{0.5}) == grad(y, {x, w}, Subgradient::Convention{0.5}));
  {
    Graph::ConditionalScope directional(g);  // nodes stamped directional must not be handed out elsewhere
    CHECK(grad(y, {x, w}) != first);
  }
}

TEST_CASE("a loop that calls grad() every step costs what the loop built once costs", "[autodiff][memo]") {
  Graph g;
  Var x = g.input("x", {4, 3});
  Var labels = g.input("labels", {4});
  Var w = g.parameter("w", {3}, Init::normal(0, 0.5));
  Var loss = logistic_loss(matmul(x, w), labels);
  ParamStore habit(g, 1), built_once(g, 1);
  Tensor xv = {{1.0, 2.0, -1.0}, {0.5, -1.0, 2.0}, {-1.5, 0.3, 0.2}, {0.1, 0.1, -2.0}};
  Tensor lv = {1.0, -1.0, 1.0, -1.0};
  Program once(g, {loss, grad(loss, w)});
  once.set(x, xv);
  once.set(labels, lv);
  once.bind(built_once);
  std::size_t nodes = g.size();
  for (int step = 0; step < 1000; ++step) {
    Var dw = grad(loss, w);  // PyTorch habit: differentiate inside the loop
    Program p(g, {loss, dw});
    p.set(x, xv);
    p.set(labels, lv);
    p.bind(habit);
    p.run();
    habit.value(w) -= 0.1 * p.get(dw);
    once.run();
    built_once.value(w) -= 0.1 * once.get(grad(loss, w));
  }
  CHECK(g.size() == nodes);
  CHECK(g.program_plans() == 1);  // every Program above, the built-once one included, shares one plan
  const View& a = habit.value(w);
  const View& b = built_once.value(w);
  CHECK(std::equal(a.begin(), a.end(), b.begin()));
}
