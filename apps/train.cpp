#include "train.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include <fmt/core.h>

#include "checks.hpp"
#include "dagrad/dagrad.hpp"
#include "dagrad/data/dataset.hpp"
#include "dagrad/data/files.hpp"
#include "dagrad/graph/memory.hpp"
#include "dagrad/models/models.hpp"
#include "dagrad/optim/checkpoint.hpp"
#include "dagrad/optim/trainer.hpp"
#include "plot.hpp"

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
    if (side * side != d)
      throw Error("convnet needs square single-channel images; " + std::to_string(d) + " features are not");
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

bool is_csv_path(const std::string& data) {
  return data.find('/') != std::string::npos || data.find(".csv") != std::string::npos;
}

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
  require_memory(sizeof(Scalar) * (4 * params + 2 * nodes), "training " + c.model + " (" +
                                                                std::to_string(static_cast<std::uint64_t>(params)) +
                                                                " parameters, batch " + std::to_string(c.batch) + ")");
}

// Loss and accuracy against the step. The paths and the title (which holds the data file's name)
// reach gnuplot as arguments, never inside the script. True when the plot was written.
bool plot(const std::string& dir, const std::string& title) {
  std::string script =
      "set terminal pngcairo size 1000,420\nset output ARG2\n"
      "set datafile separator ','\nset key autotitle columnhead\nset multiplot layout 1,2 title ARG3 noenhanced\n"
      "set xlabel 'step'\nset logscale y\nset ylabel 'loss'\n"
      "positive(y) = y >= 2.3e-308 ? y : 1/0\n"  // a loss of 0 has no place on a log axis (gnuplot would refuse it)
      "plot ARG1 using 1:(positive($3)) with linespoints title 'train', '' using 1:(positive($5)) with linespoints "
      "title 'test'\n"
      "unset logscale y\nset ylabel 'accuracy'\nset yrange [0:1]\nset key bottom right\n"
      "plot ARG1 using 1:4 with linespoints title 'train', '' using 1:6 with linespoints title 'test'\n"
      "unset multiplot\n";
  std::string png = dir + "/training.png";
  return run_gnuplot(dir + "/training.gp", script, {dir + "/metrics.csv", png, title}, {png});
}

// The options that define a run beyond what optim::train records (seed, batch size, data checksums).
std::map<std::string, std::string> run_identity(const TrainCommand& c) {
  return {{"data", c.data}, {"test fraction", fmt::format("{}", c.test_fraction)}};
}

// A --resume directory must hold a checkpoint made with this command's seed, batch size and data;
// the values are compared here, before any work, and again by optim::train against the data read.
void check_resume(const TrainCommand& c) {
  const std::string& dir = *c.resume_dir;
  if (!std::filesystem::is_directory(dir)) throw Error("--resume " + dir + ": no such checkpoint directory");
  if (!optim::holds_checkpoint(dir)) throw Error("--resume " + dir + ": holds no checkpoint");
  std::map<std::string, std::string> saved = optim::checkpoint_values(dir), ours = run_identity(c);
  ours["seed"] = std::to_string(c.seed);
  ours["batch size"] = std::to_string(c.batch);
  for (const auto& [key, value] : ours) {
    auto it = saved.find("run/" + key);
    if (it == saved.end())
      throw Error("--resume " + dir + ": the checkpoint does not record its " + key + " (made by an older dagrad)");
    if (it->second != value)
      throw Error("--resume " + dir + ": " + key + " is " + value + " here, but the checkpoint was made with " +
                  it->second);
  }
}

}  // namespace

void check_train(const TrainCommand& c) {
  require_finite("train --lr", c.lr);
  require_finite("train --weight-decay", c.weight_decay);
  require_finite("train --clip", c.clip);
  require_finite("train --min-accuracy", c.min_accuracy);
  if (c.epochs == 0 || c.batch == 0 || c.width == 0)
    throw Error("train: --epochs, --batch and --width must be positive");
  if (!(c.test_fraction > 0 && c.test_fraction < 1)) throw Error("train: --test-fraction must lie in (0, 1)");
  optim::make_optimizer(c.optimizer, optim::Options{optim::constant(c.lr), c.weight_decay, c.clip}, c.seed);
  require_directory_or_absent("--out", c.out_dir);
  if (c.data.empty()) throw Error("--data: the path is empty");
  if (c.checkpoint_dir && c.resume_dir)
    throw Error("--checkpoint and --resume exclude each other (--resume keeps saving to its directory)");
  if (c.overwrite && !c.checkpoint_dir) throw Error("--overwrite applies to --checkpoint only");
  if (c.checkpoint_dir) {
    require_directory_or_absent("--checkpoint", *c.checkpoint_dir);
    if (optim::holds_checkpoint(*c.checkpoint_dir) && !c.overwrite)
      throw Error("--checkpoint " + *c.checkpoint_dir + ": already holds a checkpoint (epoch " +
                  optim::checkpoint_values(*c.checkpoint_dir)["loop/epoch"] + "); --resume " + *c.checkpoint_dir +
                  " continues it, --overwrite replaces it");
  }
  if (c.resume_dir) {
    require_directory_or_absent("--resume", *c.resume_dir);
    check_resume(c);
  }
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
  // Every directory this run writes is proved writable before the data are read or a step is taken.
  data::require_writable_directory("--out", c.out_dir);
  std::string checkpoint_dir = c.resume_dir ? *c.resume_dir : c.checkpoint_dir.value_or("");
  if (!checkpoint_dir.empty())
    data::require_writable_directory(c.resume_dir ? "--resume" : "--checkpoint", checkpoint_dir);
  data::CsvOptions csv;
  csv.allow_empty_classes = c.allow_empty_classes;
  data::Dataset all = is_csv_path(c.data) ? data::load_csv(c.data, csv) : data::load_sklearn(c.data);
  data::Split split = data::train_test_split(all, c.test_fraction, c.seed);
  data::standardize(split);
  if (all.classes < 2) throw Error(c.data + ": needs at least two classes");
  require_training_memory(c, all.features(), all.classes);

  Graph g(parse_dtype(c.dtype));
  Var x = g.input("x", {c.batch, all.features()}), y = g.input("y", {c.batch});
  models::Model model = build_model(c, x, all.classes);
  ParamStore store(g, c.seed);
  model.initialize(store, c.seed);
  optim::TrainSetup setup{x,
                          y,
                          model.output,
                          model.params,
                          [](const Var& out, const Var& labels) { return cross_entropy(out, labels); },
                          optim::Task::Classification};
  optim::Options options{optim::constant(c.lr), c.weight_decay, c.clip};
  auto optimizer = optim::make_optimizer(c.optimizer, options, c.seed);

  fmt::print("dagrad train: {} on {} ({} train / {} test rows, {} features, {} classes), {} parameters, {}, {} lr {}\n",
             c.model, all.name, split.train.size(), split.test.size(), all.features(), all.classes, store.size(),
             c.dtype, c.optimizer, c.lr);
  bool terminal = isatty(fileno(stdout));
  optim::TrainOptions to;
  to.epochs = c.epochs;
  to.seed = c.seed;
  to.eval_every = c.eval_every;
  to.checkpoint_dir = checkpoint_dir;
  to.resume = c.resume_dir.has_value();
  to.overwrite_checkpoint = c.overwrite;
  to.identity = run_identity(c);
  if (to.resume) fmt::print("  resuming from {}\n", checkpoint_dir);
  auto on_eval = [&](const optim::Metrics& m) {
    if (terminal) fmt::print("\r\033[K");
    fmt::print("  epoch {:>3} step {:>6}  train loss {:.4f} acc {:.4f}  test loss {:.4f} acc {:.4f}  {:.1f}s\n",
               m.epoch, m.step, m.train_loss, m.train_accuracy, m.test_loss, m.test_accuracy, m.seconds);
    std::fflush(stdout);
  };
  auto on_step = [&](std::size_t step, std::size_t total, double loss) {
    if (!terminal) return;
    std::size_t filled = 30 * step / std::max<std::size_t>(total, 1);
    fmt::print("\r  [{}{}] {}/{} batch loss {:.4f}", std::string(filled, '#'), std::string(30 - filled, '.'), step,
               total, loss);
    std::fflush(stdout);
  };
  auto history = optim::train(g, setup, store, *optimizer, split, to, on_eval, on_step);

  std::string metrics = c.out_dir + "/metrics.csv";
  optim::write_metrics_csv(metrics, history);
  bool plotted = plot(c.out_dir, c.model + " on " + all.name);
  // A missing figure is a failure, named, once the metrics (and any checkpoint) are written.
  if (!plotted)
    throw Error("gnuplot did not render " + c.out_dir +
                "/training.png (scripts/install-deps.sh installs gnuplot-nox); " + "the metrics are in " + metrics);
  const auto& last = history.back();
  fmt::print("final test accuracy {:.4f} after {:.1f}s; wrote {}{}\n", last.test_accuracy, last.seconds, metrics,
             plotted ? " and " + c.out_dir + "/training.png" : "");
  if (last.test_accuracy < c.min_accuracy) {
    fmt::print(stderr, "dagrad train: test accuracy {:.4f} is below the required {:.4f}\n", last.test_accuracy,
               c.min_accuracy);
    return kBelowAccuracy;
  }
  return kSuccess;
}

}  // namespace dagrad::apps
