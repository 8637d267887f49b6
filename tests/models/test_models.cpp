// Every builder against an independent computation with xtensor loops and closed forms.
#include <catch2/catch.hpp>

#include "dagrad/models/models.hpp"
#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;
using namespace dagrad::models;

namespace {

Tensor value(const ParamStore& s, const Var& p) { return Tensor(s.value(p)); }
Tensor mm(const Tensor& a, const Tensor& b) { return xt::linalg::dot(a, b); }
Tensor relu_t(const Tensor& a) { return xt::maximum(a, 0.0); }

Tensor evaluate(Graph& g, const Model& m, ParamStore& s, const Var& x, const Tensor& xv) {
  Program p(g, {m.output});
  p.bind(s);
  p.set(x, xv);
  p.run();
  return p.get(m.output);
}

}  // namespace

TEST_CASE("mlp: standard, NTK and mean-field parameterizations with output scale", "[models][mlp]") {
  Rng rng(1);
  Tensor xv = random_normal(rng, {5, 3});
  for (auto param : {Parameterization::Standard, Parameterization::NTK, Parameterization::MeanField}) {
    Graph g;
    Var x = g.input("x", {5, 3});
    MlpOptions o;
    o.hidden = {4, 6};
    o.outputs = 2;
    o.activation = [](const Var& h) { return tanh(h); };
    o.parameterization = param;
    o.alpha = 3;
    Model m = mlp(x, o);
    REQUIRE(m.params.size() == 6);
    ParamStore s(g, 2);
    for (std::size_t i = 0; i < 6; i += 2)
      s.set(m.params[i + 1], random_normal(rng, m.params[i + 1].shape()));  // nonzero biases
    bool standard = param == Parameterization::Standard;
    Tensor h = xv;
    for (std::size_t l = 0; l < 2; ++l) {
      double fan_in = static_cast<double>(h.shape()[1]);
      h = xt::tanh(mm(h, value(s, m.params[2 * l])) * (standard ? 1.0 : 1 / std::sqrt(fan_in)) +
                   value(s, m.params[2 * l + 1]));
    }
    double scale = param == Parameterization::NTK         ? 3 / std::sqrt(6.0)
                   : param == Parameterization::MeanField ? 3 / 6.0
                                                          : 3;
    Tensor expected = scale * (mm(h, value(s, m.params[4])) + value(s, m.params[5]));
    CHECK(max_abs_diff(evaluate(g, m, s, x, xv), expected) < 1e-13);
    // Initial variance: standard layers ~ N(0, 2/fan_in), NTK and mean-field ~ N(0, 1).
    Tensor w1 = value(s, m.params[0]);
    double var = xt::mean(w1 * w1)();
    CHECK(var == Approx(standard ? 2.0 / 3 : 1.0).epsilon(0.8));
  }
}

TEST_CASE("two-layer ReLU net: h(x) = (1/m) sum_j a_j relu(b_j^T x), particles on the sphere", "[models][two-layer]") {
  Rng rng(2);
  Graph g;
  Var x = g.input("x", {4, 3});
  Model m = two_layer_relu(x, 7);
  ParamStore s(g, 5);
  Tensor b = value(s, m.params[0]), a = value(s, m.params[1]), xv = random_normal(rng, {4, 3});
  for (std::size_t j = 0; j < 7; ++j) CHECK(l2norm(Tensor(xt::view(b, xt::all(), j))) == Approx(1).epsilon(1e-14));
  Tensor expected = xt::zeros<double>({4});
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 7; ++j) {
      double pre = 0;
      for (std::size_t k = 0; k < 3; ++k) pre += b(k, j) * xv(i, k);
      expected(i) += a(j) * std::max(pre, 0.0) / 7;
    }
  CHECK(max_abs_diff(evaluate(g, m, s, x, xv), expected) < 1e-15);
}

TEST_CASE("deep linear nets: the end-to-end product, orthogonal, identity and balanced initialisation",
          "[models][deep-linear]") {
  Rng rng(3);
  Tensor xv = random_normal(rng, {6, 4});
  for (auto init : {LinearInit::Gaussian, LinearInit::Orthogonal, LinearInit::Identity, LinearInit::Balanced}) {
    Graph g;
    Var x = g.input("x", {6, 4});
    Model m = deep_linear(x, {4, 5, 5, 3}, init, 0.7);
    ParamStore s(g, 4);
    m.initialize(s, 9);
    Tensor product = xt::eye<double>(4);  // W_1 W_2 W_3, each (in, out)
    for (const Var& w : m.params) product = mm(product, value(s, w));
    CHECK(value(s, m.params[0]).shape() == std::vector<std::size_t>{4, 5});
    CHECK(max_abs_diff(evaluate(g, m, s, x, xv), Tensor(mm(xv, product))) < 1e-13);
    if (init == LinearInit::Identity) CHECK(max_abs_diff(value(s, m.params[1]), Tensor(0.7 * xt::eye<double>(5))) == 0);
    if (init == LinearInit::Orthogonal) {
      Tensor w = value(s, m.params[1]);  // square 5×5: WᵀW = 0.49 I
      CHECK(max_abs_diff(mm(xt::transpose(w), w), Tensor(0.49 * xt::eye<double>(5))) < 1e-13);
    }
    if (init == LinearInit::Balanced)
      for (std::size_t j = 0; j + 1 < m.params.size(); ++j) {
        Tensor wj = value(s, m.params[j]), wk = value(s, m.params[j + 1]);
        CHECK(max_abs_diff(mm(wk, xt::transpose(wk)), mm(xt::transpose(wj), wj)) < 1e-12);
      }
  }
}

TEST_CASE("a balanced deep linear net is balanced in every store made on its graph, without initialize()",
          "[models][deep-linear]") {
  // Regression: without model.initialize(store, seed) the net silently got unbalanced Gaussian factors.
  Graph g;
  Var x = g.input("x", {6, 4});
  Model m = deep_linear(x, {4, 5, 5, 3}, LinearInit::Balanced, 0.7);
  ParamStore s(g, 4);
  for (std::size_t j = 0; j + 1 < m.params.size(); ++j) {
    Tensor wj = value(s, m.params[j]), wk = value(s, m.params[j + 1]);
    CHECK(max_abs_diff(mm(wk, xt::transpose(wk)), mm(xt::transpose(wj), wj)) < 1e-12);
  }
  ParamStore explicit_init(g, 0);
  m.initialize(explicit_init, 4);  // the old way, same seed: the same values
  CHECK(explicit_init.values() == s.values());
  s.initialize(5);  // re-initialising the store with another seed keeps it balanced
  Tensor w1 = value(s, m.params[0]), w2 = value(s, m.params[1]);
  CHECK(max_abs_diff(mm(w2, xt::transpose(w2)), mm(xt::transpose(w1), w1)) < 1e-12);
  CHECK(s.values() != explicit_init.values());
  CHECK_THROWS_AS(g.add_joint_init({x}, [](ParamStore&, std::uint64_t) {}), GraphError);
}

TEST_CASE("fully connected and convolutional ResNets against direct loops", "[models][resnet]") {
  Rng rng(4);
  {
    Graph g;
    Var x = g.input("x", {3, 4});
    Model m = resnet_fc(x, 5, 2, 2);
    ParamStore s(g, 1);
    for (const Var& p : m.params) s.set(p, random_normal(rng, p.shape()));
    Tensor xv = random_normal(rng, {3, 4});
    auto P = [&](std::size_t i) { return value(s, m.params[i]); };
    Tensor h = mm(xv, P(0)) + P(1);
    for (std::size_t k = 0; k < 2; ++k)
      h = h + mm(relu_t(mm(h, P(2 + 4 * k)) + P(3 + 4 * k)), P(4 + 4 * k)) + P(5 + 4 * k);
    CHECK(max_abs_diff(evaluate(g, m, s, x, xv), Tensor(mm(relu_t(h), P(10)) + P(11))) < 1e-12);
  }
  {
    Graph g;
    Var x = g.input("x", {2, 1, 5, 4});
    Model m = resnet_conv(x, 3, 1, 2);
    ParamStore s(g, 1);
    Tensor xv = random_normal(rng, {2, 1, 5, 4});
    // Direct 3×3 'same' cross-correlation.
    auto conv = [](const Tensor& in, const Tensor& w) {
      std::size_t N = in.shape()[0], C = in.shape()[1], H = in.shape()[2], W = in.shape()[3], K = w.shape()[0];
      Tensor out = xt::zeros<double>({N, K, H, W});
      for (std::size_t n = 0; n < N; ++n)
        for (std::size_t k = 0; k < K; ++k)
          for (std::size_t h = 0; h < H; ++h)
            for (std::size_t v = 0; v < W; ++v)
              for (std::size_t c = 0; c < C; ++c)
                for (int i = -1; i <= 1; ++i)
                  for (int j = -1; j <= 1; ++j) {
                    long y = long(h) + i, z = long(v) + j;
                    if (y >= 0 && z >= 0 && y < long(H) && z < long(W))
                      out(n, k, h, v) += w(k, c, i + 1, j + 1) * in(n, c, y, z);
                  }
      return out;
    };
    auto P = [&](std::size_t i) { return value(s, m.params[i]); };
    Tensor h = relu_t(conv(xv, P(0)));
    h = relu_t(h + conv(relu_t(conv(h, P(1))), P(2)));
    Tensor pooled = xt::mean(h, {2, 3});
    CHECK(max_abs_diff(evaluate(g, m, s, x, xv), Tensor(mm(pooled, P(3)) + P(4))) < 1e-12);
  }
}

TEST_CASE(
    "linear convolutional net: f(x) = <x, w1 * w2 * w3>, the end-to-end predictor of Gunasekar, Lee, Soudry & "
    "Srebro (2018)",
    "[models][linear-conv]") {
  Rng rng(5);
  Graph g;
  Var x = g.input("x", {3, 5});
  Model m = linear_conv_net(x, 3, 0.5);
  ParamStore s(g, 1);
  Tensor xv = random_normal(rng, {3, 5});
  // Layers cross-correlate: (h * w)_j = sum_i h_i w_{(i - j) mod d}.
  Tensor h = xv;
  for (std::size_t l = 0; l < 2; ++l) {
    Tensor w = value(s, m.params[l]), next = xt::zeros<double>({3, 5});
    for (std::size_t n = 0; n < 3; ++n)
      for (std::size_t j = 0; j < 5; ++j)
        for (std::size_t i = 0; i < 5; ++i) next(n, j) += h(n, i) * w((i + 5 - j) % 5);
    h = next;
  }
  CHECK(max_abs_diff(evaluate(g, m, s, x, xv), Tensor(mm(h, value(s, m.params[2])))) < 1e-13);
  // The paper's beta = w1 (conv) w2 (conv) w3 with (a conv b)_i = sum_k a_k b_{(i - k) mod d}.
  auto convolve = [](const Tensor& a, const Tensor& b) {
    Tensor c = xt::zeros<double>({5});
    for (std::size_t i = 0; i < 5; ++i)
      for (std::size_t k = 0; k < 5; ++k) c(i) += a(k) * b((i + 5 - k) % 5);
    return c;
  };
  Tensor beta = convolve(value(s, m.params[0]), convolve(value(s, m.params[1]), value(s, m.params[2])));
  CHECK(max_abs_diff(evaluate(g, m, s, x, xv), Tensor(mm(xv, beta))) < 1e-13);
}

TEST_CASE("factorization, linear model and the linearized (lazy) model", "[models]") {
  Rng rng(6);
  Graph g;
  Model f = factorization(g, 4, 3, 3, 0.5, 2);
  Var x = g.input("x", {5, 3});
  Model lin = linear(x, 1, true);
  MlpOptions o;
  o.hidden = {6};
  Model net = mlp(x, o);
  Model lazy = linearized(net);
  ParamStore s(g, 7);
  for (const Var& p : lin.params) s.set(p, random_normal(rng, p.shape()));
  Tensor xv = random_normal(rng, {5, 3});
  Program p(g, {f.output, lin.output, net.output, lazy.output});
  p.bind(s);
  p.set(x, xv);
  bind_anchors(lazy, p, s);
  p.run();
  Tensor product = mm(value(s, f.params[2]), mm(value(s, f.params[1]), value(s, f.params[0])));
  CHECK(max_abs_diff(p.get(f.output), product) < 1e-15);
  CHECK(max_abs_diff(p.get(lin.output),
                     Tensor(xt::flatten(mm(xv, value(s, lin.params[0]))) + value(s, lin.params[1])(0))) < 1e-14);
  CHECK(max_abs_diff(p.get(lazy.output), p.get(net.output)) < 1e-14);  // T(w0) = f(w0)
  // Moving the weights: the lazy model moves exactly by J(w0)·Δw (checked against a jvp).
  std::vector<Var> deltas;
  for (const Var& w : net.params) deltas.push_back(g.input("delta_" + w.name(), w.shape()));
  Var slope = jvp(std::vector<Var>{net.output}, net.params, deltas)[0];
  Program q(g, {slope, lazy.output});
  q.bind(s);
  q.set(x, xv);
  bind_anchors(lazy, q, s);
  std::vector<Tensor> dv;
  for (const Var& dvar : deltas) dv.push_back(0.1 * random_normal(rng, dvar.shape()));
  for (std::size_t i = 0; i < deltas.size(); ++i) q.set(deltas[i], dv[i]);
  q.run();
  Tensor f0 = p.get(net.output), jd = q.get(slope);
  for (std::size_t i = 0; i < deltas.size(); ++i) {
    View w = s.value(net.params[i]);
    for (std::size_t k = 0; k < w.size(); ++k) w.data()[k] += dv[i].flat(k);
  }
  q.run();
  CHECK(max_abs_diff(q.get(lazy.output), Tensor(f0 + jd)) < 1e-13);
}
