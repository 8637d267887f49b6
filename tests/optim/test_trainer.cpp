#include <catch2/catch.hpp>

#include <unistd.h>
#include "dagrad/data/dataset.hpp"
#include "dagrad/models/models.hpp"
#include "dagrad/optim/gradient_program.hpp"
#include "dagrad/optim/trainer.hpp"

#include <filesystem>

#include <xtensor/xsort.hpp>

#include "support.hpp"

using namespace dagrad;

namespace {
// A softmax regression on batches of 16 rows of `features` features, with its training setup.
struct SoftmaxRegression {
  Graph g;
  Var x, y;
  models::Model m;
  std::unique_ptr<ParamStore> store;
  optim::TrainSetup setup;
  explicit SoftmaxRegression(std::size_t features) {
    x = g.input("x", {16, features});
    y = g.input("y", {16});
    m = models::linear(x, 3);
    store = std::make_unique<ParamStore>(g, 0);
    setup = {x,
             y,
             m.output,
             m.params,
             [](const Var& o, const Var& l) { return cross_entropy(o, l); },
             optim::Task::Classification};
  }
};
}  // namespace

TEST_CASE("training a softmax regression on iris: evaluation, determinism, metrics", "[optim][trainer]") {
  auto run = [] {
    data::Split split = data::train_test_split(data::load_sklearn("iris"), 0.2, 1);
    data::standardize(split);
    SoftmaxRegression model(4);
    models::Model& m = model.m;
    ParamStore& store = *model.store;
    optim::Adam adam({optim::constant(0.05)});
    optim::TrainOptions options;
    options.epochs = 30;
    options.seed = 3;
    std::size_t evaluations = 0;
    auto history =
        optim::train(model.g, model.setup, store, adam, split, options, [&](const optim::Metrics&) { ++evaluations; });
    CHECK(evaluations == history.size());
    // The reported test accuracy equals an independent count from the learned weights.
    Tensor logits = xt::linalg::dot(split.test.X, Tensor(store.value(m.params[0]))) + Tensor(store.value(m.params[1]));
    double hits = 0;
    for (std::size_t i = 0; i < split.test.size(); ++i)
      hits += static_cast<double>(xt::argmax(xt::view(logits, i))()) == split.test.y(i);
    CHECK(history.back().test_accuracy == Approx(hits / static_cast<double>(split.test.size())));
    return history;
  };
  auto first = run(), second = run();
  REQUIRE(first.size() == 31);  // before training and after each epoch
  CHECK(first.back().step == 30 * (120 / 16));
  CHECK(first.front().train_loss == Approx(std::log(3.0)));  // zero weights: uniform softmax
  CHECK(first.back().train_loss < 0.2);
  CHECK(first.back().test_accuracy >= 0.9);
  for (std::size_t i = 0; i < first.size(); ++i) CHECK(first[i].test_loss == second[i].test_loss);  // seeded: identical
}

TEST_CASE("trainer rejects a model input that does not fit the data", "[optim][trainer][errors]") {
  data::Split split = data::train_test_split(data::load_sklearn("iris"), 0.2, 1);
  SoftmaxRegression model(5);
  optim::GradientDescent gd({optim::constant(0.1)});
  CHECK_THROWS_WITH(optim::train(model.g, model.setup, *model.store, gd, split, {}),
                    Catch::Contains("does not take rows of 4 features"));
}

TEST_CASE("a training step's memory: forward activations + parameters + gradients + one layer's workspace",
          "[optim][memory]") {
  // The bound set for a training step; the ParamStore's values and gradients count, the Clarke pass's own
  // arena (held only after a step meets a kink) does not.
  auto check = [](Graph& g, const Var& x, const Var& y, const Var& loss) {
    ParamStore store(g, 3);
    optim::GradientProgram training_step(g, loss, store);
    std::size_t params = store.size() * sizeof(Scalar), activations = 0, largest = 0;
    for (NodeId id = 0; id < g.size(); ++id) {
      const Node& n = g.node(id);
      if (n.role != Role::Op || n.derivative) continue;
      activations += size_of(n.shape) * sizeof(Scalar);
      largest = std::max(largest, size_of(n.shape) * sizeof(Scalar));
    }
    std::size_t inputs = (x.size() + y.size()) * sizeof(Scalar);
    CHECK(training_step.program().stats().peak_live_bytes + 2 * params <= activations + 2 * params + largest + inputs);
    CHECK(training_step.program().stats().outside_bytes == 2 * params);  // read from and written to the store
  };
  SECTION("MLP") {
    Graph g;
    Var x = g.input("x", {64, 32});
    Var y = g.input("y", {64});
    models::MlpOptions o;
    o.hidden = {128, 128, 128};
    o.outputs = 10;
    check(g, x, y, cross_entropy(models::mlp(x, o).output, y));
  }
  SECTION("convolutional ResNet: weight gradients' transposed activations are made where they are used") {
    Graph g;
    Var x = g.input("x", {16, 1, 8, 8});
    Var y = g.input("y", {16});
    check(g, x, y, cross_entropy(models::resnet_conv(x, 8, 2, 10).output, y));
  }
}

TEST_CASE("train resumes from its checkpoint bit for bit: 4 epochs, stop, 6 more = 10 epochs",
          "[optim][trainer][checkpoint]") {
  data::Split split = data::train_test_split(data::load_sklearn("iris"), 0.2, 1);
  data::standardize(split);
  std::string dir =
      (std::filesystem::temp_directory_path() / ("dagrad_train_resume_" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  optim::TrainOptions options;
  options.seed = 3;
  options.epochs = 10;
  SoftmaxRegression direct(4);
  optim::Adam adam({optim::constant(0.05)});
  auto direct_history = optim::train(direct.g, direct.setup, *direct.store, adam, split, options);

  options.checkpoint_dir = dir;
  options.epochs = 4;
  SoftmaxRegression first(4);
  optim::Adam adam1({optim::constant(0.05)});
  optim::train(first.g, first.setup, *first.store, adam1, split, options);
  REQUIRE(first.store->values() != direct.store->values());

  options.epochs = 10;
  options.resume = true;
  SoftmaxRegression second(4);
  optim::Adam adam2({optim::constant(0.05)});
  auto history = optim::train(second.g, second.setup, *second.store, adam2, split, options);
  CHECK(second.store->values() == direct.store->values());
  // The history is whole: the checkpoint carries the first run's metrics (--resume lost them).
  REQUIRE(history.size() == direct_history.size());
  for (std::size_t k = 0; k < history.size(); ++k) {
    CHECK(history[k].epoch == direct_history[k].epoch);
    CHECK(history[k].step == direct_history[k].step);
    CHECK(history[k].train_loss == direct_history[k].train_loss);
    CHECK(history[k].test_accuracy == direct_history[k].test_accuracy);
  }
  CHECK(history.front().epoch == 0);
  CHECK(history.back().step == 10 * (120 / 16));
  CHECK(adam2.steps() == 10 * (120 / 16));
  // Another optimizer cannot take over the state.
  SoftmaxRegression third(4);
  optim::Momentum momentum({optim::constant(0.05)}, 0.9);
  std::vector<Scalar> untouched = third.store->values();
  CHECK_THROWS_WITH(optim::train(third.g, third.setup, *third.store, momentum, split, options),
                    Catch::Contains("saved by optimizer 'adam'"));
  CHECK(third.store->values() == untouched);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a checkpoint is not silently replaced, and resumes only the run that made it",
          "[optim][trainer][checkpoint]") {
  // Regression: rerunning a --checkpoint command restarted from epoch 0 over an epoch-10 checkpoint;
  // a resume with another seed trained on test rows; another data set of the same shape was taken.
  data::Split split = data::train_test_split(data::load_sklearn("iris"), 0.2, 1);
  data::standardize(split);
  std::string dir =
      (std::filesystem::temp_directory_path() / ("dagrad_train_identity_" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  optim::TrainOptions options;
  options.seed = 3;
  options.epochs = 2;
  options.checkpoint_dir = dir;
  options.identity["data"] = "iris";
  auto train = [&](const optim::TrainOptions& o, const data::Split& s) {
    SoftmaxRegression model(4);
    optim::Adam adam({optim::constant(0.05)});
    return optim::train(model.g, model.setup, *model.store, adam, s, o);
  };
  train(options, split);
  CHECK_THROWS_WITH(train(options, split),
                    Catch::Contains("already holds a checkpoint; resume it, or overwrite it explicitly"));
  optim::TrainOptions overwrite = options;
  overwrite.overwrite_checkpoint = true;
  overwrite.epochs = 1;
  train(overwrite, split);
  optim::TrainOptions resume = options;
  resume.resume = true;
  resume.epochs = 3;
  optim::TrainOptions other_seed = resume;
  other_seed.seed = 4;
  CHECK_THROWS_WITH(train(other_seed, split), Catch::Contains("with seed 4, but the checkpoint was made with seed 3"));
  optim::TrainOptions other_data = resume;
  other_data.identity["data"] = "iris-copy.csv";
  CHECK_THROWS_WITH(train(other_data, split),
                    Catch::Contains("with data iris-copy.csv, but the checkpoint was made with data iris"));
  // Same names, other rows: the training set's checksum differs.
  data::Split other_split = data::train_test_split(data::load_sklearn("iris"), 0.2, 2);
  data::standardize(other_split);
  CHECK_THROWS_WITH(train(resume, other_split), Catch::Contains("with test set 30 rows, CRC-32"));
  auto history = train(resume, split);  // the overwritten checkpoint was at epoch 1
  REQUIRE(history.size() == 4);
  CHECK(history.back().epoch == 3);
  std::filesystem::remove_all(dir);
}
