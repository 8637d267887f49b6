// Peer check: SGD (plain, weight decay, momentum, Nesterov), AdaGrad, RMSProp (plain, momentum,
// centered), Adam and AdamW (plain, amsgrad), parameter groups and a head-only step: trajectories equal torch.optim's
// (PyTorch 1.13, float64) after 100 full-batch steps on the same MLP, data and initial weights, to 1e-10 relative.
// tests/peer/torch_optim.py runs at test time.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "dagrad/optim/optimizer.hpp"
#include "json_tensor.hpp"
#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;

TEST_CASE("optimizer trajectories match torch.optim for 100 steps", "[peer][torch][optim]") {
  const char* path = std::getenv("DAGRAD_TORCH_OPTIM");
  REQUIRE(path != nullptr);
  std::ifstream in(path);
  REQUIRE(in.good());
  nlohmann::json ref = nlohmann::json::parse(in);
  INFO("PyTorch " << ref["torch_version"].get<std::string>());
  Tensor X = from_json(ref["X"]), y = from_json(ref["y"]);

  Graph g;
  Var x = g.input("X", {16, 4}), target = g.input("y", {16});
  Var w1 = g.parameter("W1", {4, 6}), b1 = g.parameter("b1", {6}), w2 = g.parameter("W2", {6});
  Var loss = mse_loss(matmul(tanh(matmul(x, w1) + b1), w2), target);
  std::vector<Var> params{w1, b1, w2};
  std::vector<Var> grads = grad(loss, params);
  auto make = [&](const std::string& name) -> std::unique_ptr<optim::Optimizer> {
    using namespace optim;
    if (name == "adamw_groups") {
      Options o{constant(0.01), 0.1};
      o.groups = {{{w1, b1}, constant(0.02), 0.0}, {{w2}}};
      return std::make_unique<Adam>(o, 0.9, 0.999, 1e-8, true);
    }
    if (name == "momentum_groups") {
      Options o{constant(0.05)};
      o.groups = {{{w1}, constant(0.01)}, {{b1, w2}, std::nullopt, 0.05}};
      return std::make_unique<Momentum>(o, 0.9);
    }
    if (name == "adam_head_only") return std::make_unique<Adam>(Options{constant(0.01), 0.1});
    if (name == "sgd") return std::make_unique<GradientDescent>(Options{constant(0.1)});
    if (name == "sgd_weight_decay") return std::make_unique<GradientDescent>(Options{constant(0.1), 0.01});
    if (name == "momentum") return std::make_unique<Momentum>(Options{constant(0.05)}, 0.9);
    if (name == "nesterov") return std::make_unique<Momentum>(Options{constant(0.05)}, 0.9, true);
    if (name == "adagrad") return std::make_unique<AdaGrad>(Options{constant(0.1)});
    if (name == "rmsprop") return std::make_unique<RMSProp>(Options{constant(0.01)});
    if (name == "adam") return std::make_unique<Adam>(Options{constant(0.01)});
    if (name == "adamw") return std::make_unique<Adam>(Options{constant(0.01), 0.1}, 0.9, 0.999, 1e-8, true);
    if (name == "rmsprop_momentum") return std::make_unique<RMSProp>(Options{constant(0.01)}, 0.99, 1e-8, 0.9);
    if (name == "rmsprop_centered") return std::make_unique<RMSProp>(Options{constant(0.01)}, 0.99, 1e-8, 0, true);
    if (name == "rmsprop_centered_momentum")
      return std::make_unique<RMSProp>(Options{constant(0.005), 0.01}, 0.99, 1e-8, 0.5, true);
    if (name == "adam_amsgrad") return std::make_unique<Adam>(Options{constant(0.01)}, 0.9, 0.999, 1e-8, false, true);
    if (name == "adamw_amsgrad")
      return std::make_unique<Adam>(Options{constant(0.01), 0.1}, 0.8, 0.99, 1e-8, true, true);
    throw Error("no optimizer for " + name);
  };
  REQUIRE(ref["final"].size() == 16);
  for (const auto& [name, final_params] : ref["final"].items()) {
    INFO("optimizer " << name);
    ParamStore store(g);
    for (const Var& p : params) store.set(p, from_json(ref["init"][p.name()]));
    Program program(g, grads);
    program.bind(store);
    program.set(x, X);
    program.set(target, y);
    auto opt = make(name);
    for (int t = 0; t < 100; ++t) {
      program.run();
      // adam_head_only: only the head's gradient is computed, the rest are never written.
      for (std::size_t i = name == "adam_head_only" ? 2 : 0; i < params.size(); ++i)
        std::copy(program.view(grads[i]).begin(), program.view(grads[i]).end(), store.grad(params[i]).begin());
      opt->step(store);
    }
    for (const Var& p : params) {
      Tensor expected = from_json(final_params[p.name()]);
      INFO("parameter " << p.name());
      CHECK(max_abs_diff(Tensor(store.value(p)), expected) <= 1e-10 * xt::amax(xt::abs(expected))());
    }
  }
}
