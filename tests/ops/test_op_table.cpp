// One table drives the derivative checks of every op (docs/design.md, "Conventions"):
//   1. jvp against central finite differences along a random direction,
//   2. vjp against jvp through ⟨u, J v⟩ = ⟨Jᵀu, v⟩ (relative 1e-10),
//   3. forward- and reverse-mode Jacobians equal,
//   4. HVP of a scalar built on the op against finite differences of its gradient (gradgrad),
//   5. the op's error inputs raise a ShapeError naming the op and the offending shapes.
// Inputs are drawn away from kinks so that finite differences are meaningful.
#include <catch2/catch.hpp>
#include <functional>
#include <set>

#include "dagrad/ops/registry.hpp"
#include "support.hpp"

using namespace dagrad;
using namespace dagrad::test;

namespace {

using Build = std::function<Var(const std::vector<Var>&)>;
using Sampler = std::function<std::vector<Tensor>(Rng&, const std::vector<Shape>&)>;

struct OpCase {
  std::string label;
  std::vector<Shape> shapes;
  Build build;
  Sampler sample;
  std::vector<std::vector<Shape>> bad_shapes;  // each must raise ShapeError
  std::string error_name;                      // op named by those errors
};

Sampler independent(double lo, double hi) {
  return [lo, hi](Rng& rng, const std::vector<Shape>& shapes) {
    std::vector<Tensor> out;
    for (const Shape& s : shapes) out.push_back(random_tensor(rng, s, lo, hi));
    return out;
  };
}
const Sampler kAny = independent(-1.5, 1.5);
const Sampler kPositive = independent(0.5, 2.0);

// |x| in [0.2, 1.5] with a random sign: at least 0.2 from kinks at 0.
Sampler away_from(std::vector<double> kinks) {
  return [kinks](Rng& rng, const std::vector<Shape>& shapes) {
    std::uniform_real_distribution<double> u(-1.6, 1.6);
    std::vector<Tensor> out;
    for (const Shape& s : shapes) {
      Tensor t = Tensor::from_shape(s);
      for (auto& x : t) {
        do x = u(rng);
        while (std::any_of(kinks.begin(), kinks.end(), [&](double k) { return std::fabs(x - k) < 0.2; }));
      }
      out.push_back(t);
    }
    return out;
  };
}

// Two inputs whose elements differ by at least 0.2 (maximum/minimum away from ties).
Sampler separated_pair() {
  return [](Rng& rng, const std::vector<Shape>& shapes) {
    std::vector<Tensor> out{random_tensor(rng, shapes[0], -1, 1), random_tensor(rng, shapes[1], -1, 1)};
    Tensor a = xt::broadcast(out[0], out[1].shape().size() > out[0].shape().size() ? out[1].shape() : out[0].shape());
    for (std::size_t i = 0; i < out[1].size(); ++i) {
      double& b = out[1].flat(i);
      double ai = out[0].flat(i % out[0].size());
      if (std::fabs(b - ai) < 0.2) b = ai + (b >= ai ? 0.3 : -0.3);
    }
    (void)a;
    return out;
  };
}

// Distinct values, at least 0.25 apart, in random order (max reductions away from ties).
const Sampler kDistinct = [](Rng& rng, const std::vector<Shape>& shapes) {
  std::vector<Tensor> out;
  for (const Shape& s : shapes) {
    Tensor t = Tensor::from_shape(s);
    std::vector<double> values(t.size());
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.25 * static_cast<double>(i) - 1.0;
    std::shuffle(values.begin(), values.end(), rng);
    std::copy(values.begin(), values.end(), t.begin());
    out.push_back(t);
  }
  return out;
};

Var labels_constant(Graph& g, std::vector<double> values) {
  Tensor t = Tensor::from_shape({values.size()});
  std::copy(values.begin(), values.end(), t.begin());
  return g.constant(t, "labels");
}

Var signs_constant(Graph& g, const Shape& shape) {
  Tensor t = Tensor::from_shape(shape);
  for (std::size_t i = 0; i < t.size(); ++i) t.flat(i) = i % 3 == 1 ? -1.0 : 1.0;
  return g.constant(t, "signs");
}

std::vector<OpCase> op_table() {
  using V = std::vector<Var>;
  auto binary = [](Var (*f)(const Var&, const Var&)) { return [f](const V& x) { return f(x[0], x[1]); }; };
  auto unary = [](Var (*f)(const Var&)) { return [f](const V& x) { return f(x[0]); }; };
  std::vector<OpCase> t = {
      {"add", {{3, 4}, {3, 4}}, binary(add), kAny, {{{3, 4}, {4, 3}}}, "add"},
      {"add broadcast row", {{3, 4}, {4}}, binary(add), kAny, {{{3, 4}, {3}}}, "add"},
      {"add broadcast outer", {{3, 1}, {1, 4}}, binary(add), kAny, {}, "add"},
      {"sub broadcast scalar", {{}, {2, 3}}, binary(sub), kAny, {{{2, 3}, {3, 2}}}, "sub"},
      {"mul broadcast", {{2, 3}, {2, 1}}, binary(mul), kAny, {{{2, 3}, {3, 3}}}, "mul"},
      {"div", {{2, 3}, {3}}, binary(div), kPositive, {{{2, 3}, {2}}}, "div"},
      {"maximum", {{2, 3}, {2, 3}}, binary(maximum), separated_pair(), {{{2, 3}, {3, 2}}}, "maximum"},
      {"minimum broadcast", {{2, 3}, {3}}, binary(minimum), separated_pair(), {{{2, 3}, {2}}}, "minimum"},
      {"where",
       {{2, 3}, {2, 3}},
       [](const V& x) {
         Tensor c{{1.0, -2.0, 0.5}, {-0.1, 3.0, -1.0}};
         return where(x[0].graph().constant(c, "cond"), x[0], x[1]);
       },
       kAny,
       {{{2, 3}, {3, 2}}},
       "where"},
      {"neg", {{4}}, unary(neg), kAny, {}, "neg"},
      {"square", {{2, 2}}, unary(square), kAny, {}, "square"},
      {"sqrt", {{5}}, unary(sqrt), kPositive, {}, "sqrt"},
      {"exp", {{2, 3}}, unary(exp), kAny, {}, "exp"},
      {"log", {{2, 3}}, unary(log), kPositive, {}, "log"},
      {"sin", {{4}}, unary(sin), kAny, {}, "sin"},
      {"cos", {{4}}, unary(cos), kAny, {}, "cos"},
      {"tanh", {{2, 3}}, unary(tanh), kAny, {}, "tanh"},
      {"sigmoid", {{2, 3}}, unary(sigmoid), kAny, {}, "sigmoid"},
      {"softplus", {{2, 3}}, unary(softplus), kAny, {}, "softplus"},
      {"relu", {{3, 3}}, unary(relu), away_from({0}), {}, "relu"},
      {"leaky_relu", {{3, 3}}, [](const V& x) { return leaky_relu(x[0], 0.1); }, away_from({0}), {}, "leaky_relu"},
      {"abs", {{6}}, unary(abs), away_from({0}), {}, "abs"},
      {"erf", {{2, 3}}, unary(erf), kAny, {}, "erf"},
      {"gelu", {{2, 3}}, unary(gelu), kAny, {}, "gelu"},
      {"gelu_tanh", {{2, 3}}, unary(gelu_tanh), kAny, {}, "gelu_tanh"},
      {"silu", {{2, 3}}, unary(silu), kAny, {}, "silu"},
      {"softsign", {{2, 3}}, unary(softsign), away_from({0}), {}, "softsign"},  // f″ jumps at 0
      {"log1p", {{2, 3}}, unary(log1p), kPositive, {}, "log1p"},
      {"expm1", {{2, 3}}, unary(expm1), kAny, {}, "expm1"},
      {"elu", {{3, 3}}, [](const V& x) { return elu(x[0], 0.5); }, away_from({0}), {}, "elu"},
      {"hardsigmoid",
       {{3, 4}},
       [](const V& x) { return hardsigmoid(4.0 * x[0]); },
       away_from({-0.75, 0.75}),
       {},
       "hardsigmoid"},
      {"hardswish",
       {{3, 4}},
       [](const V& x) { return hardswish(4.0 * x[0]); },
       away_from({-0.75, 0.75}),
       {},
       "hardswish"},
      {"pow", {{2, 3}}, [](const V& x) { return pow(x[0], 2.5); }, kPositive, {}, "pow"},
      {"pow negative", {{3}}, [](const V& x) { return pow(x[0], -1.5); }, kPositive, {}, "pow"},
      {"clamp", {{3, 4}}, [](const V& x) { return clamp(x[0], -0.5, 0.5); }, away_from({-0.5, 0.5}), {}, "clamp"},
      {"hardtanh",
       {{3, 4}},
       [](const V& x) { return hardtanh(x[0], -0.5, 0.5); },
       away_from({-0.5, 0.5}),
       {},
       "hardtanh"},
      {"relu6", {{3, 4}}, [](const V& x) { return relu6(x[0] * 4.0); }, away_from({0, 1.5}), {}, "relu6"},
      {"maxpool1d",
       {{2, 2, 6}},
       [](const V& x) { return maxpool1d(x[0], 2); },
       kDistinct,
       {{{2, 1}}, {{2, 2, 1}}},
       "maxpool1d"},
      {"maxpool1d strided", {{1, 2, 7}}, [](const V& x) { return maxpool1d(x[0], 3, 2); }, kDistinct, {}, "maxpool1d"},
      {"maxpool2d",
       {{1, 2, 4, 4}},
       [](const V& x) { return maxpool2d(x[0], 2, 2); },
       kDistinct,
       {{{4, 4}}},
       "maxpool2d"},
      {"maxpool2d strided",
       {{2, 1, 5, 4}},
       [](const V& x) { return maxpool2d(x[0], 3, 2, 1, 2); },
       kDistinct,
       {},
       "maxpool2d"},
      {"pool_argmax",
       {{1, 1, 6}},
       [](const V& x) {
         return pool_argmax({x[0]}, PoolGeometry{{2}, {2}});
       },
       kDistinct,
       {{{6}}},
       "pool_argmax"},
      {"gather_flat",
       {{2, 3}},
       [](const V& x) {
         return gather_flat(x[0], x[0].graph().constant(Tensor{{5.0, 0.0}, {2.0, 2.0}}, "index"));
       },
       kAny,
       {},
       "gather_flat"},
      {"scatter_add",
       {{2, 2}},
       [](const V& x) {
         return scatter_add(x[0], x[0].graph().constant(Tensor{{5.0, 0.0}, {2.0, 2.0}}, "index"), {2, 3});
       },
       kAny,
       {{{4}}},
       "scatter_add"},
      {"flip",
       {{2, 3, 4}},
       [](const V& x) {
         return flip(x[0], {0, 2});
       },
       kAny,
       {{{2}}},
       "flip"},
      {"conv2d",
       {{2, 3, 5, 4}, {4, 3, 3, 2}},
       [](const V& x) { return conv2d(x[0], x[1]); },
       kAny,
       {{{2, 3, 5, 4}, {4, 2, 3, 2}}, {{2, 3, 5}, {4, 3, 3}}},
       "conv2d"},
      {"conv2d padded",
       {{1, 2, 4, 4}, {3, 2, 3, 3}},
       [](const V& x) { return conv2d(x[0], x[1], 1); },
       kAny,
       {},
       "conv2d"},
      {"conv2d padding wider than the image",
       {{1, 1, 1, 1}, {2, 1, 7, 7}},
       [](const V& x) { return conv2d(x[0], x[1], 3); },
       kAny,
       {},
       "conv2d"},
      {"conv2d_weight_grad",
       {{2, 3, 5, 4}, {2, 4, 3, 3}},
       [](const V& x) { return conv2d_weight_grad(x[0], x[1], 0, 0); },
       kAny,
       {{{2, 3, 5, 4}, {3, 4, 3, 3}}, {{2, 3, 5}, {2, 4, 3, 3}}},
       "conv2d_weight_grad"},
      {"conv2d_weight_grad padded",
       {{1, 2, 4, 4}, {1, 3, 4, 4}},
       [](const V& x) { return conv2d_weight_grad(x[0], x[1], 1, 1); },
       kAny,
       {},
       "conv2d_weight_grad"},
      {"avgpool2d", {{2, 1, 4, 6}}, [](const V& x) { return avgpool2d(x[0], 2, 3); }, kAny, {{{4, 6}}}, "avgpool"},
      {"avgpool2d overlapping",
       {{1, 2, 5, 5}},
       [](const V& x) { return avgpool2d(x[0], 3, 3, 1, 2); },
       kAny,
       {},
       "avgpool"},
      {"avgpool_adjoint",
       {{1, 1, 2, 2}},
       [](const V& x) {
         return avgpool_adjoint(x[0], PoolGeometry{{2, 2}, {2, 2}}, {1, 1, 4, 4});
       },
       kAny,
       {{{1, 1, 3, 3}}},
       "avgpool_adjoint"},
      {"circulant", {{5}}, [](const V& x) { return circulant(x[0]); }, kAny, {{{5, 5}}}, "circulant"},
      {"circulant_adjoint",
       {{4, 4}},
       [](const V& x) { return circulant_adjoint(x[0]); },
       kAny,
       {{{4, 3}}},
       "circulant_adjoint"},
      {"step", {{3, 2}}, [](const V& x) { return step({x[0]}, 0.5); }, away_from({0}), {}, "step"},
      {"max_mask", {{3, 4}}, [](const V& x) { return max_mask({x[0]}, {1}); }, kDistinct, {}, "max_mask"},
      {"matmul mm",
       {{3, 4}, {4, 2}},
       binary([](const Var& a, const Var& b) { return matmul(a, b); }),
       kAny,
       {{{3, 4}, {3, 2}}, {{3, 4, 1}, {4, 2}}},
       "matmul"},
      {"matmul mm transpose_a",
       {{4, 3}, {4, 2}},
       [](const V& x) { return matmul(x[0], x[1], true, false); },
       kAny,
       {{{3, 4}, {4, 2}}},
       "matmul"},
      {"matmul mm transpose_b",
       {{3, 4}, {2, 4}},
       [](const V& x) { return matmul(x[0], x[1], false, true); },
       kAny,
       {{{3, 4}, {4, 2}}},
       "matmul"},
      {"matmul mm both",
       {{4, 3}, {2, 4}},
       [](const V& x) { return matmul(x[0], x[1], true, true); },
       kAny,
       {},
       "matmul"},
      {"matmul mv",
       {{3, 4}, {4}},
       binary([](const Var& a, const Var& b) { return matmul(a, b); }),
       kAny,
       {{{3, 4}, {3}}},
       "matmul"},
      {"matmul mv transpose", {{4, 3}, {4}}, [](const V& x) { return matmul(x[0], x[1], true); }, kAny, {}, "matmul"},
      {"matmul vm",
       {{4}, {4, 2}},
       binary([](const Var& a, const Var& b) { return matmul(a, b); }),
       kAny,
       {{{2}, {4, 2}}},
       "matmul"},
      {"matmul vm transpose",
       {{4}, {2, 4}},
       [](const V& x) { return matmul(x[0], x[1], false, true); },
       kAny,
       {},
       "matmul"},
      {"matmul vv",
       {{5}, {5}},
       binary([](const Var& a, const Var& b) { return matmul(a, b); }),
       kAny,
       {{{5}, {4}}},
       "matmul"},
      {"transpose", {{2, 3}}, [](const V& x) { return transpose(x[0]); }, kAny, {}, "transpose"},
      {"transpose perm",
       {{2, 3, 4}},
       [](const V& x) {
         return transpose(x[0], {1, 2, 0});
       },
       kAny,
       {},
       "transpose"},
      {"reshape",
       {{2, 3}},
       [](const V& x) {
         return reshape(x[0], {3, 2});
       },
       kAny,
       {{{2, 2}}},
       "reshape"},
      {"broadcast_to",
       {{3, 1}},
       [](const V& x) {
         return broadcast_to(x[0], {2, 3, 4});
       },
       kAny,
       {{{2, 1}}},
       "broadcast_to"},
      {"sum_to",
       {{2, 3, 4}},
       [](const V& x) {
         return sum_to(x[0], {3, 1});
       },
       kAny,
       {{{2, 2, 4}}},
       "sum_to"},
      {"sum all", {{2, 3}}, [](const V& x) { return sum(x[0]); }, kAny, {}, "sum"},
      {"sum axis keepdims", {{2, 3, 4}}, [](const V& x) { return sum(x[0], {0, 2}, true); }, kAny, {{{2, 3}}}, "sum"},
      {"sum negative axis", {{2, 3}}, [](const V& x) { return sum(x[0], {-1}); }, kAny, {{{}}}, "sum"},
      {"mean", {{2, 3}}, [](const V& x) { return mean(x[0], {1}); }, kAny, {{{2}}}, "sum"},
      {"max all", {{3, 4}}, [](const V& x) { return max(x[0]); }, kDistinct, {}, "max"},
      {"max axis keepdims", {{3, 4}}, [](const V& x) { return max(x[0], {0}, true); }, kDistinct, {{{}}}, "max"},
      {"concat",
       {{2, 3}, {2, 1}, {2, 2}},
       [](const V& x) { return concat(x, 1); },
       kAny,
       {{{2, 3}, {3, 1}, {2, 2}}},
       "concat"},
      {"slice", {{4, 3}}, [](const V& x) { return slice(x[0], 0, 1, 3); }, kAny, {{{2, 3}}}, "slice"},
      {"pad", {{2, 3}}, [](const V& x) { return pad(x[0], 1, 2, 1); }, kAny, {}, "pad"},
      {"softmax", {{3, 4}}, [](const V& x) { return softmax(x[0], 1); }, kAny, {{{}}}, "softmax"},
      {"softmax axis 0", {{3, 4}}, [](const V& x) { return softmax(x[0], 0); }, kAny, {}, "softmax"},
      {"log_softmax", {{3, 4}}, [](const V& x) { return log_softmax(x[0]); }, kAny, {{{}}}, "log_softmax"},
      {"log_softmax axis 0", {{3, 4}}, [](const V& x) { return log_softmax(x[0], 0); }, kAny, {}, "log_softmax"},
      {"logsumexp", {{3, 4}}, [](const V& x) { return logsumexp(x[0], 1); }, kAny, {{{}}}, "logsumexp"},
      {"logsumexp keepdims", {{3, 4}}, [](const V& x) { return logsumexp(x[0], 0, true); }, kAny, {}, "logsumexp"},
      {"mse_loss", {{4, 2}, {4, 2}}, binary(mse_loss), kAny, {{{4, 2}, {2, 4}}}, "mse_loss"},
      {"logistic_loss",
       {{6}},
       [](const V& x) { return logistic_loss(x[0], signs_constant(x[0].graph(), {6})); },
       kAny,
       {{{5}}},
       "logistic_loss"},
      {"exponential_loss",
       {{6}},
       [](const V& x) { return exponential_loss(x[0], signs_constant(x[0].graph(), {6})); },
       kAny,
       {{{5}}},
       "exponential_loss"},
      {"hinge_loss",
       {{6}},
       [](const V& x) { return hinge_loss(x[0], signs_constant(x[0].graph(), {6})); },
       away_from({-1, 1}),
       {{{5}}},
       "hinge_loss"},
      {"cross_entropy",
       {{3, 4}},
       [](const V& x) { return cross_entropy(x[0], labels_constant(x[0].graph(), {0, 3, 1})); },
       kAny,
       {{{4, 4}}, {{3}}},
       "cross_entropy"},
  };
  return t;
}

struct Built {
  explicit Built(DType dtype) : g(dtype) {}
  Graph g;
  std::vector<Var> xs;
  Var y;
};

std::unique_ptr<Built> build(const OpCase& c, DType dtype = DType::Float64) {
  auto b = std::make_unique<Built>(dtype);
  for (std::size_t i = 0; i < c.shapes.size(); ++i) b->xs.push_back(b->g.input("x" + std::to_string(i), c.shapes[i]));
  b->y = c.build(b->xs);
  return b;
}

}  // namespace

TEST_CASE("op table: every op passes the derivative checks", "[ops][table]") {
  // check_grads (dagrad/autodiff/check_grads.hpp) is the checker users run on their own ops: jvp
  // against central differences, the transpose identity, forward- against reverse-mode Jacobians,
  // and Hessian-vector products against differences of gradients.
  Rng rng(20261123);
  for (const OpCase& c : op_table()) {
    SECTION(c.label) {
      INFO("op case: " << c.label);
      GradCheckOptions options;
      options.seed = rng();
      REQUIRE_NOTHROW(check_grads(c.build, c.sample(rng, c.shapes), options));
    }
  }
}

TEST_CASE("op table in float32 and bfloat16: values of the dtype, within its rounding of the float64 op",
          "[ops][table][dtype]") {
  // Inputs drawn as for the derivative checks and rounded to bfloat16, so that every dtype reads
  // the same numbers; a random cotangent u and tangents v (rounded too) give the vector-Jacobian
  // product, the Jacobian-vector product and the HVP of ⟨u, y⟩. Each
  // low-precision result must be a value of its dtype (rounded on store) and agree with float64's
  // to a few of the dtype's epsilons relative to the tensor's largest value: one rounding per op
  // in the forward, a few in the derivative graph.
  Rng rng(20261202);
  for (const OpCase& c : op_table()) {
    INFO("op case: " << c.label);
    std::vector<Tensor> inputs = c.sample(rng, c.shapes);
    for (Tensor& t : inputs)
      for (auto& v : t) v = round_to(DType::BFloat16, v);
    std::vector<Tensor> reference, directions;
    Tensor u;
    for (DType dtype : {DType::Float64, DType::Float32, DType::BFloat16}) {
      INFO(to_string(dtype));
      auto b = build(c, dtype);
      if (dtype == DType::Float64) {
        u = test::random_tensor(rng, b->y.shape(), -1, 1);
        for (auto& v : u) v = round_to(DType::BFloat16, v);
        directions.clear();
        for (const Shape& shape : c.shapes) {
          directions.push_back(test::random_tensor(rng, shape, -1, 1));
          for (auto& v : directions.back()) v = round_to(DType::BFloat16, v);
        }
      }
      Var cotangent = b->g.input("u", b->y.shape());
      std::vector<Var> tangents;
      for (std::size_t i = 0; i < inputs.size(); ++i)
        tangents.push_back(b->g.input("v" + std::to_string(i), c.shapes[i]));
      // Every transform: the forward, the vjp, the jvp, and the jvp of the vjp (forward over reverse,
      // the Hessian-vector product of ⟨u, y⟩).
      std::vector<Var> outputs{b->y, jvp({b->y}, b->xs, tangents)[0]};
      Var inner = sum(b->y * cotangent);
      std::vector<Var> grads = grad(inner, b->xs), second = hvp(inner, b->xs, tangents);
      outputs.insert(outputs.end(), grads.begin(), grads.end());
      outputs.insert(outputs.end(), second.begin(), second.end());
      Program p(b->g, outputs);
      for (std::size_t i = 0; i < inputs.size(); ++i) p.set(b->xs[i], inputs[i]), p.set(tangents[i], directions[i]);
      p.set(cotangent, u);
      p.run();
      if (dtype == DType::Float64) {
        for (const Var& o : outputs) reference.push_back(p.get(o));
        continue;
      }
      for (std::size_t k = 0; k < outputs.size(); ++k) {
        Tensor got = p.get(outputs[k]);
        const Tensor& want = reference[k];
        double scale = 1;
        for (double v : want) scale = std::max(scale, std::fabs(v));
        double bound = (k == 0 ? 8 : 32) * epsilon(dtype) * scale;
        INFO("output " << k << " (forward, jvp, the vjps, the HVPs): gap " << test::max_abs_diff(got, want)
                       << ", bound " << bound);
        CHECK(test::max_abs_diff(got, want) <= bound);
        for (double v : got) CHECK(representable(dtype, v));
      }
    }
  }
}

TEST_CASE("op table: error inputs name the op, the node and every shape", "[ops][table][errors]") {
  for (const OpCase& c : op_table()) {
    for (const auto& shapes : c.bad_shapes) {
      INFO("op case: " << c.label << " with bad shapes");
      OpCase bad = c;
      bad.shapes = shapes;
      try {
        build(bad);
        FAIL("no ShapeError for " << c.label);
      } catch (const ShapeError& e) {
        std::string msg = e.what();
        INFO(msg);
        CHECK(msg.find(c.error_name) != std::string::npos);
        for (const Shape& s : shapes) CHECK(msg.find(to_string(s)) != std::string::npos);
      }
    }
  }
}

TEST_CASE("op table covers every public op", "[ops][table]") {
  std::set<std::string> covered;
  for (const OpCase& c : op_table()) covered.insert(c.label.substr(0, c.label.find(' ')));
  // The registry is what the op files register (and the unary rows): an op added without a case
  // here fails. Label ops have no derivative to check; their values are tested in test_op_values.
  std::vector<OpInfo> ops = registered_ops();
  CHECK(ops.size() >= 69);  // 45 op-file functions and 24 unary rows when written: a registry that lost files fails
  for (const OpInfo& op : ops) {
    INFO("op " << op.name << " (" << op.file << ") has no case in the op table");
    CHECK(covered.count(op.name) == (op.differentiable ? 1u : 0u));
  }
}

TEST_CASE("every unary forward agrees with its long-double reference, extreme arguments included", "[ops][table]") {
  // The reference is computed in long double and rounded once. A kernel is allowed a few units in
  // the last place plus what rounding its argument costs: cond(x) = |x f′(x) / f(x)| units (gelu
  // at −10 has cond ≈ 100, since erfc's argument −x/√2 is rounded before erfc sees it).
  const std::vector<double> points{-700, -40, -10, -3.5, -3, -1, -0.3, -1e-9, 0, 1e-9, 0.3, 1, 2.5, 3, 10, 40, 700};
  for (const UnaryOpInfo& op : unary_ops()) {
    Graph g;
    Tensor inside = Tensor::from_shape({points.size()});
    std::size_t n = 0;
    for (double x : points)
      if (x > op.lowest) inside(n++) = x;
    Var x = g.input("x", {n});
    Var y = op.build(x, op.example_parameter);
    Program p(g, {y});
    p.set(x, xt::view(inside, xt::range(0, n)));
    p.run();
    Tensor got = p.get(y);
    for (std::size_t i = 0; i < n; ++i) {
      double reference = op.reference(inside(i), op.example_parameter);
      INFO(op.name << "(" << inside(i) << ") = " << got(i) << ", reference " << reference);
      if (std::isinf(reference)) {
        CHECK(got(i) == reference);
        continue;
      }
      const double h = 1e-6, x0 = inside(i);
      double slope =
          (op.reference(x0 * (1 + h), op.example_parameter) - op.reference(x0 * (1 - h), op.example_parameter)) /
          (2 * h * x0);
      double condition = x0 == 0 || reference == 0 ? 0 : std::fabs(x0 * slope / reference);
      CHECK(std::fabs(got(i) - reference) <=
            (4 + condition) * std::numeric_limits<double>::epsilon() * std::fabs(reference) + 1e-300);
    }
  }
}
