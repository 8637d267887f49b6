#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace dagrad::apps {

struct TrainCommand {
  std::string data = "digits";  // a scikit-learn set name or a CSV path (label last)
  std::string model = "mlp";    // mlp, resnet, convnet, linear
  std::string optimizer = "adam";
  double lr = 1e-3, weight_decay = 0, clip = 0, test_fraction = 0.2, min_accuracy = 0;
  std::size_t epochs = 20, batch = 64, width = 64, depth = 2, eval_every = 0;
  std::uint64_t seed = 0;
  std::string dtype = "float64";  // float64, float32 or bfloat16
  std::string out_dir = "out/train";
  // Empty when not given; given as "" they are refused (an empty path is not "none").
  std::optional<std::string> checkpoint_dir;  // save a checkpoint here after every epoch
  std::optional<std::string> resume_dir;      // continue from the checkpoint here (and keep saving to it)
  bool overwrite = false;                     // --checkpoint may replace a checkpoint already there
  bool allow_empty_classes = false;           // CSV labels may leave most classes without examples
};

// Refuses, before any data is read, options that cannot run: non-finite numbers, unknown data set,
// model or optimizer, a data path that is not a regular file, an empty path, an output path that is
// a file, a --checkpoint directory that already holds a checkpoint (without --overwrite) or holds
// something else, a --resume directory without one or made with another seed, batch size or data,
// a model whose training needs more than this machine's memory. Throws dagrad::Error naming the
// option. Reads, never writes (the fuzzer runs it).
void check_train(const TrainCommand& command);

// Checks, proves the output and checkpoint directories writable, then trains, prints progress,
// writes metrics.csv (the whole history, resumed runs included) and training.png under out_dir.
// Returns the exit code: kBelowAccuracy when the final test accuracy is below min_accuracy.
int run_train(const TrainCommand& command);

}  // namespace dagrad::apps
