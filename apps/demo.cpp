#include "demo.hpp"

#include <cmath>
#include <random>
#include <sstream>

#include <fmt/core.h>

#include "checks.hpp"
#include "dagrad/analysis/cost.hpp"
#include "dagrad/dagrad.hpp"
#include "dagrad/data/files.hpp"
#include "dagrad/graph/memory.hpp"

namespace dagrad::apps {

void check_demo(const DemoOptions& o) {
  if (o.inputs == 0 || o.width == 0 || o.depth == 0 || o.batch == 0 || o.repeats < 1)
    throw Error("demo: --inputs, --width, --depth, --batch and --repeats must be positive");
  require_directory_or_absent("--out", o.out_dir);
  auto inputs = static_cast<double>(o.inputs), width = static_cast<double>(o.width),
       depth = static_cast<double>(o.depth);
  double parameters = inputs * width + (depth - 1) * width * width + depth * width + width;
  if (parameters > kMaxDemoParameters)
    throw Error(fmt::format(
        "demo: the MLP has {:.4g} parameters; its cost table runs one forward-mode pass per parameter, so the "
        "demo takes at most {:.0f} (`dagrad cost` studies large models)",
        parameters, kMaxDemoParameters));
  require_memory(sizeof(Scalar) * static_cast<double>(o.batch) * (inputs + 4 * width * depth), "demo: the activations");
}

int run_demo(const DemoOptions& o) {
  check_demo(o);
  data::require_writable_directory("--out", o.out_dir);
  Graph g(parse_dtype(o.dtype));
  Var x = g.input("x", {o.batch, o.inputs});
  Var y = g.input("y", {o.batch});
  Var h = x;
  std::size_t fan_in = o.inputs;
  for (std::size_t layer = 0; layer < o.depth; ++layer) {
    Graph::NameScope scope(g, "layer" + std::to_string(layer + 1));
    Var w = g.parameter("W", {fan_in, o.width}, Init::glorot_normal());
    Var b = g.parameter("b", {o.width}, Init::zeros());
    h = tanh(matmul(h, w) + b);
    fan_in = o.width;
  }
  Var w_out = g.parameter("w_out", {fan_in}, Init::glorot_normal());
  Var loss = logistic_loss(matmul(h, w_out), y).named("loss");
  ParamStore store(g, o.seed);

  // Labels from a random teacher direction, so the loss is a real classification loss.
  std::mt19937_64 rng(o.seed + 1);
  std::normal_distribution<double> normal(0, 1);
  Tensor xv = Tensor::from_shape({o.batch, o.inputs}), teacher = Tensor::from_shape({o.inputs});
  for (auto& v : xv) v = normal(rng);
  for (auto& v : teacher) v = normal(rng);
  Tensor yv = Tensor::from_shape({o.batch});
  for (std::size_t i = 0; i < o.batch; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < o.inputs; ++j) s += xv(i, j) * teacher(j);
    yv(i) = s >= 0 ? 1 : -1;
  }
  std::vector<std::pair<Var, Tensor>> data{{x, xv}, {y, yv}};

  std::vector<Var> grads = grad(loss, store.parameters());
  std::vector<Var> outputs{loss};
  outputs.insert(outputs.end(), grads.begin(), grads.end());
  Program program(g, outputs, {true, false});
  program.bind(store);
  for (const auto& [v, t] : data) program.set(v, t);
  program.run();
  double norm2 = 0;
  for (const Var& gv : grads)
    for (double v : program.view(gv)) norm2 += v * v;

  fmt::print("dagrad demo: MLP {} -> {} x {} (tanh) -> 1, logistic loss, batch {}, {} parameters, seed {}, {}\n",
             o.inputs, o.depth, o.width, o.batch, store.size(), o.seed, o.dtype);
  fmt::print("  graph: {} nodes; gradient program: {} ops, {:.0f} flops/run, peak live {:.1f} KiB\n", g.size(),
             program.stats().ops, program.stats().per_run.flops, program.stats().peak_live_bytes / 1024.0);
  std::string kinks = program.kink_report().summary();
  fmt::print("  loss = {:.12g}\n  |grad| = {:.12g} (Clarke policy; {})\n", program.scalar(loss), std::sqrt(norm2),
             kinks.substr(0, kinks.find('\n')));

  std::string dot_path = o.out_dir + "/mlp.dot", grad_dot_path = o.out_dir + "/mlp_grad.dot";
  std::ostringstream dot, grad_dot;
  write_dot(dot, g, {loss.id()});
  write_dot(grad_dot, g, {grads[0].id()});
  data::write_file(dot_path, dot.str());
  data::write_file(grad_dot_path, grad_dot.str());
  fmt::print("  wrote {} (forward graph) and {} (with the first layer's gradient)\n\n", dot_path, grad_dot_path);

  // The gradient with respect to every parameter, so d here is the parameter count.
  std::vector<Tensor> at;
  for (const Var& p : store.parameters()) {
    Tensor t = Tensor::from_shape(p.shape());
    std::copy(store.value(p).begin(), store.value(p).end(), t.begin());
    at.push_back(std::move(t));
  }
  analysis::GradientMethods methods(g, loss, store.parameters(), at, [&](Program& p) {
    p.bind(store);
    for (const auto& [v, t] : data) p.set(v, t);
  });
  auto rows = analysis::gradient_costs(methods, o.repeats);
  fmt::print("Cost of the full gradient (d = {} parameters), median of repeated runs:\n", store.size());
  fmt::print("  {:<32} {:>8} {:>14} {:>9} {:>12} {:>12} {:>14}\n", "method", "passes", "flops", "vs eval", "time [ms]",
             "vs eval", "max |diff|");
  const analysis::MethodCost& base = rows[0];
  for (const auto& r : rows)
    fmt::print("  {:<32} {:>8.0f} {:>14.4g} {:>8.1f}x {:>12.4f} {:>11.1f}x {:>14.2e}\n", r.method, r.passes, r.flops,
               r.flops / base.flops, r.seconds * 1e3, r.seconds / base.seconds, r.max_abs_diff);
  if (o.markdown) {
    *o.markdown << "## Cost of the full gradient\n\nWith respect to all d parameters of an MLP " << o.inputs << " -> "
                << o.depth << " x " << o.width << " (tanh) -> 1, " << store.size() << " parameters, batch " << o.batch
                << "; loss " << program.scalar(loss) << ".\n\n"
                << "| method | passes | flops | flops / eval | time [ms] | time / eval | max abs diff "
                   "|\n|---|---|---|---|---|---|---|\n";
    for (const auto& r : rows)
      *o.markdown << fmt::format("| {} | {:.0f} | {:.4g} | {:.1f} | {:.4f} | {:.1f} | {:.2e} |\n", r.method, r.passes,
                                 r.flops, r.flops / base.flops, r.seconds * 1e3, r.seconds / base.seconds,
                                 r.max_abs_diff);
    *o.markdown << "\nThe graph: `mlp.dot`, with the first layer's gradient: `mlp_grad.dot` (Graphviz DOT).\n\n";
  }
  // The three gradients must agree: forward mode exactly up to rounding, differences to O(h²).
  const GradientAgreement agree(g.dtype());
  if (rows[2].max_abs_diff > agree.modes || rows[3].max_abs_diff > agree.differences) {
    fmt::print(stderr, "dagrad demo: gradients disagree (forward {:.2e}, differences {:.2e})\n", rows[2].max_abs_diff,
               rows[3].max_abs_diff);
    return kClaimFails;
  }
  fmt::print(
      "\nReverse mode costs a small multiple of one evaluation whatever the parameter count; forward mode and\n"
      "finite differences grow with it (the cheap gradient principle).\n");
  return 0;
}

}  // namespace dagrad::apps
