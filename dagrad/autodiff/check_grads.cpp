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

}  // namespace

GradCheckReport check_grads(const GradCheckFunction& f, const std::vector<Tensor>& args,
                            const GradCheckOptions& options) {
  if (args.empty()) throw GradCheckError("check_grads: no arguments to differentiate at");
  if (options.order < 1 || options.order > 2)
    throw GradCheckError("check_grads: order must be 1 or 2, not " + std::to_string(options.order));
  Graph g;
  std::vector<Var> xs, vs;
  for (std::size_t i = 0; i < args.size(); ++i) {
    Shape shape(args[i].shape().begin(), args[i].shape().end());
    xs.push_back(g.input("x" + std::to_string(i), shape));
    vs.push_back(g.input("v" + std::to_string(i), shape));
  }
  Var y = f(xs);
  if (!y.valid() || &y.graph() != &g) throw GradCheckError("check_grads: f must return a node built on its inputs");
  std::mt19937_64 rng(options.seed);
  std::vector<Tensor> v;
  for (const Tensor& a : args) v.push_back(normal(rng, Shape(a.shape().begin(), a.shape().end())));
  Tensor u_value = normal(rng, y.shape());
  GradCheckReport report;
  Failures failures;

  Var u = g.input("u", y.shape());
  Var jv = jvp(std::vector<Var>{y}, xs, vs)[0];
  std::vector<Var> outs{y, jv};
  std::vector<Var> vj;
  if (options.reverse) vj = vjp({y}, {u}, xs);
  outs.insert(outs.end(), vj.begin(), vj.end());
  Program p(g, outs);
  set_all(p, xs, args);
  set_all(p, vs, v);
  if (options.reverse) p.set(u, u_value);
  p.run();
  Tensor jv_value = p.get(jv);
  if (options.reverse) {  // before the difference runs move x
    double uJv = inner(u_value, jv_value), Jtu_v = 0;
    for (std::size_t i = 0; i < vj.size(); ++i) Jtu_v += inner(p.get(vj[i]), v[i]);
    report.transpose_gap = std::fabs(uJv - Jtu_v);
    failures.check("transpose identity <u, Jv> = <J^T u, v>", report.transpose_gap, options.transpose_tolerance,
                   std::max(std::fabs(uJv), std::fabs(Jtu_v)));
  }

  if (options.forward) {
    set_all(p, xs, shifted(args, v, options.step));
    p.run();
    Tensor plus = p.get(y);
    set_all(p, xs, shifted(args, v, -options.step));
    p.run();
    Tensor differences = (plus - p.get(y)) / (2 * options.step);
    report.jvp_vs_differences = max_gap(differences, jv_value);
    failures.check("jvp vs central differences", report.jvp_vs_differences, options.jvp_tolerance,
                   euclidean_norm(jv_value));
  }
  if (options.forward && options.reverse) {
    std::vector<Var> jacobians;
    for (const Var& x : xs) {
      jacobians.push_back(jacobian(y, x, Mode::Forward));
      jacobians.push_back(jacobian(y, x, Mode::Reverse));
    }
    Program pj(g, jacobians);
    set_all(pj, xs, args);
    pj.run();
    double scale = 0;
    for (std::size_t i = 0; i < jacobians.size(); i += 2) {
      Tensor forward = pj.get(jacobians[i]);
      report.forward_vs_reverse = std::max(report.forward_vs_reverse, max_gap(forward, pj.get(jacobians[i + 1])));
      scale = std::max(scale, euclidean_norm(forward));
    }
    failures.check("forward- vs reverse-mode Jacobian", report.forward_vs_reverse, options.jacobian_tolerance, scale);
  }
  if (options.order >= 2) {
    Var w = g.input("w", y.shape()), w2 = g.input("w2", y.shape());
    Var phi = sum(w * y) + 0.5 * sum(w2 * y * y);
    std::vector<Var> gradient = grad(phi, xs);
    std::vector<Var> hv = hvp(phi, xs, vs);
    std::vector<Var> houts = gradient;
    houts.insert(houts.end(), hv.begin(), hv.end());
    Program ph(g, houts);
    ph.set(w, normal(rng, y.shape()));
    ph.set(w2, normal(rng, y.shape()));
    set_all(ph, vs, v);
    set_all(ph, xs, args);
    ph.run();
    std::vector<Tensor> hv_value;
    for (const Var& h : hv) hv_value.push_back(ph.get(h));
    set_all(ph, xs, shifted(args, v, options.step2));
    ph.run();
    std::vector<Tensor> plus;
    for (const Var& gi : gradient) plus.push_back(ph.get(gi));
    set_all(ph, xs, shifted(args, v, -options.step2));
    ph.run();
    double scale = 0;
    for (std::size_t i = 0; i < gradient.size(); ++i) {
      Tensor differences = (plus[i] - ph.get(gradient[i])) / (2 * options.step2);
      report.hvp_vs_differences = std::max(report.hvp_vs_differences, max_gap(differences, hv_value[i]));
      scale = std::max(scale, euclidean_norm(hv_value[i]));
    }
    failures.check("hvp vs central differences of the gradient", report.hvp_vs_differences, options.hvp_tolerance,
                   scale);
  }
  std::string failed = failures.text.str();
  if (!failed.empty()) throw GradCheckError("check_grads: derivative checks failed at the given point:" + failed);
  return report;
}

}  // namespace dagrad
