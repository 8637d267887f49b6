// libFuzzer target: the CSV loader on arbitrary bytes (gzip is detected from the magic bytes, so
// the same target reaches the gzip reader). Every input must load or throw dagrad::Error.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "dagrad/data/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/dagrad_fuzz_data_" + std::to_string(::getpid()) + ".csv";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    dagrad::data::Dataset d = dagrad::data::load_csv(path);
    (void)d;
  } catch (const dagrad::Error&) {
  }
  return 0;
}
