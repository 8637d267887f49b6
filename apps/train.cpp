#include "train.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/core.h>

#include "checks.hpp"
#include "dagrad.hpp"
#include "graph/memory.hpp"
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

// Features and classes of the built-in data sets, so options can be checked before any data is read.
struct KnownData {
  const char* name;
  std::size_t features, classes;
};
constexpr KnownData kKnownData[] = {{"digits", 64, 10}, {"iris", 4, 3}, {"wine", 13, 3}, {"breast_cancer", 30, 2}};

bool is_csv_path(const std::string& data) { return data.find('/') != std::string::npos || data.find(".csv") != std::string::npos; }

// The model's graph (shapes only, nothing allocated) and the memory a training step will hold:
// parameters with their gradients and up to two optimizer moments, and every node's value (an upper
// bound: the program reuses buffers; the backward pass about doubles the forward's nodes).
void require_training_memory(const TrainCommand& c, std::size_t features, std::size_t classes) {
  Graph g;
  Var x = g.input("x", {c.batch, features});
  models::Model model = build_model(c, x, classes);
  double params = 0, nodes = 0;
  for (const Var& p : model.params) params += static_cast<double>(p.size());
  for (std::size_t id = 0; id < g.size(); ++id) nodes += static_cast<double>(size_of(g.node(id).shape));
  require_memory(sizeof(Scalar) * (4 * params + 2 * nodes),
                 "training " + c.model + " (" + std::to_string(static_cast<std::uint64_t>(params)) + " parameters, batch " +
                     std::to_string(c.batch) + ")");
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

void check_train(const TrainCommand& c) {
  require_finite("train --lr", c.lr);
  require_finite("train --weight-decay", c.weight_decay);
  require_finite("train --clip", c.clip);
  require_finite("train --min-accuracy", c.min_accuracy);
  if (c.epochs == 0 || c.batch == 0 || c.width == 0) throw Error("train: --epochs, --batch and --width must be positive");
  if (!(c.test_fraction > 0 && c.test_fraction < 1)) throw Error("train: --test-fraction must lie in (0, 1)");
  optim::make_optimizer(c.optimizer, optim::Options{optim::constant(c.lr), c.weight_decay, c.clip}, c.seed);
  require_directory_or_absent("--out", c.out_dir);
  if (!c.checkpoint_dir.empty()) require_directory_or_absent("--checkpoint", c.checkpoint_dir);
  if (!c.resume_dir.empty() && !std::filesystem::is_directory(c.resume_dir))
    throw Error("--resume " + c.resume_dir + ": no such checkpoint directory");
  if (is_csv_path(c.data)) {
    // A FIFO or device would block or never end; the CSV loader checks everything inside the file.
    std::error_code ec;
    if (!std::filesystem::is_regular_file(c.data, ec)) throw Error("--data " + c.data + ": not a regular file");
    if (c.model != "mlp" && c.model != "resnet" && c.model != "linear" && c.model != "convnet")
      throw Error("unknown model '" + c.model + "' (mlp, resnet, convnet, linear)");
    return;  // the model is checked again with the file's feature count once it is read
  }
  for (const KnownData& known : kKnownData)
    if (c.data == known.name) return require_training_memory(c, known.features, known.classes);
  throw Error("unknown data set '" + c.data + "' (digits, iris, wine, breast_cancer, or a CSV path)");
}

int run_train(const TrainCommand& c) {
  check_train(c);
  data::Dataset all = is_csv_path(c.data) ? data::load_csv(c.data) : data::load_sklearn(c.data);
  data::Split split = data::train_test_split(all, c.test_fraction, c.seed);
  data::standardize(split);
  if (all.classes < 2) throw Error(c.data + ": needs at least two classes");
  require_training_memory(c, all.features(), all.classes);

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
