// Elementwise unary ops: one row each. A row gives f (into a preallocated output), f′ as a graph
// expression (so vjp = g·f′ and jvp = t·f′ are differentiable again), and flops per element.
// Transcendental functions count as one flop, as arithmetic does.
#include <cmath>
#include <cstring>

#include "ops/support.hpp"

namespace dagrad {
namespace {

using Forward = void (*)(const View& x, View& y, Scalar param);
using Derivative = Var (*)(const DiffContext& ctx, const Var& x, const Var& y, Scalar param);

struct UnaryRow {
  const char* name;
  Forward f;
  Derivative df;
  double flops;
};

template <class F>
void map(const View& x, View& y, F f) {
  const Scalar* in = x.data();
  Scalar* out = y.data();
  for (std::size_t i = 0, n = x.size(); i < n; ++i) out[i] = f(in[i]);
}

// log(1 + e^x) without overflow, and via log1p so that e^x down to 1e-308 is not rounded to 0:
// the logistic loss at margin m is softplus(-m) ≈ e^{-m}.
Scalar softplus_scalar(Scalar x) { return std::max(x, Scalar(0)) + std::log1p(std::exp(-std::fabs(x))); }
Scalar sigmoid_scalar(Scalar x) {
  if (x >= 0) return 1 / (1 + std::exp(-x));
  Scalar e = std::exp(x);
  return e / (1 + e);
}

const UnaryRow kUnaryTable[] = {
    {"neg", [](const View& x, View& y, Scalar) { xt::noalias(y) = -x; },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return x.graph().scalar(-1); }, 1},
    {"square", [](const View& x, View& y, Scalar) { xt::noalias(y) = x * x; },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return 2.0 * x; }, 1},
    {"sqrt", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::sqrt(x); },
     [](const DiffContext&, const Var&, const Var& y, Scalar) { return 0.5 / y; }, 1},
    {"exp", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::exp(x); },
     [](const DiffContext&, const Var&, const Var& y, Scalar) { return y; }, 1},
    {"log", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::log(x); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return 1.0 / x; }, 1},
    {"sin", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::sin(x); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return cos(x); }, 1},
    {"cos", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::cos(x); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return neg(sin(x)); }, 1},
    {"tanh", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::tanh(x); },
     [](const DiffContext&, const Var&, const Var& y, Scalar) { return 1.0 - square(y); }, 1},
    {"sigmoid", [](const View& x, View& y, Scalar) { map(x, y, sigmoid_scalar); },
     [](const DiffContext&, const Var&, const Var& y, Scalar) { return y * (1.0 - y); }, 4},
    {"softplus", [](const View& x, View& y, Scalar) { map(x, y, softplus_scalar); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return sigmoid(x); }, 5},
    {"relu", [](const View& x, View& y, Scalar) { map(x, y, [](Scalar v) { return v > 0 ? v : Scalar(0); }); },
     [](const DiffContext& c, const Var& x, const Var&, Scalar) { return detail::piece(c, x, c.relu_slope_at_zero); }, 1},
    {"leaky_relu",
     [](const View& x, View& y, Scalar slope) { map(x, y, [slope](Scalar v) { return v > 0 ? v : slope * v; }); },
     [](const DiffContext& c, const Var& x, const Var&, Scalar slope) {
       return slope + (1 - slope) * detail::piece(c, x, c.relu_slope_at_zero);
     },
     2},
    // abs′ = 2·[x > 0] − 1, with the tie at ½ so that abs′(0) = 0 as in PyTorch and JAX.
    {"abs", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::abs(x); },
     [](const DiffContext& c, const Var& x, const Var&, Scalar) { return 2.0 * detail::piece(c, x, 0.5) - 1.0; }, 1},
    {"pow", [](const View& x, View& y, Scalar p) { xt::noalias(y) = xt::pow(x, p); },
     [](const DiffContext&, const Var& x, const Var&, Scalar p) { return p == 0 ? x.graph().scalar(0) : p * pow(x, p - 1); },
     2},
};

const UnaryRow& row(const char* name) {
  for (const UnaryRow& r : kUnaryTable)
    if (std::strcmp(r.name, name) == 0) return r;
  throw GraphError(std::string("no unary op named ") + name);
}

struct Unary : detail::Elementwise {
  const UnaryRow* r;
  Scalar param;
  Unary(const UnaryRow* row_, Scalar p) : r(row_), param(p) {}
  std::string name() const override { return r->name; }
  std::string attributes() const override {
    if (std::strcmp(r->name, "pow") == 0) return "exponent=" + std::to_string(param);
    if (std::strcmp(r->name, "leaky_relu") == 0) return "slope=" + std::to_string(param);
    return {};
  }
  void forward(const std::vector<const View*>& in, View& out) const override { r->f(*in[0], out, param); }
  std::vector<Var> vjp(const DiffContext& ctx, const std::vector<Var>& x, const Var& y, const Var& g) const override {
    return {g * r->df(ctx, x[0], y, param)};
  }
  Var jvp(const DiffContext& ctx, const std::vector<Var>& x, const Var& y, const std::vector<Var>& t) const override {
    return t[0] * r->df(ctx, x[0], y, param);
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override { return detail::elementwise_cost(in, out, r->flops); }
};

Var unary(const char* name, const Var& x, Scalar param = 0) { return detail::make<Unary>({x}, &row(name), param); }

}  // namespace

Var neg(const Var& x) { return unary("neg", x); }
Var square(const Var& x) { return unary("square", x); }
Var sqrt(const Var& x) { return unary("sqrt", x); }
Var exp(const Var& x) { return unary("exp", x); }
Var log(const Var& x) { return unary("log", x); }
Var sin(const Var& x) { return unary("sin", x); }
Var cos(const Var& x) { return unary("cos", x); }
Var tanh(const Var& x) { return unary("tanh", x); }
Var sigmoid(const Var& x) { return unary("sigmoid", x); }
Var softplus(const Var& x) { return unary("softplus", x); }
Var relu(const Var& x) { return unary("relu", x); }
Var leaky_relu(const Var& x, Scalar slope) { return unary("leaky_relu", x, slope); }
Var abs(const Var& x) { return unary("abs", x); }
Var pow(const Var& x, Scalar exponent) { return unary("pow", x, exponent); }

}  // namespace dagrad
