// oneDNN's kernels (dagrad/ops/onednn.hpp) against the ops' own im2col + sgemm kernels, on the
// convolution and matrix shapes of the benchmarks' models: oneDNN sums in another order (and in
// bfloat16 multiplies bfloat16 numbers as its bfloat16 instructions do), so the two agree to the
// dtype's rounding, not bit for bit. Built without oneDNN, the test checks that nothing claims to
// have run it.
#include <catch2/catch.hpp>

#include <functional>

#include "support.hpp"

using namespace dagrad;

namespace {

struct Case {
  const char* label;
  std::vector<Shape> shapes;
  std::function<Var(const std::vector<Var>&)> build;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {"the conv net's 16 -> 16 layer (32 x 16 x 8 x 8, 3 x 3, padding 1)",
       {{32, 16, 8, 8}, {16, 16, 3, 3}},
       [](const std::vector<Var>& x) { return conv2d(x[0], x[1], 1); }},
      {"its first layer (32 x 1 x 8 x 8 -> 16 channels)",
       {{32, 1, 8, 8}, {16, 1, 3, 3}},
       [](const std::vector<Var>& x) { return conv2d(x[0], x[1], 1); }},
      {"an unpadded 5 x 5 convolution",
       {{4, 3, 12, 12}, {6, 3, 5, 5}},
       [](const std::vector<Var>& x) { return conv2d(x[0], x[1]); }},
      {"a product of the medium MLP's size (64 x 300 by 300 x 200)",
       {{64, 300}, {300, 200}},
       [](const std::vector<Var>& x) { return matmul(x[0], x[1]); }},
      {"a matrix-vector product", {{50, 70}, {70}}, [](const std::vector<Var>& x) { return matmul(x[0], x[1]); }},
  };
  return c;
}

// The forward and both input gradients of ⟨u, y⟩: the transposed products and conv2d_weight_grad.
std::vector<Tensor> run(const Case& c, DType dtype, bool onednn, const std::vector<Tensor>& inputs, const Tensor& u) {
  test::OnednnSwitch on(onednn);
  Graph g(dtype);
  std::vector<Var> xs;
  for (std::size_t i = 0; i < c.shapes.size(); ++i) xs.push_back(g.input("x" + std::to_string(i), c.shapes[i]));
  Var y = c.build(xs);
  Var cotangent = g.input("u", y.shape());
  std::vector<Var> outputs{y};
  for (const Var& d : grad(sum(y * cotangent), xs)) outputs.push_back(d);
  Program p(g, outputs);
  for (std::size_t i = 0; i < xs.size(); ++i) p.set(xs[i], inputs[i]);
  p.set(cotangent, u);
  p.run();
  std::vector<Tensor> got;
  for (const Var& o : outputs) got.push_back(p.get(o));
  return got;
}

Tensor bfloat16_values(test::Rng& rng, const Shape& shape) {
  Tensor t = test::random_tensor(rng, shape, -1, 1);
  for (auto& v : t) v = round_to(DType::BFloat16, v);
  return t;
}

}  // namespace

TEST_CASE("oneDNN's convolutions and bfloat16 products agree with the ops' own kernels", "[ops][onednn][dtype]") {
  test::Rng rng(20261203);
  for (const Case& c : cases()) {
    INFO(c.label);
    // Inputs of each dtype: float32 values use all of float32's bits, so a float32 kernel that
    // computed in bfloat16 would show.
    std::vector<Tensor> inputs32, inputs16;
    for (const Shape& s : c.shapes) {
      inputs32.push_back(test::random_tensor(rng, s, -1, 1));
      for (auto& v : inputs32.back()) v = round_to(DType::Float32, v);
      inputs16.push_back(bfloat16_values(rng, s));
    }
    Shape y_shape = [&] {
      Graph g;
      std::vector<Var> xs;
      for (std::size_t i = 0; i < c.shapes.size(); ++i) xs.push_back(g.input("x" + std::to_string(i), c.shapes[i]));
      return c.build(xs).shape();
    }();
    Tensor u = bfloat16_values(rng, y_shape);
    for (DType dtype : {DType::Float32, DType::BFloat16}) {
      INFO(to_string(dtype));
      const std::vector<Tensor>& inputs = dtype == DType::BFloat16 ? inputs16 : inputs32;
      const std::size_t calls_before = onednn_calls();
      std::vector<Tensor> with = run(c, dtype, true, inputs, u);
      const std::size_t calls = onednn_calls() - calls_before;
      std::vector<Tensor> without = run(c, dtype, false, inputs, u);
      CHECK(onednn_calls() - calls_before == calls);  // switched off, it runs nothing
      const bool is_conv = c.shapes[0].size() == 4;
      // oneDNN runs float32 convolutions and every bfloat16 case (forward, and each gradient).
      if (onednn_built() && (is_conv || dtype == DType::BFloat16))
        CHECK(calls >= (is_conv ? 2u : 3u));
      else
        CHECK(calls == 0);
      for (std::size_t k = 0; k < with.size(); ++k) {
        INFO("output " << k << " (the forward, then each input's gradient)");
        // The two kernels' float32 sums (of up to 300 terms) differ by their order, a few float32
        // epsilons relative to the tensor's largest value; in bfloat16 each result is then rounded,
        // so two sums that straddle a rounding boundary may land one bfloat16 ulp of the element
        // apart, and no further.
        double scale = 1;
        for (double v : without[k]) scale = std::max(scale, std::fabs(v));
        const double order = 16 * epsilon(DType::Float32) * scale;
        const double ulp = dtype == DType::BFloat16 ? epsilon(dtype) : 0;
        double excess = 0;
        for (std::size_t i = 0; i < with[k].size(); ++i) {
          const double a = with[k].data()[i], b = without[k].data()[i];
          excess = std::max(excess, std::fabs(a - b) - ulp * std::fabs(b));
        }
        INFO("gap beyond one ulp of the element " << excess << ", bound " << order);
        CHECK(excess <= order);
        std::size_t unrounded = 0;
        for (double v : with[k]) unrounded += !representable(dtype, v);
        CHECK(unrounded == 0);
      }
    }
  }
}
