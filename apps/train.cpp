#include "train.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/core.h>

#include "dagrad.hpp"
#include "data/dataset.hpp"
#include "models/models.hpp"
#include "optim/trainer.hpp"

namespace dagrad::apps {

namespace {

models::Model build_model(const TrainCommand& c, const Var& x, std::size_t classes) {
  std::size_t d = x.shape()[1];
  if (c.model == "mlp") {
    models::MlpOptions o;
    o.hidden.assign(c.depth, c.width);
    o.outputs = classes;
    return models::mlp(x, o);
  }
  if (c.model == "resnet") return models::resnet_fc(x, c.width, c.depth, classes);
  if (c.model == "linear") return models::linear(x, classes);
  if (c.model == "convnet") {
    auto side = static_cast<std::size_t>(std::lround(std::sqrt(static_cast<double>(d))));
    if (side * side != d) throw Error("convnet needs square single-channel images; " + std::to_string(d) + " features are not");
    return models::resnet_conv(reshape(x, {kInferred, 1, side, side}), c.width, c.depth, classes);
  }
  throw Error("unknown model '" + c.model + "' (mlp, resnet, convnet, linear)");
}

void plot(const std::string& dir, const std::string& title) {
  std::string script = dir + "/training.gp";
  std::ofstream gp(script);
  gp << "set terminal pngcairo size 1000,420\nset output '" << dir << "/training.png'\n"
     << "set datafile separator ','\nset key autotitle columnhead\nset multiplot layout 1,2 title '" << title << "'\n"
     << "set xlabel 'step'\nset logscale y\nset ylabel 'loss'\n"
     << "plot '" << dir << "/metrics.csv' using 1:3 with linespoints title 'train', '' using 1:5 with linespoints title 'test'\n"
     << "unset logscale y\nset ylabel 'accuracy'\nset yrange [0:1]\nset key bottom right\n"
     << "plot '" << dir << "/metrics.csv' using 1:4 with linespoints title 'train', '' using 1:6 with linespoints title 'test'\n"
     << "unset multiplot\n";
  gp.close();
  if (std::system(("gnuplot '" + script + "' 2>/dev/null").c_str()) != 0)
    fmt::print(stderr, "dagrad train: gnuplot failed or is missing; metrics are in {}/metrics.csv\n", dir);
}

}  // namespace

int run_train(const TrainCommand& c) {
  data::Dataset all = c.data.find('/') != std::string::npos || c.data.find(".csv") != std::string::npos
                          ? data::load_csv(c.data)
                          : data::load_sklearn(c.data);
  data::Split split = data::train_test_split(all, c.test_fraction, c.seed);
  data::standardize(split);
  if (all.classes < 2) throw Error(c.data + ": needs at least two classes");

  Graph g;
  Var x = g.input("x", {c.batch, all.features()}), y = g.input("y", {c.batch});
  models::Model model = build_model(c, x, all.classes);
  ParamStore store(g, c.seed);
  model.initialize(store, c.seed);
  optim::TrainSetup setup{x, y, model.output, model.params,
                          [](const Var& out, const Var& labels) { return cross_entropy(out, labels); },
                          optim::Task::Classification};
  optim::Options options{optim::constant(c.lr), c.weight_decay, c.clip};
  auto optimizer = optim::make_optimizer(c.optimizer, options, c.seed);

  fmt::print("dagrad train: {} on {} ({} train / {} test rows, {} features, {} classes), {} parameters, {} lr {}\n", c.model,
             all.name, split.train.size(), split.test.size(), all.features(), all.classes, store.size(), c.optimizer, c.lr);
  bool terminal = isatty(fileno(stdout));
  optim::TrainOptions to;
  to.epochs = c.epochs;
  to.seed = c.seed;
  to.eval_every = c.eval_every;
  to.checkpoint_dir = c.resume_dir.empty() ? c.checkpoint_dir : c.resume_dir;
  to.resume = !c.resume_dir.empty();
  if (to.resume) fmt::print("  resuming from {}\n", c.resume_dir);
  auto on_eval = [&](const optim::Metrics& m) {
    if (terminal) fmt::print("\r\033[K");
    fmt::print("  epoch {:>3} step {:>6}  train loss {:.4f} acc {:.4f}  test loss {:.4f} acc {:.4f}  {:.1f}s\n", m.epoch, m.step,
               m.train_loss, m.train_accuracy, m.test_loss, m.test_accuracy, m.seconds);
    std::fflush(stdout);
  };
  auto on_step = [&](std::size_t step, std::size_t total, double loss) {
    if (!terminal) return;
    std::size_t filled = 30 * step / std::max<std::size_t>(total, 1);
    fmt::print("\r  [{}{}] {}/{} batch loss {:.4f}", std::string(filled, '#'), std::string(30 - filled, '.'), step, total, loss);
    std::fflush(stdout);
  };
  auto history = optim::train(g, setup, store, *optimizer, split, to, on_eval, on_step);

  std::filesystem::create_directories(c.out_dir);
  optim::write_metrics_csv(c.out_dir + "/metrics.csv", history);
  plot(c.out_dir, c.model + " on " + all.name);
  const auto& last = history.back();
  fmt::print("final test accuracy {:.4f} after {:.1f}s; wrote {}/metrics.csv and {}/training.png\n", last.test_accuracy,
             last.seconds, c.out_dir, c.out_dir);
  if (last.test_accuracy < c.min_accuracy) {
    fmt::print(stderr, "dagrad train: test accuracy {:.4f} is below the required {:.4f}\n", last.test_accuracy, c.min_accuracy);
    return 3;
  }
  return 0;
}

}  // namespace dagrad::apps
