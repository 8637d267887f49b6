#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include <xtensor/xnpy.hpp>

#include "dagrad/data/dataset.hpp"
#include "dagrad/data/files.hpp"
#include "dagrad/ops/ops.hpp"
#include "dagrad/studies/studies.hpp"
#include "dagrad/studies/support.hpp"

namespace dagrad::studies {

void StudyResult::add(const std::string& column, Scalar value) {
  if (!series.count(column)) columns.push_back(column);
  series[column].push_back(value);
}

std::string fmt(Scalar v, int digits) {
  std::ostringstream s;
  s.precision(digits);
  s << v;
  return s.str();
}

Var reduce_loss(const Var& mean_loss, std::size_t n, const std::string& reduction, const std::string& study) {
  if (reduction == "mean") return mean_loss;
  if (reduction == "sum") return mean_loss * static_cast<Scalar>(n);
  throw ValueError(study + ": --loss-reduction must be sum or mean, got '" + reduction + "'");
}

Tensor gaussian_tensor(std::mt19937_64& rng, const Shape& shape, Scalar sd) {
  std::normal_distribution<Scalar> normal(0, sd);
  Tensor t = Tensor::from_shape(shape);
  for (auto& v : t) v = normal(rng);
  return t;
}

Classification binary_data_from_csv(const std::string& path, const std::string& study) {
  data::CsvOptions options;
  options.classification = false;  // -1 is a label here, which the class-index reader refuses
  data::Dataset file = data::load_csv(path, options);
  Classification out;
  out.X = file.X;
  out.y = file.y;
  bool zero_one = true, plus_minus = true;
  for (Scalar v : file.y) zero_one = zero_one && (v == 0 || v == 1), plus_minus = plus_minus && (v == -1 || v == 1);
  if (!zero_one && !plus_minus)
    throw data::DataError(study + ": --data " + path +
                          ": labels (the last column) must all be in {0, 1} or all in {-1, 1}");
  if (zero_one) out.y = 2 * out.y - 1;
  if (xt::all(xt::equal(out.y, out.y(0))))
    throw data::DataError(study + ": --data " + path + ": every label is the same; a margin needs both classes");
  return out;
}

void load_initial_weights(const std::string& dir, ParamStore& store, const std::string& study) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(fs::symlink_status(dir, error)))
    throw data::DataError(study + ": --init " + dir + " is not a directory (one <parameter>.npy per parameter)");
  std::vector<std::pair<Var, Tensor>> loaded;
  std::set<std::string> expected;
  for (const Var& p : store.parameters()) {
    std::string name = p.name();
    std::replace(name.begin(), name.end(), '/', '.');
    expected.insert(name + ".npy");
    const std::string path = dir + "/" + name + ".npy";
    const std::size_t bytes = 1024 + 8 * static_cast<std::size_t>(std::max<std::size_t>(1, p.size()));
    std::istringstream in(data::read_file(path, bytes));  // refuses links, non-files and oversized files
    Tensor values;
    try {
      values = xt::load_npy<Scalar>(in);
    } catch (const std::exception& e) {
      throw data::DataError(study + ": --init " + path + ": not a float64 .npy (" + e.what() + ")");
    }
    if (Shape(values.shape().begin(), values.shape().end()) != p.shape())
      throw data::DataError(study + ": --init " + path + " has shape " +
                            to_string(Shape(values.shape().begin(), values.shape().end())) + ", parameter '" +
                            p.name() + "' is " + to_string(p.shape()));
    if (!xt::all(xt::isfinite(values))) throw data::DataError(study + ": --init " + path + " holds a non-finite value");
    loaded.push_back({p, values});
  }
  for (const auto& entry : fs::directory_iterator(dir))
    if (!expected.count(entry.path().filename().string()))
      throw data::DataError(study + ": --init " + dir + " holds " + entry.path().filename().string() +
                            ", which names no parameter of the study's model");
  for (auto& [p, values] : loaded) store.set(p, values);
}

std::vector<std::size_t> log_steps(std::size_t steps, std::size_t count) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < count; ++k) {
    auto t = static_cast<std::size_t>(
        std::round(std::pow(static_cast<Scalar>(steps), static_cast<Scalar>(k) / (count - 1))));
    if (out.empty() || t > out.back()) out.push_back(t);
  }
  return out;
}

}  // namespace dagrad::studies
