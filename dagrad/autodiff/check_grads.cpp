#include "dagrad/autodiff/check_grads.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "dagrad/ops/ops.hpp"
#include "dagrad/program/program.hpp"

namespace dagrad {
namespace {

double euclidean_norm(const Tensor& t) {
  double s = 0;
  for (double x : t) s += x * x;
  return std::sqrt(s);
}

double inner(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a.flat(i) * b.flat(i);
  return s;
}

double max_gap(const Tensor& a, const Tensor& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a.flat(i) - b.flat(i)));
  return m;
}

Tensor normal(std::mt19937_64& rng, const Shape& shape) {
  std::normal_distribution<double> n(0, 1);
  Tensor t = Tensor::from_shape(shape);
  for (auto& x : t) x = n(rng);
  return t;
}

std::vector<Tensor> shifted(const std::vector<Tensor>& x, const std::vector<Tensor>& v, double h) {
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < x.size(); ++i) out.push_back(x[i] + h * v[i]);
  return out;
}

void set_all(Program& p, const std::vector<Var>& vars, const std::vector<Tensor>& values) {
  for (std::size_t i = 0; i < vars.size(); ++i) p.set(vars[i], values[i]);
}

// One failed check, in the error's words.
struct Failures {
  std::ostringstream text;
  void check(const char* what, double gap, double tolerance, double scale) {
    if (gap <= tolerance * (1 + scale)) return;
    text << "\n  " << what << ": gap " << gap << " > " << tolerance << " · (1 + " << scale << ")";
  }
};

// The function traced at x, with its tangent seeds v, and what the checks record.
struct Traced {
  Graph g;
  std::vector<Var> xs, vs;
  Var y;
  std::vector<Tensor> args, v;
  std::mt19937_64 rng;
  GradCheckReport report;
  Failures failures;
};

// jvp against central differences and the transpose identity, from one program.
void check_first_order(Traced& t, const GradCheckOptions& options) {
  Tensor u_value = normal(t.rng, t.y.shape());
  Var u = t.g.input("u", t.y.shape());
  Var jv = jvp(std::vector<Var>{t.y}, t.xs, t.vs)[0];
  std::vector<Var> outs{t.y, jv};
  std::vector<Var> vj;
  if (options.reverse) vj = vjp({t.y}, {u}, t.xs);
  outs.insert(outs.end(), vj.begin(), vj.end());
  Program p(t.g, outs);
  set_all(p, t.xs, t.args);
  set_all(p, t.vs, t.v);
  if (options.reverse) p.set(u, u_value);
  p.run();
  Tensor jv_value = p.get(jv);
  if (options.reverse) {  // before the difference runs move x
    double uJv = inner(u_value, jv_value), Jtu_v = 0;
    for (std::size_t i = 0; i < vj.size(); ++i) Jtu_v += inner(p.get(vj[i]), t.v[i]);
    t.report.transpose_gap = std::fabs(uJv - Jtu_v);
    t.failures.check("transpose identity <u, Jv> = <J^T u, v>", t.report.transpose_gap, options.transpose_tolerance,
                     std::max(std::fabs(uJv), std::fabs(Jtu_v)));
  }
  if (!options.forward) return;
  set_all(p, t.xs, shifted(t.args, t.v, options.step));
  p.run();
  Tensor plus = p.get(t.y);
  set_all(p, t.xs, shifted(t.args, t.v, -options.step));
  p.run();
  Tensor differences = (plus - p.get(t.y)) / (2 * options.step);
  t.report.jvp_vs_differences = max_gap(differences, jv_value);
  t.failures.check("jvp vs central differences", t.report.jvp_vs_differences, options.jvp_tolerance,
                   euclidean_norm(jv_value));
}

// Forward- against reverse-mode Jacobians of every argument.
void check_jacobians(Traced& t, const GradCheckOptions& options) {
  std::vector<Var> jacobians;
  for (const Var& x : t.xs) {
    jacobians.push_back(jacobian(t.y, x, Mode::Forward));
    jacobians.push_back(jacobian(t.y, x, Mode::Reverse));
  }
  Program pj(t.g, jacobians);
  set_all(pj, t.xs, t.args);
  pj.run();
  double scale = 0;
  for (std::size_t i = 0; i < jacobians.size(); i += 2) {
    Tensor forward = pj.get(jacobians[i]);
    t.report.forward_vs_reverse = std::max(t.report.forward_vs_reverse, max_gap(forward, pj.get(jacobians[i + 1])));
    scale = std::max(scale, euclidean_norm(forward));
  }
  t.failures.check("forward- vs reverse-mode Jacobian", t.report.forward_vs_reverse, options.jacobian_tolerance, scale);
}

// Hessian-vector products of a random quadratic read-out φ = ⟨w, y⟩ + ½⟨w2, y²⟩ against central
// differences of its gradient.
void check_hvp(Traced& t, const GradCheckOptions& options) {
  Var w = t.g.input("w", t.y.shape()), w2 = t.g.input("w2", t.y.shape());
  Var phi = sum(w * t.y) + 0.5 * sum(w2 * t.y * t.y);
  std::vector<Var> gradient = grad(phi, t.xs);
  std::vector<Var> hv = hvp(phi, t.xs, t.vs);
  std::vector<Var> houts = gradient;
  houts.insert(houts.end(), hv.begin(), hv.end());
  Program ph(t.g, houts);
  ph.set(w, normal(t.rng, t.y.shape()));
  ph.set(w2, normal(t.rng, t.y.shape()));
  set_all(ph, t.vs, t.v);
  set_all(ph, t.xs, t.args);
  ph.run();
  std::vector<Tensor> hv_value;
  for (const Var& h : hv) hv_value.push_back(ph.get(h));
  set_all(ph, t.xs, shifted(t.args, t.v, options.step2));
  ph.run();
  std::vector<Tensor> plus;
  for (const Var& gi : gradient) plus.push_back(ph.get(gi));
  set_all(ph, t.xs, shifted(t.args, t.v, -options.step2));
  ph.run();
  double scale = 0;
  for (std::size_t i = 0; i < gradient.size(); ++i) {
    Tensor differences = (plus[i] - ph.get(gradient[i])) / (2 * options.step2);
    t.report.hvp_vs_differences = std::max(t.report.hvp_vs_differences, max_gap(differences, hv_value[i]));
    scale = std::max(scale, euclidean_norm(hv_value[i]));
  }
  t.failures.check("hvp vs central differences of the gradient", t.report.hvp_vs_differences, options.hvp_tolerance,
                   scale);
}

}  // namespace

GradCheckReport check_grads(const GradCheckFunction& f, const std::vector<Tensor>& args,
                            const GradCheckOptions& options) {
  if (args.empty()) throw GradCheckError("check_grads: no arguments to differentiate at");
  if (options.order < 1 || options.order > 2)
    throw GradCheckError("check_grads: order must be 1 or 2, not " + std::to_string(options.order));
  Traced t;
  t.args = args;
  for (std::size_t i = 0; i < args.size(); ++i) {
    Shape shape(args[i].shape().begin(), args[i].shape().end());
    t.xs.push_back(t.g.input("x" + std::to_string(i), shape));
    t.vs.push_back(t.g.input("v" + std::to_string(i), shape));
  }
  t.y = f(t.xs);
  if (!t.y.valid() || &t.y.graph() != &t.g)
    throw GradCheckError("check_grads: f must return a node built on its inputs");
  t.rng.seed(options.seed);
  for (const Tensor& a : args) t.v.push_back(normal(t.rng, Shape(a.shape().begin(), a.shape().end())));
  check_first_order(t, options);
  if (options.forward && options.reverse) check_jacobians(t, options);
  if (options.order >= 2) check_hvp(t, options);
  std::string failed = t.failures.text.str();
  if (!failed.empty()) throw GradCheckError("check_grads: derivative checks failed at the given point:" + failed);
  return t.report;
}

}  // namespace dagrad
