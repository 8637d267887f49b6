#include <cmath>

#include "dagrad/models/models.hpp"

namespace dagrad::models {

Model resnet_fc(const Var& x, std::size_t width, std::size_t blocks, std::size_t outputs, const std::string& name) {
  Graph& g = x.graph();
  if (x.shape().size() != 2) throw ShapeError("resnet_fc: input '" + x.name() + "' must be (n, d)");
  Graph::NameScope scope(g, name);
  Model m;
  auto param = [&](const std::string& n, const Shape& s, Init init) {
    m.params.push_back(g.parameter(n, s, init));
    return m.params.back();
  };
  // Parameters are created in separate statements: argument evaluation order is unspecified, and
  // creation order fixes the ParamStore layout.
  Var w_in = param("W_in", {x.shape()[1], width}, Init::he_normal());
  Var b_in = param("b_in", {width}, Init::zeros());
  Var h = matmul(x, w_in) + b_in;
  for (std::size_t k = 0; k < blocks; ++k) {
    Graph::NameScope block(g, "block" + std::to_string(k + 1));
    Var w1 = param("W1", {width, width}, Init::he_normal());
    Var b1 = param("b1", {width}, Init::zeros());
    // The second weight starts small so every block starts near the identity map.
    Var w2 = param("W2", {width, width}, Init::normal(0, 0.1 / std::sqrt(Scalar(width))));
    Var b2 = param("b2", {width}, Init::zeros());
    h = h + matmul(relu(matmul(h, w1) + b1), w2) + b2;
  }
  Var w_out = param("W_out", {width, outputs}, Init::glorot_normal());
  Var b_out = param("b_out", {outputs}, Init::zeros());
  m.output = matmul(relu(h), w_out) + b_out;
  return m;
}

Model resnet_conv(const Var& x, std::size_t channels, std::size_t blocks, std::size_t classes,
                  const std::string& name) {
  Graph& g = x.graph();
  if (x.shape().size() != 4)
    throw ShapeError("resnet_conv: input '" + x.name() + "' must be (N, C, H, W), got " + to_string(x.shape()));
  Graph::NameScope scope(g, name);
  Model m;
  auto kernel = [&](const std::string& n, std::size_t in, std::size_t out, Scalar gain) {
    m.params.push_back(g.parameter(n, {out, in, 3, 3}, Init::normal(0, gain * std::sqrt(2.0 / Scalar(9 * in)))));
    return m.params.back();
  };
  Var h = relu(conv2d(x, kernel("conv_in", x.shape()[1], channels, 1), 1));
  for (std::size_t k = 0; k < blocks; ++k) {
    Graph::NameScope block(g, "block" + std::to_string(k + 1));
    Var k1 = kernel("conv1", channels, channels, 1);
    Var k2 = kernel("conv2", channels, channels, 0.1);
    h = relu(h + conv2d(relu(conv2d(h, k1, 1)), k2, 1));
  }
  Var pooled = mean(h, {2, 3});  // global average pooling → (N, channels)
  m.params.push_back(g.parameter("W_out", {channels, classes}, Init::glorot_normal()));
  m.params.push_back(g.parameter("b_out", {classes}, Init::zeros()));
  m.output = matmul(pooled, m.params[m.params.size() - 2]) + m.params.back();
  return m;
}

Model linear_conv_net(const Var& x, std::size_t depth, Scalar scale, const std::string& name) {
  Graph& g = x.graph();
  if (x.shape().size() != 2 || depth < 1)
    throw ShapeError("linear_conv_net: input '" + x.name() + "' must be (n, d), depth >= 1");
  Graph::NameScope scope(g, name);
  std::size_t d = x.shape()[1];
  Model m;
  Var h = x;
  for (std::size_t l = 1; l <= depth; ++l) {
    m.params.push_back(g.parameter("w" + std::to_string(l), {d}, Init::normal(0, scale)));
    // h·C(w)ᵀ cross-correlates (C[i][j] = w[(j − i) mod d] convolves): ⟨h ⋆ w, v⟩ = ⟨h, w ⊛ v⟩, which
    // makes β = w_1 ⊛ … ⊛ w_L as in the paper (convolving layers would give it with w_1 … w_{L−1} reversed).
    h = l < depth ? matmul(h, circulant(m.params.back()), false, true) : matmul(h, m.params.back());
  }
  m.output = h;
  return m;
}

Model factorization(Graph& g, std::size_t rows, std::size_t cols, std::size_t depth, Scalar scale, std::size_t inner,
                    const std::string& name) {
  if (depth < 1) throw GraphError("factorization: depth must be at least 1");
  Graph::NameScope scope(g, name);
  std::size_t k = inner ? inner : std::max(rows, cols);
  Model m;
  Var product;
  for (std::size_t j = 1; j <= depth; ++j) {
    std::size_t out = j == depth ? rows : k, in = j == 1 ? cols : k;
    m.params.push_back(g.parameter("W" + std::to_string(j), {out, in}, Init::normal(0, scale)));
    product = j == 1 ? m.params.back() : matmul(m.params.back(), product);
  }
  m.output = product;
  return m;
}

}  // namespace dagrad::models
