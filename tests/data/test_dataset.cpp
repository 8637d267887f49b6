#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <zlib.h>

#include "dagrad/data/dataset.hpp"
#include "support.hpp"

using namespace dagrad;
using namespace dagrad::data;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = (std::filesystem::temp_directory_path() / ("dagrad_test_" + name)).string();
  std::ofstream(path) << text;
  return path;
}

std::string write_gzip(const std::string& name, const std::string& text) {
  std::string path = (std::filesystem::temp_directory_path() / ("dagrad_test_" + name)).string();
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
  return path;
}

}  // namespace

TEST_CASE("CSV loading, plain and gzip, label column and header", "[data][csv]") {
  std::string text = "1.5,2,0\n-3,4e-1,2\n\n0,0,1\n";
  for (const std::string& path : {write_temp("ok.csv", text), write_gzip("ok.csv.gz", text)}) {
    Dataset d = load_csv(path);
    CHECK(d.size() == 3);
    CHECK(d.features() == 2);
    CHECK(d.classes == 3);
    CHECK(d.X(1, 1) == 0.4);
    CHECK(d.y(1) == 2);
  }
  Dataset first = load_csv(write_temp("first.csv", "h1,h2\n7,1.5\n8,2.5\n"), {0, 1, false});
  CHECK(first.y(1) == 8);
  CHECK(first.X(1, 0) == 2.5);
  CHECK(first.classes == 0);
}

TEST_CASE("malformed files raise DataError naming file, line and the problem", "[data][csv][errors]") {
  struct Bad {
    std::string name, text, expected;
  };
  for (const Bad& b :
       std::vector<Bad>{{"ragged.csv", "1,2,0\n1,0\n", "ragged.csv:2: 2 fields, but the first row has 3"},
                        {"word.csv", "1,2,0\n1,abc,1\n", "word.csv:2, field 2: 'abc' is not a number"},
                        {"nan.csv", "1,nan,0\n", "'nan' is not finite (inf or nan)"},
                        // Every message names what is really wrong.
                        {"overflow.csv", "1,1e999,0\n", "'1e999' is outside the float64 range"},
                        // An invisible byte-order mark inside the data is shown.
                        {"bom_inside.csv",
                         "1,2,0\n\xef\xbb\xbf"
                         "5,1,1\n",
                         "field 1: '\\xef\\xbb\\xbf5' is not a number"},
                        {"control.csv", "1,2\x01,0\n", "'2\\x01' is not a number"},
                        {"cr_only.csv", "1,2,0\r3,4,1\r5,6,0\r",
                         "cr_only.csv:1: a carriage return (\\r) inside a line: the file has CR-only"},
                        // Labels {0, 999999} built a million-class model for two classes.
                        {"sparse_labels.csv", "1,0\n2,999999\n",
                         "labels go up to 999999 (1000000 classes) but only 2 distinct labels occur"},
                        {"label.csv", "1,2,0.5\n", "label 0.5"},
                        {"negative.csv", "1,2,-1\n", "not a class index"},
                        {"empty.csv", "", "no data rows"},
                        {"one.csv", "3\n", "at least one feature"},
                        // Found by fuzz_data (tests/fuzz/corpus/data/crash-huge-label.csv).
                        {"huge.csv", "1,33333333333333333333333333333333333333\n", "more than the 1000000 classes"}}) {
    INFO(b.name);
    CHECK_THROWS_WITH(load_csv(write_temp(b.name, b.text)), Catch::Contains(b.expected));
  }
  CHECK_THROWS_WITH(load_csv("/nonexistent/x.csv"), Catch::Contains("/nonexistent/x.csv: cannot open"));
  // A truncated gzip stream is a read error, not silently fewer rows.
  std::string full = write_gzip("full.csv.gz", std::string(20000, '1').insert(0, "1,") + ",0\n");
  std::string bytes;
  {
    std::ifstream in(full, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::string cut = (std::filesystem::temp_directory_path() / "dagrad_test_cut.csv.gz").string();
  std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  CHECK_THROWS_AS(load_csv(cut), DataError);
  // A NUL byte used to end the line silently (gzgets), so "1,2\0junk" read as "1,2"; /dev/zero
  // looped for ever. Both are now errors naming the line.
  CHECK_THROWS_WITH(load_csv(write_temp("nul.csv", std::string("1,0\n1,2\0junk,1\n", 15))),
                    Catch::Contains("nul.csv:2: contains a NUL byte"));
  CHECK_THROWS_WITH(load_csv("/dev/zero"), Catch::Contains("/dev/zero:1: contains a NUL byte"));
  // Lines split across the reader's 64 KiB buffer and Windows line ends read whole.
  std::string wide;
  for (int i = 0; i < 35000; ++i) wide += "0,";
  wide += "1\r\n";
  for (int i = 0; i < 35000; ++i) wide += "2,";
  wide += "0\r\n";
  Dataset split_line = load_csv(write_temp("wide.csv", wide));
  CHECK(split_line.size() == 2);
  CHECK(split_line.y(0) == 1);
  CHECK(split_line.X(1, 0) == 2);
  CHECK_THROWS_WITH(load_sklearn("mnist"), Catch::Contains("unknown data set 'mnist'"));
}

TEST_CASE(
    "what spreadsheets and numerics produce loads: a byte-order mark, subnormal numbers, sparse labels on request",
    "[data][csv]") {
  // Regression: a UTF-8 BOM made the first field "not a finite number"; 1e-320 (subnormal) was called
  // not finite. pandas' read_csv reads both.
  Dataset bom = load_csv(write_temp("bom.csv",
                                    "\xef\xbb\xbf"
                                    "-0.026192,1,0\n2,3,1\n"));
  CHECK(bom.X(0, 0) == -0.026192);
  Dataset tiny = load_csv(write_temp("subnormal.csv", "1e-320,2,0\n1,-4.9e-324,1\n"));
  CHECK(tiny.X(0, 0) == 1e-320);
  CHECK(tiny.X(0, 0) > 0);
  CHECK(tiny.X(1, 1) == -4.9e-324);
  // A binary subset of digits keeps its labels {3, 8}: 9 classes for 2 labels is not "far above".
  CHECK(load_csv(write_temp("subset.csv", "1,3\n2,8\n")).classes == 9);
  CsvOptions allow;
  allow.allow_empty_classes = true;
  CHECK(load_csv(write_temp("sparse_ok.csv", "1,0\n2,999999\n"), allow).classes == 1000000);
}

TEST_CASE("scikit-learn's bundled data sets, from Debian's python3-sklearn", "[data][sklearn]") {
  struct Expect {
    const char* name;
    std::size_t rows, features, classes;
  };
  for (const Expect& e : {Expect{"digits", 1797, 64, 10}, Expect{"iris", 150, 4, 3}, Expect{"wine", 178, 13, 3},
                          Expect{"breast_cancer", 569, 30, 2}}) {
    INFO(e.name);
    Dataset d = load_sklearn(e.name);
    CHECK(d.size() == e.rows);
    CHECK(d.features() == e.features);
    CHECK(d.classes == e.classes);
  }
}

TEST_CASE("seeded split is reproducible and disjoint; standardisation uses training statistics", "[data][split]") {
  Dataset d = load_sklearn("iris");
  Split a = train_test_split(d, 0.2, 5), b = train_test_split(d, 0.2, 5), c = train_test_split(d, 0.2, 6);
  CHECK(a.train.size() == 120);
  CHECK(a.test.size() == 30);
  CHECK(test::same_tensor(a.test.X, b.test.X));
  CHECK_FALSE(test::same_tensor(a.test.X, c.test.X));
  // Every row lands exactly once.
  double total = xt::sum(d.X)(), split_total = xt::sum(a.train.X)() + xt::sum(a.test.X)();
  CHECK(split_total == Approx(total).epsilon(1e-12));
  standardize(a);
  Tensor mean = xt::mean(a.train.X, {0}), var = xt::variance(a.train.X, {0});
  CHECK(xt::amax(xt::abs(mean))() < 1e-12);
  CHECK(xt::amax(xt::abs(var - 1.0))() < 1e-12);
  CHECK_THROWS_AS(train_test_split(d, 1.5, 0), DataError);
}
