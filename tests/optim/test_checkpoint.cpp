#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "dagrad/optim/checkpoint.hpp"
#include "dagrad/optim/finite_sum.hpp"
#include "dagrad/optim/gradient_program.hpp"
#include "support.hpp"

using namespace dagrad;
using namespace dagrad::optim;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("dagrad_checkpoint_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

// Least squares through a two-layer linear net, so moments and counters all move.
struct Problem {
  Graph g;
  Var loss;
  std::unique_ptr<ParamStore> store;
  std::unique_ptr<GradientProgram> program;
  explicit Problem(std::uint64_t init_seed, DType dtype = DType::Float64) : g(dtype) {
    Var x = g.input("x", {8, 3});
    Var y = g.input("y", {8});
    Var w1 = g.parameter("layer1/W", {3, 4});
    Var w2 = g.parameter("layer2/w", {4});
    loss = mse_loss(matmul(matmul(x, w1), w2), y);
    store = std::make_unique<ParamStore>(g, init_seed);
    program = std::make_unique<GradientProgram>(g, loss, *store);
    test::Rng rng(5);
    program->program().set(x, test::random_normal(rng, {8, 3}));
    program->program().set(y, test::random_normal(rng, {8}));
  }
  void train(Optimizer& opt, int steps) {
    for (int s = 0; s < steps; ++s) {
      program->run();
      opt.step(*store);
    }
  }
};

std::unique_ptr<Optimizer> optimizer(const std::string& name) {
  return make_optimizer(name, Options{constant(0.05)}, 9);
}

// `steps` of Adam on `problem`; returns Adam's state, to be saved with the problem's store.
TrainingState adam_state_after(Problem& problem, int steps) {
  auto adam = optimizer("adam");
  problem.train(*adam, steps);
  TrainingState state;
  adam->save_state(state);
  return state;
}

void expect_error(const fs::path& dir, ParamStore& store, const std::string& fragment) {
  std::vector<Scalar> before = store.values();
  try {
    load_checkpoint(dir.string(), store);
    FAIL("expected a CheckpointError containing '" << fragment << "'");
  } catch (const CheckpointError& e) {
    CHECK_THAT(e.what(), Catch::Contains(fragment));
  }
  CHECK(store.values() == before);  // nothing partial
}

}  // namespace

TEST_CASE("checkpoint round trip: parameters, state buffers and values, NumPy files", "[optim][checkpoint]") {
  fs::path dir = fresh_dir("roundtrip");
  Problem a(1);
  TrainingState state = adam_state_after(a, 5);
  state.values["loop/epoch"] = "3";
  save_checkpoint(dir.string(), *a.store, state);
  save_checkpoint(dir.string(), *a.store, state);  // a second generation replaces the first's files
  std::size_t npy = 0;
  for (const auto& f : fs::directory_iterator(dir)) npy += f.path().extension() == ".npy";
  CHECK(npy == 2 + 2);  // two parameters, Adam's m and v
  // Standard NumPy format 1.0: magic, version, then the header dict.
  std::ifstream first(dir / "g2-param0.npy", std::ios::binary);
  std::string magic(8, '\0');
  first.read(&magic[0], 8);
  CHECK(magic == std::string("\x93NUMPY\x01\x00", 8));

  Problem b(2);
  REQUIRE(b.store->values() != a.store->values());
  TrainingState loaded = load_checkpoint(dir.string(), *b.store);
  CHECK(b.store->values() == a.store->values());
  CHECK(loaded.values == state.values);
  CHECK(loaded.buffers == state.buffers);
  fs::remove_all(dir);
}

TEST_CASE("exact resume: N steps, save, load in a new process, M steps = N + M steps, bit for bit",
          "[optim][checkpoint]") {
  for (const char* name :
       {"adam", "momentum", "rmsprop", "adagrad", "langevin", "rmsprop_centered_momentum", "adam_amsgrad"}) {
    INFO(name);
    fs::path dir = fresh_dir(std::string("resume_") + name);
    Problem direct(1);
    auto opt = optimizer(name);
    direct.train(*opt, 12);

    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // a separate process trains the first N steps and saves
      try {
        Problem first(1);
        auto o = optimizer(name);
        first.train(*o, 7);
        TrainingState state;
        o->save_state(state);
        save_checkpoint(dir.string(), *first.store, state);
      } catch (...) {
        ::_exit(1);  // never return into the test runner from the child
      }
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);

    Problem resumed(3);  // other initial values, overwritten by the checkpoint
    auto o = optimizer(name);
    o->load_state(load_checkpoint(dir.string(), *resumed.store), resumed.store->size());
    CHECK(o->steps() == 7);
    resumed.train(*o, 5);
    CHECK(resumed.store->values() == direct.store->values());
    fs::remove_all(dir);
  }
}

TEST_CASE("every dtype: parameters stored in it (<f4, bfloat16 as <u2), exact resume, and no load across dtypes",
          "[optim][checkpoint][dtype]") {
  for (DType dtype : {DType::Float64, DType::Float32, DType::BFloat16}) {
    INFO(to_string(dtype));
    fs::path dir = fresh_dir(std::string("dtype_") + to_string(dtype));
    Problem direct(1, dtype);
    auto opt = optimizer("adam");
    direct.train(*opt, 12);

    Problem first(1, dtype);
    auto o = optimizer("adam");
    first.train(*o, 7);
    for (Scalar w : first.store->values()) REQUIRE(representable(dtype, w));
    TrainingState state;
    o->save_state(state);
    save_checkpoint(dir.string(), *first.store, state);
    std::ifstream param(dir / "g1-param0.npy", std::ios::binary);
    std::string header(128, '\0');
    param.read(&header[0], 128);
    const char* descr = dtype == DType::Float64 ? "'<f8'" : dtype == DType::Float32 ? "'<f4'" : "'<u2'";
    CHECK_THAT(header, Catch::Contains(descr));
    nlohmann::json manifest = nlohmann::json::parse(std::ifstream(dir / "manifest.json"));
    CHECK(manifest.at("dtype") == to_string(dtype));
    CHECK(manifest.at("parameters").at(0).at("stores") == to_string(dtype));
    CHECK(fs::file_size(dir / "g1-param0.npy") == header.find('\n') + 1 + 12 * storage_bytes(dtype));

    Problem resumed(3, dtype);
    auto r = optimizer("adam");
    r->load_state(load_checkpoint(dir.string(), *resumed.store), resumed.store->size());
    CHECK(resumed.store->values() == first.store->values());
    resumed.train(*r, 5);
    CHECK(resumed.store->values() == direct.store->values());

    // Another dtype's model refuses the checkpoint by name and keeps its values.
    DType other = dtype == DType::Float32 ? DType::BFloat16 : DType::Float32;
    Problem wrong(4, other);
    std::vector<Scalar> before = wrong.store->values();
    try {
      load_checkpoint(dir.string(), *wrong.store);
      FAIL("a " << to_string(dtype) << " checkpoint loaded into a " << to_string(other) << " model");
    } catch (const CheckpointError& e) {
      CHECK_THAT(e.what(), Catch::Contains(std::string("stored as ") + to_string(dtype)) &&
                               Catch::Contains(std::string("the model is ") + to_string(other)));
    }
    CHECK(wrong.store->values() == before);
    fs::remove_all(dir);
  }
}

TEST_CASE("loading rejects corrupt checkpoints with a named error and leaves the store unchanged",
          "[optim][checkpoint][errors]") {
  fs::path dir = fresh_dir("corrupt");
  Problem a(1);
  TrainingState state = adam_state_after(a, 3);
  auto save = [&] {
    fs::remove_all(dir);
    save_checkpoint(dir.string(), *a.store, state);
  };
  auto edit_manifest = [&](const std::function<void(std::string&)>& edit) {
    std::ifstream in(dir / "manifest.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    edit(text);
    std::ofstream(dir / "manifest.json", std::ios::trunc) << text;
  };
  auto replace = [](std::string& text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  };
  Problem b(2);

  SECTION("no manifest") { expect_error(dir, *b.store, "manifest.json: missing"); }
  SECTION("truncated file") {
    save();
    fs::resize_file(dir / "g1-param0.npy", fs::file_size(dir / "g1-param0.npy") - 8);
    expect_error(dir, *b.store, "truncated");
  }
  SECTION("flipped byte") {
    save();
    std::fstream f(dir / "g1-param1.npy", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x7f');
    f.close();
    expect_error(dir, *b.store, "checksum mismatch");
  }
  SECTION("missing file") {
    save();
    fs::remove(dir / "g1-param1.npy");
    expect_error(dir, *b.store, "g1-param1.npy: missing");
  }
  SECTION("manifest not JSON") {
    save();
    edit_manifest([](std::string& t) { t.resize(t.size() / 2); });
    expect_error(dir, *b.store, "malformed manifest");
  }
  SECTION("unknown version") {
    save();
    edit_manifest([&](std::string& t) {
      nlohmann::json m = nlohmann::json::parse(t);
      m["version"] = 7;
      t = m.dump();
    });
    expect_error(dir, *b.store, "format version 7");
  }
  SECTION("wrong shape") {
    save();
    edit_manifest([&](std::string& t) {
      nlohmann::json m = nlohmann::json::parse(t);
      m["parameters"][0]["shape"] = {4, 3};
      t = m.dump();
    });
    expect_error(dir, *b.store, "has shape [4,3] in the manifest, the model has [3,4]");
  }
  SECTION("parameter missing, parameter extra") {
    save();
    edit_manifest([&](std::string& t) { replace(t, "\"layer2/w\"", "\"layer3/w\""); });
    expect_error(dir, *b.store, "parameter 'layer2/w' of the model is missing");
    Graph g;
    Var only = g.parameter("layer1/W", {3, 4});
    ParamStore smaller(g, 0);
    (void)only;
    expect_error(dir, smaller, "parameter 'layer3/w' is not in the model");
  }
  SECTION("a file name that leaves the directory") {
    save();
    edit_manifest([&](std::string& t) { replace(t, "\"g1-param0.npy\"", "\"../outside.npy\""); });
    expect_error(dir, *b.store, "outside the directory");
  }
  SECTION("a manifest written before dtypes (no \"stores\", no \"dtype\") loads as float64") {
    save();
    edit_manifest([&](std::string& text) {
      nlohmann::json m = nlohmann::json::parse(text);
      m.erase("dtype");
      for (auto* list : {&m["parameters"], &m["state_buffers"]})
        for (auto& entry : *list) entry.erase("stores");
      text = m.dump(1);
    });
    load_checkpoint(dir.string(), *b.store);
    CHECK(b.store->values() == a.store->values());
  }
  SECTION("an entry whose dtype does not store what it says") {
    save();
    edit_manifest([&](std::string& text) {
      nlohmann::json m = nlohmann::json::parse(text);
      m["parameters"][0]["stores"] = "bfloat16";  // the file is still <f8
      text = m.dump(1);
    });
    expect_error(dir, *b.store, "dtype <f8 does not store bfloat16 (<u2)");
    save();
    edit_manifest([&](std::string& text) {
      nlohmann::json m = nlohmann::json::parse(text);
      m["parameters"][0]["stores"] = "float16";
      text = m.dump(1);
    });
    expect_error(dir, *b.store, "unknown dtype 'float16'");
  }
  SECTION("optimizer state for another optimizer or of the wrong size") {
    auto momentum = optimizer("momentum");
    CHECK_THROWS_WITH(momentum->load_state(state, a.store->size()), Catch::Contains("saved by optimizer 'adam'"));
    TrainingState bad = state;
    bad.buffers["optimizer/m"].push_back(1);
    auto other = optimizer("adam");
    CHECK_THROWS_WITH(other->load_state(bad, a.store->size()),
                      Catch::Contains("'optimizer/m' has 17 entries, the store 16"));
    CHECK(other->steps() == 0);
  }
  fs::remove_all(dir);
}

TEST_CASE("a process killed (SIGKILL) at any point of a save leaves a readable checkpoint", "[optim][checkpoint]") {
  // The child saves generation after generation, every parameter and a state value equal to its
  // number k; the parent kills it after delays spread over several saves and loads each time: the
  // result must be one whole generation, never a mixture.
  fs::path dir = fresh_dir("kill");
  Graph g;
  Var w = g.parameter("w", {64, 64});
  Var b = g.parameter("b", {64});
  (void)w;
  (void)b;
  ParamStore store(g, 0);
  auto fill = [&](Scalar k) {
    for (Scalar& v : store.values()) v = k;
  };
  fill(0);
  save_checkpoint(dir.string(), store, TrainingState{{{"buffer", std::vector<Scalar>(100, 0)}}, {{"k", "0"}}});
  // Kills spread over about three saves, timed here: slow machines and sanitizer builds alike.
  auto started = std::chrono::steady_clock::now();
  save_checkpoint(dir.string(), store, TrainingState{{{"buffer", std::vector<Scalar>(100, 0)}}, {{"k", "0"}}});
  auto save_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  test::Rng rng(1);
  std::uniform_int_distribution<long> delay_us(0, 3 * std::max<long>(save_us, 100) + 2000);
  int kills = 0;
  std::set<Scalar> generations;
  int next = 1;  // each child goes on from the last generation the parent read
  for (int trial = 0; trial < 40; ++trial) {
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      try {
        for (int k = next;; ++k) {
          fill(k);
          save_checkpoint(dir.string(), store,
                          TrainingState{{{"buffer", std::vector<Scalar>(100, k)}}, {{"k", std::to_string(k)}}});
        }
      } catch (...) {
        ::_exit(1);
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    kills += WIFSIGNALED(status);
    ParamStore loaded(g, 1);
    TrainingState state = load_checkpoint(dir.string(), loaded);
    Scalar k = std::stod(state.value("k"));
    generations.insert(k);
    next = static_cast<int>(k) + 1;
    for (Scalar v : loaded.values()) REQUIRE(v == k);
    for (Scalar v : state.buffer("buffer")) REQUIRE(v == k);
  }
  CHECK(kills == 40);
  // How far the children got varies with the machine (a forked child under ASan starts slowly, copying
  // its shadow memory), so progress is reported, not asserted; every load above was whole.
  WARN(generations.size() << " generation(s) seen across 40 kills");
  // Whatever the kills left (a save's files before its manifest) the manifest named as pending, and
  // the next save removes it: only the current generation's two files remain.
  save_checkpoint(dir.string(), store, TrainingState{});
  std::set<std::string> files;
  for (const auto& f : fs::directory_iterator(dir))
    if (f.path().extension() == ".npy") files.insert(f.path().filename().string());
  CHECK(files.size() == 2);
  fs::remove_all(dir);
}

TEST_CASE("exact resume of SAG, SAGA and SVRG: tables, snapshots and samplers are saved", "[optim][checkpoint]") {
  // f_i(w) = ½(a_iᵀw − b_i)² over 10 examples.
  test::Rng data_rng(4);
  Tensor A = test::random_normal(data_rng, {10, 3}), bv = test::random_normal(data_rng, {10});
  struct Run {
    Graph g;
    std::unique_ptr<ParamStore> store;
    FiniteSum f;
    explicit Run(const Tensor& A, const Tensor& b) {
      g.parameter("w", {3});
      store = std::make_unique<ParamStore>(g, 1);
      f.n = 10;
      f.example_gradient = [this, &A, &b](std::size_t i, std::vector<Scalar>& grad) {
        const std::vector<Scalar>& w = store->values();
        Scalar r = -b(i);
        for (std::size_t k = 0; k < 3; ++k) r += A(i, k) * w[k];
        for (std::size_t k = 0; k < 3; ++k) grad[k] = r * A(i, k);
      };
    }
  };
  fs::path dir = fresh_dir("finite_sum");
  auto check = [&](auto make, auto save_state, auto load_state) {
    Run direct(A, bv), first(A, bv), second(A, bv);
    auto m_direct = make();
    for (int s = 0; s < 20; ++s) m_direct.step(*direct.store, direct.f);
    auto m_first = make();
    for (int s = 0; s < 8; ++s) m_first.step(*first.store, first.f);
    TrainingState state;
    save_state(m_first, state);
    save_checkpoint(dir.string(), *first.store, state);
    auto m_second = make();
    load_state(m_second, load_checkpoint(dir.string(), *second.store));
    for (int s = 0; s < 12; ++s) m_second.step(*second.store, second.f);
    CHECK(second.store->values() == direct.store->values());
  };
  auto table_save = [](const auto& m, TrainingState& s) { m.save_state(s); };
  auto table_load = [](auto& m, const TrainingState& s) { m.load_state(s, 10, 3); };
  check([] { return SAG(0.05, 7); }, table_save, table_load);
  check([] { return SAGA(0.05, 7); }, table_save, table_load);
  check([] { return SVRG(0.05, 5, 7); }, table_save, [](SVRG& m, const TrainingState& s) { m.load_state(s, 3); });
  // A table of another size is refused whole.
  SAGA saga(0.05, 7);
  Run run(A, bv);
  for (int s = 0; s < 3; ++s) saga.step(*run.store, run.f);
  TrainingState state;
  saga.save_state(state);
  SAGA other(0.05, 7);
  CHECK_THROWS_WITH(other.load_state(state, 11, 3), Catch::Contains("not 11 examples"));
  fs::remove_all(dir);
}

// A checkpoint directory is the user's directory too; a save touches only what its own
// manifest names, and nothing that was there before it.
namespace {

std::string file_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::set<std::string> npy_files(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& f : fs::directory_iterator(dir))
    if (f.path().extension() == ".npy") names.insert(f.path().filename().string());
  return names;
}

}  // namespace

TEST_CASE("a save removes only the files its manifest named; what the user keeps there stays",
          "[optim][checkpoint][files]") {
  fs::path dir = fresh_dir("owned");
  Problem a(1);
  TrainingState state = adam_state_after(a, 2);
  save_checkpoint(dir.string(), *a.store, state);
  // Files named like a checkpoint's, but not this checkpoint's (the old clean-up removed every g*.npy).
  std::ofstream(dir / "g7-param0.npy") << "user data 1";
  std::ofstream(dir / "gradient.npy") << "user data 2";
  std::ofstream(dir / "notes.txt") << "user data 3";
  save_checkpoint(dir.string(), *a.store, state);
  CHECK(file_text(dir / "g7-param0.npy") == "user data 1");
  CHECK(file_text(dir / "gradient.npy") == "user data 2");
  CHECK(file_text(dir / "notes.txt") == "user data 3");
  CHECK(npy_files(dir) == std::set<std::string>{"g2-param0.npy", "g2-param1.npy", "g2-state0.npy", "g2-state1.npy",
                                                "g7-param0.npy", "gradient.npy"});
  fs::remove_all(dir);
}

TEST_CASE("a directory that is not a dagrad checkpoint is refused and left as it was", "[optim][checkpoint][files]") {
  Problem a(1);
  fs::path dir = fresh_dir("foreign");
  fs::create_directories(dir);
  std::ofstream(dir / "g1-param0.npy") << "someone else's";
  std::ofstream(dir / "results.csv") << "1,2,3";
  CHECK_THROWS_WITH(save_checkpoint(dir.string(), *a.store), Catch::Contains("not empty and not a dagrad checkpoint"));
  CHECK_THROWS_WITH(holds_checkpoint(dir.string()), Catch::Contains("not a dagrad checkpoint"));
  std::ofstream(dir / "manifest.json") << R"({"name": "my project", "version": 3})";
  CHECK_THROWS_WITH(save_checkpoint(dir.string(), *a.store), Catch::Contains("not a dagrad checkpoint manifest"));
  CHECK(file_text(dir / "g1-param0.npy") == "someone else's");
  CHECK(file_text(dir / "results.csv") == "1,2,3");
  CHECK(file_text(dir / "manifest.json") == R"({"name": "my project", "version": 3})");
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 3);
  CHECK_THROWS_WITH(save_checkpoint((dir / "results.csv").string(), *a.store),
                    Catch::Contains("exists and is not a directory"));
  CHECK_THROWS_WITH(save_checkpoint("", *a.store), Catch::Contains("path is empty"));
  CHECK_THROWS_WITH(load_checkpoint("", *a.store), Catch::Contains("path is empty"));
  // Absent and empty directories are fine and hold no checkpoint yet.
  fs::path empty = fresh_dir("empty");
  CHECK_FALSE(holds_checkpoint(empty.string()));
  fs::create_directories(empty);
  CHECK_FALSE(holds_checkpoint(empty.string()));
  save_checkpoint(empty.string(), *a.store);
  CHECK(holds_checkpoint(empty.string()));
  fs::remove_all(dir);
  fs::remove_all(empty);
}

TEST_CASE("one writer at a time: a second one is refused while the first holds the directory",
          "[optim][checkpoint][lock]") {
  fs::path dir = fresh_dir("lock");
  Problem a(1);
  save_checkpoint(dir.string(), *a.store);
  int to_child[2], to_parent[2];
  REQUIRE(::pipe(to_child) == 0);
  REQUIRE(::pipe(to_parent) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // holds the directory, as a training run does, until the parent says stop
    char byte = 0;
    try {
      CheckpointDirectory held(dir.string());
      byte = 'L';
      if (::write(to_parent[1], &byte, 1) != 1) ::_exit(1);
      if (::read(to_child[0], &byte, 1) != 1) ::_exit(1);
      held.save(*a.store);
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  char byte = 0;
  REQUIRE(::read(to_parent[0], &byte, 1) == 1);
  REQUIRE(byte == 'L');
  CHECK_THROWS_WITH(save_checkpoint(dir.string(), *a.store), Catch::Contains("in use by another process"));
  CHECK_THROWS_WITH(CheckpointDirectory(dir.string()), Catch::Contains("in use by another process"));
  REQUIRE(::write(to_child[1], &byte, 1) == 1);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  save_checkpoint(dir.string(), *a.store);  // released when the holder ended
  Problem b(2);
  load_checkpoint(dir.string(), *b.store);
  CHECK(b.store->values() == a.store->values());
  for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) ::close(fd);
  fs::remove_all(dir);
}

TEST_CASE("symbolic links are refused, never written through or read", "[optim][checkpoint][files]") {
  fs::path dir = fresh_dir("links"), victim = fresh_dir("victim");
  std::ofstream(victim) << "precious";
  Problem a(1), b(2);
  save_checkpoint(dir.string(), *a.store);
  SECTION("a link named like the next generation's file") {
    fs::create_symlink(victim, dir / "g2-param0.npy");
    CHECK_THROWS_WITH(save_checkpoint(dir.string(), *b.store),
                      Catch::Contains("g2-param0.npy: exists, and this checkpoint's manifest does not name it"));
    CHECK(file_text(victim) == "precious");
    CHECK(fs::is_symlink(dir / "g2-param0.npy"));  // not ours: left there
    Problem c(3);
    load_checkpoint(dir.string(), *c.store);  // the previous generation is whole
    CHECK(c.store->values() == a.store->values());
  }
  SECTION("a link as the manifest") {
    fs::copy_file(dir / "manifest.json", victim, fs::copy_options::overwrite_existing);
    fs::remove(dir / "manifest.json");
    fs::create_symlink(victim, dir / "manifest.json");
    CHECK_THROWS_WITH(load_checkpoint(dir.string(), *b.store), Catch::Contains("manifest.json: is a symbolic link"));
    CHECK_THROWS_WITH(save_checkpoint(dir.string(), *b.store), Catch::Contains("symbolic link"));
  }
  SECTION("a link as a parameter file") {
    fs::copy_file(dir / "g1-param0.npy", victim, fs::copy_options::overwrite_existing);
    fs::remove(dir / "g1-param0.npy");
    fs::create_symlink(victim, dir / "g1-param0.npy");
    CHECK_THROWS_WITH(load_checkpoint(dir.string(), *b.store), Catch::Contains("g1-param0.npy: is a symbolic link"));
  }
  SECTION("a manifest whose pending files leave the directory") {
    std::string text = file_text(dir / "manifest.json");
    nlohmann::json m = nlohmann::json::parse(text);
    m["pending"] = {"../" + victim.filename().string()};
    std::ofstream(dir / "manifest.json", std::ios::trunc) << m.dump();
    CHECK_THROWS_WITH(save_checkpoint(dir.string(), *b.store),
                      Catch::Contains("not a checkpoint file in the directory"));
    CHECK(fs::exists(victim));
  }
  fs::remove_all(dir);
  fs::remove(victim);
}

TEST_CASE("an oversized manifest is refused unread; bytes after the JSON are refused", "[optim][checkpoint][errors]") {
  fs::path dir = fresh_dir("bounded");
  Problem a(1), b(2);
  save_checkpoint(dir.string(), *a.store);
  std::string text = file_text(dir / "manifest.json");
  std::ofstream(dir / "manifest.json", std::ios::trunc | std::ios::binary) << text << std::string("\0garbage", 8);
  expect_error(dir, *b.store, "contains a NUL byte");
  std::ofstream(dir / "manifest.json", std::ios::trunc | std::ios::binary) << text << "{}";
  expect_error(dir, *b.store, "malformed manifest");
  // A 3 GB manifest took 109 s and 6.3 GB; a sparse 17 MiB one is refused from its size.
  std::ofstream(dir / "manifest.json", std::ios::trunc | std::ios::binary) << text;
  fs::resize_file(dir / "manifest.json", kMaxManifestBytes + 1);
  auto started = std::chrono::steady_clock::now();
  expect_error(dir, *b.store, "more than the 16777216 allowed");
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
  fs::remove_all(dir);
}

TEST_CASE("a save that cannot be written whole (file size limit: a full disk) keeps the previous checkpoint",
          "[optim][checkpoint][files]") {
  fs::path dir = fresh_dir("full");
  Problem a(1), b(2);
  save_checkpoint(dir.string(), *a.store);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);  // writes past the limit then fail with EFBIG, as ENOSPC on a full disk
    rlimit limit{200, 200};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      save_checkpoint(dir.string(), *b.store);
    } catch (const CheckpointError& e) {
      ::_exit(std::string(e.what()).find("File too large") != std::string::npos ? 0 : 2);
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(1);  // the save claimed success
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  Problem c(3);
  load_checkpoint(dir.string(), *c.store);
  CHECK(c.store->values() == a.store->values());
  save_checkpoint(dir.string(), *b.store);  // the failed save's files are cleaned up by the next one
  CHECK(npy_files(dir) == std::set<std::string>{"g2-param0.npy", "g2-param1.npy"});
  fs::remove_all(dir);
}
