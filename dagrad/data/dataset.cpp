#include "dagrad/data/dataset.hpp"

#include <zlib.h>

#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "dagrad/data/files.hpp"
#include "dagrad/graph/memory.hpp"

namespace dagrad::data {

namespace {

// Lines of a plain or gzip file; gzread passes plain files through unchanged. A NUL byte is an
// error (a binary file, or /dev/zero, must not parse as text), and so is a line longer than
// kMaxLineBytes (a gzip bomb without newlines must not exhaust memory).
class LineReader {
 public:
  static constexpr std::size_t kMaxLineBytes = std::size_t{256} << 20;
  explicit LineReader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (!file_) throw DataError(path + ": cannot open (" + std::string(std::strerror(errno)) + ")");
  }
  ~LineReader() { gzclose(file_); }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  bool next(std::string& line) {
    line.clear();
    bool any = false;
    while (true) {
      if (begin_ == end_ && !fill()) break;
      any = true;
      const char* newline = static_cast<const char*>(std::memchr(buffer_ + begin_, '\n', end_ - begin_));
      std::size_t stop = newline ? static_cast<std::size_t>(newline - buffer_) : end_;
      if (std::memchr(buffer_ + begin_, '\0', stop - begin_))
        throw DataError(path_ + ":" + std::to_string(number_ + 1) + ": contains a NUL byte (not a text file)");
      line.append(buffer_ + begin_, stop - begin_);
      if (line.size() > kMaxLineBytes)
        throw DataError(path_ + ":" + std::to_string(number_ + 1) + ": line longer than " +
                        std::to_string(kMaxLineBytes >> 20) + " MiB");
      begin_ = newline ? stop + 1 : end_;
      if (newline) break;
    }
    if (!any) return false;
    while (!line.empty() && line.back() == '\r') line.pop_back();
    ++number_;
    // Spreadsheets save UTF-8 CSV with a byte-order mark; like pandas, it is not part of the data.
    if (number_ == 1 && line.compare(0, 3, "\xef\xbb\xbf") == 0) line.erase(0, 3);
    if (line.find('\r') != std::string::npos)
      throw DataError(path_ + ":" + std::to_string(number_) +
                      ": a carriage return (\\r) inside a line: the file has CR-only (classic Mac) line endings; "
                      "convert them to \\n");
    return true;
  }
  std::size_t number() const { return number_; }

 private:
  bool fill() {
    int got = gzread(file_, buffer_, sizeof buffer_);
    int err = 0;
    const char* message = gzerror(file_, &err);  // a truncated gzip stream shows here, not in got
    if (got < 0 || (err != Z_OK && err != Z_STREAM_END))
      throw DataError(path_ + ": read error after line " + std::to_string(number_) + " (" + message + ")");
    begin_ = 0;
    end_ = static_cast<std::size_t>(got);
    return got > 0;
  }
  std::string path_;
  gzFile file_;
  char buffer_[1 << 16];
  std::size_t begin_ = 0, end_ = 0, number_ = 0;
};

std::vector<double> parse_row(const std::string& line, char delimiter, const std::string& where) {
  std::vector<double> values;
  std::size_t start = 0;
  while (true) {
    std::size_t end = line.find(delimiter, start);
    std::string field = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const char* begin = field.c_str();
    char* stop = nullptr;
    errno = 0;
    double v = std::strtod(begin, &stop);
    bool out_of_range = errno == ERANGE && std::fabs(v) > DBL_MIN;  // underflow to a subnormal or 0 is a value
    while (stop && (*stop == ' ' || *stop == '\t')) ++stop;
    std::string field_at = where + ", field " + std::to_string(values.size() + 1) + ": '" + visible(field) + "' ";
    if (stop == begin || *stop != '\0') throw DataError(field_at + "is not a number");
    if (out_of_range) throw DataError(field_at + "is outside the float64 range (magnitude above 1.8e308)");
    if (!std::isfinite(v)) throw DataError(field_at + "is not finite (inf or nan)");
    values.push_back(v);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return values;
}

}  // namespace

Dataset load_csv(const std::string& path, const CsvOptions& o) {
  LineReader reader(path);
  std::string line;
  for (std::size_t i = 0; i < o.skip_lines; ++i)
    if (!reader.next(line))
      throw DataError(path + ": ends inside its " + std::to_string(o.skip_lines) + " header line(s)");
  std::vector<std::vector<double>> rows;
  while (reader.next(line)) {
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::string where = path + ":" + std::to_string(reader.number());
    rows.push_back(parse_row(line, o.delimiter, where));
    if (rows.size() % 65536 == 0)  // the rows, then the tensors made from them
      require_memory(2.0 * static_cast<double>(rows.size() * rows.front().size()) * sizeof(double) + 32.0 * rows.size(),
                     path);
    if (rows.back().size() != rows.front().size())
      throw DataError(where + ": " + std::to_string(rows.back().size()) + " fields, but the first row has " +
                      std::to_string(rows.front().size()));
  }
  if (rows.empty()) throw DataError(path + ": no data rows");
  std::size_t columns = rows.front().size();
  if (columns < 2) throw DataError(path + ": needs at least one feature and a label per row");
  int label = o.label_column < 0 ? static_cast<int>(columns) + o.label_column : o.label_column;
  if (label < 0 || label >= static_cast<int>(columns))
    throw DataError(path + ": label column " + std::to_string(o.label_column) + " is outside the " +
                    std::to_string(columns) + " columns");
  Dataset d;
  d.name = path;
  d.X = Tensor::from_shape({rows.size(), columns - 1});
  d.y = Tensor::from_shape({rows.size()});
  double max_label = -1;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::size_t k = 0;
    for (std::size_t c = 0; c < columns; ++c) {
      if (static_cast<int>(c) == label) continue;
      d.X(i, k++) = rows[i][c];
    }
    double y = rows[i][static_cast<std::size_t>(label)];
    if (o.classification && !(y >= 0 && std::floor(y) == y))
      throw DataError(path + ": data row " + std::to_string(i + 1) + " has label " + std::to_string(y) +
                      ", not a class index (a non-negative integer)");
    // Found by fuzz_data: a label of 1e38 overflowed the class count (undefined behaviour).
    if (o.classification && y >= kMaxClasses)
      throw DataError(path + ": data row " + std::to_string(i + 1) + " has label " + std::to_string(y) +
                      ", more than the " + std::to_string(static_cast<std::size_t>(kMaxClasses)) +
                      " classes dagrad takes");
    d.y(i) = y;
    max_label = std::max(max_label, y);
  }
  d.classes = o.classification ? static_cast<std::size_t>(max_label) + 1 : 0;
  if (o.classification && !o.allow_empty_classes) {
    // Labels {0, 999999} would make a million-way output layer for two classes.
    std::set<double> distinct(d.y.begin(), d.y.end());
    if (d.classes > std::max(2 * distinct.size(), distinct.size() + 10))
      throw DataError(path + ": labels go up to " + std::to_string(d.classes - 1) + " (" + std::to_string(d.classes) +
                      " classes) but only " + std::to_string(distinct.size()) +
                      " distinct labels occur; renumber them 0.." + std::to_string(distinct.size() - 1) +
                      ", or allow empty classes (dagrad train --allow-empty-classes)");
  }
  return d;
}

Dataset load_sklearn(const std::string& name, const std::string& directory) {
  Dataset d;
  if (name == "digits")
    d = load_csv(directory + "/digits.csv.gz");
  else if (name == "iris")
    d = load_csv(directory + "/iris.csv", {-1, 1});
  else if (name == "wine")
    d = load_csv(directory + "/wine_data.csv", {-1, 1});
  else if (name == "breast_cancer")
    d = load_csv(directory + "/breast_cancer.csv", {-1, 1});
  else
    throw DataError("unknown data set '" + name + "' (digits, iris, wine, breast_cancer, or a CSV path)");
  d.name = name;
  return d;
}

Split train_test_split(const Dataset& data, double test_fraction, std::uint64_t seed) {
  if (!(test_fraction > 0 && test_fraction < 1))
    throw DataError("test fraction must lie in (0, 1), got " + std::to_string(test_fraction));
  std::size_t n = data.size(), n_test = static_cast<std::size_t>(std::round(test_fraction * static_cast<double>(n)));
  if (n_test == 0 || n_test == n) throw DataError(data.name + ": " + std::to_string(n) + " rows are too few to split");
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);  // Fisher–Yates, engine-defined
  Split s;
  auto take = [&](Dataset& out, std::size_t begin, std::size_t end) {
    out.name = data.name;
    out.classes = data.classes;
    out.X = Tensor::from_shape({end - begin, data.features()});
    out.y = Tensor::from_shape({end - begin});
    for (std::size_t i = begin; i < end; ++i) {
      for (std::size_t k = 0; k < data.features(); ++k) out.X(i - begin, k) = data.X(order[i], k);
      out.y(i - begin) = data.y(order[i]);
    }
  };
  take(s.train, 0, n - n_test);
  take(s.test, n - n_test, n);
  return s;
}

void standardize(Split& split) {
  std::size_t n = split.train.size(), d = split.train.features();
  for (std::size_t k = 0; k < d; ++k) {
    double mean = 0, var = 0;
    for (std::size_t i = 0; i < n; ++i) mean += split.train.X(i, k) / static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i)
      var += (split.train.X(i, k) - mean) * (split.train.X(i, k) - mean) / static_cast<double>(n);
    double scale = var > 0 ? 1 / std::sqrt(var) : 1;
    for (Dataset* set : {&split.train, &split.test})
      for (std::size_t i = 0; i < set->size(); ++i) set->X(i, k) = (set->X(i, k) - mean) * scale;
  }
}

}  // namespace dagrad::data
