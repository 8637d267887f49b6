// The command line as a new user meets it, in real processes (the built dagrad, spawned without a
// shell): hostile but ordinary paths, a full disk, a checkpoint directory that holds other things,
// two runs on one checkpoint, reruns and resumes under other options. Each case asserts
// the exact exit status and what is on disk afterwards.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "checks.hpp"
#include "dagrad/optim/checkpoint.hpp"
#include "report.hpp"

using namespace dagrad::apps;
namespace fs = std::filesystem;

namespace {

struct Run {
  int status = -1;
  std::string out, err;
};

struct Limits {
  long file_size = -1;  // RLIMIT_FSIZE in bytes: writes past it fail with EFBIG, as on a full disk
};

// Spawns the dagrad binary with `args` (an argument vector: no shell) in `cwd`, and collects its
// output from pipes (which no file size limit affects).
pid_t spawn(const std::vector<std::string>& args, const fs::path& cwd, Limits limits, int* out_fd, int* err_fd) {
  int out[2], err[2];
  REQUIRE(::pipe(out) == 0);
  REQUIRE(::pipe(err) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(120);
    if (limits.file_size >= 0) {
      ::signal(SIGXFSZ, SIG_IGN);  // kept across exec: writes past the limit then fail with EFBIG
      rlimit limit{static_cast<rlim_t>(limits.file_size), static_cast<rlim_t>(limits.file_size)};
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    std::vector<char*> argv{const_cast<char*>(DAGRAD_CLI)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(DAGRAD_CLI, argv.data());
    ::_exit(121);
  }
  ::close(out[1]);
  ::close(err[1]);
  *out_fd = out[0];
  *err_fd = err[0];
  return child;
}

Run run(const std::vector<std::string>& args, const fs::path& cwd = {}, Limits limits = {}) {
  int out_fd = -1, err_fd = -1;
  pid_t child = spawn(args, cwd, limits, &out_fd, &err_fd);
  Run r;
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) continue;
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP))) continue;
      char buffer[4096];
      ssize_t n = ::read(fds[k].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[k]->append(buffer, static_cast<std::size_t>(n));
      } else {
        ::close(fds[k].fd);
        fds[k].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

fs::path fresh(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("dagrad_hostile_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Two Gaussian blobs, 2 features, labels 0 and 1: a linear model learns it in an epoch.
void write_blobs(const fs::path& path, std::uint64_t seed, std::size_t rows = 80) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 0.3);
  std::ofstream out(path);
  for (std::size_t i = 0; i < rows; ++i) {
    int label = static_cast<int>(i % 2);
    out << (label ? 1.5 : -1.5) + noise(rng) << "," << noise(rng) << "," << label << "\n";
  }
}

std::string text_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool nonempty_file(const fs::path& path) { return fs::is_regular_file(path) && fs::file_size(path) > 0; }

// Every file under `root` whose name starts with `prefix` (what an injected `touch` would make).
std::vector<std::string> files_named(const fs::path& root, const std::string& prefix) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.path().filename().string().rfind(prefix, 0) == 0) found.push_back(entry.path().string());
  return found;
}

}  // namespace

TEST_CASE("paths with quotes, spaces, newlines, $(), backquotes and non-ASCII run no command and keep the plot",
          "[apps][hostile][plot]") {
  fs::path base = fresh("paths");
  // Each would run `touch INJECTED...` through `gnuplot '<path>'` in a shell, or inside gnuplot.
  const std::vector<std::string> hostile{"x'; touch INJECTED1; echo '", "bob's run",
                                         "run $(touch INJECTED2) `touch INJECTED3`", "two\nlines ; touch INJECTED4",
                                         "données été \"quoted\" @ARG1 \\ end"};
  fs::path csv = base / "d'.system('touch INJECTED5').'.csv";  // the data file's name goes into the plot title
  write_blobs(csv, 1);
  for (const std::string& name : hostile) {
    INFO(name);
    fs::path out = base / name;
    Run r = run(
        {"train", "--data", csv.string(), "--model", "linear", "--epochs", "1", "--batch", "8", "--out", out.string()},
        base);
    CHECK(r.status == kSuccess);
    CHECK(nonempty_file(out / "metrics.csv"));
    CHECK(nonempty_file(out / "training.png"));
    CHECK_THAT(r.out,
               Catch::Contains("wrote " + (out / "metrics.csv").string() + " and " + (out / "training.png").string()));
  }
  fs::path study_out = base / hostile[2], cost_out = base / hostile[3];
  Run study = run({"study", "kinks", "--steps", "10", "--dtype", "float64", "--out", study_out.string()}, base);
  CHECK(study.status == kSuccess);
  CHECK(nonempty_file(study_out / "kinks.png"));
  Run cost = run({"cost", "--quick", "--repeats", "1", "--out", cost_out.string()}, base);
  CHECK(cost.status == kSuccess);
  CHECK(nonempty_file(cost_out / "cost.png"));
  CHECK(files_named(base, "INJECTED").empty());
  CHECK(files_named(fs::current_path(), "INJECTED").empty());
  fs::remove_all(base);
}

TEST_CASE("a full disk is an error with status 1, never 'wrote' over an empty file", "[apps][hostile][files]") {
  fs::path base = fresh("full");
  fs::path csv = base / "blobs.csv";
  write_blobs(csv, 1);
  // 64 bytes: the output directories pass their probe (one byte), then the first output file fails.
  Limits tiny{64};
  struct Case {
    std::vector<std::string> args;
    const char* file;
  };
  for (const Case& c : std::vector<Case>{
           {{"train", "--data", csv.string(), "--model", "linear", "--epochs", "1", "--batch", "8", "--out",
             (base / "t").string()},
            "metrics.csv"},
           {{"study", "kinks", "--steps", "10", "--dtype", "float64", "--out", (base / "s").string()}, "kinks.csv"},
           {{"cost", "--quick", "--repeats", "1", "--out", (base / "c").string()}, "cost_d.csv"},
           {{"demo", "--width", "4", "--depth", "1", "--repeats", "1", "--out", (base / "d").string()}, "mlp.dot"}}) {
    INFO(c.args[0]);
    Run r = run(c.args, base, tiny);
    CHECK(r.status == kFailure);
    CHECK_THAT(r.err, Catch::Contains(c.file) && Catch::Contains("File too large"));
    CHECK_THAT(r.out, !Catch::Contains("wrote"));
  }
  // Nothing half-written is left under the output names (each is replaced whole or not at all).
  CHECK_FALSE(fs::exists(base / "t" / "metrics.csv"));
  CHECK_FALSE(fs::exists(base / "s" / "kinks.csv"));
  CHECK(files_named(base, "metrics.csv.tmp").empty());

  // A real full file system, where this machine lets the test mount one (root with CAP_SYS_ADMIN).
  fs::path mount_point = base / "tmpfs";
  fs::create_directories(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=256k") != 0) {
    WARN("tmpfs not mountable here (" << std::strerror(errno)
                                      << "); the file size limit above stands in for a full disk");
  } else {
    {
      std::ofstream filler(mount_point / "filler", std::ios::binary);
      std::string block(4096, 'x');
      while (filler.write(block.data(), static_cast<std::streamsize>(block.size())) && filler.flush()) {
      }
    }
    fs::resize_file(mount_point / "filler", fs::file_size(mount_point / "filler") - 1);  // room for the probe's byte
    Run r = run({"train", "--data", csv.string(), "--model", "linear", "--epochs", "1", "--batch", "8", "--out",
                 (mount_point).string()},
                base);
    CHECK(r.status == kFailure);
    CHECK_THAT(r.err, Catch::Contains("No space left on device"));
    CHECK_THAT(r.out, !Catch::Contains("wrote"));
    CHECK_FALSE(fs::exists(mount_point / "metrics.csv"));
    ::umount(mount_point.c_str());
  }
  fs::remove_all(base);
}

TEST_CASE("exit statuses: 0 done, 1 failed while running, 2 refused command line, 3 below accuracy, 4 claim fails",
          "[apps][hostile][status]") {
  fs::path base = fresh("status");
  fs::path good = base / "blobs.csv", bad = base / "bad.csv";
  write_blobs(good, 1);
  std::ofstream(bad) << "1,2,0\n1,abc,1\n";
  auto train = [&](const fs::path& data, std::vector<std::string> more) {
    std::vector<std::string> args{
        "train", "--data", data.string(),        "--model", "linear", "--epochs", "1", "--batch",
        "8",     "--out",  (base / "o").string()};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  struct Case {
    std::vector<std::string> args;
    int status;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--help"}, kSuccess, ""},
           {train(good, {}), kSuccess, ""},
           {{"train", "--lr", "-1"}, kUsage, "--lr: must be a finite positive number"},  // was CLI11's 105
           {{"frobnicate"}, kUsage, "frobnicate"},
           {{"train", "--data", "/dev/zero"}, kUsage, "not a regular file"},
           {{"study", "transformers"}, kUsage, "unknown study"},
           {train(bad, {}), kFailure, "'abc' is not a number"},
           {train(good, {"--min-accuracy", "1.01"}), kBelowAccuracy, "below the required"},
           {{"study", "deep-linear", "--steps", "10", "--out", (base / "s").string()}, kClaimFails, ""}}) {
    INFO(c.args[0] << " " << (c.args.size() > 1 ? c.args[1] : ""));
    Run r = run(c.args, base);
    CHECK(r.status == c.status);
    CHECK_THAT(r.err, Catch::Contains(c.message));
  }
  fs::remove_all(base);
}

TEST_CASE("outputs that cannot be written are refused before the data are read", "[apps][hostile][files]") {
  fs::path base = fresh("late");
  for (const char* option : {"--out", "--checkpoint"}) {
    INFO(option);
    // procfs takes no new directories, for root too (a chmod'ed directory would not stop root).
    Run r =
        run({"train", "--data", "digits", "--model", "linear", "--epochs", "50", option, "/proc/dagrad_cannot_write"},
            base);
    CHECK(r.status == kFailure);
    CHECK_THAT(r.err, Catch::Contains(std::string(option) + " /proc/dagrad_cannot_write: cannot create the directory"));
    CHECK_THAT(r.out, !Catch::Contains("dagrad train:"));  // refused before the data were loaded
  }
  fs::remove_all(base);
}

TEST_CASE(
    "--checkpoint: not the user's files, not over a checkpoint, not two writers; --resume: the same run, the whole "
    "history",
    "[apps][hostile][checkpoint]") {
  fs::path base = fresh("checkpoint");
  fs::path data = base / "blobs.csv", twin = base / "twin.csv", ckpt = base / "ckpt", out = base / "out";
  write_blobs(data, 1);
  write_blobs(twin, 2);  // same shape, other rows
  // --batch 8 and --out OUT unless `more` gives them.
  auto train = [&](std::vector<std::string> more, const fs::path& csv) {
    std::vector<std::string> args{"train", "--data", csv.string(), "--model", "linear"};
    for (auto [option, value] : {std::pair<std::string, std::string>{"--batch", "8"}, {"--out", out.string()}})
      if (std::find(more.begin(), more.end(), option) == more.end()) args.insert(args.end(), {option, value});
    args.insert(args.end(), more.begin(), more.end());
    return run(args, base);
  };
  SECTION("a directory holding other things is refused and left alone") {
    fs::create_directories(ckpt);
    std::ofstream(ckpt / "g1-param0.npy") << "mine";
    std::ofstream(ckpt / "manifest.json.bak") << "mine too";
    Run r = train({"--epochs", "1", "--checkpoint", ckpt.string()}, data);
    CHECK(r.status == kUsage);
    CHECK_THAT(r.err, Catch::Contains("not empty and not a dagrad checkpoint"));
    CHECK(text_of(ckpt / "g1-param0.npy") == "mine");
    CHECK(text_of(ckpt / "manifest.json.bak") == "mine too");
  }
  SECTION("rerunning the same command is refused; --overwrite replaces; resume checks seed, batch and data") {
    REQUIRE(train({"--epochs", "2", "--checkpoint", ckpt.string()}, data).status == kSuccess);
    Run again = train({"--epochs", "2", "--checkpoint", ckpt.string()}, data);
    CHECK(again.status == kUsage);
    CHECK_THAT(again.err, Catch::Contains("already holds a checkpoint (epoch 2); --resume " + ckpt.string() +
                                          " continues it, --overwrite replaces it"));
    struct Mismatch {
      std::vector<std::string> more;
      fs::path csv;
      const char* message;
    };
    for (const Mismatch& m :
         std::vector<Mismatch>{{{"--seed", "3"}, data, "seed is 3 here, but the checkpoint was made with 0"},
                               {{"--batch", "4"}, data, "batch size is 4 here, but the checkpoint was made with 8"},
                               {{}, twin, "data is "}}) {
      std::vector<std::string> more{"--epochs", "4", "--resume", ckpt.string()};
      more.insert(more.end(), m.more.begin(), m.more.end());
      Run r = train(more, m.csv);
      CHECK(r.status == kUsage);
      CHECK_THAT(r.err, Catch::Contains(m.message));
    }
    // The same file name with other rows: the data's checksum tells (once the data are read).
    write_blobs(data, 7);
    Run changed = train({"--epochs", "4", "--resume", ckpt.string()}, data);
    CHECK(changed.status == kFailure);
    CHECK_THAT(changed.err, Catch::Contains("but the checkpoint was made with test set"));
    write_blobs(data, 1);
    Run resumed = train({"--epochs", "4", "--resume", ckpt.string()}, data);
    CHECK(resumed.status == kSuccess);
    // metrics.csv holds every evaluation, epochs 0..4, not only the resumed ones.
    std::istringstream metrics(text_of(out / "metrics.csv"));
    std::string line, epochs;
    std::getline(metrics, line);
    while (std::getline(metrics, line))
      epochs += line.substr(line.find(',') + 1, line.find(',', line.find(',') + 1) - line.find(',') - 1);
    CHECK(epochs == "01234");
    Run overwritten = train({"--epochs", "1", "--checkpoint", ckpt.string(), "--overwrite"}, data);
    CHECK(overwritten.status == kSuccess);
    Run after = train({"--epochs", "1", "--checkpoint", ckpt.string()}, data);
    CHECK_THAT(after.err, Catch::Contains("(epoch 1)"));
  }
  SECTION("a second training on a checkpoint in use is refused; a kill while both run leaves it loadable") {
    int out_fd = -1, err_fd = -1;
    pid_t first = spawn({"train", "--data", data.string(), "--model", "linear", "--batch", "8", "--epochs", "100000",
                         "--checkpoint", ckpt.string(), "--out", out.string()},
                        base, {}, &out_fd, &err_fd);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!fs::exists(ckpt / "manifest.json") && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE(fs::exists(ckpt / "manifest.json"));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Run second = train({"--epochs", "100000", "--resume", ckpt.string(), "--out", (base / "out2").string()}, data);
    CHECK(second.status == kFailure);
    CHECK_THAT(second.err, Catch::Contains("in use by another process"));
    ::kill(first, SIGKILL);
    ::waitpid(first, nullptr, 0);
    ::close(out_fd);
    ::close(err_fd);
    // Loadable: resuming runs one more epoch than the killed run had saved.
    std::size_t saved_epoch = std::stoul(dagrad::optim::checkpoint_values(ckpt.string()).at("loop/epoch"));
    Run resumed = train({"--epochs", std::to_string(saved_epoch + 1), "--resume", ckpt.string()}, data);
    CHECK(resumed.status == kSuccess);
    CHECK_THAT(resumed.out, Catch::Contains("epoch " +
                                            std::string(saved_epoch + 1 < 10    ? "  "
                                                        : saved_epoch + 1 < 100 ? " "
                                                                                : "") +
                                            std::to_string(saved_epoch + 1)));
  }
  fs::remove_all(base);
}

TEST_CASE("a study's plot survives a loss that underflows to a subnormal or 0 on its log axis", "[apps][plot]") {
  // max-margin's normalized-GD loss reaches 9.9e-324; gnuplot refused the log range and the report
  // lost the whole figure.
  fs::path dir = fresh("underflow");
  dagrad::studies::StudyResult r;
  r.name = "underflow's study";
  r.claim = r.measured = "-";
  for (int step = 1; step <= 50; ++step) {
    r.add("step", step);
    r.add("loss", step < 25 ? std::exp(-30.0 * step) : (step < 40 ? 9.88131291682e-324 : 0.0));
    r.add("norm", std::log(step));
  }
  std::string section = write_study(r, dir.string(), "underflow");
  CHECK(nonempty_file(dir / "underflow.png"));
  CHECK_THAT(section, Catch::Contains("![underflow's study](underflow.png)"));
  fs::remove_all(dir);
}

namespace {
// PATH without gnuplot for the scope, restored after (also when a check throws).
struct WithoutGnuplot {
  std::string saved;
  WithoutGnuplot() {
    const char* path = std::getenv("PATH");
    saved = path ? path : "";
    ::setenv("PATH", "/nonexistent", 1);
  }
  ~WithoutGnuplot() { ::setenv("PATH", saved.c_str(), 1); }
};
}  // namespace

TEST_CASE(
    "a study's plot draws styled panels and bands; a band over a missing column or a figure gnuplot cannot "
    "render is an error, with the CSV kept",
    "[apps][plot]") {
  fs::path dir = fresh("styled");
  dagrad::studies::StudyResult r;
  r.name = "styled";
  r.claim = r.measured = "-";
  for (int k = 1; k <= 8; ++k) {
    r.add("d", std::pow(2.0, k));
    r.add("steps | mean", 10.0 * k);
    r.add("steps | theory", 10.0 * k + 1);
    r.add("spread", 1.5);
  }
  r.x_label = "dimension d";
  r.style("steps", {"steps until escape", false, "steps | mean", "spread"});
  std::string section = write_study(r, dir.string(), "styled");
  CHECK(nonempty_file(dir / "styled.png"));
  std::ifstream script(dir / "styled.gp");
  std::string text((std::istreambuf_iterator<char>(script)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("set ylabel 'steps until escape'"));
  CHECK_THAT(text, Catch::Contains("filledcurves"));
  CHECK_THAT(text, Catch::Contains("set xlabel 'dimension d'"));
  // A further table is its own CSV and figure, linked from the section.
  dagrad::studies::StudyResult sweep;
  sweep.name = "sweep-2";
  for (int k = 1; k <= 4; ++k) sweep.add("eps", k), sweep.add("steps", 3.0 * k);
  dagrad::studies::StudyResult with_table = r;
  with_table.tables.push_back(sweep);
  CHECK_THAT(write_study(with_table, dir.string(), "tabled"), Catch::Contains("![tabled_sweep-2](tabled_sweep-2.png)"));
  CHECK(nonempty_file(dir / "tabled_sweep-2.png"));
  CHECK(nonempty_file(dir / "tabled_sweep-2.csv"));
  with_table.tables[0].name = "../escape";
  CHECK_THROWS_WITH(write_study(with_table, dir.string(), "tabled"), Catch::Contains("must be a file suffix"));
  // A band naming a column the study lacks: refused by name before gnuplot runs.
  dagrad::studies::StudyResult wrong = r;
  wrong.style("steps", {"steps", false, "steps | mean", "stdev"});
  CHECK_THROWS_WITH(write_study(wrong, dir.string(), "wrong"), Catch::Contains("names the column 'stdev'"));
  // No gnuplot on PATH: the figure is missing, which is an error naming it; the CSV is there.
  {
    WithoutGnuplot no_gnuplot;
    CHECK_THROWS_WITH(write_study(r, dir.string(), "unrendered"), Catch::Contains("gnuplot did not render"));
  }
  CHECK(nonempty_file(dir / "unrendered.csv"));
  fs::remove_all(dir);
}

TEST_CASE("train and cost without gnuplot: the missing figure is an error naming it, the data are written",
          "[apps][plot]") {
  fs::path base = fresh("no_gnuplot");
  fs::path csv = base / "blobs.csv";
  write_blobs(csv, 3);
  Run trained, costed;
  {
    WithoutGnuplot no_gnuplot;
    trained = run({"train", "--data", csv.string(), "--model", "mlp", "--width", "8", "--depth", "1", "--epochs", "1",
                   "--batch", "8", "--out", (base / "train").string()},
                  base);
    costed = run({"cost", "--quick", "--out", (base / "cost").string()}, base);
  }
  CHECK(trained.status == kFailure);
  CHECK_THAT(trained.err, Catch::Contains("gnuplot did not render") && Catch::Contains("training.png"));
  CHECK(nonempty_file(base / "train" / "metrics.csv"));
  CHECK(costed.status == kFailure);
  CHECK_THAT(costed.err, Catch::Contains("gnuplot did not render") && Catch::Contains("cost.png"));
  CHECK(nonempty_file(base / "cost" / "cost_d.csv"));
  fs::remove_all(base);
}

TEST_CASE("--dtype: train, demo and cost run in float32 and bfloat16; a resume across dtypes is refused by name",
          "[apps][dtype]") {
  fs::path base = fresh("dtype");
  fs::path csv = base / "blobs.csv";
  write_blobs(csv, 3);
  for (const char* dtype : {"float32", "bfloat16"}) {
    INFO(dtype);
    fs::path out = base / dtype, ckpt = base / (std::string(dtype) + "_ckpt");
    Run r =
        run({"train", "--data",         csv.string(), "--model",      "mlp",         "--width", "8",         "--depth",
             "1",     "--epochs",       "2",          "--batch",      "8",           "--lr",    "0.05",      "--dtype",
             dtype,   "--min-accuracy", "0.9",        "--checkpoint", ckpt.string(), "--out",   out.string()},
            base);
    CHECK(r.status == kSuccess);
    CHECK_THAT(r.out, Catch::Contains(dtype));
    CHECK(nonempty_file(out / "metrics.csv"));
    const char* other = std::string(dtype) == "float32" ? "bfloat16" : "float32";
    Run resumed = run({"train", "--data", csv.string(), "--model", "mlp", "--width", "8", "--depth", "1", "--epochs",
                       "3", "--batch", "8", "--dtype", other, "--resume", ckpt.string(), "--out", out.string()},
                      base);
    CHECK(resumed.status == kFailure);
    CHECK_THAT(resumed.err, Catch::Contains(std::string("stored as ") + dtype) &&
                                Catch::Contains(std::string("the model is ") + other));
    Run demo = run(
        {"demo", "--width", "4", "--depth", "1", "--repeats", "1", "--dtype", dtype, "--out", (base / "demo").string()},
        base);
    CHECK(demo.status == kSuccess);
    CHECK_THAT(demo.out, Catch::Contains(dtype));
    Run cost = run({"cost", "--quick", "--repeats", "1", "--dtype", dtype, "--out", (base / "cost").string()}, base);
    CHECK(cost.status == kSuccess);
  }
  Run bad = run({"train", "--dtype", "float16"}, base);
  CHECK(bad.status == kUsage);
  CHECK_THAT(bad.err, Catch::Contains("float16"));
  fs::remove_all(base);
}
