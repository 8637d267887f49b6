// libFuzzer target: loading a checkpoint whose manifest and parameter file are arbitrary bytes (split
// at the first NUL: manifest.json before it, g1-param0.npy after). Every input must load or throw
// dagrad::Error (a CheckpointError), and a refused load must leave the store as it was.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "dagrad/optim/checkpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path dir = "/tmp/dagrad_fuzz_checkpoint_" + std::to_string(::getpid());
  static dagrad::Graph g;
  [[maybe_unused]] static dagrad::Var w = g.parameter("w", {2, 3});  // the parameter the files restore
  static dagrad::ParamStore store(g, 0);
  std::filesystem::create_directories(dir);
  const char* bytes = reinterpret_cast<const char*>(data);
  const char* split = std::find(bytes, bytes + size, '\0');
  std::ofstream(dir / "manifest.json", std::ios::binary | std::ios::trunc).write(bytes, split - bytes);
  const char* rest = split == bytes + size ? split : split + 1;
  std::ofstream(dir / "g1-param0.npy", std::ios::binary | std::ios::trunc).write(rest, bytes + size - rest);
  std::vector<dagrad::Scalar> before = store.values();
  try {
    dagrad::optim::TrainingState state = dagrad::optim::load_checkpoint(dir.string(), store);
    (void)state;
  } catch (const dagrad::Error&) {
    if (store.values() != before) std::abort();  // a refused load changed the store
  }
  return 0;
}
