#include "cli.hpp"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <new>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "checks.hpp"
#include "dagrad/dagrad.hpp"

namespace dagrad::apps {

namespace {

// CLI11 2.1's own checks let "inf", "1e999", "-1" (wrapped to 2^64 − 1) and 2^64 and beyond
// (saturated) through; these validate the text before it is converted.
CLI::Validator whole_number(std::uint64_t least) {
  return CLI::Validator(
      [least](std::string& text) -> std::string {
        std::string refusal =
            "must be a whole number from " + std::to_string(least) + " to 18446744073709551615, not '" + text + "'";
        if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return refusal;
        errno = 0;
        unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
        if (errno == ERANGE || value < least) return refusal;
        return {};
      },
      least ? "POSITIVE" : "");
}

enum class Bound { positive, non_negative, any };
CLI::Validator finite_number(Bound bound) {
  return CLI::Validator(
      [bound](std::string& text) -> std::string {
        double value = 0;
        bool ok = CLI::detail::lexical_cast(text, value) && std::isfinite(value) &&
                  (bound == Bound::any || value > 0 || (bound == Bound::non_negative && value == 0));
        if (ok) return {};
        return std::string("must be a finite") +
               (bound == Bound::positive       ? " positive"
                : bound == Bound::non_negative ? " non-negative"
                                               : "") +
               " number, not '" + text + "'";
      },
      bound == Bound::positive       ? "POSITIVE"
      : bound == Bound::non_negative ? "NONNEGATIVE"
                                     : "");
}

// The registry's studies for `dagrad study --help`: name, source, claim and the overrides each takes.
std::string study_list() {
  std::string text = "Studies:\n";
  for (const studies::StudyEntry& study : studies::registry()) {
    std::string options;
    for (const std::string& option : study.options) options += " " + option;
    text += "  " + study.name + (study.in_report ? " (in the report)" : "") + ": " + study.source + ".\n    " +
            study.claim + ".\n    options:" + options + "\n";
  }
  return text;
}

const CLI::IsMember kDtypes(std::vector<std::string>{"float64", "float32", "bfloat16"});

void add_demo_options(CLI::App* cmd, DemoOptions& demo) {
  cmd->add_option("--dtype", demo.dtype, "float64, float32 or bfloat16")->check(kDtypes);
  cmd->add_option("--inputs", demo.inputs, "input dimension")->check(whole_number(1));
  cmd->add_option("--width", demo.width, "hidden width")->check(whole_number(1));
  cmd->add_option("--depth", demo.depth, "hidden layers")->check(CLI::Range(1, 64));
  cmd->add_option("--batch", demo.batch, "examples")->check(whole_number(1));
  cmd->add_option("--seed", demo.seed, "seed for data and initial weights")->check(whole_number(0));
  cmd->add_option("--repeats", demo.repeats, "timing repeats (median is reported)")->check(CLI::Range(1, 100000));
  cmd->add_option("--out", demo.out_dir, "directory for the DOT files");
}

}  // namespace

Invocation parse_command_line(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Invocation inv;
  CLI::App app{"dagrad: computation graphs of tensor ops and their derivatives"};
  app.fallthrough();  // subcommands inherit it: options of the main command (--blas-threads) work after them
  add_demo_options(&app, inv.demo);
  CLI::App* demo_cmd =
      app.add_subcommand("demo", "build an MLP, print loss and gradient norm, DOT file and gradient cost table");
  add_demo_options(demo_cmd, inv.demo);

  TrainCommand& train = inv.train;
  CLI::App* train_cmd = app.add_subcommand("train", "train a model on a data set and plot loss and accuracy");
  train_cmd->add_option("--data", train.data, "digits, iris, wine, breast_cancer, or a CSV file (label last)");
  train_cmd->add_option("--dtype", train.dtype, "float64, float32 or bfloat16")->check(kDtypes);
  train_cmd->add_option("--model", train.model, "mlp, resnet, convnet, linear");
  train_cmd->add_option("--optimizer", train.optimizer,
                        "gd, sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw, ...");
  train_cmd->add_option("--lr", train.lr, "step size")->check(finite_number(Bound::positive));
  train_cmd->add_option("--weight-decay", train.weight_decay, "L2 weight decay (decoupled for adamw)")
      ->check(finite_number(Bound::non_negative));
  train_cmd->add_option("--clip", train.clip, "clip the gradient norm to this (0: off)")
      ->check(finite_number(Bound::non_negative));
  train_cmd->add_option("--epochs", train.epochs, "passes over the training set")->check(whole_number(1));
  train_cmd->add_option("--batch", train.batch, "minibatch size")->check(whole_number(1));
  train_cmd->add_option("--width", train.width, "hidden width (channels for convnet)")->check(whole_number(1));
  train_cmd->add_option("--depth", train.depth, "hidden layers (residual blocks for resnet, convnet)")
      ->check(CLI::Range(0, 64));
  train_cmd->add_option("--eval-every", train.eval_every, "steps between evaluations (0: every epoch)")
      ->check(whole_number(0));
  train_cmd->add_option("--test-fraction", train.test_fraction, "held-out share")->check(CLI::Range(0.01, 0.99));
  train_cmd->add_option("--seed", train.seed, "seed for split, shuffling and initial weights")->check(whole_number(0));
  train_cmd->add_option("--min-accuracy", train.min_accuracy, "exit with status 3 below this final test accuracy")
      ->check(finite_number(Bound::any));
  train_cmd->add_option("--out", train.out_dir, "directory for metrics.csv and training.png");
  train_cmd->add_option(
      "--checkpoint", train.checkpoint_dir,
      "save a crash-safe checkpoint here after every epoch (a new or empty directory, or --overwrite)");
  train_cmd
      ->add_option("--resume", train.resume_dir,
                   "continue from the checkpoint in this directory (same options), saving to it")
      ->excludes(train_cmd->get_option("--checkpoint"));
  train_cmd->add_flag("--overwrite", train.overwrite, "let --checkpoint replace a checkpoint already in its directory");
  train_cmd->add_flag("--allow-empty-classes", train.allow_empty_classes,
                      "accept CSV labels that leave most classes 0..max label without examples");

  CLI::App* study_cmd = app.add_subcommand("study", "run one implicit-bias study: CSV, PNG plot and a report section");
  study_cmd->add_option("name", inv.study_name, "one of: " + studies::study_name_list())->required();
  study_cmd->footer(study_list());
  study_cmd->add_flag("--quick", inv.study_quick, "the short edition used by tests and the report");
  study_cmd->add_option("--out", inv.study_out, "output directory");
  studies::StudyOverrides& overrides = inv.study_overrides;
  study_cmd->add_option("--dtype", overrides.dtypes, "precisions to run, comma-separated (kinks)")
      ->check(kDtypes)
      ->delimiter(',');
  study_cmd->add_option("--seed", overrides.seed, "seed for data and initial weights")->check(whole_number(0));
  study_cmd->add_option("--steps", overrides.steps, "training steps")->check(whole_number(1));
  study_cmd->add_option("--n", overrides.n, "training examples")->check(whole_number(1));
  study_cmd->add_option("--d", overrides.d, "input dimension")->check(whole_number(1));
  study_cmd->add_option("--width", overrides.width, "hidden width")->check(whole_number(1));
  study_cmd->add_option("--depth", overrides.depth, "depth")->check(whole_number(1));
  study_cmd->add_option("--lr", overrides.lr, "step size")->check(finite_number(Bound::positive));
  study_cmd->add_option("--size", overrides.size, "matrix side (factorization)")->check(whole_number(1));
  study_cmd->add_option("--rank", overrides.rank, "planted rank (factorization), columns of U (saddles)")
      ->check(whole_number(1));
  study_cmd->add_option("--runs", overrides.runs, "independent seeds per setting (saddles)")->check(whole_number(1));
  study_cmd->add_option("--depths", overrides.depths, "factorization depths")->check(whole_number(1))->delimiter(',');
  study_cmd->add_option("--observed", overrides.observed, "observed entries (factorization)")
      ->check(whole_number(1))
      ->delimiter(',');
  study_cmd->add_option("--widths", overrides.widths, "widths (mean-field, landscape)")
      ->check(whole_number(1))
      ->delimiter(',');
  study_cmd->add_option("--dims", overrides.dims, "dimensions d (saddles)")->check(whole_number(1))->delimiter(',');
  study_cmd->add_option("--init-scales", overrides.init_scales, "initialisation scales (factorization)")
      ->check(finite_number(Bound::positive))
      ->delimiter(',');
  study_cmd->add_option("--init-scale", overrides.init_scale, "initial weights' scale (deep-linear, lazy-vs-active)")
      ->check(finite_number(Bound::positive));
  study_cmd->add_option("--alphas", overrides.alphas, "output scales alpha (lazy-vs-active)")
      ->check(finite_number(Bound::positive))
      ->delimiter(',');
  study_cmd->add_option("--scaling", overrides.scaling, "output scale 1/m or 1/sqrt(m) (lazy-vs-active)")
      ->check(CLI::IsMember(std::vector<std::string>{"mean-field", "ntk"}));
  study_cmd
      ->add_option("--loss-reduction", overrides.loss_reduction,
                   "the loss as a mean over examples or their sum, the step not rescaled (studies with a data loss)")
      ->check(CLI::IsMember(std::vector<std::string>{"sum", "mean"}));
  study_cmd->add_option("--data", overrides.data,
                        "CSV of rows (features, label in {0,1} or {-1,1}) instead of generated data "
                        "(max-margin, deep-linear, linear-conv)");
  study_cmd->add_option("--init", overrides.init,
                        "directory of <parameter>.npy initial weights, '/' in names as '.' (max-margin, deep-linear)");

  CLI::App* table_cmd = app.add_subcommand(
      "study-table", "every study's quick edition: its outputs, study-table.md (README) and studies.md (docs)");
  table_cmd->add_option("--out", inv.study_table_out, "output directory");

  CostCommand& cost = inv.cost;
  CLI::App* cost_cmd = app.add_subcommand(
      "cost", "forward vs reverse mode vs finite differences: counted flops, time, fitted exponents, plot");
  cost_cmd->add_flag("--quick", cost.quick, "small sizes (seconds)");
  cost_cmd->add_option("--repeats", cost.repeats, "timing runs per measurement (median)")->check(CLI::Range(1, 10000));
  cost_cmd->add_option("--seed", cost.seed, "seed for data and weights")->check(whole_number(0));
  cost_cmd->add_option("--dtype", cost.dtype, "float64, float32 or bfloat16")->check(kDtypes);
  cost_cmd->add_option("--out", cost.out_dir, "output directory");
  app.add_option("--report-out", inv.report_out, "directory of the default report");
  // One OpenBLAS thread by default: the studies' small GEMVs run several times slower with two
  // (max-margin-digits 16.1 s vs 3.4 s); large-batch training may want more.
  app.add_option("--blas-threads", inv.blas_threads, "OpenBLAS threads (also after a subcommand)")
      ->check(CLI::Range(1, 1024));

  std::vector<const char*> argv{"dagrad"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    // CLI11's own statuses (105 for a refused value, 109 for an extra argument, ...) become the one
    // usage status; --help stays 0.
    inv.exit_status = app.exit(e, out, err) == 0 ? kSuccess : kUsage;
    return inv;
  }
  if (*train_cmd)
    inv.command = Invocation::Command::train;
  else if (*study_cmd)
    inv.command = Invocation::Command::study;
  else if (*table_cmd)
    inv.command = Invocation::Command::study_table;
  else if (*cost_cmd)
    inv.command = Invocation::Command::cost;
  else if (*demo_cmd)
    inv.command = Invocation::Command::demo;
  return inv;
}

void check_invocation(const Invocation& inv) {
  switch (inv.command) {
    case Invocation::Command::train:
      return check_train(inv.train);
    case Invocation::Command::study:
      require_directory_or_absent("--out", inv.study_out);
      check_study(inv.study_name, inv.study_quick, inv.study_overrides);
      if (const auto& data = inv.study_overrides.data) {
        std::error_code ec;
        if (data->empty() || !std::filesystem::is_regular_file(*data, ec))
          throw Error("--data " + *data + ": not a regular file");
      }
      if (const auto& init = inv.study_overrides.init) {
        std::error_code ec;
        if (init->empty() || !std::filesystem::is_directory(*init, ec))
          throw Error("--init " + *init + ": not a directory (one <parameter>.npy per parameter)");
      }
      return;
    case Invocation::Command::study_table:
      return require_directory_or_absent("--out", inv.study_table_out);
    case Invocation::Command::cost:
      return check_cost(inv.cost);
    case Invocation::Command::demo:
      return check_demo(inv.demo);
    case Invocation::Command::report:
      require_directory_or_absent("--report-out", inv.report_out);
      return check_demo(inv.demo);
  }
}

namespace {

int run_checked(const Invocation& inv) {
  set_blas_threads(inv.blas_threads);
  switch (inv.command) {
    case Invocation::Command::train:
      return run_train(inv.train);
    case Invocation::Command::study:
      return run_study(inv.study_name, inv.study_quick, inv.study_out, inv.study_overrides);
    case Invocation::Command::study_table:
      return run_study_table(inv.study_table_out);
    case Invocation::Command::cost:
      return run_cost(inv.cost);
    case Invocation::Command::demo:
      return run_demo(inv.demo);
    case Invocation::Command::report:
      return run_report(inv.report_out, inv.demo);
  }
  return kFailure;
}

// Runs `step`; an exception becomes one line on stderr and `status`.
template <class Step>
int reporting_errors(int status, Step step) {
  try {
    return step();
  } catch (const Error& e) {
    fmt::print(stderr, "dagrad: {}\n", e.what());
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "dagrad: out of memory\n");
  } catch (const std::exception& e) {  // filesystem and I/O errors from the standard library
    fmt::print(stderr, "dagrad: {}\n", e.what());
  }
  return status;
}

}  // namespace

int run_invocation(const Invocation& inv) {
  check_invocation(inv);
  return run_checked(inv);
}

int run_command_line(int argc, const char* const* argv) {
  Invocation inv;
  int status = reporting_errors(kUsage, [&] {
    inv = parse_command_line(std::vector<std::string>(argv + std::min(argc, 1), argv + argc), std::cout, std::cerr);
    if (inv.exit_status) return *inv.exit_status;
    check_invocation(inv);
    return -1;  // checked: run it
  });
  if (status != -1) return status;
  return reporting_errors(kFailure, [&] { return run_checked(inv); });
}

}  // namespace dagrad::apps
