// docs/examples/train.cpp
// A model builder and the Trainer: a one-hidden-layer MLP on iris, trained with Adam in batches of 16.
#include <dagrad/dagrad.hpp>
#include <dagrad/data/dataset.hpp>
#include <dagrad/models/models.hpp>
#include <dagrad/optim/trainer.hpp>

#include <iostream>

using namespace dagrad;

int main() {
  data::Split split = data::train_test_split(data::load_sklearn("iris"), /*test_fraction=*/0.2, /*seed=*/1);
  data::standardize(split);  // with the training set's mean and deviation

  Graph g;
  Var x = g.input("x", {16, 4}), y = g.input("y", {16});
  models::MlpOptions mlp;
  mlp.hidden = {16};
  mlp.outputs = 3;
  models::Model model = models::mlp(x, mlp);
  ParamStore store(g, /*seed=*/0);
  model.initialize(store, 0);

  optim::TrainSetup setup{x,
                          y,
                          model.output,
                          model.params,
                          [](const Var& logits, const Var& labels) { return cross_entropy(logits, labels); },
                          optim::Task::Classification};
  optim::Adam adam({optim::constant(0.02)});
  optim::TrainOptions options;
  options.epochs = 40;
  options.seed = 3;  // shuffling
  std::vector<optim::Metrics> history = optim::train(g, setup, store, adam, split, options);
  std::cout << "epoch " << history.back().epoch << ": train loss " << history.back().train_loss << ", test accuracy "
            << history.back().test_accuracy << "\n";
  return history.back().test_accuracy >= 0.9 ? 0 : 1;
}
