// Peer check against PyTorch in float32 and bfloat16 (tests/peer/torch_precision.py, a ctest
// fixture): dtype conversion bit for bit; a ReLU MLP's pre-activations, logits, loss and gradients;
// 30 steps of torch.optim.SGD and Adam with parameters and state in the dtype.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>

#include "dagrad/optim/optimizer.hpp"
#include "json_tensor.hpp"
#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;

namespace {

nlohmann::json reference() {
  const char* path = std::getenv("DAGRAD_TORCH_PRECISION");
  REQUIRE(path != nullptr);
  std::ifstream in(path);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

// The largest gap in units of the dtype's epsilon times the reference's largest magnitude, and
// the share of elements equal bit for bit.
struct Gap {
  double ulps = 0, equal = 0;
};
Gap gap(const Tensor& got, const Tensor& want, DType dtype) {
  double scale = 0, worst = 0;
  std::size_t same = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    scale = std::max(scale, std::fabs(want.flat(i)));
    worst = std::max(worst, std::fabs(got.flat(i) - want.flat(i)));
    same += got.flat(i) == want.flat(i);
  }
  return {worst / (epsilon(dtype) * std::max(scale, 1e-300)),
          static_cast<double>(same) / static_cast<double>(want.size())};
}

struct Mlp {
  Graph g;
  Var x, y, pre, logits, loss;
  std::vector<Var> params;
  std::unique_ptr<ParamStore> store;
  Mlp(DType dtype, const nlohmann::json& ref, const nlohmann::json& labels) : g(dtype) {
    Tensor X = from_json(ref["X"]);
    x = g.input("X", {X.shape()[0], X.shape()[1]});
    y = g.input("labels", {X.shape()[0]});
    for (const char* name : {"W1", "b1", "W2", "b2"}) {
      Tensor t = from_json(ref["init"][name]);
      params.push_back(g.parameter(name, Shape(t.shape().begin(), t.shape().end())));
    }
    pre = matmul(x, params[0]) + params[1];
    logits = matmul(relu(pre), params[2]) + params[3];
    loss = cross_entropy(logits, y);
    store = std::make_unique<ParamStore>(g, 0);
    for (std::size_t k = 0; k < params.size(); ++k) store->set(params[k], from_json(ref["init"][params[k].name()]));
    bind_data = [X, labels, this](Program& p) {
      p.set(x, X);
      p.set(y, from_json(labels));
    };
  }
  std::function<void(Program&)> bind_data;
};

}  // namespace

TEST_CASE("float32 and bfloat16 conversion equal PyTorch's bit for bit", "[peer][torch][dtype]") {
  nlohmann::json ref = reference();
  INFO("PyTorch " << ref["torch_version"].get<std::string>());
  auto numbers = [](const nlohmann::json& hex) {  // float.hex strings: exact, infinities included
    std::vector<double> out;
    for (const auto& s : hex) out.push_back(std::strtod(s.get<std::string>().c_str(), nullptr));
    return out;
  };
  std::vector<double> values = numbers(ref["values"]);
  for (DType dtype : {DType::Float32, DType::BFloat16}) {
    std::vector<double> want = numbers(ref["rounded"][to_string(dtype)]);
    REQUIRE(want.size() == values.size());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      double got = round_to(dtype, values[i]);
      bool same = got == want[i] && std::signbit(got) == std::signbit(want[i]);
      if (!same) UNSCOPED_INFO(to_string(dtype) << ": " << values[i] << " -> " << got << ", PyTorch " << want[i]);
      differ += !same;
    }
    CHECK(differ == 0);
  }
}

TEST_CASE("a ReLU MLP in float32 and bfloat16 against PyTorch of the same dtype", "[peer][torch][dtype]") {
  nlohmann::json ref = reference();
  INFO("PyTorch " << ref["torch_version"].get<std::string>());
  for (DType dtype : {DType::Float32, DType::BFloat16}) {
    INFO(to_string(dtype));
    const nlohmann::json& r = ref["mlp"][to_string(dtype)];
    Mlp m(dtype, r, ref["labels"]);
    std::vector<Var> grads = grad(m.loss, m.params);
    std::vector<Var> outputs{m.pre, m.logits, m.loss};
    outputs.insert(outputs.end(), grads.begin(), grads.end());
    Program p(m.g, outputs);
    p.bind(*m.store);
    m.bind_data(p);
    p.run();
    Gap pre = gap(p.get(m.pre), from_json(r["pre"]), dtype),
        logits = gap(p.get(m.logits), from_json(r["logits"]), dtype);
    Gap loss = gap(p.get(m.loss), Tensor(xt::xarray<double>(r["loss"].get<double>())), dtype);
    WARN(to_string(dtype) << ": pre-activations " << pre.ulps << " eps (" << 100 * pre.equal << "% equal), logits "
                          << logits.ulps << " eps (" << 100 * logits.equal << "% equal), loss " << loss.ulps << " eps");
    // float32: both round a matmul's float32 sum once and then the bias add once, the same places.
    // bfloat16: Debian's PyTorch 1.13 rounds every product and partial sum of a matmul to bfloat16
    // (measured: its products equal that sequence bit for bit), dagrad and PyTorch 2 round the
    // float32 sum once; so PyTorch's own values are within an epsilon, and the float32-accumulated
    // matmul spelt out in PyTorch (pre_once, logits_once) is matched bit for bit.
    CHECK(pre.ulps <= 1);
    CHECK(logits.ulps <= 1);
    CHECK(loss.ulps <= 2);
    if (dtype == DType::BFloat16) {
      CHECK(gap(p.get(m.pre), from_json(r["pre_once"]), dtype).equal == 1);
      CHECK(gap(p.get(m.logits), from_json(r["logits_once"]), dtype).equal == 1);
    } else {
      CHECK(pre.equal == 1);
      CHECK(logits.equal == 1);
    }
    for (std::size_t k = 0; k < grads.size(); ++k) {
      Gap gk = gap(p.get(grads[k]), from_json(r["grads"][m.params[k].name()]), dtype);
      WARN(to_string(dtype) << ": gradient of " << m.params[k].name() << " " << gk.ulps << " eps (" << 100 * gk.equal
                            << "% equal)");
      CHECK(gk.ulps <= 8);
    }
  }
}

TEST_CASE("torch.optim in float32 and bfloat16: 30 steps with parameters and state in the dtype",
          "[peer][torch][dtype]") {
  nlohmann::json ref = reference();
  // make_optimizer's names with torch_precision.py's settings: learning rate, weight decay.
  const std::map<std::string, std::pair<double, double>> settings{
      {"sgd", {0.1, 0}},      {"momentum", {0.05, 0}}, {"nesterov", {0.05, 0}}, {"adagrad", {0.1, 0}},
      {"rmsprop", {0.01, 0}}, {"adam", {0.01, 0}},     {"adamw", {0.01, 0.1}}};
  for (DType dtype : {DType::Float32, DType::BFloat16}) {
    for (const auto& [name, setting] : settings) {
      INFO(to_string(dtype) << " " << name);
      const nlohmann::json& r = ref["mlp"][to_string(dtype)];
      Mlp m(dtype, r, ref["labels"]);
      std::vector<Var> grads = grad(m.loss, m.params);
      Program p(m.g, grads);
      p.bind(*m.store);
      m.bind_data(p);
      optim::Options options{optim::constant(setting.first)};
      options.weight_decay = setting.second;
      std::unique_ptr<optim::Optimizer> opt = optim::make_optimizer(name, options, 0);
      for (int step = 0; step < 30; ++step) {
        p.run();
        for (std::size_t k = 0; k < grads.size(); ++k)
          std::copy(p.view(grads[k]).begin(), p.view(grads[k]).end(), m.store->grad(m.params[k]).begin());
        opt->step(*m.store);
      }
      for (const Var& param : m.params) {
        Gap gk = gap(Tensor(m.store->value(param)), from_json(r["trained"][name][param.name()]), dtype);
        WARN(to_string(dtype) << " " << name << ": " << param.name() << " after 30 steps " << gk.ulps << " eps ("
                              << 100 * gk.equal << "% equal)");
        CHECK(gk.ulps <= 16);
      }
    }
  }
}
