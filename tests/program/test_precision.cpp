// float32 and bfloat16 graphs: where rounding happens (dagrad/graph/dtype.hpp), what stays exact,
// and the kinks that rounding makes.
#include <catch2/catch.hpp>
#include <cfloat>
#include <cstring>
#include <limits>

#include "dagrad/optim/gradient_program.hpp"
#include "dagrad/optim/optimizer.hpp"
#include "support.hpp"

using namespace dagrad;

namespace {

const DType kLow[] = {DType::Float32, DType::BFloat16};

Tensor filled(const Shape& shape, Scalar value) {
  Tensor t = Tensor::from_shape(shape);
  t.fill(value);
  return t;
}

}  // namespace

TEST_CASE("bfloat16 rounds to nearest, ties to even, as c10::BFloat16 does", "[program][dtype]") {
  CHECK(bfloat16_bits(1.0f) == 0x3F80);
  CHECK(from_bfloat16_bits(0x3F80) == 1.0f);
  // The spacing above 1 is 2^-7: 1 + 2^-8 is a tie (to 1, even), 1 + 3·2^-8 a tie to 1 + 2^-6.
  CHECK(round_to(DType::BFloat16, 1 + 0x1p-8) == 1);
  CHECK(round_to(DType::BFloat16, 1 + 3 * 0x1p-8) == 1 + 0x1p-6);
  CHECK(round_to(DType::BFloat16, 1 + 0x1p-8 + 0x1p-20) == 1 + 0x1p-7);  // above the tie
  CHECK(round_to(DType::BFloat16, -1 - 0x1p-7) == -1 - 0x1p-7);
  CHECK(std::isinf(round_to(DType::BFloat16, FLT_MAX)));  // past bfloat16's largest finite value
  CHECK(std::isnan(round_to(DType::BFloat16, std::numeric_limits<double>::quiet_NaN())));
  CHECK(std::signbit(round_to(DType::BFloat16, -0.0)));
  CHECK(round_to(DType::Float32, 0.1) == static_cast<double>(0.1f));
  CHECK(round_to(DType::Float64, 0.1) == 0.1);
  CHECK(epsilon(DType::BFloat16) == 0x1p-7);
  CHECK(epsilon(DType::Float32) == FLT_EPSILON);
}

TEST_CASE("dtypes by name; an unknown one names the choices", "[program][dtype][errors]") {
  for (DType d : {DType::Float64, DType::Float32, DType::BFloat16}) CHECK(parse_dtype(to_string(d)) == d);
  try {
    parse_dtype("float16");
    FAIL("float16 parsed");
  } catch (const ValueError& e) {
    CHECK_THAT(e.what(), Catch::Contains("float16") && Catch::Contains("bfloat16"));
  }
}

TEST_CASE("a graph's dtype: every node's, named when Vars of two graphs meet, printed by the dump",
          "[program][dtype]") {
  Graph low(DType::BFloat16), wide;
  Var x = low.input("x", {2}), w = wide.input("w", {2});
  CHECK(x.dtype() == DType::BFloat16);
  CHECK((x + 1.0).dtype() == DType::BFloat16);
  CHECK(grad(sum(square(x)), x).dtype() == DType::BFloat16);
  CHECK(w.dtype() == DType::Float64);
  try {
    add(x, w);
    FAIL("two graphs met");
  } catch (const GraphError& e) {
    CHECK_THAT(e.what(), Catch::Contains("float64 graph") && Catch::Contains("this one is bfloat16"));
  }
  CHECK_THAT(to_text(low), Catch::StartsWith("dtype bfloat16\n"));
  CHECK_THAT(to_text(wide), !Catch::Contains("dtype"));
}

TEST_CASE("every stored value is the dtype's: inputs, constants, op results, parameters", "[program][dtype]") {
  test::Rng rng(3);
  for (DType dtype : kLow) {
    INFO(to_string(dtype));
    Graph g(dtype);
    Var x = g.input("x", {4, 5});
    Var w = g.parameter("w", {5, 3});
    Var c = g.constant(test::random_normal(rng, {3}), "c");
    Var y = tanh(matmul(x, w) + c) * 0.3;
    ParamStore store(g, 1);
    for (Scalar v : store.values()) CHECK(representable(dtype, v));
    Program p(g, {y, c});
    p.bind(store);
    Tensor xv = test::random_normal(rng, {4, 5});
    p.set(x, xv);
    p.run();
    for (Scalar v : p.get(y)) CHECK(representable(dtype, v));
    for (Scalar v : p.get(c)) CHECK(representable(dtype, v));
    // The same graph in float64 on the same (rounded) inputs agrees to the dtype's rounding.
    Graph g64;
    Var x64 = g64.input("x", {4, 5}), w64 = g64.input("w", {5, 3}), c64 = g64.input("c", {3});
    Var y64 = tanh(matmul(x64, w64) + c64) * 0.3;
    Program p64(g64, {y64});
    p64.set(x64, p.get(x));
    p64.set(w64, Tensor(store.value(w)));
    p64.set(c64, p.get(c));
    p64.run();
    CHECK(test::max_abs_diff(p.get(y), p64.get(y64)) <= 8 * epsilon(dtype));
    CHECK(test::max_abs_diff(p.get(y), p64.get(y64)) > 0);  // it was rounded
  }
}

TEST_CASE("numbers keep the op-math type: bfloat16 multiplies by a float32 0.1, as PyTorch does", "[program][dtype]") {
  Graph g(DType::BFloat16);
  Var x = g.input("x", {});
  Var y = x * 0.1;
  Program p(g, {y, g.scalar(0.1)});
  p.set(x, filled({}, 3));
  p.run();
  CHECK(p.scalar(g.scalar(0.1)) == static_cast<double>(0.1f));
  CHECK(p.scalar(g.scalar(0.1)) != round_to(DType::BFloat16, 0.1));
  CHECK(p.scalar(y) == round_to(DType::BFloat16, 3.0 * static_cast<double>(0.1f)));
}

TEST_CASE("labels and indices stay exact: class 257 is 257 in bfloat16, a value 257 is 256", "[program][dtype]") {
  Graph g(DType::BFloat16);
  Var logits = g.input("logits", {1, 300}), label = g.input("label", {1}), value = g.input("value", {1});
  Var loss = cross_entropy(logits, label);
  Var doubled = value * 1.0;
  Program p(g, {loss, label, doubled});
  Tensor l = filled({1, 300}, 0);
  l(0, 257) = 8;  // the right class is far ahead: a small loss; class 256 would have a large one
  p.set(logits, l);
  p.set(label, filled({1}, 257));
  p.set(value, filled({1}, 257));
  p.run();
  CHECK(p.get(label)(0) == 257);
  CHECK(p.get(doubled)(0) == 256);
  CHECK(p.scalar(loss) < 0.2);
}

TEST_CASE("a kink is an exact tie in the stored dtype: 1 + 2^-30 is 1 in float32", "[program][dtype][clarke]") {
  for (DType dtype : {DType::Float64, DType::Float32, DType::BFloat16}) {
    INFO(to_string(dtype));
    Graph g(dtype);
    Var x = g.input("x", {});
    Var y = relu(x - 1.0);
    Var dy = grad(y, x);
    Program p(g, {y, dy});
    p.set(x, filled({}, 1 + 0x1p-30));
    p.run();
    std::size_t expected = dtype == DType::Float64 ? 0 : 1;
    CHECK(p.kink_report().kinks() == expected);
    CHECK(p.scalar(y) == (dtype == DType::Float64 ? 0x1p-30 : 0));
  }
}

TEST_CASE("Clarke's directions are kept in float64: a tangent that cancels in bfloat16 still decides",
          "[program][dtype][clarke]") {
  // f(x) = x·(1 + 2^-12) − x·1 is 0 at x = 0 (a kink of relu(f)); along d its tangent is d·2^-12.
  // Rounded to bfloat16 each product is d (2^-12 is below half its spacing), so the tangent is 0
  // and the kink stays tied; in float64 its sign decides the piece.
  for (bool wide : {true, false}) {
    INFO("wide directions: " << wide);
    Graph g(DType::BFloat16);
    Var x = g.input("x", {});
    Var f = x * (1 + 0x1p-12) - x * 1.0;
    Var dy = grad(relu(f), x);
    ProgramOptions options;
    options.wide_directions = wide;
    Program p(g, {dy}, options);
    p.set(x, filled({}, 0));
    p.run();
    const KinkReport& report = p.kink_report();
    CHECK(report.kinks() == 1);
    CHECK(report.unresolved() == (wide ? 0u : 1u));
  }
}

TEST_CASE("matmul in float32 accumulates in float32 (sgemm), as PyTorch's does", "[program][dtype]") {
  // 4096 terms 1 + 2^-20: the exact sum 4096 + 2^-8 is a float32 number, but partial sums past 16
  // lose each term's 2^-20 (half their spacing, a tie to even), so float32 accumulation, in any
  // order and with any number of partial sums up to 256, ends below it; float64 gets it exactly.
  Tensor u = filled({1, 4096}, 1 + 0x1p-20), v = filled({4096, 1}, 1);
  Graph h(DType::Float32), h64;
  Var hu = h.input("u", {1, 4096}), hv = h.input("v", {4096, 1});
  Var hy = matmul(hu, hv);
  Program ph(h, {hy});
  ph.set(hu, u);
  ph.set(hv, v);
  ph.run();
  double exact = 0;
  for (std::size_t i = 0; i < 4096; ++i) exact += u(0, i) * v(i, 0);
  double got = ph.get(hy)(0, 0);
  REQUIRE(exact == 4096 + 0x1p-8);
  CHECK(std::fabs(got - exact) <= 4096 * epsilon(DType::Float32) * exact);
  CHECK(got < exact);  // not float64 accumulation rounded once
}

TEST_CASE("optimizer updates and state are stored in the dtype", "[program][dtype][optim]") {
  for (DType dtype : kLow) {
    INFO(to_string(dtype));
    Graph g(dtype);
    Var w = g.parameter("w", {6});
    Var loss = sum(square(w - 0.3));
    ParamStore store(g, 2);
    Program p(g, {grad(loss, w)});
    p.bind(store);
    optim::Adam adam({optim::constant(0.01)});
    for (int step = 0; step < 5; ++step) {
      p.run();
      std::copy(p.view(grad(loss, w)).begin(), p.view(grad(loss, w)).end(), store.grad(w).begin());
      adam.step(store);
    }
    for (Scalar v : store.values()) CHECK(representable(dtype, v));
    optim::TrainingState state;
    adam.save_state(state);
    REQUIRE(!state.buffers.empty());
    for (const auto& [name, buffer] : state.buffers)
      for (Scalar v : buffer) CHECK(representable(dtype, v));
  }
}

TEST_CASE("a gradient step rounds each parameter once, to the dtype", "[program][dtype][optim]") {
  for (DType dtype : kLow) {
    INFO(to_string(dtype));
    Graph g(dtype);
    Var w = g.parameter("w", {64});
    ParamStore store(g, 3);
    test::Rng rng(9);
    Tensor gv = test::random_normal(rng, {64});
    std::vector<Scalar> expected(64);
    for (std::size_t i = 0; i < 64; ++i) {
      store.grad(w)(i) = round_to(dtype, gv(i));
      expected[i] = round_to(dtype, store.value(w)(i) - 0.1 * store.grad(w)(i));  // float64 step, one rounding
    }
    optim::GradientDescent({optim::constant(0.1)}).step(store);
    for (std::size_t i = 0; i < 64; ++i) CHECK(store.value(w)(i) == expected[i]);
  }
}

TEST_CASE("reductions over large batches are accumulated in float64 and rounded once", "[program][dtype]") {
  // 2^20 float32 values whose float32 running sum drifts by hundreds of ulps: the graph's sum and
  // mean are the exact sum rounded once (half an ulp), which a float32 accumulator does not give.
  test::Rng rng(5);
  Tensor x = test::random_tensor(rng, {1 << 20}, 0, 1);
  for (auto& v : x) v = round_to(DType::Float32, v);
  Graph g(DType::Float32);
  Var in = g.input("x", {1 << 20});
  Var total = sum(in), average = mean(in);
  Program p(g, {total, average});
  p.set(in, x);
  p.run();
  long double exact = 0;
  float running = 0;
  for (double v : x) exact += v, running += static_cast<float>(v);
  CHECK(p.scalar(total) == round_to(DType::Float32, static_cast<double>(exact)));
  CHECK(p.scalar(average) == round_to(DType::Float32, static_cast<double>(exact / (1 << 20))));
  CHECK(static_cast<double>(running) != p.scalar(total));  // what accumulating in float32 would have lost
}

TEST_CASE("losses keep their stable tails in float32 and bfloat16", "[program][dtype]") {
  for (DType dtype : kLow) {
    INFO(to_string(dtype));
    Graph g(dtype);
    Var margin = g.input("margin", {3}), logits = g.input("logits", {2, 3}), label = g.input("label", {2});
    Var logistic = logistic_loss(margin, g.constant(Tensor{1.0, 1.0, -1.0}));
    Var ce = cross_entropy(logits, label), lse = logsumexp(reshape(logits, {6}));
    Var d_logistic = grad(logistic, margin);
    Program p(g, {logistic, ce, lse, d_logistic});
    p.set(margin, Tensor{30.0, 80.0, 30.0});  // e^-30, e^-80 and a loss of 30 (the third has label -1)
    p.set(logits, Tensor{{1000.0, 0.0, -1000.0}, {-50.0, 50.0, 0.0}});
    p.set(label, Tensor{0.0, 1.0});
    p.run();
    // mean of log(1 + e^-30), log(1 + e^-80), log(1 + e^30): about (30 + e^-30 + e^-80)/3, not 0 or inf.
    long double want = (log1pl(expl(-30.0L)) + log1pl(expl(-80.0L)) + 30.0L + log1pl(expl(-30.0L))) / 3;
    CHECK(p.scalar(logistic) == round_to(dtype, static_cast<double>(want)));
    Tensor dl = p.get(d_logistic);
    CHECK(dl(1) < 0);  // e^-80/3 is far below bfloat16's epsilon and still a number, not 0
    CHECK(std::fabs(dl(1) + std::exp(-80.0) / 3) <= 2 * epsilon(dtype) * std::exp(-80.0) / 3);
    CHECK(std::isfinite(p.scalar(ce)));
    CHECK(p.scalar(ce) == round_to(dtype, std::log1p(std::exp(-50.0)) / 2));
    CHECK(p.scalar(lse) == 1000);
  }
}

namespace {

// Every element of two programs' outputs, compared as bits (NaN patterns included).
void check_same_bits(Program& a, Program& b, const std::vector<Var>& outputs) {
  for (const Var& v : outputs) {
    INFO(v.graph().describe(v.id()));
    const View &x = a.view(v), &y = b.view(v);
    REQUIRE(x.size() == y.size());
    std::size_t differ = 0;
    for (std::size_t e = 0; e < x.size(); ++e) differ += std::memcmp(x.data() + e, y.data() + e, sizeof(Scalar)) != 0;
    CHECK(differ == 0);
  }
}

}  // namespace

TEST_CASE("float32 kernels on float32 memory give the float64-memory path's numbers bit for bit", "[program][dtype]") {
  test::Rng rng(17);
  // Both storages call the same kernels, oneDNN's where built or dagrad's own (tests/ops/test_onednn.cpp
  // compares the two).
  for (bool onednn : {true, false})
    for (DType dtype : kLow) {
      INFO(to_string(dtype) << (onednn ? ", oneDNN on where built" : ", oneDNN off"));
      test::OnednnSwitch use(onednn);
      Graph g(dtype);
      Var x = g.input("x", {6, 5}), labels = g.input("labels", {6});
      Var w1 = g.parameter("w1", {5, 8}), b1 = g.parameter("b1", {8}), w2 = g.parameter("w2", {8, 3});
      Var b2 = g.parameter("b2", {3}), v = g.parameter("v", {8});
      // Each op with a float32 kernel, with each broadcast it takes (rows of a bias, a number on
      // either side), a vector matmul, and ops without one (cross_entropy, sum) reading float slots.
      Var h = relu(matmul(x, w1) + b1);
      Var z = abs(h - 0.25) * h / (square(h) + 1.0) + neg(h) * 0.5 - (2.0 - h);
      Var loss = cross_entropy(matmul(z, w2) + b2, labels) + 0.01 * sum(matmul(z, v));
      const std::vector<Var> params{w1, b1, w2, b2, v};
      std::vector<Var> outputs = grad(loss, params);
      outputs.push_back(loss);
      ParamStore store(g, 4);
      // Zero rows and a zero bias put relu's input exactly at its kink, so Clarke's directions run.
      Tensor xv = test::random_normal(rng, {6, 5});
      for (std::size_t j = 0; j < 5; ++j) xv(0, j) = xv(3, j) = 0;
      Tensor lv = Tensor::from_shape({6});
      for (std::size_t i = 0; i < 6; ++i) lv(i) = static_cast<Scalar>(i % 3);
      for (auto& e : store.value(b1)) e = 0;
      ProgramOptions reference_options;
      reference_options.float_kernels = false;
      Program fast(g, outputs), reference(g, outputs, reference_options);
      CHECK(fast.stats().float_ops >= 52);  // relu's and abs's piece selectors among them (50 without)
      CHECK(reference.stats().float_ops == 0);
      for (Program* p : {&fast, &reference}) {
        p->set(x, xv);
        p->set(labels, lv);
        p->bind(store);
      }
      for (int run = 0; run < 3; ++run) {
        INFO("run " << run);
        fast.run();
        reference.run();
        check_same_bits(fast, reference, outputs);
        CHECK(fast.kink_report().kinks() == reference.kink_report().kinks());
        CHECK(fast.kink_report().kinks() > 0);
        // Changed parameters between runs: the float32 copies of float64 slots are made again.
        for (auto& e : store.values()) e = round_to(dtype, e * 0.75);
      }
      // A Program made again runs in the buffers the last one left (the plan's spare): its copies
      // are of its own runs, not that Program's.
      for (auto& e : store.values()) e = round_to(dtype, -e);
      reference.run();
      for (int again = 0; again < 2; ++again) {
        Program rebuilt(g, outputs);
        CHECK(rebuilt.stats().reused_buffers == (again == 1));
        rebuilt.set(x, xv);
        rebuilt.set(labels, lv);
        rebuilt.bind(store);
        rebuilt.run();
        check_same_bits(rebuilt, reference, outputs);
      }
    }
}

TEST_CASE("float32 convolution kernels give the float64-memory path's numbers bit for bit", "[program][dtype]") {
  test::Rng rng(23);
  // Both storages call the same kernels, oneDNN's where built or dagrad's own (tests/ops/test_onednn.cpp
  // compares the two).
  for (bool onednn : {true, false})
    for (DType dtype : kLow) {
      INFO(to_string(dtype) << (onednn ? ", oneDNN on where built" : ", oneDNN off"));
      test::OnednnSwitch use(onednn);
      Graph g(dtype);
      Var x = g.input("x", {2, 2, 5, 5});
      Var w1 = g.parameter("w1", {3, 2, 3, 3}), w2 = g.parameter("w2", {2, 3, 3, 3});
      Var h = relu(conv2d(x, w1, 1));
      Var loss = sum(square(conv2d(h, w2, 1)));
      std::vector<Var> outputs = grad(loss, {x, w1, w2});  // conv2d_weight_grad, and conv2d for dx
      outputs.push_back(loss);
      ParamStore store(g, 8);
      ProgramOptions reference_options;
      reference_options.float_kernels = false;
      Program fast(g, outputs), reference(g, outputs, reference_options);
      CHECK(fast.stats().float_ops >= 6);
      Tensor xv = test::random_normal(rng, {2, 2, 5, 5});
      for (Program* p : {&fast, &reference}) {
        p->set(x, xv);
        p->bind(store);
        p->run();
      }
      check_same_bits(fast, reference, outputs);
    }
}

TEST_CASE("a non-finite float32 intermediate is named by the op that made it", "[program][dtype][errors]") {
  Graph g(DType::Float32);
  Var x = g.input("x", {3});
  Var big = square(x) * 2.0;  // 1e30² overflows float32 in a float32 slot
  Var out = sum(big);
  ProgramOptions options;
  options.check_finite = true;
  Program p(g, {out}, options);
  REQUIRE(p.stats().float_ops == 2);
  p.set(x, filled({3}, 1e30));
  try {
    p.run();
    FAIL("no NumericError");
  } catch (const NumericError& e) {
    CHECK_THAT(e.what(), Catch::Contains("square") && Catch::Contains("flat index 0"));
  }
}

namespace {

// A small ReLU classifier in `dtype` whose relu meets its kink (a zero row of x and a zero bias).
struct Classifier {
  Graph g;
  Var x, labels, loss;
  std::vector<Var> params;
  Tensor xv, lv;
  explicit Classifier(DType dtype) : g(dtype) {
    x = g.input("x", {6, 5});
    labels = g.input("labels", {6});
    Var w1 = g.parameter("w1", {5, 8}), b1 = g.parameter("b1", {8}), w2 = g.parameter("w2", {8, 3});
    Var b2 = g.parameter("b2", {3});
    params = {w1, b1, w2, b2};
    loss = cross_entropy(matmul(relu(matmul(x, w1) + b1), w2) + b2, labels);
    test::Rng rng(31);
    xv = test::random_normal(rng, {6, 5});
    for (std::size_t j = 0; j < 5; ++j) xv(2, j) = 0;
    lv = Tensor::from_shape({6});
    for (std::size_t i = 0; i < 6; ++i) lv(i) = static_cast<Scalar>(i % 3);
  }
  void zero_bias(ParamStore& store) { store.set(params[1], filled({8}, 0)); }
  void feed(optim::GradientProgram& gp) const {
    gp.program().set(x, xv);
    gp.program().set(labels, lv);
  }
};

bool same_bits(Scalar a, Scalar b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Every value of `params` in two stores, compared as bits; through get(), which exposes nothing.
void check_same_values(const std::vector<Var>& params, const ParamStore& a, const ParamStore& b) {
  for (const Var& p : params) {
    Tensor va = a.get(p), vb = b.get(p);
    for (std::size_t e = 0; e < va.size(); ++e) CHECK(same_bits(va.data()[e], vb.data()[e]));
  }
}

}  // namespace

TEST_CASE("a float32 store nobody exposed trains on float32 memory alone, bit for bit the exposed store's numbers",
          "[program][dtype][optim]") {
  for (DType dtype : kLow) {
    INFO(to_string(dtype));
    Classifier c(dtype);
    ParamStore hidden(c.g, 5), exposed(c.g, 5);
    c.zero_bias(hidden);
    c.zero_bias(exposed);
    exposed.values();
    exposed.grads();
    optim::GradientProgram hidden_step(c.g, c.loss, hidden), exposed_step(c.g, c.loss, exposed);
    c.feed(hidden_step);
    c.feed(exposed_step);
    optim::GradientDescent gd_hidden({optim::constant(0.3)}), gd_exposed({optim::constant(0.3)});
    // The float64 side of `exposed` is held and written through between steps, as a user may: the
    // programs see it. `hidden` gets the same change through set(), which exposes nothing.
    std::vector<Scalar>& held = exposed.values();
    for (int step = 0; step < 6; ++step) {
      INFO("step " << step);
      const Scalar loss_hidden = hidden_step.run(), loss_exposed = exposed_step.run();
      CHECK(same_bits(loss_hidden, loss_exposed));
      CHECK(hidden_step.program().kink_report().kinks() == exposed_step.program().kink_report().kinks());
      gd_hidden.step(hidden);
      gd_exposed.step(exposed);
      // get() makes the float64 side current as it copies: read only at the end and at step 2, so
      // the runs between read what the float32 side alone holds.
      if (step == 2) {
        held[0] = round_to(dtype, held[0] + 0.5);
        Tensor w1 = hidden.get(c.params[0]);
        w1.data()[0] = round_to(dtype, w1.data()[0] + 0.5);
        hidden.set(c.params[0], w1);
      }
      CHECK(hidden.values_in_float());
      CHECK(hidden.grads_in_float());
    }
    CHECK_FALSE(exposed.values_in_float());
    CHECK_FALSE(exposed.grads_in_float());
    check_same_values(c.params, hidden, exposed);
    for (const Var& p : c.params) {
      Tensor ga = hidden.get_grad(p), gb = exposed.get_grad(p);
      for (std::size_t e = 0; e < ga.size(); ++e) CHECK(same_bits(ga.data()[e], gb.data()[e]));
    }
  }
}

TEST_CASE("a float32 store's gradient step on float32 memory rounds each parameter once; a NaN changes nothing",
          "[program][dtype][optim][errors]") {
  for (DType dtype : kLow) {
    INFO(to_string(dtype));
    Graph g(dtype);
    Var w = g.parameter("w", {64}), c = g.input("c", {64});
    ParamStore store(g, 3);
    optim::GradientProgram gp(g, sum(w * c), store);  // the gradient is c, rounded to the dtype
    test::Rng rng(9);
    Tensor cv = test::random_normal(rng, {64});
    gp.program().set(c, cv);
    gp.run();
    const Tensor before = store.get(w);
    optim::GradientDescent gd({optim::constant(0.1)});
    gd.step(store);
    REQUIRE(store.values_in_float());
    const Tensor after = store.get(w);
    for (std::size_t i = 0; i < 64; ++i)
      CHECK(after(i) == round_to(dtype, before(i) - 0.1 * round_to(dtype, cv(i))));  // float64 step, one rounding
    cv(17) = std::numeric_limits<Scalar>::quiet_NaN();
    gp.program().set(c, cv);
    gp.run();
    CHECK_THROWS_WITH(gd.step(store), Catch::Contains("non-finite gradient") && Catch::Contains("element 17") &&
                                          Catch::Contains("parameters left unchanged"));
    const Tensor kept = store.get(w);
    for (std::size_t i = 0; i < 64; ++i) CHECK(same_bits(kept(i), after(i)));
  }
}

TEST_CASE("optimizers without a float32 update step a float32 store through its float64 side, same numbers",
          "[program][dtype][optim]") {
  for (DType dtype : kLow) {
    INFO(to_string(dtype));
    Classifier c(dtype);
    ParamStore hidden(c.g, 6), exposed(c.g, 6);
    exposed.values();
    optim::GradientProgram hidden_step(c.g, c.loss, hidden), exposed_step(c.g, c.loss, exposed);
    c.feed(hidden_step);
    c.feed(exposed_step);
    optim::Options options{optim::constant(0.05)};
    options.weight_decay = 0.01;  // also keeps GradientDescent off its float32 update
    optim::Momentum m_hidden(options, 0.9), m_exposed(options, 0.9);
    optim::GradientDescent gd_hidden(options), gd_exposed(options);
    for (int step = 0; step < 4; ++step) {
      hidden_step.run();
      exposed_step.run();
      (step % 2 ? static_cast<optim::Optimizer&>(gd_hidden) : m_hidden).step(hidden);
      (step % 2 ? static_cast<optim::Optimizer&>(gd_exposed) : m_exposed).step(exposed);
      check_same_values(c.params, hidden, exposed);
    }
    CHECK(hidden.values_in_float());
  }
}
