#include <cmath>

#include "dagrad/models/models.hpp"

namespace dagrad::models {

Model mlp(const Var& x, const MlpOptions& o) {
  Graph& g = x.graph();
  if (x.shape().size() != 2)
    throw ShapeError("mlp: input '" + x.name() + "' must be (n, d), got " + to_string(x.shape()));
  Graph::NameScope scope(g, o.name);
  Model m;
  bool standard = o.parameterization == Parameterization::Standard;
  Var h = x;
  std::size_t fan_in = x.shape()[1];
  for (std::size_t l = 0; l < o.hidden.size(); ++l) {
    std::size_t width = o.hidden[l];
    Var w = g.parameter("W" + std::to_string(l + 1), {fan_in, width},
                        standard ? Init::normal(0, std::sqrt(2.0 / static_cast<Scalar>(fan_in))) : Init::normal(0, 1));
    m.params.push_back(w);
    Var pre = matmul(h, w);
    if (!standard) pre = pre * (1 / std::sqrt(static_cast<Scalar>(fan_in)));
    if (o.bias) {
      m.params.push_back(g.parameter("b" + std::to_string(l + 1), {width}, Init::zeros()));
      pre = pre + m.params.back();
    }
    h = o.activation(pre);
    fan_in = width;
  }
  Scalar scale = o.alpha;
  if (o.parameterization == Parameterization::NTK) scale /= std::sqrt(static_cast<Scalar>(fan_in));
  if (o.parameterization == Parameterization::MeanField) scale /= static_cast<Scalar>(fan_in);
  Var w_out = g.parameter("W_out", {fan_in, o.outputs},
                          standard ? Init::normal(0, 1 / std::sqrt(static_cast<Scalar>(fan_in))) : Init::normal(0, 1));
  m.params.push_back(w_out);
  Var out = matmul(h, w_out);
  if (o.bias) {
    m.params.push_back(g.parameter("b_out", {o.outputs}, Init::zeros()));
    out = out + m.params.back();
  }
  m.output = scale == 1 ? out : out * scale;
  return m;
}

Model linear(const Var& x, std::size_t outputs, bool squeeze, const std::string& name) {
  Graph& g = x.graph();
  if (x.shape().size() != 2)
    throw ShapeError("linear: input '" + x.name() + "' must be (n, d), got " + to_string(x.shape()));
  Graph::NameScope scope(g, name);
  Model m;
  m.params = {g.parameter("W", {x.shape()[1], outputs}, Init::zeros()), g.parameter("b", {outputs}, Init::zeros())};
  m.output = matmul(x, m.params[0]) + m.params[1];
  if (squeeze && outputs == 1) m.output = reshape(m.output, {x.shape()[0]});
  return m;
}

Model two_layer_relu(const Var& x, std::size_t width, ParticleInit init, const std::string& name) {
  Graph& g = x.graph();
  if (x.shape().size() != 2) throw ShapeError("two_layer_relu: input '" + x.name() + "' must be (n, d)");
  Graph::NameScope scope(g, name);
  std::size_t d = x.shape()[1];
  Model m;
  Var b = g.parameter("b", {d, width},
                      init == ParticleInit::Sphere ? Init::sphere() : Init::normal(0, 1 / std::sqrt(Scalar(d))));
  Var a = g.parameter("a", {width}, Init::normal());
  m.params = {b, a};
  m.output = matmul(relu(matmul(x, b)), a) * (1 / static_cast<Scalar>(width));
  return m;
}

Model linearized(const Model& model, const SubgradientPolicy& policy) {
  Linearization lin = linearize({model.output}, model.params, policy);
  Model m = model;
  m.output = lin.outputs[0];
  m.anchors = lin.anchors;
  return m;
}

void bind_anchors(const Model& model, Program& program, const ParamStore& store) {
  for (std::size_t i = 0; i < model.anchors.size(); ++i)
    program.set(model.anchors[i], Tensor(store.value(model.params[i])));
}

}  // namespace dagrad::models
