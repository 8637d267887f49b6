#pragma once
// Tabular data sets: loading (CSV, gzip-compressed or not), Debian's copies of scikit-learn's
// small data sets, seeded train/test splits and standardisation.
#include <cstdint>
#include <string>

#include "dagrad/graph/error.hpp"
#include "dagrad/graph/tensor.hpp"

namespace dagrad::data {

// A malformed file: the message names the file, the line and what is wrong with it.
struct DataError : Error {
  using Error::Error;
};

struct Dataset {
  std::string name;
  Tensor X;                 // (n, d)
  Tensor y;                 // (n): class indices 0..classes−1, or targets when classes == 0
  std::size_t classes = 0;  // 0: regression targets
  std::size_t size() const { return X.shape()[0]; }
  std::size_t features() const { return X.shape()[1]; }
};

struct CsvOptions {
  int label_column = -1;       // index of the label; negative counts from the end
  std::size_t skip_lines = 0;  // header lines
  bool classification = true;  // labels must then be non-negative integers
  char delimiter = ',';
  // Classes are 0..max label. Off: refused when more than half of them, and more than ten, have no
  // example (labels {0, 999999} are a mistake, not a million-class problem).
  bool allow_empty_classes = false;
};

// Reads numbers only; gzip is detected from the file's magic bytes; a leading UTF-8 byte-order mark
// is skipped; subnormal numbers (1e-320) are values. Throws DataError on a missing or empty file, a
// row with another number of fields than the first, a field that is not a number, out of float64's
// range or not finite (quoted with invisible bytes shown as \xNN), CR-only line endings, or
// (classification) a label that is not a non-negative integer, or labels that leave most classes empty.
Dataset load_csv(const std::string& path, const CsvOptions& options = {});
// Class labels must be below this (one-hot outputs of that width are already unreasonable).
inline constexpr double kMaxClasses = 1e6;

// digits (1797 × 64, 10 classes), iris (150 × 4, 3), wine (178 × 13, 3), breast_cancer
// (569 × 30, 2): Debian's python3-sklearn ships them under `directory`.
inline const char* kSklearnData = "/usr/lib/python3/dist-packages/sklearn/datasets/data";
Dataset load_sklearn(const std::string& name, const std::string& directory = kSklearnData);

struct Split {
  Dataset train, test;
};
// A seeded random permutation, then the last `test_fraction` of it is the test set.
Split train_test_split(const Dataset& data, double test_fraction, std::uint64_t seed);

// Zero mean and unit variance per feature, with statistics from the training set only (constant
// features are centred and left unscaled).
void standardize(Split& split);

}  // namespace dagrad::data
