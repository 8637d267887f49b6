#include "dagrad/optim/trainer.hpp"

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <tuple>

#include "dagrad/autodiff/autodiff.hpp"
#include "dagrad/data/files.hpp"
#include "dagrad/optim/checkpoint.hpp"
#include "dagrad/optim/gradient_program.hpp"

namespace dagrad::optim {

void gather_rows(const data::Dataset& set, const std::vector<std::size_t>* order, std::size_t begin, Tensor& x,
                 Tensor& y) {
  std::size_t rows = y.size(), d = set.features();
  for (std::size_t r = 0; r < rows; ++r) {
    std::size_t i = order ? (*order)[begin + r] : begin + r;
    std::copy(set.X.data() + i * d, set.X.data() + (i + 1) * d, x.data() + r * d);
    y(r) = set.y(i);
  }
}

namespace {

double correct(Task task, const View& out, const Tensor& y) {
  double hits = 0;
  std::size_t n = y.size();
  if (task == Task::Binary)
    for (std::size_t i = 0; i < n; ++i) hits += (out.data()[i] >= 0 ? 1.0 : -1.0) == y(i);
  if (task == Task::Classification) {
    std::size_t c = out.size() / n;
    for (std::size_t i = 0; i < n; ++i) {
      const Scalar* row = out.data() + i * c;
      hits += static_cast<double>(std::max_element(row, row + c) - row) == y(i);
    }
  }
  return hits;
}

// Programs evaluating output and loss on batches of one size, by substituting new inputs for
// the training batch (parameters are shared); built once per size and reused.
class Evaluator {
 public:
  Evaluator(Graph& g, const TrainSetup& setup, ParamStore& store, std::size_t eval_batch)
      : g_(g), setup_(setup), store_(store), eval_batch_(eval_batch) {}
  std::pair<double, double> operator()(const data::Dataset& set) {
    double loss = 0, hits = 0;
    std::size_t n = set.size();
    for (std::size_t begin = 0; begin < n;) {
      std::size_t rows = std::min(eval_batch_, n - begin);
      Entry& e = entry(rows);
      gather_rows(set, nullptr, begin, e.xv, e.yv);
      e.program->set(e.x, e.xv);
      e.program->set(e.y, e.yv);
      e.program->run();
      loss += e.program->scalar(e.loss) * static_cast<double>(rows);
      hits += correct(setup_.task, e.program->view(e.output), e.yv);
      begin += rows;
    }
    return {loss / static_cast<double>(n), setup_.task == Task::Regression ? NAN : hits / static_cast<double>(n)};
  }

 private:
  struct Entry {
    Var x, y, output, loss;
    Tensor xv, yv;
    std::unique_ptr<Program> program;
  };
  Entry& entry(std::size_t rows) {
    auto it = entries_.find(rows);
    if (it != entries_.end()) return it->second;
    Entry e;
    Shape xs = setup_.x.shape();
    bool same = xs[0] == rows;  // the training batch size: evaluate the training graph itself
    xs[0] = rows;
    e.x = same ? setup_.x : g_.input("eval_x" + std::to_string(rows), xs);
    e.y = g_.input("eval_y" + std::to_string(rows), {rows});
    e.output = same ? setup_.output : substitute({setup_.output}, {setup_.x}, {e.x})[0];
    e.loss = setup_.loss(e.output, e.y);
    e.xv = Tensor::from_shape(xs);  // a row of the set's features per example, whatever x's shape (images)
    e.yv = Tensor::from_shape({rows});
    e.program = std::make_unique<Program>(g_, std::vector<Var>{e.output, e.loss});
    e.program->bind(store_);
    return entries_.emplace(rows, std::move(e)).first->second;
  }
  Graph& g_;
  const TrainSetup& setup_;
  ParamStore& store_;
  std::size_t eval_batch_;
  std::map<std::size_t, Entry> entries_;
};

// The metrics history as a checkpoint buffer: kMetricFields numbers per evaluation.
constexpr std::size_t kMetricFields = 7;

std::vector<Scalar> metrics_to_buffer(const std::vector<Metrics>& history) {
  std::vector<Scalar> buffer;
  for (const Metrics& m : history)
    buffer.insert(buffer.end(), {static_cast<Scalar>(m.step), static_cast<Scalar>(m.epoch), m.train_loss,
                                 m.train_accuracy, m.test_loss, m.test_accuracy, m.seconds});
  return buffer;
}

std::vector<Metrics> metrics_from_buffer(const std::vector<Scalar>& buffer, const std::string& dir) {
  if (buffer.empty() || buffer.size() % kMetricFields != 0)
    throw CheckpointError("train: 'loop/history' in " + dir + " has " + std::to_string(buffer.size()) +
                          " numbers, not a whole number of " + std::to_string(kMetricFields) + "-field rows");
  std::vector<Metrics> history;
  for (std::size_t at = 0; at < buffer.size(); at += kMetricFields) {
    Metrics m;
    m.step = static_cast<std::size_t>(buffer[at]);
    m.epoch = static_cast<std::size_t>(buffer[at + 1]);
    m.train_loss = buffer[at + 2];
    m.train_accuracy = buffer[at + 3];
    m.test_loss = buffer[at + 4];
    m.test_accuracy = buffer[at + 5];
    m.seconds = buffer[at + 6];
    history.push_back(m);
  }
  return history;
}

}  // namespace

std::pair<double, double> evaluate(Graph& g, const TrainSetup& setup, ParamStore& store, const data::Dataset& set,
                                   std::size_t eval_batch) {
  return Evaluator(g, setup, store, eval_batch)(set);
}

namespace {

// What defines a run: a resume under other values would train on other data or another split.
std::map<std::string, std::string> run_identity(const TrainOptions& options, std::size_t batch,
                                                const data::Split& data) {
  std::map<std::string, std::string> identity = options.identity;
  auto checksum = [](const data::Dataset& set) {
    std::uint32_t x = data::crc32(set.X.data(), set.X.size() * sizeof(Scalar)),
                  y = data::crc32(set.y.data(), set.y.size() * sizeof(Scalar));
    return std::to_string(set.size()) + " rows, CRC-32 " + std::to_string(x) + "/" + std::to_string(y);
  };
  identity["seed"] = std::to_string(options.seed);
  identity["batch size"] = std::to_string(batch);
  identity["training set"] = checksum(data.train);
  identity["test set"] = checksum(data.test);
  return identity;
}

// The loop's own state: what a checkpoint saves beside the store and the optimizer.
struct LoopState {
  std::vector<std::size_t> order;  // the shuffled rows
  std::mt19937_64 rng;
  std::vector<Metrics> history;
  std::size_t epochs_done = 0, steps_done = 0;
};

// The loop's state from `checkpoint`, after checking that it belongs to this run; the store and the
// optimizer are loaded too, and a fault puts the store back as it was.
LoopState resume(CheckpointDirectory& checkpoint, const std::map<std::string, std::string>& identity, std::size_t n,
                 std::size_t per_epoch, ParamStore& store, Optimizer& optimizer, const std::string& dir) {
  // load_checkpoint checks its files before it writes the store; what it cannot check (the run's
  // identity, the loop's and the optimizer's state) is checked here.
  std::vector<Scalar> before = store.float64_values();
  try {
    TrainingState state = checkpoint.load(store);
    for (const auto& [key, value] : identity) {
      auto saved = state.values.find("run/" + key);
      if (saved == state.values.end() || saved->second != value)
        throw CheckpointError("train: resuming " + dir + " with " + key + " " + value +
                              ", but the checkpoint was made with " +
                              (saved == state.values.end() ? std::string("none recorded") : key + " " + saved->second));
    }
    const std::vector<Scalar>& saved_order = state.buffer("loop/order");
    if (saved_order.size() != n)
      throw CheckpointError("train: the checkpoint in " + dir + " shuffled " + std::to_string(saved_order.size()) +
                            " rows, the data set has " + std::to_string(n));
    LoopState loop;
    loop.order.resize(n);
    std::vector<bool> seen(n, false);
    for (std::size_t i = 0; i < n; ++i) {
      Scalar v = saved_order[i];
      if (!(v >= 0 && v < static_cast<Scalar>(n)) || v != std::floor(v) || seen[static_cast<std::size_t>(v)])
        throw CheckpointError("train: 'loop/order' in " + dir + " is not a permutation");
      loop.order[i] = static_cast<std::size_t>(v);
      seen[loop.order[i]] = true;
    }
    loop.rng = state.engine("loop/rng");
    loop.epochs_done = state.count("loop/epoch");
    loop.steps_done = state.count("loop/step");
    if (loop.steps_done != loop.epochs_done * per_epoch)
      throw CheckpointError("train: the checkpoint in " + dir + " is at step " + std::to_string(loop.steps_done) +
                            " of epoch " + std::to_string(loop.epochs_done) +
                            ", not an epoch's end with this batch size");
    loop.history = metrics_from_buffer(state.buffer("loop/history"), dir);
    optimizer.load_state(state, store.size());
    return loop;
  } catch (...) {
    store.float64_values() = before;
    store.float64_values_written();
    throw;
  }
}

void save(CheckpointDirectory& checkpoint, const LoopState& loop, std::size_t epoch, std::size_t step_count,
          const std::map<std::string, std::string>& identity, ParamStore& store, const Optimizer& optimizer) {
  TrainingState state;
  optimizer.save_state(state);
  state.buffers["loop/order"] = std::vector<Scalar>(loop.order.begin(), loop.order.end());
  state.buffers["loop/history"] = metrics_to_buffer(loop.history);
  state.put_engine("loop/rng", loop.rng);
  state.values["loop/epoch"] = std::to_string(epoch);
  state.values["loop/step"] = std::to_string(step_count);
  for (const auto& [key, value] : identity) state.values["run/" + key] = value;
  checkpoint.save(store, state);
}

// The checkpoint directory the options name (none without one), refusing to overwrite unasked.
std::unique_ptr<CheckpointDirectory> open_checkpoint(const TrainOptions& options) {
  if (options.resume && options.checkpoint_dir.empty())
    throw CheckpointError("train: resume needs a checkpoint directory");
  if (options.checkpoint_dir.empty()) return nullptr;
  auto checkpoint = std::make_unique<CheckpointDirectory>(options.checkpoint_dir);
  if (!options.resume && !options.overwrite_checkpoint && checkpoint->holds_checkpoint())
    throw CheckpointError("train: " + options.checkpoint_dir +
                          " already holds a checkpoint; resume it, or overwrite it explicitly");
  return checkpoint;
}

}  // namespace

std::vector<Metrics> train(Graph& g, const TrainSetup& setup, ParamStore& store, Optimizer& optimizer,
                           const data::Split& data, const TrainOptions& options, const MetricsCallback& on_eval,
                           const ProgressCallback& on_step) {
  std::size_t batch = setup.x.shape()[0], n = data.train.size();
  if (setup.x.shape().size() != 2 || setup.x.shape()[1] != data.train.features())
    throw BindError("train: the model input '" + setup.x.name() + "' " + to_string(setup.x.shape()) +
                    " does not take rows of " + std::to_string(data.train.features()) + " features");
  if (batch > n)
    throw BindError("train: batch size " + std::to_string(batch) + " exceeds the " + std::to_string(n) +
                    " training rows");
  GradientProgram step(g, setup.loss(setup.output, setup.y), store, setup.params);
  Evaluator evaluator(g, setup, store, options.eval_batch);
  std::size_t per_epoch = n / batch, total = per_epoch * options.epochs;
  std::size_t eval_every = options.eval_every ? options.eval_every : per_epoch;
  std::map<std::string, std::string> identity = run_identity(options, batch, data);
  std::unique_ptr<CheckpointDirectory> checkpoint = open_checkpoint(options);
  LoopState loop;
  if (options.resume) {
    loop = resume(*checkpoint, identity, n, per_epoch, store, optimizer, options.checkpoint_dir);
  } else {
    loop.order.resize(n);
    std::iota(loop.order.begin(), loop.order.end(), 0);
    loop.rng.seed(options.seed);
  }
  std::size_t step_count = loop.steps_done;
  double seconds_before = loop.history.empty() ? 0 : loop.history.back().seconds;  // of the runs resumed
  auto start = std::chrono::steady_clock::now();
  auto record = [&](std::size_t epoch) {
    Metrics m;
    m.step = step_count;
    m.epoch = epoch;
    std::tie(m.train_loss, m.train_accuracy) = evaluator(data.train);
    std::tie(m.test_loss, m.test_accuracy) = evaluator(data.test);
    m.seconds = seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    loop.history.push_back(m);
    if (on_eval) on_eval(m);
  };
  Tensor xb = Tensor::from_shape({batch, data.train.features()}), yb = Tensor::from_shape({batch});
  if (loop.history.empty()) record(loop.epochs_done);
  for (std::size_t epoch = loop.epochs_done + 1; epoch <= options.epochs; ++epoch) {
    for (std::size_t i = n; i > 1; --i) std::swap(loop.order[i - 1], loop.order[loop.rng() % i]);
    for (std::size_t b = 0; b < per_epoch; ++b) {
      gather_rows(data.train, &loop.order, b * batch, xb, yb);
      step.program().set(setup.x, xb);
      step.program().set(setup.y, yb);
      Scalar batch_loss = step.run();
      optimizer.step(store);
      ++step_count;
      if (on_step) on_step(step_count, total, batch_loss);
      if (step_count % eval_every == 0 && !(options.eval_every == 0 && b + 1 < per_epoch)) record(epoch);
    }
    if (checkpoint) save(*checkpoint, loop, epoch, step_count, identity, store, optimizer);
  }
  if (loop.history.back().step != step_count) record(options.epochs);
  return loop.history;
}

void write_metrics_csv(const std::string& path, const std::vector<Metrics>& metrics) {
  std::ostringstream out;
  out << "step,epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds\n";
  out.precision(12);
  for (const Metrics& m : metrics)
    out << m.step << ',' << m.epoch << ',' << m.train_loss << ',' << m.train_accuracy << ',' << m.test_loss << ','
        << m.test_accuracy << ',' << m.seconds << '\n';
  data::write_file(path, out.str());
}

}  // namespace dagrad::optim
