// Forward values against closed forms and naive loops, and numerical stability at extremes.
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;

namespace {
Tensor eval(Graph& g, const Var& y, const std::vector<std::pair<Var, Tensor>>& bindings = {}) {
  Program p(g, {y});
  for (const auto& [v, t] : bindings) p.set(v, t);
  p.run();
  return p.get(y);
}
}  // namespace

TEST_CASE("matmul agrees with a naive triple loop for every operand layout and flag", "[ops][matmul]") {
  Rng rng(1);
  Tensor A = random_normal(rng, {3, 4}), B = random_normal(rng, {4, 5}), v4 = random_normal(rng, {4});
  auto naive = [](const Tensor& a, const Tensor& b) {
    Tensor c = xt::zeros<double>({a.shape()[0], b.shape()[1]});
    for (std::size_t i = 0; i < a.shape()[0]; ++i)
      for (std::size_t j = 0; j < b.shape()[1]; ++j)
        for (std::size_t k = 0; k < a.shape()[1]; ++k) c(i, j) += a(i, k) * b(k, j);
    return c;
  };
  Graph g;
  Var a = g.input("A", {3, 4}), at = g.input("At", {4, 3}), b = g.input("B", {4, 5}), bt = g.input("Bt", {5, 4});
  Var v = g.input("v", {4});
  Tensor At = xt::transpose(A), Bt = xt::transpose(B);
  std::vector<std::pair<Var, Tensor>> bind{{a, A}, {at, At}, {b, B}, {bt, Bt}, {v, v4}};
  Tensor AB = naive(A, B);
  CHECK(max_abs_diff(eval(g, matmul(a, b), bind), AB) < 1e-13);
  CHECK(max_abs_diff(eval(g, matmul(at, b, true, false), bind), AB) < 1e-13);
  CHECK(max_abs_diff(eval(g, matmul(a, bt, false, true), bind), AB) < 1e-13);
  CHECK(max_abs_diff(eval(g, matmul(at, bt, true, true), bind), AB) < 1e-13);
  Tensor Av = naive(A, xt::reshape_view(v4, {4, 1}));
  CHECK(max_abs_diff(eval(g, matmul(a, v), bind), xt::flatten(Av)) < 1e-13);
  CHECK(max_abs_diff(eval(g, matmul(at, v, true), bind), xt::flatten(Av)) < 1e-13);
  Tensor vB = naive(xt::reshape_view(v4, {1, 4}), B);
  CHECK(max_abs_diff(eval(g, matmul(v, b), bind), xt::flatten(vB)) < 1e-13);
  CHECK(max_abs_diff(eval(g, matmul(v, bt, false, true), bind), xt::flatten(vB)) < 1e-13);
  CHECK(eval(g, matmul(v, v), bind)() == Approx(inner(v4, v4)).epsilon(1e-14));
}

TEST_CASE("logistic loss stays positive and accurate until e^-m itself underflows", "[ops][losses][stability]") {
  Graph g;
  Var z = g.input("z", {1}), y = g.input("y", {1});
  Var loss = logistic_loss(z, y);
  Var dz = grad(loss, z);
  Program p(g, {loss, dz}, {true, false});
  p.set(y, Tensor{1.0});
  for (double m : {1.0, 40.0, 300.0, 690.0}) {
    p.set(z, Tensor{m});
    p.run();
    INFO("margin " << m);
    double exact = std::log1p(std::exp(-m));  // e^{-690} ≈ 2.3e-300 is still a normal double
    CHECK(p.scalar(loss) > 0);
    CHECK(p.scalar(loss) == Approx(exact).epsilon(1e-14));
    CHECK(p.get(dz)(0) == Approx(-1 / (1 + std::exp(m))).epsilon(1e-14));
  }
  for (double m : {1e3, -1e3, 1e6, -1e6}) {  // finite value and gradient at huge margins
    p.set(z, Tensor{m});
    REQUIRE_NOTHROW(p.run());  // the finite check would name any NaN/Inf
    if (m < 0) CHECK(p.scalar(loss) == Approx(-m).epsilon(1e-15));
    CHECK(std::fabs(p.get(dz)(0)) <= 1.0);
  }
}

TEST_CASE("softmax, log_softmax and logsumexp are shift invariant and finite at 1e3", "[ops][stability]") {
  Graph g;
  Var x = g.input("x", {2, 3});
  Tensor base{{0.0, 1.0, 2.0}, {-1.0, 0.5, 3.0}};
  Tensor shifted = base + 1000.0;
  Tensor s0 = eval(g, softmax(x), {{x, base}}), s1 = eval(g, softmax(x), {{x, shifted}});
  CHECK(max_abs_diff(s0, s1) < 1e-15);
  Tensor l1 = eval(g, logsumexp(x, 1), {{x, shifted}});
  double expected = 1000.0 + std::log(std::exp(0.0) + std::exp(1.0) + std::exp(2.0));
  CHECK(l1(0) == Approx(expected).epsilon(1e-15));
  Tensor ls = eval(g, log_softmax(x), {{x, shifted}});
  CHECK(max_abs_diff(ls, Tensor(xt::log(s0))) < 1e-15);  // shifted by the max first: no 1e3·ε loss
  Tensor big{{1000.0, 1000.0, -1000.0}, {0, 0, 0}};
  CHECK(eval(g, logsumexp(x, 1), {{x, big}})(0) == Approx(1000 + std::log(2.0)).epsilon(1e-15));
}

TEST_CASE("normalisations and losses at extreme arguments: exact where float64 can be, never NaN",
          "[ops][losses][stability]") {
  // Regression: log_softmax([1e17, 1e17]) was [0, 0] (x − logsumexp(x) cancels); cross_entropy at
  // margin 40 was −0 (log of 1 + 4.2e-18); at logits ±1e308 it was NaN (0 · −inf).
  Graph g;
  Var x = g.input("x", {1, 2}), label = g.input("label", {1});
  Var ls = log_softmax(x), ce = cross_entropy(x, label), lse = logsumexp(x, 1), sm = softmax(x);
  Var dce = grad(ce, x);
  Program p(g, {ls, ce, lse, sm, dce});
  auto run = [&](double a, double b, double y) {
    p.set(x, Tensor{{a, b}});
    p.set(label, Tensor{y});
    p.run();
  };
  run(1e17, 1e17, 0);
  CHECK(p.get(ls)(0, 0) == -std::log(2.0));
  CHECK(p.get(ls)(0, 1) == -std::log(2.0));
  CHECK(p.scalar(ce) == std::log(2.0));
  run(40, 0, 0);  // −log softmax at margin 40 = log1p(e^−40)
  CHECK(p.scalar(ce) == Approx(std::log1p(std::exp(-40.0))).epsilon(1e-15));
  CHECK(p.scalar(ce) > 0);
  CHECK(p.get(ls)(0, 0) == Approx(-std::log1p(std::exp(-40.0))).epsilon(1e-15));
  CHECK(p.get(dce)(0, 0) == Approx(-std::exp(-40.0) / (1 + std::exp(-40.0))).epsilon(1e-15));
  run(700, 0, 1);  // the wrong class by a margin of 700
  CHECK(p.scalar(ce) == Approx(700).epsilon(1e-15));
  run(1e308, -1e308, 0);
  CHECK(p.scalar(ce) == 0);
  CHECK(p.get(ls)(0, 0) == 0);
  CHECK(p.get(ls)(0, 1) == -INFINITY);  // the true value overflows
  CHECK(p.get(dce)(0, 0) == 0);
  CHECK(p.get(dce)(0, 1) == 0);
  CHECK(p.get(lse)(0) == 1e308);
  run(-1e308, 1e308, 0);
  CHECK(p.scalar(ce) == INFINITY);  // so does this one; never NaN
  CHECK(p.get(dce)(0, 0) == -1);
  CHECK(p.get(dce)(0, 1) == 1);
  CHECK(p.get(sm)(0, 1) == 1);

  // The margin losses at margins of ±40, ±700 and ±1e308: finite where the value is, gradients finite.
  Var s = g.input("s", {1}), t = g.input("t", {1});
  for (auto [name, loss] : std::vector<std::pair<std::string, Var>>{{"logistic", logistic_loss(s, t)},
                                                                    {"exponential", exponential_loss(s, t)},
                                                                    {"hinge", hinge_loss(s, t)},
                                                                    {"mse", mse_loss(s, t)}}) {
    Var ds = grad(loss, s);
    Program q(g, {loss, ds});
    for (double m : {40.0, -40.0, 700.0, -700.0, 1e308, -1e308}) {
      INFO(name << " loss at margin " << m);
      q.set(s, Tensor{m});
      q.set(t, Tensor{1.0});
      q.run();
      CHECK_FALSE(std::isnan(q.scalar(loss)));
      CHECK(q.scalar(loss) >= 0);
      CHECK_FALSE(std::isnan(q.get(ds)(0)));
      if (name == "logistic" && m > 0) CHECK((m < 745 ? q.scalar(loss) > 0 : q.scalar(loss) == 0));
    }
  }
}

TEST_CASE("margin losses refuse labels other than -1 and +1, naming the loss", "[ops][losses][errors]") {
  // Regression: logistic_loss took labels {0, 1}, and the 0-labelled examples got zero gradient.
  Graph g;
  Var s = g.input("s", {4}), y = g.input("y", {4});
  for (auto [name, loss] : std::vector<std::pair<std::string, Var>>{{"logistic_loss", logistic_loss(s, y)},
                                                                    {"exponential_loss", exponential_loss(s, y)},
                                                                    {"hinge_loss", hinge_loss(s, y)}}) {
    INFO(name);
    Program p(g, {loss, grad(loss, s)});
    p.set(s, Tensor{0.5, -1.0, 2.0, 0.0});
    p.set(y, Tensor{1.0, -1.0, -1.0, 1.0});
    REQUIRE_NOTHROW(p.run());
    for (Tensor bad : {Tensor{1.0, 0.0, 1.0, 0.0}, Tensor{1.0, -1.0, 2.0, 1.0}, Tensor{1.0, -1.0, 1.0, NAN}}) {
      p.set(y, bad);
      try {
        p.run();
        FAIL("no ValueError");
      } catch (const ValueError& e) {
        CHECK_THAT(e.what(), Catch::Contains(name + ": label") && Catch::Contains("is not -1 or +1"));
      }
    }
  }
}

TEST_CASE("losses match their closed forms", "[ops][losses]") {
  Graph g;
  Var z = g.input("z", {2, 3});
  Tensor logits{{1.0, 2.0, 0.5}, {0.0, -1.0, 3.0}};
  Tensor labels{2.0, 0.0};
  Var ce = cross_entropy(z, g.constant(labels, "labels"));
  auto lse = [](double a, double b, double c) { return std::log(std::exp(a) + std::exp(b) + std::exp(c)); };
  double expected = ((lse(1, 2, 0.5) - 0.5) + (lse(0, -1, 3) - 0.0)) / 2;
  CHECK(eval(g, ce, {{z, logits}})() == Approx(expected).epsilon(1e-14));

  Var s = g.input("s", {3}), y = g.input("y", {3}), t = g.input("t", {3});
  Tensor sv{0.5, -2.0, 1.5}, yv{1.0, 1.0, -1.0}, tv{0.0, 1.0, 2.0};
  std::vector<std::pair<Var, Tensor>> b{{s, sv}, {y, yv}, {t, tv}};
  CHECK(eval(g, hinge_loss(s, y), b)() == Approx((0.5 + 3.0 + 2.5) / 3).epsilon(1e-15));
  CHECK(eval(g, exponential_loss(s, y), b)() ==
        Approx((std::exp(-0.5) + std::exp(2.0) + std::exp(1.5)) / 3).epsilon(1e-15));
  CHECK(eval(g, mse_loss(s, t), b)() == Approx((0.25 + 9.0 + 0.25) / 3).epsilon(1e-15));
}

TEST_CASE("reductions, shapes and slicing produce the expected values", "[ops]") {
  Graph g;
  Var x = g.input("x", {2, 3});
  Tensor xv{{1.0, 5.0, 3.0}, {4.0, 2.0, 6.0}};
  std::vector<std::pair<Var, Tensor>> b{{x, xv}};
  CHECK(same_tensor(eval(g, max(x, {1}), b), Tensor{5.0, 6.0}));
  CHECK(eval(g, max(x), b)() == 6.0);
  CHECK(same_tensor(eval(g, sum(x, {0}, true), b), Tensor{{5.0, 7.0, 9.0}}));
  CHECK(eval(g, mean(x), b)() == Approx(3.5));
  CHECK(same_tensor(eval(g, slice(x, 1, 1, 3), b), Tensor{{5.0, 3.0}, {2.0, 6.0}}));
  CHECK(same_tensor(eval(g, pad(x, 0, 1, 0), b), Tensor{{0.0, 0.0, 0.0}, {1.0, 5.0, 3.0}, {4.0, 2.0, 6.0}}));
  CHECK(same_tensor(eval(g, concat({x, x}, 0), b), xt::concatenate(xt::xtuple(xv, xv), 0)));
  CHECK(same_tensor(eval(g, transpose(x), b), Tensor(xt::transpose(xv))));
  CHECK(same_tensor(eval(g, sum_to(x, {3}), b), Tensor{5.0, 7.0, 9.0}));
  CHECK(same_tensor(eval(g, broadcast_to(g.scalar(2), {2, 2}), b), Tensor{{2.0, 2.0}, {2.0, 2.0}}));
  Tensor tied{{1.0, 1.0, 0.0}, {2.0, 3.0, 3.0}};
  CHECK(same_tensor(eval(g, max_mask({x}, {1}), {{x, tied}}), Tensor{{0.5, 0.5, 0.0}, {0.0, 0.5, 0.5}}));
}

TEST_CASE("one_hot and cross_entropy reject labels that are not class indices, naming the op", "[ops][errors]") {
  Graph g;
  Var labels = g.input("labels", {3});
  Var z = g.input("z", {3, 4});
  for (const auto& [output, op] : std::vector<std::pair<Var, std::string>>{{cross_entropy(z, labels), "cross_entropy"},
                                                                           {one_hot(labels, 4), "one_hot"}}) {
    Program p(g, {output});
    p.set(z, xt::zeros<double>({3, 4}));
    for (Tensor bad : {Tensor{0.0, 4.0, 1.0}, Tensor{0.0, 1.5, 1.0}, Tensor{-1.0, 0.0, 0.0}}) {
      p.set(labels, bad);
      try {
        p.run();
        FAIL("no ValueError");
      } catch (const ValueError& e) {
        CHECK(std::string(e.what()).find(op) != std::string::npos);
        CHECK(std::string(e.what()).find("not an integer in [0, 4)") != std::string::npos);
      }
    }
  }
}
