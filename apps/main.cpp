// The dagrad command line. With no subcommand it runs the report (the README's main job).
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "dagrad.hpp"
#include "cost.hpp"
#include "demo.hpp"
#include "report.hpp"
#include "train.hpp"

int main(int argc, char** argv) {
  CLI::App app{"dagrad: computation graphs of tensor ops and their derivatives"};
  app.fallthrough();  // subcommands inherit it: options of the main command (--blas-threads) work after them
  dagrad::apps::DemoOptions demo;
  auto add_demo_options = [&demo](CLI::App* cmd) {
    cmd->add_option("--inputs", demo.inputs, "input dimension")->check(CLI::PositiveNumber);
    cmd->add_option("--width", demo.width, "hidden width")->check(CLI::PositiveNumber);
    cmd->add_option("--depth", demo.depth, "hidden layers")->check(CLI::Range(1, 64));
    cmd->add_option("--batch", demo.batch, "examples")->check(CLI::PositiveNumber);
    cmd->add_option("--seed", demo.seed, "seed for data and initial weights");
    cmd->add_option("--repeats", demo.repeats, "timing repeats (median is reported)")->check(CLI::Range(1, 100000));
    cmd->add_option("--out", demo.out_dir, "directory for the DOT files");
  };
  add_demo_options(&app);
  CLI::App* demo_cmd = app.add_subcommand("demo", "build an MLP, print loss and gradient norm, DOT file and gradient cost table");
  add_demo_options(demo_cmd);
  dagrad::apps::TrainCommand train;
  CLI::App* train_cmd = app.add_subcommand("train", "train a model on a data set and plot loss and accuracy");
  train_cmd->add_option("--data", train.data, "digits, iris, wine, breast_cancer, or a CSV file (label last)");
  train_cmd->add_option("--model", train.model, "mlp, resnet, convnet, linear");
  train_cmd->add_option("--optimizer", train.optimizer, "gd, sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw, ...");
  train_cmd->add_option("--lr", train.lr, "step size")->check(CLI::PositiveNumber);
  train_cmd->add_option("--weight-decay", train.weight_decay, "L2 weight decay (decoupled for adamw)")->check(CLI::NonNegativeNumber);
  train_cmd->add_option("--clip", train.clip, "clip the gradient norm to this (0: off)")->check(CLI::NonNegativeNumber);
  train_cmd->add_option("--epochs", train.epochs, "passes over the training set")->check(CLI::PositiveNumber);
  train_cmd->add_option("--batch", train.batch, "minibatch size")->check(CLI::PositiveNumber);
  train_cmd->add_option("--width", train.width, "hidden width (channels for convnet)")->check(CLI::PositiveNumber);
  train_cmd->add_option("--depth", train.depth, "hidden layers (residual blocks for resnet, convnet)")->check(CLI::Range(0, 64));
  train_cmd->add_option("--eval-every", train.eval_every, "steps between evaluations (0: every epoch)");
  train_cmd->add_option("--test-fraction", train.test_fraction, "held-out share")->check(CLI::Range(0.01, 0.99));
  train_cmd->add_option("--seed", train.seed, "seed for split, shuffling and initial weights");
  train_cmd->add_option("--min-accuracy", train.min_accuracy, "exit with status 3 below this final test accuracy");
  train_cmd->add_option("--out", train.out_dir, "directory for metrics.csv and training.png");
  train_cmd->add_option("--checkpoint", train.checkpoint_dir, "save a crash-safe checkpoint here after every epoch");
  train_cmd->add_option("--resume", train.resume_dir, "continue from the checkpoint in this directory (same options), saving to it")
      ->excludes(train_cmd->get_option("--checkpoint"));
  std::string study_name, study_out = "out/studies", report_out = "out";
  bool quick = false;
  CLI::App* study_cmd = app.add_subcommand("study", "run one implicit-bias study: CSV, PNG plot and a report section");
  study_cmd->add_option("name", study_name, "max-margin, max-margin-digits, deep-linear, balancedness, balancedness-linear, kinks, landscape, lazy-vs-active, factorization, linear-conv, mean-field")
      ->required();
  study_cmd->add_flag("--quick", quick, "the short edition used by tests and the report");
  study_cmd->add_option("--out", study_out, "output directory");
  dagrad::apps::StudyOverrides overrides;
  study_cmd->add_option("--seed", overrides.seed, "seed for data and initial weights");
  study_cmd->add_option("--steps", overrides.steps, "training steps")->check(CLI::PositiveNumber);
  study_cmd->add_option("--n", overrides.n, "training examples")->check(CLI::PositiveNumber);
  study_cmd->add_option("--d", overrides.d, "input dimension")->check(CLI::PositiveNumber);
  study_cmd->add_option("--width", overrides.width, "hidden width")->check(CLI::PositiveNumber);
  study_cmd->add_option("--depth", overrides.depth, "depth")->check(CLI::PositiveNumber);
  study_cmd->add_option("--lr", overrides.lr, "step size")->check(CLI::PositiveNumber);
  study_cmd->add_option("--size", overrides.size, "matrix side (factorization)")->check(CLI::PositiveNumber);
  study_cmd->add_option("--rank", overrides.rank, "planted rank (factorization)")->check(CLI::PositiveNumber);
  study_cmd->add_option("--depths", overrides.depths, "factorization depths")->check(CLI::PositiveNumber)->delimiter(',');
  study_cmd->add_option("--observed", overrides.observed, "observed entries (factorization)")->check(CLI::PositiveNumber)->delimiter(',');
  study_cmd->add_option("--widths", overrides.widths, "widths (mean-field, landscape)")->check(CLI::PositiveNumber)->delimiter(',');
  study_cmd->add_option("--init-scales", overrides.init_scales, "initialisation scales (factorization)")->check(CLI::PositiveNumber)->delimiter(',');
  dagrad::apps::CostCommand cost;
  CLI::App* cost_cmd = app.add_subcommand("cost", "forward vs reverse mode vs finite differences: counted flops, time, fitted exponents, plot");
  cost_cmd->add_flag("--quick", cost.quick, "small sizes (seconds)");
  cost_cmd->add_option("--repeats", cost.repeats, "timing runs per measurement (median)")->check(CLI::Range(1, 10000));
  cost_cmd->add_option("--seed", cost.seed, "seed for data and weights");
  cost_cmd->add_option("--out", cost.out_dir, "output directory");
  app.add_option("--report-out", report_out, "directory of the default report");
  // One OpenBLAS thread by default: the studies' small GEMVs run several times slower with two
  // (max-margin-digits 16.1 s vs 3.4 s); large-batch training may want more.
  int blas_threads = 1;
  app.add_option("--blas-threads", blas_threads, "OpenBLAS threads (also after a subcommand)")->check(CLI::Range(1, 1024));
  CLI11_PARSE(app, argc, argv);
  try {
    dagrad::set_blas_threads(blas_threads);
    if (*train_cmd) return dagrad::apps::run_train(train);
    if (*study_cmd) return dagrad::apps::run_study(study_name, quick, study_out, overrides);
    if (*cost_cmd) return dagrad::apps::run_cost(cost);
    if (*demo_cmd) return dagrad::apps::run_demo(demo);
    return dagrad::apps::run_report(report_out);
  } catch (const dagrad::Error& e) {
    fmt::print(stderr, "dagrad: {}\n", e.what());
    return 1;
  }
}
