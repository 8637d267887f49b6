#pragma once
// The MLP both benchmark files time: batch × inputs data, `depth` hidden layers of `width` with
// the given activation and zero biases, a linear output and a logistic loss on ±1 labels.
#include <functional>
#include <memory>
#include <random>

#include "dagrad/dagrad.hpp"

namespace dagrad::bench {

struct Mlp {
  Graph g;
  Var x, y, loss;
  std::vector<Var> params;
  std::unique_ptr<ParamStore> store;
  Tensor xv, yv;
  Mlp(std::size_t width, const std::function<Var(const Var&)>& activation, Init weights, std::size_t batch = 64,
      std::size_t inputs = 32, std::size_t depth = 3) {
    x = g.input("x", {batch, inputs});
    y = g.input("y", {batch});
    Var h = x;
    std::size_t fan_in = inputs;
    for (std::size_t l = 0; l < depth; ++l) {
      Graph::NameScope s(g, "layer" + std::to_string(l));
      Var w = g.parameter("W", {fan_in, width}, weights);  // separate statements: a fixed creation order
      Var b = g.parameter("b", {width}, Init::zeros());
      h = activation(matmul(h, w) + b);
      fan_in = width;
    }
    loss = logistic_loss(matmul(h, g.parameter("w_out", {fan_in}, Init::glorot_normal())), y);
    params = g.parameters();
    store = std::make_unique<ParamStore>(g, 1);
    std::mt19937_64 rng(2);
    std::normal_distribution<double> n(0, 1);
    xv = Tensor::from_shape(x.shape());
    yv = Tensor::from_shape(y.shape());
    for (auto& v : xv) v = n(rng);
    for (auto& v : yv) v = n(rng) > 0 ? 1 : -1;
  }
  void bind(Program& p) {
    p.bind(*store);
    p.set(x, xv);
    p.set(y, yv);
  }
};

}  // namespace dagrad::bench
