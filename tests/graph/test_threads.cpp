// What is thread-safe (graph/graph.hpp): building one Graph from several threads at once, and
// running Programs compiled on one graph in several threads.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <thread>

#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;

namespace {

// d/dx sum(tanh^n(x)) by the chain rule in plain doubles: the reference each thread's program meets.
double chain_value_and_slope(double x, int n, double* slope) {
  double d = 1;
  for (int k = 0; k < n; ++k) {
    x = std::tanh(x);
    d *= 1 - x * x;
  }
  *slope = d;
  return x;
}

}  // namespace

TEST_CASE("two threads build one graph at once: every node intact, flags and names per thread", "[graph][threads]") {
  Graph g;
  constexpr int kChain = 3000;
  struct Built {
    Var x, y, dx;
    std::string scoped_name;
    bool derivative_leaked = false;
  };
  Built built[2];
  std::atomic<int> ready{0};
  auto build = [&](int t) {
    ready.fetch_add(1);
    while (ready.load() < 2) {
    }  // start together, so the two really interleave
    Graph::NameScope scope(g, "thread" + std::to_string(t));
    Built& b = built[t];
    b.x = g.input("x", {8});
    Var h = b.x;
    for (int k = 0; k < kChain; ++k) {
      h = tanh(h);
      // The other thread is inside grad's DerivativeScope part of the time: none of ours may be marked.
      b.derivative_leaked = b.derivative_leaked || g.node(h.id()).derivative;
    }
    b.y = sum(h);
    b.scoped_name = b.y.name();
    b.dx = grad(b.y, b.x);
  };
  std::thread first(build, 0), second(build, 1);
  first.join();
  second.join();
  for (int t = 0; t < 2; ++t) {
    INFO("thread " << t);
    CHECK_FALSE(built[t].derivative_leaked);
    CHECK(built[t].scoped_name.rfind("thread" + std::to_string(t) + "/", 0) == 0);
    CHECK(g.node(built[t].dx.id()).derivative);
    Program p(g, {built[t].y, built[t].dx});
    Tensor x = Tensor::from_shape({8});
    for (std::size_t i = 0; i < 8; ++i) x.flat(i) = 0.1 * static_cast<double>(i) - 0.3 + 0.05 * t;
    p.set(built[t].x, x);
    p.run();
    double total = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      double slope;
      total += chain_value_and_slope(x.flat(i), kChain, &slope);
      CHECK(p.get(built[t].dx).flat(i) == Approx(slope).epsilon(1e-12));
    }
    CHECK(p.scalar(built[t].y) == Approx(total).epsilon(1e-12));
  }
}

TEST_CASE("two Programs on one graph run in two threads without a difference", "[graph][threads]") {
  Graph g;
  Var x = g.input("x", {16});
  Var w = g.input("w", {16});
  Var loss = sum(tanh(x * w) * x);
  std::vector<Var> grads = grad(loss, {x, w});
  Tensor xv = Tensor::from_shape({16}), wv = Tensor::from_shape({16});
  for (std::size_t i = 0; i < 16; ++i) {
    xv.flat(i) = std::sin(static_cast<double>(i));
    wv.flat(i) = std::cos(static_cast<double>(i));
  }
  Program serial(g, {loss, grads[0], grads[1]});
  serial.set(x, xv);
  serial.set(w, wv);
  serial.run();
  Tensor expected = serial.get(grads[1]);
  constexpr int kRuns = 10000;
  int differ[2] = {0, 0};
  auto work = [&](int t) {
    Program p(g, {loss, grads[0], grads[1]});
    p.set(x, xv);
    p.set(w, wv);
    for (int r = 0; r < kRuns; ++r) {
      p.run();
      if (p.scalar(loss) != serial.scalar(loss) || p.get(grads[1]) != expected) ++differ[t];
    }
  };
  std::thread first(work, 0), second(work, 1);
  first.join();
  second.join();
  CHECK(differ[0] == 0);
  CHECK(differ[1] == 0);
}
