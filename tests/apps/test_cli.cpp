// The command line as a library (apps/cli.hpp): malformed and hostile options are refused by parsing
// or checking, with a message naming the option, before any work; main() never lets an exception
// escape. tests/fuzz/fuzz_cli.cpp drives the same two steps with arbitrary arguments.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "checks.hpp"
#include "cli.hpp"
#include "dagrad/graph/error.hpp"
#include "report.hpp"

using namespace dagrad;
using namespace dagrad::apps;

namespace {

struct Parsed {
  Invocation invocation;
  std::string out, err;
};

Parsed parse(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  Invocation inv = parse_command_line(args, out, err);
  return {inv, out.str(), err.str()};
}

// Parses (which must succeed) and checks; returns the check's error message, or "" when it passes.
std::string check_message(const std::vector<std::string>& args) {
  Parsed p = parse(args);
  REQUIRE_FALSE(p.invocation.exit_status);
  try {
    check_invocation(p.invocation);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A command line and a fragment of the message refusing it.
struct Bad {
  std::vector<std::string> args;
  const char* expected;
};

}  // namespace

TEST_CASE("parsing: subcommands, options after them, help and malformed values", "[apps][cli]") {
  Parsed train = parse({"train", "--data", "iris", "--model", "linear", "--lr", "0.5", "--blas-threads", "2"});
  REQUIRE_FALSE(train.invocation.exit_status);
  CHECK(train.invocation.command == Invocation::Command::train);
  CHECK(train.invocation.train.lr == 0.5);
  CHECK(train.invocation.blas_threads == 2);
  CHECK(parse({}).invocation.command == Invocation::Command::report);
  Parsed help = parse({"train", "--help"});
  CHECK(help.invocation.exit_status == 0);
  CHECK_THAT(help.out, Catch::Contains("--checkpoint"));
  for (const Bad& b :
       std::vector<Bad>{{{"train", "--lr", "inf"}, "finite"},  // CLI::PositiveNumber alone accepts inf
                        {{"train", "--lr", "1e999"}, "finite"},
                        {{"train", "--lr", "nan"}, "--lr"},
                        {{"train", "--min-accuracy", "-inf"}, "finite"},
                        {{"study", "kinks", "--lr", "inf"}, "finite"},
                        {{"train", "--epochs", "-3"}, "--epochs"},
                        // CLI11 2.1 alone saturated this to 2^64 − 1 and wrapped -1.
                        {{"train", "--width", "99999999999999999999999"}, "--width: must be a whole number"},
                        {{"train", "--seed", "-1"}, "--seed: must be a whole number"},
                        {{"study", "factorization", "--depths", "1,-2"}, "--depths"},
                        {{"study", "factorization", "--init-scales", "1e-3,inf"}, "finite positive"},
                        {{"study", "lazy-vs-active", "--alphas", "16,0,64"}, "finite positive"},
                        {{"study", "lazy-vs-active", "--scaling", "standard"}, "--scaling"},
                        {{"train", "--resume", "a", "--checkpoint", "b"}, "excludes"},
                        {{"study"}, "name is required"},
                        {{"frobnicate"}, "frobnicate"},
                        {{"--blas-threads", "0"}, "--blas-threads"}}) {
    INFO(b.args[0] << " " << (b.args.size() > 1 ? b.args[1] : ""));
    Parsed p = parse(b.args);
    REQUIRE(p.invocation.exit_status);
    CHECK(*p.invocation.exit_status != 0);
    CHECK_THAT(p.err, Catch::Contains(b.expected));
  }
}

TEST_CASE("the study registry is what help, the unknown-name error and the option checks read", "[apps][cli]") {
  Parsed help = parse({"study", "--help"});
  CHECK(help.invocation.exit_status == 0);
  std::string unknown = check_message({"study", "transformers"});
  const std::string data_file = (std::filesystem::temp_directory_path() / "dagrad_test_cli_data.csv").string();
  std::ofstream(data_file) << "1,0,1\n-1,0,0\n";
  const std::string init_dir = std::filesystem::temp_directory_path().string();
  for (const studies::StudyEntry& study : studies::registry()) {
    INFO(study.name);
    CHECK_THAT(help.out, Catch::Contains("  " + study.name + (study.in_report ? " (in the report)" : "") + ": " +
                                         study.source + ".\n    " + study.claim));
    CHECK_THAT(unknown, Catch::Contains(study.name));
    // Every override the registry lists is accepted; --rank belongs to the factorizations alone.
    for (const std::string& option : study.options) {
      std::string value = option == "--lr" || option == "--init-scales" || option == "--init-scale" ? "0.5"
                          : option == "--dtype"                                                     ? "float32"
                          : option == "--scaling"                                                   ? "ntk"
                          : option == "--loss-reduction"                                            ? "sum"
                          : option == "--data"                                                      ? data_file
                          : option == "--init"                                                      ? init_dir
                          : option == "--alphas"                                                    ? "16,64,256"
                                                                                                    : "3";
      CHECK(check_message({"study", study.name, "--quick", option, value}).empty());
    }
    bool has_rank = std::find(study.options.begin(), study.options.end(), "--rank") != study.options.end();
    CHECK(has_rank == (study.name == "factorization" || study.name == "saddles"));
    if (!has_rank)
      CHECK_THAT(check_message({"study", study.name, "--rank", "3"}),
                 Catch::Contains("study '" + study.name + "' has no option --rank"));
  }
}

TEST_CASE("checking: names, paths and sizes are refused before any work", "[apps][cli]") {
  std::string file = (std::filesystem::temp_directory_path() / "dagrad_test_cli_file").string();
  std::ofstream(file) << "not a directory";
  CHECK(check_message({"train", "--data", "iris", "--model", "linear", "--epochs", "1"}).empty());
  CHECK(check_message({"study", "factorization", "--quick", "--size", "20"}).empty());
  CHECK(check_message({"demo", "--width", "8"}).empty());
  for (const studies::StudyEntry& study : studies::registry()) {
    INFO(study.name);
    CHECK(check_message({"study", study.name}).empty());  // the full editions fit
  }
  for (const Bad& b : std::vector<Bad>{
           {{"train", "--model", "transformer"}, "unknown model 'transformer'"},
           {{"train", "--optimizer", "lion"}, "unknown optimizer 'lion'"},
           {{"train", "--data", "mnist"}, "unknown data set 'mnist'"},
           // A device or FIFO would block or never end.
           {{"train", "--data", "/dev/zero"}, "/dev/zero: not a regular file"},
           {{"train", "--data", "/nonexistent/x.csv"}, "not a regular file"},
           {{"train", "--model", "convnet", "--data", "wine"}, "convnet needs square"},
           {{"train", "--out", file}, "exists and is not a directory"},
           {{"train", "--checkpoint", file}, "--checkpoint"},
           {{"train", "--resume", "/nonexistent/ckpt"}, "no such checkpoint directory"},
           // 10^12 weights per layer: refused from the graph's shapes, nothing allocated.
           {{"train", "--width", "1000000"}, "more than this machine's"},
           {{"train", "--width", "100000000"}, "more than 2^40 elements"},
           {{"demo", "--width", "100000"}, "cost table runs one forward-mode pass per parameter"},
           {{"demo", "--batch", "10000000000000", "--width", "8"}, "demo: the activations needs"},
           {{"cost", "--out", file}, "--out"},
           {{"--report-out", file}, "--report-out"},
           {{"study", "kinks", "--out", file}, "--out"},
           {{"study", "factorization", "--widths", "3"}, "study 'factorization' has no option --widths"},
           {{"study", "kinks", "--size", "3"}, "has no option --size"},
           {{"study", "transformers"}, "unknown study 'transformers'"},
           {{"study", "max-margin-digits", "--n", "5"}, "has no option --n (its data are the digits"},
           // Regression: --seed 3 ran and printed what --seed 0 printed.
           {{"study", "max-margin-digits", "--seed", "3"}, "has no option --seed (nothing in it is random"},
           // Sizes past memory are refused by name before the study allocates (it used to be an
           // anonymous bad_alloc, or the OOM killer, after building its data).
           {{"study", "max-margin", "--n", "100000000000", "--d", "100000"},
            "study 'max-margin' at --n 100000000000 --d 100000"},
           {{"study", "mean-field", "--widths", "5,10000000000"}, "--widths 10000000000: its data"},
           {{"study", "factorization", "--size", "10000000"}, "more than this machine's"},
           {{"study", "deep-linear", "--depth", "10000000000"}, "--depth 10000000000"},
           // Regression: an empty path meant "none" (--resume "" trained from scratch and saved nothing).
           {{"train", "--out", ""}, "--out: the path is empty"},
           {{"train", "--checkpoint", ""}, "--checkpoint: the path is empty"},
           {{"train", "--resume", ""}, "--resume: the path is empty"},
           {{"train", "--data", ""}, "--data: the path is empty"},
           {{"study", "kinks", "--out", ""}, "--out: the path is empty"},
           {{"cost", "--out", ""}, "--out: the path is empty"},
           {{"demo", "--out", ""}, "--out: the path is empty"},
           {{"--report-out", ""}, "--report-out: the path is empty"},
           {{"train", "--overwrite"}, "--overwrite applies to --checkpoint only"}}) {
    INFO(b.args[0] << " " << (b.args.size() > 1 ? b.args[1] : "") << " " << b.args.back());
    CHECK_THAT(check_message(b.args), Catch::Contains(b.expected));
  }
  std::filesystem::remove(file);
}

TEST_CASE("main: errors are one line and status 2 (refused) or 1 (failed), never an escaping exception",
          "[apps][cli]") {
  const char* refused[] = {"dagrad", "train", "--data", "/dev/zero"};
  CHECK(run_command_line(4, refused) == kUsage);
  const char* malformed[] = {"dagrad", "train", "--lr", "inf"};
  CHECK(run_command_line(4, malformed) == kUsage);
  const char* help[] = {"dagrad", "--help"};
  CHECK(run_command_line(2, help) == 0);
}

TEST_CASE("the README's study table is the generator's, and names every study of the registry in order",
          "[apps][cli][docs]") {
  std::vector<apps::StudyTableRow> rows{{"alpha", "A & B 2020", "c", "m", true, 1.25},
                                        {"beta", "C 2021", "c", "m", false, 10}};
  const std::string table = apps::study_table_markdown(rows);
  CHECK_THAT(table, Catch::Contains("| [`alpha`](docs/studies.md#alpha) | A & B 2020 | holds | 1.2 |"));
  CHECK_THAT(table, Catch::Contains("| [`beta`](docs/studies.md#beta) | C 2021 | **does not hold** | 10.0 |"));
  CHECK_THAT(apps::study_sections_markdown(rows), Catch::Contains("## beta\n\n**Source.** C 2021"));
  // A study added (or renamed) without rerunning scripts/study-table.sh leaves the README behind.
  std::ifstream in(std::string(DAGRAD_SOURCE_DIR) + "/README.md");
  REQUIRE(in.good());
  std::stringstream readme;
  readme << in.rdbuf();
  const std::string text = readme.str();
  const std::size_t begin = text.find("<!-- study-table: generated"), end = text.find("<!-- study-table end -->");
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  std::vector<std::string> listed;
  const std::string open = "| [`";
  for (std::size_t at = text.find(open, begin); at < end; at = text.find(open, at + 1))
    listed.push_back(text.substr(at + open.size(), text.find('`', at + open.size()) - at - open.size()));
  std::vector<std::string> names;
  for (const studies::StudyEntry& study : studies::registry()) names.push_back(study.name);
  CHECK(listed == names);
}
