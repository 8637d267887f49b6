#include "optim/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <xtensor/xnpy.hpp>

namespace dagrad::optim {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* kFormat = "dagrad-checkpoint";

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw CheckpointError("checkpoint " + where + ": " + what);
}

std::uint32_t crc32_of(const std::string& bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* data = reinterpret_cast<const Bytef*>(bytes.data());
  for (std::size_t at = 0; at < bytes.size();) {  // zlib takes 32-bit lengths
    uInt chunk = static_cast<uInt>(std::min<std::size_t>(bytes.size() - at, 1u << 30));
    crc = crc32(crc, data + at, chunk);
    at += chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

// Writes `bytes` to `path` and fsyncs it; the caller renames or references it only afterwards.
void write_synced(const fs::path& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path.string(), std::string("cannot create: ") + std::strerror(errno));
  for (std::size_t at = 0; at < bytes.size();) {
    ssize_t n = ::write(fd, bytes.data() + at, bytes.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      fail(path.string(), std::string("write failed: ") + std::strerror(e));
    }
    at += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) fail(path.string(), std::string("fsync failed: ") + std::strerror(errno));
}

void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(dir.string(), std::string("cannot open the directory: ") + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail(dir.string(), std::string("fsync of the directory failed: ") + std::strerror(errno));
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path.string(), "missing or unreadable");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// The .npy bytes of a float64 array of this shape (xtensor's writer).
std::string npy_bytes(const Scalar* data, const Shape& shape) {
  Tensor t = Tensor::from_shape(shape);
  std::copy(data, data + t.size(), t.begin());
  return xt::dump_npy(t);
}

// The header xtensor writes for this shape: a file must start with exactly it, so a hostile header
// can neither claim another shape nor make the reader allocate for one.
std::string npy_header(const Shape& shape) {
  std::size_t n = 1;
  for (std::size_t s : shape) n *= s;
  std::string full = npy_bytes(std::vector<Scalar>(n).data(), shape);
  return full.substr(0, full.size() - n * sizeof(Scalar));
}

json describe_file(const std::string& file, const std::string& name, const Shape& shape, const std::string& bytes) {
  return json{{"name", name}, {"file", file}, {"shape", shape}, {"dtype", "<f8"}, {"bytes", bytes.size()},
              {"crc32", crc32_of(bytes)}};
}

std::uint64_t current_generation(const fs::path& dir) {
  try {
    json manifest = json::parse(read_all(dir / "manifest.json"));
    return manifest.at("generation").get<std::uint64_t>();
  } catch (const std::exception&) {
    return 0;  // none yet, or unreadable: the new generation starts afresh
  }
}

// A manifest entry, checked: the file's size, checksum and .npy header; returns its values.
std::vector<Scalar> read_entry(const fs::path& dir, const json& entry, const Shape* expected_shape) {
  std::string name = entry.at("name").get<std::string>(), file = entry.at("file").get<std::string>();
  if (file.empty() || file.find('/') != std::string::npos || file.front() == '.')
    fail((dir / "manifest.json").string(), "entry '" + name + "' names a file outside the directory: '" + file + "'");
  fs::path path = dir / file;
  if (entry.at("dtype").get<std::string>() != "<f8") fail(path.string(), "dtype is not <f8 (float64)");
  Shape shape = entry.at("shape").get<Shape>();
  if (expected_shape && shape != *expected_shape)
    fail(path.string(), "'" + name + "' has shape " + to_string(shape) + " in the manifest, the model has " +
                            to_string(*expected_shape));
  std::string bytes = read_all(path);
  std::size_t size = entry.at("bytes").get<std::size_t>();
  if (bytes.size() != size)
    fail(path.string(), "truncated or extended: " + std::to_string(bytes.size()) + " bytes, the manifest says " + std::to_string(size));
  if (crc32_of(bytes) != entry.at("crc32").get<std::uint32_t>()) fail(path.string(), "checksum mismatch (corrupted)");
  std::size_t n = 1;
  for (std::size_t s : shape) {
    if (s != 0 && n > bytes.size() / s) fail(path.string(), "shape " + to_string(shape) + " larger than the file");
    n *= s;
  }
  if (n * sizeof(Scalar) > bytes.size()) fail(path.string(), "shape " + to_string(shape) + " larger than the file");
  std::string header = npy_header(shape);
  if (bytes.size() != header.size() + n * sizeof(Scalar) || bytes.compare(0, header.size(), header) != 0)
    fail(path.string(), "not a float64 C-order .npy of shape " + to_string(shape));
  std::vector<Scalar> values(n);
  std::memcpy(values.data(), bytes.data() + header.size(), n * sizeof(Scalar));
  return values;
}

}  // namespace

void save_checkpoint(const std::string& directory, const ParamStore& store, const TrainingState& state) {
  fs::path dir(directory);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(directory, "cannot create the directory: " + ec.message());
  std::uint64_t generation = current_generation(dir) + 1;
  std::string prefix = "g" + std::to_string(generation) + "-";
  json params = json::array(), buffers = json::array();
  std::set<std::string> written;
  const std::vector<Var>& vars = store.parameters();
  for (std::size_t k = 0; k < vars.size(); ++k) {
    const View& v = store.value(vars[k]);
    std::string file = prefix + "param" + std::to_string(k) + ".npy", bytes = npy_bytes(v.data(), vars[k].shape());
    write_synced(dir / file, bytes);
    written.insert(file);
    params.push_back(describe_file(file, vars[k].name(), vars[k].shape(), bytes));
  }
  std::size_t k = 0;
  for (const auto& [name, values] : state.buffers) {
    std::string file = prefix + "state" + std::to_string(k++) + ".npy";
    std::string bytes = npy_bytes(values.data(), {values.size()});
    write_synced(dir / file, bytes);
    written.insert(file);
    buffers.push_back(describe_file(file, name, {values.size()}, bytes));
  }
  json manifest{{"format", kFormat}, {"version", kCheckpointVersion}, {"generation", generation},
                {"parameters", params}, {"state_buffers", buffers}, {"state_values", state.values}};
  sync_directory(dir);  // the new files' names are durable before the manifest points at them
  write_synced(dir / "manifest.json.tmp", manifest.dump(1));
  if (::rename((dir / "manifest.json.tmp").c_str(), (dir / "manifest.json").c_str()) != 0)
    fail(directory, std::string("rename of the manifest failed: ") + std::strerror(errno));
  sync_directory(dir);
  // Older generations are unreachable now; a crash here only leaves files behind.
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string file = entry.path().filename().string();
    bool ours = file.size() > 4 && file.compare(file.size() - 4, 4, ".npy") == 0 && file[0] == 'g';
    if (ours && !written.count(file)) fs::remove(entry.path(), ec);
  }
}

TrainingState load_checkpoint(const std::string& directory, ParamStore& store) {
  fs::path dir(directory), manifest_path = dir / "manifest.json";
  std::string text = read_all(manifest_path);
  try {
    json manifest = json::parse(text);
    if (manifest.at("format").get<std::string>() != kFormat) fail(manifest_path.string(), "not a dagrad checkpoint manifest");
    int version = manifest.at("version").get<int>();
    if (version != kCheckpointVersion)
      fail(manifest_path.string(), "format version " + std::to_string(version) + " (this build reads " +
                                       std::to_string(kCheckpointVersion) + ")");
    // Parameters by name: each of the store's exactly once, nothing else.
    std::map<std::string, const json*> saved;
    for (const json& entry : manifest.at("parameters")) {
      std::string name = entry.at("name").get<std::string>();
      if (!saved.emplace(name, &entry).second) fail(manifest_path.string(), "parameter '" + name + "' listed twice");
    }
    std::vector<std::vector<Scalar>> values;
    for (const Var& p : store.parameters()) {
      auto it = saved.find(p.name());
      if (it == saved.end()) fail(manifest_path.string(), "parameter '" + p.name() + "' of the model is missing");
      Shape shape = p.shape();
      values.push_back(read_entry(dir, *it->second, &shape));
      saved.erase(it);
    }
    if (!saved.empty()) fail(manifest_path.string(), "parameter '" + saved.begin()->first + "' is not in the model");
    TrainingState state;
    for (const json& entry : manifest.at("state_buffers")) {
      std::string name = entry.at("name").get<std::string>();
      if (entry.at("shape").size() != 1) fail(manifest_path.string(), "state buffer '" + name + "' is not one-dimensional");
      if (!state.buffers.emplace(name, read_entry(dir, entry, nullptr)).second)
        fail(manifest_path.string(), "state buffer '" + name + "' listed twice");
    }
    state.values = manifest.at("state_values").get<std::map<std::string, std::string>>();
    // Everything read and checked: only now does the store change.
    const std::vector<Var>& vars = store.parameters();
    for (std::size_t k = 0; k < vars.size(); ++k) std::copy(values[k].begin(), values[k].end(), store.value(vars[k]).begin());
    return state;
  } catch (const json::exception& e) {
    fail(manifest_path.string(), std::string("malformed manifest: ") + e.what());
  }
}

}  // namespace dagrad::optim
