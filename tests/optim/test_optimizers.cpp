#include <catch2/catch.hpp>

#include "dagrad/optim/finite_sum.hpp"
#include "dagrad/optim/gradient_program.hpp"
#include "dagrad/optim/optimizer.hpp"
#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;

namespace {

// f(w) = ½ wᵀAw − bᵀw with A = Q diag(λ) Qᵀ, built as a dagrad graph; the store holds w.
struct Quadratic {
  Graph g;
  Var w, f, gw;
  Tensor A, b, Q, lambda;
  std::unique_ptr<ParamStore> store;
  std::unique_ptr<Program> program;
  Quadratic(const Tensor& eigenvalues, Rng& rng) : lambda(eigenvalues) {
    std::size_t d = eigenvalues.size();
    Q = std::get<0>(xt::linalg::qr(random_normal(rng, {d, d})));
    A = xt::linalg::dot(Q, xt::linalg::dot(xt::diag(lambda), xt::transpose(Q)));
    b = random_normal(rng, {d});
    w = g.parameter("w", {d}, Init::normal());
    f = 0.5 * matmul(w, matmul(g.constant(A, "A"), w)) - matmul(g.constant(b, "b"), w);
    gw = grad(f, w);
    store = std::make_unique<ParamStore>(g, 1);
    program = std::make_unique<Program>(g, std::vector<Var>{f, gw});
    program->bind(*store);
  }
  Tensor minimizer() const { return xt::linalg::solve(A, b); }
  double value() const { return program->scalar(f); }
  void evaluate() {  // runs the program and copies ∇f into the store's gradient buffer
    program->run();
    const View& g_view = program->view(gw);
    std::copy(g_view.begin(), g_view.end(), store->grads().begin());
  }
  Tensor weights() { return Tensor(store->value(w)); }
};

std::size_t iterations_to(Quadratic& q, optim::Optimizer& opt, double tolerance, std::size_t cap) {
  q.evaluate();
  double f_star = -0.5 * inner(q.b, q.minimizer()), gap0 = q.value() - f_star;
  for (std::size_t t = 0; t < cap; ++t) {
    if (q.value() - f_star <= tolerance * gap0) return t;
    opt.step(*q.store);
    q.evaluate();
  }
  return cap;
}

}  // namespace

TEST_CASE("GD on a strongly convex quadratic: closed-form iterates and the (1 - mu/beta)^t bound", "[optim][gd]") {
  // Source: Nesterov, Introductory Lectures on Convex Optimization (2004), Thm 2.1.15: with step
  // 1/β, ‖w_t − w*‖ ≤ (1 − μ/β)^t ‖w_0 − w*‖; iterates are w* + (I − A/β)^t (w_0 − w*) exactly.
  Rng rng(4);
  Quadratic q(Tensor{1.0, 2.0, 5.0, 10.0}, rng);
  const double beta = 10, mu = 1;
  optim::GradientDescent gd({optim::constant(1 / beta)});
  Tensor w_star = q.minimizer(), e0 = q.weights() - w_star;
  for (int t = 0; t <= 60; ++t) {
    Tensor contraction =
        xt::linalg::dot(q.Q, xt::linalg::dot(xt::diag(xt::pow(1.0 - q.lambda / beta, t)), xt::transpose(q.Q)));
    Tensor closed = w_star + xt::linalg::dot(contraction, e0);
    Tensor wt = q.weights();
    CHECK(max_abs_diff(wt, closed) <= 1e-12 * (1 + l2norm(closed)));
    CHECK(l2norm(wt - w_star) <= std::pow(1 - mu / beta, t) * l2norm(e0) * (1 + 1e-12));
    q.evaluate();
    gd.step(*q.store);
  }
}

TEST_CASE("Nesterov momentum needs far fewer iterations than GD at condition number 1e4", "[optim][nesterov]") {
  // Source: Nesterov (1983); accelerated rate (1 − 1/√κ)^t against GD's (1 − 1/κ)^t, so about √κ = 100
  // times fewer iterations; we assert a factor of at least 10 to reach 1e-8 relative suboptimality.
  Rng rng(5);
  Tensor eigenvalues = xt::logspace<double>(0, 4, 12);  // μ = 1, β = 1e4
  Quadratic q1(eigenvalues, rng), q2(eigenvalues, rng);
  const double kappa = 1e4, beta = 1e4;
  optim::GradientDescent gd({optim::constant(1 / beta)});
  optim::Momentum nesterov({optim::constant(1 / beta)}, (std::sqrt(kappa) - 1) / (std::sqrt(kappa) + 1), true);
  std::size_t t_gd = iterations_to(q1, gd, 1e-8, 1000000), t_nag = iterations_to(q2, nesterov, 1e-8, 1000000);
  INFO("GD " << t_gd << " iterations, Nesterov " << t_nag);
  CHECK(t_gd < 1000000);
  CHECK(t_gd >= 10 * t_nag);
}

TEST_CASE("schedules and options", "[optim][schedule]") {
  CHECK(optim::inverse_time(2)(3) == 0.5);
  CHECK(optim::inverse_sqrt(2)(3) == 1);
  CHECK(optim::step_decay(1, 0.5, 10)(25) == 0.25);
  CHECK(optim::cosine(1, 100)(0) == 1);
  CHECK(optim::cosine(1, 100, 0.1)(100) == Approx(0.1));
  CHECK(optim::warmup(optim::constant(1), 4)(1) == 0.5);
  CHECK_THROWS_AS(optim::step_decay(1, 0.5, 0), Error);
  // Clipping bounds the step; weight decay adds λw; a NaN gradient changes nothing.
  Graph g;
  g.parameter("w", {2}, Init::constant(1));
  ParamStore s(g);
  s.grads() = {30, 40};
  optim::GradientDescent clipped({optim::constant(1), 0, 5});
  clipped.step(s);
  CHECK(s.values()[0] == Approx(1 - 3));
  CHECK(s.values()[1] == Approx(1 - 4));
  s.values() = {1, 1};
  s.grads() = {0, 0};
  optim::GradientDescent decayed({optim::constant(0.1), 0.5});
  decayed.step(s);
  CHECK(s.values()[0] == Approx(0.95));
  s.grads() = {std::nan(""), 0};
  CHECK_THROWS_AS(decayed.step(s), NumericError);
  CHECK(s.values()[0] == Approx(0.95));
}

TEST_CASE("SAGA and SVRG converge linearly on L2-regularised logistic regression; SGD stalls", "[optim][finite-sum]") {
  // Sources: Defazio, Bach & Lacoste-Julien (2014) and Johnson & Zhang (2013): linear convergence for
  // strongly convex finite sums; constant-step SGD only reaches a noise floor ∝ step size.
  Rng rng(6);
  const std::size_t n = 200, d = 5;
  const double lambda = 0.1;
  Tensor X = random_normal(rng, {n, d}), teacher = random_normal(rng, {d});
  Tensor Y = Tensor::from_shape({n});
  std::uniform_real_distribution<double> u(0, 1);
  for (std::size_t i = 0; i < n; ++i) {
    double margin = inner(Tensor(xt::view(X, i)), teacher);
    Y(i) = u(rng) < 1 / (1 + std::exp(-2 * margin)) ? 1 : -1;  // noisy labels: not separable
  }
  Graph g;
  Var w = g.parameter("w", {d}, Init::zeros());
  Var xi = g.input("x_i", {1, d}), yi = g.input("y_i", {1}), xall = g.input("X", {n, d}), yall = g.input("Y", {n});
  Var reg = 0.5 * lambda * sum(square(w));
  Var f_i = logistic_loss(matmul(xi, w), yi) + reg, f = logistic_loss(matmul(xall, w), yall) + reg;
  Var g_i = grad(f_i, w), g_full = grad(f, w);
  Program example(g, {g_i}), full(g, {f, g_full});
  ParamStore store(g);
  example.bind(store);
  full.bind(store);
  full.set(xall, X);
  full.set(yall, Y);
  optim::FiniteSum sum_f{n, [&](std::size_t i, std::vector<Scalar>& out) {
                           example.set(xi, Tensor(xt::view(X, xt::range(i, i + 1))));
                           example.set(yi, Tensor{Y(i)});
                           example.run();
                           const View& gv = example.view(g_i);
                           std::copy(gv.begin(), gv.end(), out.begin());
                         }};
  auto value = [&] {
    full.run();
    return full.scalar(f);
  };
  // f* by full gradient descent to machine precision.
  double L = 0;
  for (std::size_t i = 0; i < n; ++i)
    L = std::max(L, 0.25 * inner(Tensor(xt::view(X, i)), Tensor(xt::view(X, i))) + lambda);
  for (int t = 0; t < 3000; ++t) {
    full.run();
    const View& gv = full.view(g_full);
    for (std::size_t k = 0; k < d; ++k) store.values()[k] -= gv(k) / L;  // L bounds the full smoothness too
  }
  const double f_star = value();
  full.run();
  CHECK(l2norm(Tensor(full.view(g_full))) < 1e-13);

  auto suboptimality_after = [&](auto&& step, std::size_t epochs) {
    store.values().assign(d, 0);
    for (std::size_t t = 0; t < epochs * n; ++t) step();
    return value() - f_star;
  };
  optim::SAGA saga(1 / (3 * L), 1);
  optim::SVRG svrg(1 / (10 * L), 2 * n, 2);
  optim::SAG sag(1 / (16 * L), 3);
  double saga_gap = suboptimality_after([&] { saga.step(store, sum_f); }, 60);
  double svrg_gap = suboptimality_after([&] { svrg.step(store, sum_f); }, 60);
  double sag_gap = suboptimality_after([&] { sag.step(store, sum_f); }, 60);
  std::mt19937_64 pick(7);
  std::vector<Scalar> gbuf(d);
  double sgd_gap = suboptimality_after(
      [&] {
        sum_f.example_gradient(pick() % n, gbuf);
        for (std::size_t k = 0; k < d; ++k) store.values()[k] -= gbuf[k] / (3 * L);
      },
      60);
  INFO("suboptimality after 60 epochs: SAGA " << saga_gap << ", SVRG " << svrg_gap << ", SAG " << sag_gap << ", SGD "
                                              << sgd_gap);
  CHECK(saga_gap <= 1e-10);
  CHECK(svrg_gap <= 1e-10);
  CHECK(sag_gap <= 1e-8);
  CHECK(sgd_gap > 1e-7);  // stalled at its noise floor
}

TEST_CASE("exponentiated gradient stays on the simplex; Langevin samples the Gibbs variance",
          "[optim][mirror][langevin]") {
  Graph g;
  g.parameter("p", {3}, Init::constant(1.0 / 3));
  ParamStore s(g);
  optim::ExponentiatedGradient eg({optim::constant(0.5)}, true);
  for (int t = 0; t < 200; ++t) {
    s.grads() = {1.0, 0.0, 2.0};  // linear loss: mass moves to the second coordinate
    eg.step(s);
    CHECK(s.values()[0] + s.values()[1] + s.values()[2] == Approx(1).epsilon(1e-14));
  }
  CHECK(s.values()[1] > 0.999);
  // Langevin on f(w) = ½w² samples N(0, 1/β) as lr → 0 (Roberts & Tweedie 1996); variance within 10%.
  Graph g2;
  g2.parameter("w", {1}, Init::zeros());
  ParamStore s2(g2);
  const double beta = 4, lr = 1e-2;
  optim::Langevin langevin({optim::constant(lr)}, beta, 11);
  double sum_sq = 0;
  const int steps = 200000;
  for (int t = 0; t < steps; ++t) {
    s2.grads()[0] = s2.values()[0];
    langevin.step(s2);
    sum_sq += s2.values()[0] * s2.values()[0];
  }
  CHECK(sum_sq / steps == Approx(1 / beta).epsilon(0.1));
}

TEST_CASE("standard_normals: both Box-Muller outputs are standard normal and uncorrelated", "[optim][langevin]") {
  // Moments of N(0, 1): mean 0, variance 1, fourth moment 3; the cosine and sine halves of one draw
  // are independent (Box & Muller 1958), so adjacent outputs have correlation 0. With 2^20 draws the
  // standard errors are 1e-3 (mean, correlation), 1.4e-3 (variance) and 9e-3 (fourth moment).
  std::mt19937_64 rng(5);
  std::vector<Scalar> z(1 << 20);
  optim::standard_normals(rng, z.data(), z.size());
  double mean = 0, var = 0, fourth = 0, adjacent = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    mean += z[i], var += z[i] * z[i], fourth += z[i] * z[i] * z[i] * z[i];
    if (i % 2 == 0) adjacent += z[i] * z[i + 1];
  }
  const double n = static_cast<double>(z.size());
  CHECK(std::fabs(mean / n) < 5e-3);
  CHECK(var / n == Approx(1).margin(7e-3));
  CHECK(fourth / n == Approx(3).margin(0.045));
  CHECK(std::fabs(adjacent / (n / 2)) < 5e-3);
  // An odd count ends with standard_normal's draw, and nothing carries to the next call: the
  // engine's state alone decides what follows.
  std::mt19937_64 a(9), b(9);
  Scalar three[3];
  optim::standard_normals(a, three, 3);
  Scalar pair[2];
  optim::standard_normals(b, pair, 2);
  CHECK(three[0] == pair[0]);
  CHECK(three[1] == pair[1]);
  CHECK(three[2] == optim::standard_normal(b));
  CHECK(a() == b());
}

TEST_CASE("perturbed GD escapes the strict saddle of x^2 - y^2 + y^4/4 where GD stays", "[optim][perturbed]") {
  // Source: Jin et al. (2017): gradient descent started at a strict saddle stays; PGD escapes.
  auto descend = [](optim::Optimizer& opt) {
    Graph g;
    Var w = g.parameter("w", {2}, Init::zeros());  // the saddle (0, 0)
    Var x = slice(w, 0, 0, 1), y = slice(w, 0, 1, 2);
    Var f = sum(square(x) - square(y) + 0.25 * square(square(y)));
    Var gw = grad(f, w);
    ParamStore s(g);
    Program p(g, {f, gw});
    p.bind(s);
    for (int t = 0; t < 500; ++t) {
      p.run();
      std::copy(p.view(gw).begin(), p.view(gw).end(), s.grads().begin());
      opt.step(s);
    }
    p.run();
    return p.scalar(f);
  };
  optim::GradientDescent gd({optim::constant(0.1)});
  optim::PerturbedGD pgd({optim::constant(0.1)}, 1e-3, 1e-2, 50, 3);
  CHECK(descend(gd) == 0);
  CHECK(descend(pgd) == Approx(-1).epsilon(1e-6));  // the minima (0, ±√2) have f = −1
  CHECK(pgd.perturbations() >= 1);
}

TEST_CASE("normalized GD keeps stepping when the gradient's square underflows", "[optim][normalized]") {
  // Implicit-bias runs reach losses near 1e-300, where g_i² < 1e-308 would make ‖g‖ zero.
  Graph g;
  g.parameter("w", {2}, Init::zeros());
  ParamStore s(g);
  s.grads() = {3e-170, -4e-170};
  optim::NormalizedGD ngd({optim::constant(1)});
  ngd.step(s);
  CHECK(s.values()[0] == Approx(-0.6).epsilon(1e-14));
  CHECK(s.values()[1] == Approx(0.8).epsilon(1e-14));
  CHECK(optim::norm2({3e-200, 4e-200}) == Approx(5e-200).epsilon(1e-14));
}

// Regression: training the head only used to apply the body's stale gradients again, and
// Adam's weight decay moved a "frozen" layer by 0.39 in one epoch.
TEST_CASE("an optimizer changes only what it owns and what was differentiated this step", "[optim][groups]") {
  Graph g;
  Var x = g.input("x", {8, 3}), labels = g.input("labels", {8});
  Var body = g.parameter("body", {3, 4}), head = g.parameter("head", {4});
  Var loss = logistic_loss(matmul(tanh(matmul(x, body)), head), labels);
  ParamStore store(g, 3);
  Rng rng(2);
  Tensor xv = random_normal(rng, {8, 3}), lv = Tensor::from_shape({8});
  for (std::size_t i = 0; i < 8; ++i) lv.flat(i) = i % 3 ? 1.0 : -1.0;
  // A stale body gradient from an earlier full-model step sits in the store.
  optim::GradientProgram everything(g, loss, store, {}, {});
  everything.program().set(x, xv);
  everything.program().set(labels, lv);
  everything.run();
  optim::Adam adam(optim::Options{optim::constant(0.05), 0.1});  // owns every parameter, L2 decay
  adam.step(store);
  Tensor body_before = store.value(body), head_before = store.value(head);
  everything.run();  // fresh gradients for both ...
  optim::GradientProgram head_only(g, loss, store, {head});
  head_only.program().set(x, xv);
  head_only.program().set(labels, lv);
  for (int step = 0; step < 20; ++step) {
    head_only.run();  // ... but then only the head's, every step
    adam.step(store);
    if (step == 0) {
      CHECK_FALSE(store.grad_fresh(body));  // consumed once, never applied again
    }
  }
  Tensor body_after = store.value(body);
  CHECK(std::equal(body_after.begin(), body_after.end(), body_before.begin()) ==
        false);  // the first step used the fresh one
  SECTION("a frozen layer stays bit for bit") {
    Tensor frozen = store.value(body);
    for (int step = 0; step < 20; ++step) {
      head_only.run();
      adam.step(store);
    }
    Tensor now = store.value(body);
    CHECK(std::equal(now.begin(), now.end(), frozen.begin()));
    CHECK(max_abs_diff(Tensor(store.value(head)), head_before) > 1e-3);
  }
  SECTION("groups: only the owned group moves; errors name the parameter") {
    optim::Options o{optim::constant(0.1), 0.5};
    o.groups = {{{head}}};
    optim::GradientDescent sgd(o);
    everything.run();
    Tensor body_fixed = store.value(body);
    sgd.step(store);
    Tensor now = store.value(body);
    CHECK(std::equal(now.begin(), now.end(), body_fixed.begin()));
    CHECK(store.grad_fresh(body));  // left for whoever owns it
    CHECK_THROWS_WITH(sgd.step(store), Catch::Contains("no gradient was computed since the last step"));
    optim::Options twice{optim::constant(0.1)};
    twice.groups = {{{head}}, {{head, body}}};
    optim::GradientDescent bad(twice);
    head_only.run();
    Tensor head_fixed = store.value(head);
    CHECK_THROWS_WITH(bad.step(store), Catch::Contains("'head'") && Catch::Contains("two parameter groups"));
    Graph other;
    Var stranger = other.parameter("stranger", {2});
    optim::Options foreign{optim::constant(0.1)};
    foreign.groups = {{{stranger}}};
    optim::GradientDescent lost(foreign);
    CHECK_THROWS_AS(lost.step(store), BindError);
    Tensor head_now = store.value(head);
    CHECK(std::equal(head_now.begin(), head_now.end(), head_fixed.begin()));  // nothing changed on error
  }
}
