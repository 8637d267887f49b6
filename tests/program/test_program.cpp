#include <catch2/catch.hpp>

#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;

TEST_CASE("program reuses buffers: a long chain needs a few buffers, not one per node", "[program][memory]") {
  Graph g;
  Var x = g.input("x", {1000});
  Var y = x;
  for (int i = 0; i < 50; ++i) y = tanh(y);
  Program p(g, {y});
  const std::size_t tensor_bytes = 1000 * sizeof(Scalar);
  CHECK(p.stats().ops == 50);
  CHECK(p.stats().arena_bytes <= 3 * tensor_bytes);  // input, output, one ping-pong buffer
  CHECK(p.stats().peak_live_bytes <= 3 * tensor_bytes);
  Rng rng(3);
  for (int run = 0; run < 2; ++run) {  // buffers are reused across runs with new values
    Tensor xv = random_tensor(rng, {1000});
    p.set(x, xv);
    p.run();
    Tensor expected = xv;
    for (int i = 0; i < 50; ++i) expected = xt::tanh(expected);
    CHECK(max_abs_diff(p.get(y), expected) < 1e-15);
  }
}

TEST_CASE("program counts flops from the cost model", "[program][cost]") {
  Graph g;
  Var a = g.input("a", {3, 4}), b = g.input("b", {4, 5});
  Var c = matmul(a, b);
  Program p(g, {c});
  CHECK(p.stats().per_run.flops == 2 * 3 * 4 * 5);
  p.set(a, xt::ones<double>({3, 4}));
  p.set(b, xt::ones<double>({4, 5}));
  p.run();
  p.run();
  CHECK(p.stats().executed_flops == 2 * 120);
  CHECK(p.get(c)(0, 0) == 4);
}

TEST_CASE("binding and reading errors name the node and the shapes", "[program][errors]") {
  Graph g;
  Var x = g.input("x", {2, 3}), other = g.input("other", {2});
  Var h = exp(x);
  Var y = sum(h);
  Program p(g, {y});
  CHECK_THROWS_WITH(p.run(), Catch::Contains("'x'") && Catch::Contains("is unbound"));
  CHECK_THROWS_WITH(p.set(x, xt::zeros<double>({3, 2})),
                    Catch::Contains("expects shape [2,3], got [3,2]") && Catch::Contains("'x'"));
  CHECK_NOTHROW(p.set(other, xt::zeros<double>({2})));  // unused leaves are accepted and ignored
  CHECK_THROWS_WITH(p.set(other, xt::zeros<double>({3})),
                    Catch::Contains("'other' (input [2]) expects shape [2], got [3]"));
  CHECK_THROWS_WITH(p.set(h, xt::zeros<double>({2, 3})), Catch::Contains("not an input or a parameter"));
  p.set(x, xt::zeros<double>({2, 3}));
  p.run();
  CHECK(p.scalar(y) == 6);
  CHECK_THROWS_WITH(p.get(h), Catch::Contains("intermediate"));
  CHECK_THROWS_AS(Program(g, {}), BindError);
}

TEST_CASE("the finite check names the first node that produced a NaN or Inf", "[program][numeric]") {
  Graph g;
  Var x = g.input("x", {3});
  Var l = log(x).named("logx");
  Var y = sum(exp(l) * 2.0);
  Program checked(g, {y}, {true, false});
  checked.set(x, Tensor{1.0, -1.0, 2.0});
  try {
    checked.run();
    FAIL("no NumericError");
  } catch (const NumericError& e) {
    std::string msg = e.what();
    CHECK(msg.find("'logx'") != std::string::npos);
    CHECK(msg.find("flat index 1") != std::string::npos);
  }
  Tensor nan_input{1.0, std::nan(""), 2.0};
  checked.set(x, nan_input);
  CHECK_THROWS_WITH(checked.run(), Catch::Contains("'x'") && Catch::Contains("bound before the run"));
  Program unchecked(g, {y});
  unchecked.set(x, Tensor{1.0, -1.0, 2.0});
  CHECK_NOTHROW(unchecked.run());
  CHECK(std::isnan(unchecked.scalar(y)));
}

TEST_CASE("per-node timings are recorded on request", "[program]") {
  Graph g;
  Var x = g.input("x", {100});
  Var y = sum(sin(x));
  Program p(g, {y}, {false, true});
  p.set(x, xt::ones<double>({100}));
  p.run();
  REQUIRE(p.stats().timings.size() == 2);
  CHECK(p.stats().timings[0].op == "sin");
  CHECK(p.stats().timings[0].seconds >= 0);
}

TEST_CASE("ParamStore: one contiguous buffer, seeded and reproducible initialisers", "[params]") {
  Graph g;
  Var w = g.parameter("W", {4, 3}, Init::normal(0, 1));
  Var q = g.parameter("Q", {5, 3}, Init::orthogonal());
  Var z = g.parameter("z", {3}, Init::zeros());
  Var c = g.parameter("c", {2}, Init::constant(0.5));
  ParamStore s1(g, 7), s2(g, 7), s3(g, 8);
  CHECK(s1.size() == 12 + 15 + 3 + 2);
  CHECK(s1.values() == s2.values());
  CHECK(s1.values() != s3.values());
  CHECK(&s1.value(q)(0, 0) == s1.values().data() + 12);  // views into the one buffer
  Tensor Q = Tensor(s1.value(q));
  Tensor QtQ = xt::zeros<double>({3, 3});
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t k = 0; k < 5; ++k) QtQ(i, j) += Q(k, i) * Q(k, j);
  CHECK(max_abs_diff(QtQ, xt::eye<double>(3)) < 1e-12);
  CHECK(same_tensor(s1.value(z), Tensor{0.0, 0.0, 0.0}));
  CHECK(same_tensor(s1.value(c), Tensor{0.5, 0.5}));

  // A parameter's values depend on (seed, its name) only, not on which other parameters exist.
  Graph g2;
  g2.parameter("extra", {10});
  Var w_again = g2.parameter("W", {4, 3}, Init::normal(0, 1));
  ParamStore s4(g2, 7);
  CHECK(same_tensor(Tensor(s4.value(w_again)), Tensor(s1.value(w))));

  // A wrong-shaped set changes nothing.
  std::vector<double> before = s1.values();
  CHECK_THROWS_AS(s1.set(w, xt::ones<double>({3, 4})), BindError);
  CHECK(s1.values() == before);
  CHECK_THROWS_WITH(s1.value(w_again), Catch::Contains("no parameter"));
}

TEST_CASE("a program bound to a ParamStore sees in-place updates without rebinding", "[params][program]") {
  Graph g;
  Var w = g.parameter("w", {3}, Init::constant(1.0));
  Var y = sum(w * w);
  Var gw = grad(y, w);
  Program p(g, {y, gw});
  CHECK_THROWS_WITH(p.run(), Catch::Contains("'w'") && Catch::Contains("bind a ParamStore"));
  ParamStore store(g);
  p.bind(store);
  p.run();
  CHECK(p.scalar(y) == 3);
  for (auto& v : store.values()) v = 2;  // an optimizer writing in place
  p.run();
  CHECK(p.scalar(y) == 12);
  CHECK(same_tensor(p.get(gw), Tensor{4.0, 4.0, 4.0}));
  p.set(w, Tensor{1.0, 0.0, 0.0});  // set() detaches that parameter from the store
  p.run();
  CHECK(p.scalar(y) == 1);
  CHECK(store.values()[0] == 2);
}

TEST_CASE("parameters and outputs outside the arena: read and written in place, no arena space", "[program][memory]") {
  Graph g;
  Var x = g.input("x", {4, 3});
  Var w = g.parameter("W", {3, 5});
  Var y = matmul(x, w);
  Var s = sum(y);
  ParamStore store(g, 1);
  dagrad::test::Rng rng(2);
  Tensor xv = dagrad::test::random_normal(rng, {4, 3});
  Program inside(g, {y, s});
  inside.bind(store);
  inside.set(x, xv);
  inside.run();
  std::vector<Scalar> target(20, -1);
  ProgramOptions options;
  options.parameters_outside = true;
  options.outputs_outside = {{y, target.data()}};
  Program outside(g, {y, s}, options);
  CHECK(outside.stats().arena_bytes + (15 + 20) * sizeof(Scalar) == inside.stats().arena_bytes);
  CHECK(outside.stats().outside_bytes == (15 + 20) * sizeof(Scalar));
  outside.set(x, xv);
  CHECK_THROWS_AS(outside.run(), BindError);  // W has no memory until bound or set
  outside.bind(store);
  outside.run();
  CHECK(dagrad::test::same_tensor(outside.get(y), inside.get(y)));
  CHECK(std::equal(target.begin(), target.end(), inside.view(y).begin()));
  CHECK(outside.scalar(s) == inside.scalar(s));
  // set() gives an outside parameter a buffer of its own and stops following the store.
  Tensor wv = xt::ones<Scalar>({3, 5});
  outside.set(w, wv);
  outside.run();
  CHECK(outside.scalar(s) == Approx(xt::sum(xv)() * 5).epsilon(1e-14));
  // Only outputs computed by ops, each once.
  std::vector<Scalar> spare(20);
  ProgramOptions leaf;
  leaf.outputs_outside = {{x, spare.data()}};
  CHECK_THROWS_AS(Program(g, {x, s}, leaf), BindError);
  ProgramOptions not_output;
  not_output.outputs_outside = {{y, spare.data()}};
  CHECK_THROWS_AS(Program(g, {s}, not_output), BindError);
  ProgramOptions twice;
  twice.outputs_outside = {{y, spare.data()}, {y, target.data()}};
  CHECK_THROWS_AS(Program(g, {y}, twice), BindError);
}

TEST_CASE("running after the bound ParamStore was destroyed is a BindError, not freed memory", "[program][errors]") {
  // Regression: this returned wrong sums in Release and was a heap-use-after-free under ASan.
  Graph g;
  Var w = g.parameter("w", {3});
  Var total = sum(w);
  Program p(g, {total});
  {
    ParamStore store(g, 0);
    p.bind(store);
    p.run();
    ParamStore moved(std::move(store));  // moving keeps the buffers, and the program still runs
    p.run();
  }
  CHECK_THROWS_WITH(p.run(), Catch::Contains("reads a ParamStore that was destroyed"));
  ParamStore fresh(g, 1);
  p.bind(fresh);  // rebinding to a live store makes the program runnable again
  p.run();
  CHECK(p.scalar(total) == Approx(fresh.values()[0] + fresh.values()[1] + fresh.values()[2]));
}

TEST_CASE("a Program made again for the same outputs reuses the buffers of the one that died", "[program][memory]") {
  // The PyTorch habit builds a Program every step; each must behave as a fresh one (nothing bound,
  // leaves pointed at its own memory) while running in the memory of the previous one.
  Graph g;
  Var x = g.input("x", {4, 3});
  Var w = g.parameter("W", {3, 2});
  Var c = g.constant(Tensor{{1.0, 2.0}}, "c");
  Var loss = sum(tanh(matmul(x, w) + c));
  Var dw = grad(loss, w);
  dagrad::test::Rng rng(3);
  Tensor xv = dagrad::test::random_normal(rng, {4, 3});
  ParamStore store(g, 4);
  const Scalar* first_buffer = nullptr;
  Tensor first_gradient;
  for (int step = 0; step < 3; ++step) {
    Program p(g, {loss, dw});
    CHECK(p.stats().reused_buffers == (step > 0));
    if (step == 0) first_buffer = p.view(dw).data();
    CHECK(p.view(dw).data() == first_buffer);
    CHECK_THROWS_WITH(p.run(), Catch::Contains("'x'") && Catch::Contains("unbound"));
    CHECK_THROWS_WITH(p.view(w), Catch::Contains("'W'") && Catch::Contains("unbound"));
    p.set(x, xv);
    CHECK_THROWS_WITH(p.run(), Catch::Contains("'W'") && Catch::Contains("bind a ParamStore"));
    if (step == 1) {
      p.set(w, xt::ones<Scalar>({3, 2}));  // points W at the arena: the next Program must not inherit it
      p.run();
      continue;
    }
    p.bind(store);
    p.run();
    if (step == 0) first_gradient = p.get(dw);
    CHECK(dagrad::test::same_tensor(p.get(dw), first_gradient));
  }
  // Outputs outside the arena go where each Program's options say, though the plan is shared.
  std::vector<Scalar> first(6), second(6);
  for (std::vector<Scalar>* target : {&first, &second}) {
    ProgramOptions options;
    options.outputs_outside = {{dw, target->data()}};
    Program p(g, {loss, dw}, options);
    CHECK(p.stats().reused_buffers == (target == &second));  // another layout, so another plan
    p.set(x, xv);
    p.bind(store);
    p.run();
  }
  CHECK(std::equal(first.begin(), first.end(), first_gradient.begin()));
  CHECK(first == second);
}
