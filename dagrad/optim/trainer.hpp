#pragma once
// Minibatch training of a model graph on a data set: seeded shuffling, evaluation on the whole
// train and test sets every so often, metric callbacks and CSV output.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "dagrad/data/dataset.hpp"
#include "dagrad/optim/optimizer.hpp"
#include "dagrad/program/program.hpp"

namespace dagrad::optim {

enum class Task { Classification, Binary, Regression };  // accuracy: argmax, sign against ±1 labels, none

struct TrainSetup {
  Var x;       // a batch of inputs, (B, features); evaluate() also takes (B, ...) holding a row's features
  Var y;       // its labels, (B)
  Var output;  // the model's output on x: (B, classes), or (B)
  std::vector<Var> params;
  // The mean loss of outputs against labels, built again for every evaluation batch size.
  std::function<Var(const Var& output, const Var& labels)> loss;
  Task task = Task::Classification;
};

struct TrainOptions {
  std::size_t epochs = 10;
  std::uint64_t seed = 0;
  std::size_t eval_every = 0;    // steps between evaluations; 0: after every epoch
  std::size_t eval_batch = 512;  // rows per evaluation program run
  // After every epoch, a checkpoint (parameters, optimizer state, epoch, step, shuffle order and
  // engine, the metrics so far, and what defines the run) is saved here; empty: none. The directory
  // is locked for the whole training (a second writer is refused). With `resume`, training starts
  // from the one found there and continues bit for bit as if it had never stopped, up to `epochs`
  // in all, and returns the whole history. Without it, a directory that already holds a checkpoint
  // is refused unless `overwrite_checkpoint`.
  std::string checkpoint_dir;
  bool resume = false;
  bool overwrite_checkpoint = false;
  // What defines the run beyond what train() sees, recorded in the checkpoint and compared on resume
  // (the CLI puts the data file's name here). train() itself records the seed, the batch size and
  // the sizes and CRC-32 checksums of the training and test sets, so another split, data or batch
  // size is refused with both values named.
  std::map<std::string, std::string> identity;
};

struct Metrics {
  std::size_t step = 0, epoch = 0;
  double train_loss = 0, train_accuracy = 0, test_loss = 0, test_accuracy = 0;
  double seconds = 0;  // since training began
};

using MetricsCallback = std::function<void(const Metrics&)>;
using ProgressCallback = std::function<void(std::size_t step, std::size_t total_steps, double batch_loss)>;

// Trains in place (store holds the parameters); the last batch of an epoch is dropped when the
// set does not divide evenly (each epoch reshuffles, so every example is used).
std::vector<Metrics> train(Graph& g, const TrainSetup& setup, ParamStore& store, Optimizer& optimizer,
                           const data::Split& data, const TrainOptions& options, const MetricsCallback& on_eval = {},
                           const ProgressCallback& on_step = {});

// Rows [begin, begin + y.size()) of a set in order `order` (or in place, when null) into
// preallocated tensors: x holds y.size() rows of the set's features, whatever its shape.
void gather_rows(const data::Dataset& set, const std::vector<std::size_t>* order, std::size_t begin, Tensor& x,
                 Tensor& y);

// Mean loss and accuracy of the model on a whole data set.
std::pair<double, double> evaluate(Graph& g, const TrainSetup& setup, ParamStore& store, const data::Dataset& set,
                                   std::size_t eval_batch);

// Replaces `path` with the metrics as CSV (data::write_file: every write checked, FileError otherwise).
void write_metrics_csv(const std::string& path, const std::vector<Metrics>& metrics);

}  // namespace dagrad::optim
