// Elementwise unary ops: one row each. A row gives f (into a preallocated output), f′ as a graph
// expression (so vjp = g·f′ and jvp = t·f′ are differentiable again), flops per element, and what
// the registry (unary_ops()) shows: the parameter's name, the domain, and a reference f in long
// double that the op table compares every forward with, as Stan compares with double.
// Transcendental functions count as one flop, as arithmetic does.
#include <cmath>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string_view>

#include "dagrad/ops/ops.hpp"
#include "dagrad/ops/support.hpp"

namespace dagrad {
namespace {

constexpr Scalar kInf = std::numeric_limits<Scalar>::infinity();
using Forward = void (*)(const View& x, View& y, Scalar param);
using Derivative = Var (*)(const DiffContext& ctx, const Var& x, const Var& y, Scalar param);

using LongReference = long double (*)(long double x, long double param);
// f on float32 memory (Kernel::forward_float), for rows whose float32 arithmetic is exactly f's
// float64 result rounded to float32 (selection, sign, one product); other rows leave it empty.
using FloatForward = void (*)(const float* x, float* y, std::size_t n);

struct UnaryRow {
  const char* name;
  Forward f;
  Derivative df;
  double flops;
  LongReference reference;
  const char* parameter = nullptr;  // its name, for those that take one
  Scalar example_parameter = 0;
  Scalar lowest = -kInf;  // the domain is (lowest, ∞)
  FloatForward float_f = nullptr;
};

template <class F>
constexpr FloatForward float_map() {
  return [](const float* x, float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = F{}(x[i]);
  };
}
struct FloatNeg {
  float operator()(float v) const { return -v; }
};
struct FloatSquare {
  float operator()(float v) const { return v * v; }
};
struct FloatRelu {
  float operator()(float v) const { return v > 0 ? v : 0.0f; }
};
struct FloatAbs {
  float operator()(float v) const { return std::fabs(v); }
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

constexpr Scalar kGeluScale = 0.7978845608028654;  // √(2/π)
constexpr Scalar kGeluCubic = 0.044715;
// ½(1 + tanh z) = sigmoid(2z): the same function without 1 + tanh z cancelling in the left tail.
Scalar gelu_tanh_scalar(Scalar x) { return x * sigmoid_scalar(2 * kGeluScale * (x + kGeluCubic * x * x * x)); }
Scalar hardsigmoid_scalar(Scalar x) { return std::min<Scalar>(1, std::max<Scalar>(0, x / 6 + 0.5)); }

// Pieces of the hard functions, whose kinks are at x = −3 and x = 3: [x > −3] and [x > 3], each
// with its own tie and reported under its own site ("/lo", "/hi"), as clamp's are.
std::pair<Var, Var> hard_pieces(const DiffContext& c, const Var& x, Scalar tie_lo, Scalar tie_hi) {
  DiffContext lo = c, hi = c;
  lo.site += "/lo";
  hi.site += "/hi";
  return {detail::piece(lo, x + 3.0, tie_lo), detail::piece(hi, x - 3.0, tie_hi)};
}

constexpr UnaryRow kUnaryTable[] = {
    {"neg", [](const View& x, View& y, Scalar) { xt::noalias(y) = -x; },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return x.graph().scalar(-1); }, 1,
     [](long double x, long double) { return -x; }, nullptr, 0, -kInf, float_map<FloatNeg>()},
    {"square", [](const View& x, View& y, Scalar) { xt::noalias(y) = x * x; },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return 2.0 * x; }, 1,
     [](long double x, long double) { return x * x; }, nullptr, 0, -kInf, float_map<FloatSquare>()},
    {"sqrt", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::sqrt(x); },
     [](const DiffContext&, const Var&, const Var& y, Scalar) { return 0.5 / y; }, 1,
     [](long double x, long double) { return sqrtl(x); }, nullptr, 0, 0},
    {"exp", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::exp(x); },
     [](const DiffContext&, const Var&, const Var& y, Scalar) { return y; }, 1,
     [](long double x, long double) { return expl(x); }},
    {"log", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::log(x); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return 1.0 / x; }, 1,
     [](long double x, long double) { return logl(x); }, nullptr, 0, 0},
    {"sin", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::sin(x); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return cos(x); }, 1,
     [](long double x, long double) { return sinl(x); }},
    {"cos", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::cos(x); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return neg(sin(x)); }, 1,
     [](long double x, long double) { return cosl(x); }},
    {"tanh", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::tanh(x); },
     [](const DiffContext&, const Var&, const Var& y, Scalar) { return 1.0 - square(y); }, 1,
     [](long double x, long double) { return tanhl(x); }},
    {"sigmoid", [](const View& x, View& y, Scalar) { map(x, y, sigmoid_scalar); },
     [](const DiffContext&, const Var&, const Var& y, Scalar) { return y * (1.0 - y); }, 4,
     [](long double x, long double) { return 1 / (1 + expl(-x)); }},
    {"softplus", [](const View& x, View& y, Scalar) { map(x, y, softplus_scalar); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return sigmoid(x); }, 5,
     [](long double x, long double) { return x > 0 ? x + log1pl(expl(-x)) : log1pl(expl(x)); }},
    {"relu", [](const View& x, View& y, Scalar) { map(x, y, [](Scalar v) { return v > 0 ? v : Scalar(0); }); },
     [](const DiffContext& c, const Var& x, const Var&, Scalar) { return detail::piece(c, x, c.relu_slope_at_zero); },
     1, [](long double x, long double) { return x > 0 ? x : 0; }, nullptr, 0, -kInf, float_map<FloatRelu>()},
    {"leaky_relu",
     [](const View& x, View& y, Scalar slope) { map(x, y, [slope](Scalar v) { return v > 0 ? v : slope * v; }); },
     [](const DiffContext& c, const Var& x, const Var&, Scalar slope) {
       return slope + (1 - slope) * detail::piece(c, x, c.relu_slope_at_zero);
     },
     2, [](long double x, long double slope) { return x > 0 ? x : slope * x; }, "slope", 0.01},
    // abs′ = 2·[x > 0] − 1, with the tie at ½ so that abs′(0) = 0 as in PyTorch and JAX.
    {"abs", [](const View& x, View& y, Scalar) { xt::noalias(y) = xt::abs(x); },
     [](const DiffContext& c, const Var& x, const Var&, Scalar) { return 2.0 * detail::piece(c, x, 0.5) - 1.0; }, 1,
     [](long double x, long double) { return fabsl(x); }, nullptr, 0, -kInf, float_map<FloatAbs>()},
    {"erf", [](const View& x, View& y, Scalar) { map(x, y, [](Scalar v) { return std::erf(v); }); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return M_2_SQRTPI * exp(neg(square(x))); }, 1,
     [](long double x, long double) { return erfl(x); }},
    // x·Φ(x), with Φ(x) = ½erfc(−x/√2): no cancellation in the far left tail (gelu(−10) ≈ −7.6e-23).
    {"gelu",
     [](const View& x, View& y, Scalar) { map(x, y, [](Scalar v) { return 0.5 * v * std::erfc(-v * M_SQRT1_2); }); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) {
       return 0.5 * (1.0 + erf(x * M_SQRT1_2)) + (0.5 * M_2_SQRTPI * M_SQRT1_2) * x * exp(-0.5 * square(x));
     },
     4, [](long double x, long double) { return x * erfcl(-x / sqrtl(2)) / 2; }},
    // PyTorch's gelu(approximate="tanh"): ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
    {"gelu_tanh", [](const View& x, View& y, Scalar) { map(x, y, gelu_tanh_scalar); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) {
       Var t = tanh(kGeluScale * (x + kGeluCubic * x * square(x)));
       return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - square(t)) * kGeluScale * (1.0 + 3 * kGeluCubic * square(x));
     },
     8, [](long double x, long double) { return x / (1 + expl(-2 * sqrtl(2 / M_PIl) * (x + 0.044715L * x * x * x))); }},
    {"silu", [](const View& x, View& y, Scalar) { map(x, y, [](Scalar v) { return v * sigmoid_scalar(v); }); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) {
       Var s = sigmoid(x);
       return s * (1.0 + x * (1.0 - s));
     },
     5, [](long double x, long double) { return x / (1 + expl(-x)); }},
    {"softsign", [](const View& x, View& y, Scalar) { map(x, y, [](Scalar v) { return v / (1 + std::fabs(v)); }); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return 1.0 / square(1.0 + abs(x)); }, 3,
     [](long double x, long double) { return x / (1 + fabsl(x)); }},
    {"log1p", [](const View& x, View& y, Scalar) { map(x, y, [](Scalar v) { return std::log1p(v); }); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return 1.0 / (1.0 + x); }, 1,
     [](long double x, long double) { return log1pl(x); }, nullptr, 0, -1},
    {"expm1", [](const View& x, View& y, Scalar) { map(x, y, [](Scalar v) { return std::expm1(v); }); },
     [](const DiffContext&, const Var& x, const Var&, Scalar) { return exp(x); }, 1,
     [](long double x, long double) { return expm1l(x); }},
    // x for x > 0, α(eˣ − 1) below; a kink at 0 unless α = 1. PyTorch takes the left piece there (α).
    {"elu",
     [](const View& x, View& y, Scalar alpha) {
       map(x, y, [alpha](Scalar v) { return v > 0 ? v : alpha * std::expm1(v); });
     },
     [](const DiffContext& c, const Var& x, const Var&, Scalar alpha) {
       Var right = detail::piece(c, x, 0);
       return right + (1.0 - right) * (alpha * exp(x));
     },
     3, [](long double x, long double alpha) { return x > 0 ? x : alpha * expm1l(x); }, "alpha", 1.3},
    // clamp(x/6 + ½, 0, 1); PyTorch's derivative is 0 at both bounds (x = ±3).
    {"hardsigmoid", [](const View& x, View& y, Scalar) { map(x, y, hardsigmoid_scalar); },
     [](const DiffContext& c, const Var& x, const Var&, Scalar) {
       auto [above_lo, above_hi] = hard_pieces(c, x, 0, 1);
       return (1.0 / 6) * above_lo * (1.0 - above_hi);
     },
     3, [](long double x, long double) { return fminl(1, fmaxl(0, x / 6 + 0.5L)); }},
    // x·hardsigmoid(x); PyTorch takes the middle piece x/3 + ½ at both bounds.
    {"hardswish", [](const View& x, View& y, Scalar) { map(x, y, [](Scalar v) { return v * hardsigmoid_scalar(v); }); },
     [](const DiffContext& c, const Var& x, const Var&, Scalar) {
       auto [above_lo, above_hi] = hard_pieces(c, x, 1, 0);
       return above_hi + above_lo * (1.0 - above_hi) * (x * (1.0 / 3) + 0.5);
     },
     4, [](long double x, long double) { return x * fminl(1, fmaxl(0, x / 6 + 0.5L)); }},
    {"pow", [](const View& x, View& y, Scalar p) { xt::noalias(y) = xt::pow(x, p); },
     [](const DiffContext&, const Var& x, const Var&, Scalar p) {
       return p == 0 ? x.graph().scalar(0) : p * pow(x, p - 1);
     },
     2, [](long double x, long double p) { return powl(x, p); }, "exponent", 2.5, 0},
};

// A row's index by name, found while compiling: a public function names its row, a misspelt name
// does not compile, and no call searches the table.
constexpr std::size_t row_index(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kUnaryTable); ++i)
    if (name == kUnaryTable[i].name) return i;
  throw std::logic_error("no unary row of that name");
}

struct Unary : detail::Elementwise {
  const UnaryRow* r;
  Scalar param;
  Unary(const UnaryRow* row_, Scalar p) : r(row_), param(p) {}
  std::string name() const override { return r->name; }
  std::string attributes() const override {
    return r->parameter ? std::string(r->parameter) + "=" + std::to_string(param) : std::string();
  }
  void forward(const std::vector<const View*>& in, View& out) const override { r->f(*in[0], out, param); }
  bool runs_in_float(const std::vector<Shape>&, const Shape&) const override { return r->float_f != nullptr; }
  void forward_float(const std::vector<const FloatBuffer*>& in, FloatBuffer& out) const override {
    r->float_f(in[0]->data, out.data, out.size());
  }
  std::vector<Tangent> vjp(const DiffContext& ctx, const std::vector<Var>& x, const Var& y,
                           const Var& g) const override {
    return {g * r->df(ctx, x[0], y, param)};
  }
  Tangent jvp(const DiffContext& ctx, const std::vector<Var>& x, const Var& y,
              const std::vector<Tangent>& t) const override {
    return t[0].var() * r->df(ctx, x[0], y, param);
  }
  Cost cost(const std::vector<Shape>& in, const Shape& out) const override {
    return detail::elementwise_cost(in, out, r->flops);
  }
};

Var unary(const UnaryRow& r, const Var& x, Scalar param = 0) { return detail::make<Unary>({x}, &r, param); }
template <std::size_t Row>
Var unary(const Var& x, Scalar param = 0) {
  return unary(kUnaryTable[Row], x, param);
}

}  // namespace

Var neg(const Var& x) { return unary<row_index("neg")>(x); }
Var square(const Var& x) { return unary<row_index("square")>(x); }
Var sqrt(const Var& x) { return unary<row_index("sqrt")>(x); }
Var exp(const Var& x) { return unary<row_index("exp")>(x); }
Var log(const Var& x) { return unary<row_index("log")>(x); }
Var sin(const Var& x) { return unary<row_index("sin")>(x); }
Var cos(const Var& x) { return unary<row_index("cos")>(x); }
Var tanh(const Var& x) { return unary<row_index("tanh")>(x); }
Var sigmoid(const Var& x) { return unary<row_index("sigmoid")>(x); }
Var softplus(const Var& x) { return unary<row_index("softplus")>(x); }
Var relu(const Var& x) { return unary<row_index("relu")>(x); }
Var leaky_relu(const Var& x, Scalar slope) { return unary<row_index("leaky_relu")>(x, slope); }
Var abs(const Var& x) { return unary<row_index("abs")>(x); }
Var pow(const Var& x, Scalar exponent) { return unary<row_index("pow")>(x, exponent); }
Var erf(const Var& x) { return unary<row_index("erf")>(x); }
Var gelu(const Var& x) { return unary<row_index("gelu")>(x); }
Var gelu_tanh(const Var& x) { return unary<row_index("gelu_tanh")>(x); }
Var silu(const Var& x) { return unary<row_index("silu")>(x); }
Var softsign(const Var& x) { return unary<row_index("softsign")>(x); }
Var log1p(const Var& x) { return unary<row_index("log1p")>(x); }
Var expm1(const Var& x) { return unary<row_index("expm1")>(x); }
Var elu(const Var& x, Scalar alpha) { return unary<row_index("elu")>(x, alpha); }
Var hardsigmoid(const Var& x) { return unary<row_index("hardsigmoid")>(x); }
Var hardswish(const Var& x) { return unary<row_index("hardswish")>(x); }

const std::vector<UnaryOpInfo>& unary_ops() {
  static const std::vector<UnaryOpInfo> registry = [] {
    std::vector<UnaryOpInfo> out;
    for (const UnaryRow& r : kUnaryTable) {
      const UnaryRow* row_ = &r;
      out.push_back({r.name, r.parameter ? r.parameter : "", r.example_parameter, r.lowest,
                     [row_](Scalar x, Scalar param) { return static_cast<Scalar>(row_->reference(x, param)); },
                     [row_](const Var& x, Scalar param) { return unary(*row_, x, param); }});
    }
    return out;
  }();
  return registry;
}

}  // namespace dagrad
