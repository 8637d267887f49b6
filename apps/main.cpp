// The dagrad command line. With no subcommand it runs the demo.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "dagrad.hpp"
#include "demo.hpp"

int main(int argc, char** argv) {
  CLI::App app{"dagrad: computation graphs of tensor ops and their derivatives"};
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
  CLI11_PARSE(app, argc, argv);
  try {
    return dagrad::apps::run_demo(demo);
  } catch (const dagrad::Error& e) {
    fmt::print(stderr, "dagrad: {}\n", e.what());
    return 1;
  }
}
