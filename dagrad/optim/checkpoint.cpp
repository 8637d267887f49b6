#include "dagrad/optim/checkpoint.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>
#include <xtensor/xnpy.hpp>

#include "dagrad/data/files.hpp"

namespace dagrad::optim {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* kFormat = "dagrad-checkpoint";

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw CheckpointError("checkpoint " + where + ": " + what);
}

// File operations report FileError; inside a checkpoint they are CheckpointErrors.
template <class Operation>
auto as_checkpoint_error(Operation operation) {
  try {
    return operation();
  } catch (const FileError& e) {
    throw CheckpointError(std::string("checkpoint ") + e.what());
  }
}

void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(dir.string(), std::string("cannot open the directory: ") + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail(dir.string(), std::string("fsync of the directory failed: ") + std::strerror(errno));
}

// How values of a dtype are written: float64 and float32 as NumPy's <f8 and <f4, bfloat16 (which
// NumPy lacks) as its raw 16-bit patterns, <u2, with the manifest entry's "stores" naming it.
const char* npy_descr(DType dtype) { return dtype == DType::Float64 ? "<f8" : dtype == DType::Float32 ? "<f4" : "<u2"; }

// The .npy bytes of an array of this shape in `dtype` (xtensor's writer). The values are the
// dtype's already (the store rounds to it), so the narrowing is exact.
std::string npy_bytes(const Scalar* data, const Shape& shape, DType dtype) {
  std::size_t n = size_of(shape);
  if (dtype == DType::Float32) {
    xt::xarray<float> t = xt::xarray<float>::from_shape(shape);
    std::transform(data, data + n, t.begin(), [](Scalar v) { return static_cast<float>(v); });
    return xt::dump_npy(t);
  }
  if (dtype == DType::BFloat16) {
    xt::xarray<std::uint16_t> t = xt::xarray<std::uint16_t>::from_shape(shape);
    std::transform(data, data + n, t.begin(), [](Scalar v) { return bfloat16_bits(static_cast<float>(v)); });
    return xt::dump_npy(t);
  }
  Tensor t = Tensor::from_shape(shape);
  std::copy(data, data + n, t.begin());
  return xt::dump_npy(t);
}

// The header xtensor writes for this shape: a file must start with exactly it, so a hostile header
// can neither claim another shape nor make the reader allocate for one.
std::string npy_header(const Shape& shape, DType dtype) {
  std::size_t n = size_of(shape);
  std::string full = npy_bytes(std::vector<Scalar>(n).data(), shape, dtype);
  return full.substr(0, full.size() - n * storage_bytes(dtype));
}

json describe_file(const std::string& file, const std::string& name, const Shape& shape, const std::string& bytes,
                   DType dtype) {
  return json{{"name", name},
              {"file", file},
              {"shape", shape},
              {"dtype", npy_descr(dtype)},
              {"stores", to_string(dtype)},
              {"bytes", bytes.size()},
              {"crc32", data::crc32(bytes.data(), bytes.size())}};
}

// The dtype an entry says it stores; entries written before dtypes existed have no "stores" and
// are float64.
DType stored_dtype(const fs::path& path, const json& entry) {
  std::string stores = entry.contains("stores") ? entry.at("stores").get<std::string>() : "float64";
  DType dtype;
  try {
    dtype = parse_dtype(stores);
  } catch (const ValueError&) {  // its text would hold the manifest's bytes as they are
    fail(path.string(), "unknown dtype '" + data::visible(stores) + "' (float64, float32 or bfloat16)");
  }
  if (entry.at("dtype").get<std::string>() != npy_descr(dtype))
    fail(path.string(), "dtype " + data::visible(entry.at("dtype").get<std::string>()) + " does not store " + stores +
                            " (" + npy_descr(dtype) + ")");
  return dtype;
}

// The names a save gives its files: g<generation>-param<k>.npy and g<generation>-state<k>.npy. Only
// such names, listed by the directory's own manifest, are ever removed.
bool is_checkpoint_file_name(const std::string& file) {
  auto digits = [&](std::size_t from, std::size_t to) {
    return to > from &&
           std::all_of(file.begin() + from, file.begin() + to, [](char c) { return c >= '0' && c <= '9'; });
  };
  if (file.size() < 6 || file[0] != 'g' || file.compare(file.size() - 4, 4, ".npy") != 0) return false;
  std::size_t dash = file.find('-');
  if (dash == std::string::npos || !digits(1, dash)) return false;
  for (const char* kind : {"param", "state"}) {
    std::size_t at = dash + 1, length = std::strlen(kind);
    if (file.compare(at, length, kind) == 0 && digits(at + length, file.size() - 4)) return true;
  }
  return false;
}

fs::path manifest_path(const fs::path& dir) { return dir / "manifest.json"; }

// manifest.json, checked: bounded size, no NUL byte (a valid JSON text has none; nlohmann's reader
// stopped at one and took what followed as absent), nothing after the JSON value, dagrad's format
// and version.
json read_manifest(const fs::path& dir) {
  fs::path path = manifest_path(dir);
  std::string text = as_checkpoint_error([&] { return data::read_file(path.string(), kMaxManifestBytes); });
  if (text.find('\0') != std::string::npos) fail(path.string(), "malformed manifest: contains a NUL byte");
  json manifest;
  try {
    manifest = json::parse(text);
    if (!manifest.is_object() || !manifest.contains("format") || manifest.at("format") != kFormat)
      fail(path.string(), "not a dagrad checkpoint manifest");
    int version = manifest.at("version").get<int>();
    if (version != kCheckpointVersion)
      fail(path.string(), "format version " + std::to_string(version) + " (this build reads " +
                              std::to_string(kCheckpointVersion) + ")");
    manifest.at("generation").get<std::uint64_t>();
  } catch (const json::exception& e) {
    fail(path.string(), std::string("malformed manifest: ") + e.what());
  }
  return manifest;
}

// The file names a manifest lists under `key` (each entry's "file", or the strings of "pending"),
// every one checked to be a checkpoint file name inside the directory.
std::vector<std::string> listed_files(const fs::path& dir, const json& manifest, const char* key) {
  std::vector<std::string> files;
  if (!manifest.contains(key)) return files;
  try {
    for (const json& entry : manifest.at(key)) {
      std::string file = entry.is_string() ? entry.get<std::string>() : entry.at("file").get<std::string>();
      if (!is_checkpoint_file_name(file))
        fail(manifest_path(dir).string(),
             std::string("'") + key + "' names '" + data::visible(file) + "', not a checkpoint file in the directory");
      files.push_back(file);
    }
  } catch (const json::exception& e) {
    fail(manifest_path(dir).string(), std::string("malformed manifest: ") + e.what());
  }
  return files;
}

// Removes `file` from the directory; a file already gone is fine.
void remove_file(const fs::path& dir, const std::string& file) {
  if (::unlink((dir / file).c_str()) != 0 && errno != ENOENT)
    fail((dir / file).string(), std::string("cannot remove: ") + std::strerror(errno));
}

// Replaces manifest.json (temporary, fsync, rename) and makes the rename durable.
void write_manifest(const fs::path& dir, const json& manifest) {
  as_checkpoint_error([&] { data::write_file(manifest_path(dir).string(), manifest.dump(1)); });
  sync_directory(dir);
}

// A manifest entry, checked: the file's size, checksum and .npy header; returns its values.
// `expected_dtype`: what the model stores (parameters must match it: an exact resume cannot change
// precision); null for state buffers, which are float64 whatever the model's dtype.
std::vector<Scalar> read_entry(const fs::path& dir, const json& entry, const Shape* expected_shape,
                               const DType* expected_dtype) {
  std::string name = entry.at("name").get<std::string>(), file = entry.at("file").get<std::string>();
  if (file.empty() || file.find('/') != std::string::npos || file.front() == '.')
    fail(manifest_path(dir).string(),
         "entry '" + name + "' names a file outside the directory: '" + data::visible(file) + "'");
  fs::path path = dir / file;
  DType dtype = stored_dtype(path, entry), expected = expected_dtype ? *expected_dtype : DType::Float64;
  if (dtype != expected)
    fail(path.string(), "'" + name + "' is stored as " + to_string(dtype) + ", the model is " + to_string(expected) +
                            (expected_dtype ? " (load into a model of the checkpoint's dtype)" : ""));
  const std::size_t width = storage_bytes(dtype);
  Shape shape = entry.at("shape").get<Shape>();
  if (expected_shape && shape != *expected_shape)
    fail(path.string(), "'" + name + "' has shape " + to_string(shape) + " in the manifest, the model has " +
                            to_string(*expected_shape));
  std::size_t size = entry.at("bytes").get<std::size_t>();
  // One byte more than the manifest says is read, so an extended file shows as such.
  std::string bytes =
      as_checkpoint_error([&] { return data::read_file(path.string(), size == SIZE_MAX ? size : size + 1); });
  if (bytes.size() != size)
    fail(path.string(), "truncated or extended: " + std::to_string(bytes.size()) + " bytes, the manifest says " +
                            std::to_string(size));
  if (data::crc32(bytes.data(), bytes.size()) != entry.at("crc32").get<std::uint32_t>())
    fail(path.string(), "checksum mismatch (corrupted)");
  std::size_t n = 1;
  for (std::size_t s : shape) {
    if (s != 0 && n > bytes.size() / s) fail(path.string(), "shape " + to_string(shape) + " larger than the file");
    n *= s;
  }
  if (n > bytes.size() / width) fail(path.string(), "shape " + to_string(shape) + " larger than the file");
  std::string header = npy_header(shape, dtype);
  if (bytes.size() != header.size() + n * width || bytes.compare(0, header.size(), header) != 0)
    fail(path.string(), std::string("not a ") + npy_descr(dtype) + " C-order .npy of shape " + to_string(shape));
  std::vector<Scalar> values(n);
  const char* raw = bytes.data() + header.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (dtype == DType::Float64) {
      std::memcpy(&values[i], raw + 8 * i, 8);
    } else if (dtype == DType::Float32) {
      float v;
      std::memcpy(&v, raw + 4 * i, 4);
      values[i] = v;
    } else {
      std::uint16_t bits;
      std::memcpy(&bits, raw + 2 * i, 2);
      values[i] = from_bfloat16_bits(bits);
    }
  }
  return values;
}

enum class Contents { Nothing, Unfinished, Checkpoint };

// What `dir` holds; throws for what is not ours to write into.
Contents inspect(const fs::path& dir) {
  if (dir.empty()) throw CheckpointError("checkpoint: the directory path is empty");
  std::error_code ec;
  if (!fs::exists(fs::status(dir, ec))) return Contents::Nothing;
  if (!fs::is_directory(dir, ec)) fail(dir.string(), "exists and is not a directory");
  if (!fs::exists(fs::symlink_status(manifest_path(dir), ec))) {  // a link as the manifest is read, and refused, below
    if (fs::directory_iterator(dir, ec) == fs::directory_iterator() && !ec) return Contents::Nothing;
    if (ec) fail(dir.string(), "cannot list the directory: " + ec.message());
    fail(dir.string(),
         "not empty and not a dagrad checkpoint (no manifest.json); its files are not dagrad's to replace");
  }
  json manifest = read_manifest(dir);
  return manifest.at("generation").get<std::uint64_t>() == 0 ? Contents::Unfinished : Contents::Checkpoint;
}

}  // namespace

CheckpointDirectory::CheckpointDirectory(const std::string& dir) : dir_(dir) {
  inspect(dir_);  // refuses a foreign directory before creating or locking anything
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) fail(dir_, "cannot create the directory: " + ec.message());
  fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) fail(dir_, std::string("cannot open the directory: ") + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    ::close(fd_);
    if (error == EWOULDBLOCK)
      fail(dir_,
           "in use by another process (it holds the directory's lock); wait for it to end or use another directory");
    fail(dir_, std::string("cannot lock the directory: ") + std::strerror(error));
  }
  try {
    inspect(dir_);  // again under the lock: another writer may have saved in between
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

CheckpointDirectory::~CheckpointDirectory() { ::close(fd_); }  // closing releases the lock

bool CheckpointDirectory::holds_checkpoint() const { return inspect(dir_) == Contents::Checkpoint; }

void CheckpointDirectory::save(const ParamStore& store, const TrainingState& state) {
  fs::path dir(dir_);
  json manifest{{"format", kFormat},           {"version", kCheckpointVersion},  {"generation", 0},
                {"parameters", json::array()}, {"state_buffers", json::array()}, {"state_values", json::object()}};
  std::vector<std::string> previous;
  // The constructor checked, under the lock, that the directory is ours; only the manifest is read.
  std::error_code ec;
  if (fs::exists(fs::symlink_status(manifest_path(dir), ec))) {
    manifest = read_manifest(dir);
    previous = listed_files(dir, manifest, "parameters");
    std::vector<std::string> buffers = listed_files(dir, manifest, "state_buffers");
    previous.insert(previous.end(), buffers.begin(), buffers.end());
    // Files of a save that was killed before its manifest: this directory's manifest named them.
    for (const std::string& file : listed_files(dir, manifest, "pending"))
      if (std::find(previous.begin(), previous.end(), file) == previous.end()) remove_file(dir, file);
  }
  std::uint64_t generation = manifest.at("generation").get<std::uint64_t>() + 1;
  std::string prefix = "g" + std::to_string(generation) + "-";
  const std::vector<Var>& vars = store.parameters();
  std::vector<std::string> files;
  for (std::size_t k = 0; k < vars.size(); ++k) files.push_back(prefix + "param" + std::to_string(k) + ".npy");
  for (std::size_t k = 0; k < state.buffers.size(); ++k) files.push_back(prefix + "state" + std::to_string(k) + ".npy");
  // A file already under a new name was not made by this checkpoint (its pending files are gone by
  // now): refused before the manifest names it, so it is never removed or written through.
  for (const std::string& file : files)
    if (fs::exists(fs::symlink_status(dir / file, ec)))
      fail((dir / file).string(), "exists, and this checkpoint's manifest does not name it; not overwritten");
  manifest["pending"] = files;
  write_manifest(dir, manifest);

  json params = json::array(), buffers = json::array();
  std::size_t next = 0;
  auto write = [&](const std::string& name, const Scalar* values, const Shape& shape, DType dtype, json& list) {
    const std::string& file = files[next++];
    std::string bytes = npy_bytes(values, shape, dtype);
    as_checkpoint_error([&] { data::create_file((dir / file).string(), bytes); });
    list.push_back(describe_file(file, name, shape, bytes, dtype));
  };
  // Parameters in the model's dtype; state buffers in float64, which holds any state exactly (a
  // moment rounded to the dtype, or a table that is not).
  const DType dtype = store.graph().dtype();
  for (const Var& v : vars) write(v.name(), store.get(v).data(), v.shape(), dtype, params);  // get: exposes nothing
  for (const auto& [name, values] : state.buffers) write(name, values.data(), {values.size()}, DType::Float64, buffers);
  sync_directory(dir);  // the new files' names are durable before the manifest points at them
  // The previous generation's files stay listed as pending until a save finds them gone: a process
  // killed before it removed them leaves nothing the manifest does not name.
  write_manifest(dir, json{{"format", kFormat},
                           {"version", kCheckpointVersion},
                           {"generation", generation},
                           {"dtype", to_string(dtype)},
                           {"parameters", params},
                           {"state_buffers", buffers},
                           {"state_values", state.values},
                           {"pending", previous}});
  for (const std::string& file : previous) remove_file(dir, file);
}

TrainingState CheckpointDirectory::load(ParamStore& store) const { return load_checkpoint(dir_, store); }

void save_checkpoint(const std::string& dir, const ParamStore& store, const TrainingState& state) {
  CheckpointDirectory(dir).save(store, state);
}

TrainingState load_checkpoint(const std::string& directory, ParamStore& store) {
  fs::path dir(directory), path = manifest_path(dir);
  if (directory.empty()) throw CheckpointError("checkpoint: the directory path is empty");
  json manifest = read_manifest(dir);
  try {
    if (manifest.at("generation").get<std::uint64_t>() == 0)
      fail(path.string(), "no checkpoint saved yet (the first save did not finish)");
    // Parameters by name: each of the store's exactly once, nothing else.
    std::map<std::string, const json*> saved;
    for (const json& entry : manifest.at("parameters")) {
      std::string name = entry.at("name").get<std::string>();
      if (!saved.emplace(name, &entry).second) fail(path.string(), "parameter '" + name + "' listed twice");
    }
    std::vector<std::vector<Scalar>> values;
    for (const Var& p : store.parameters()) {
      auto it = saved.find(p.name());
      if (it == saved.end()) fail(path.string(), "parameter '" + p.name() + "' of the model is missing");
      Shape shape = p.shape();
      const DType dtype = store.graph().dtype();
      values.push_back(read_entry(dir, *it->second, &shape, &dtype));
      saved.erase(it);
    }
    if (!saved.empty()) fail(path.string(), "parameter '" + saved.begin()->first + "' is not in the model");
    TrainingState state;
    for (const json& entry : manifest.at("state_buffers")) {
      std::string name = entry.at("name").get<std::string>();
      if (entry.at("shape").size() != 1) fail(path.string(), "state buffer '" + name + "' is not one-dimensional");
      if (!state.buffers.emplace(name, read_entry(dir, entry, nullptr, nullptr)).second)
        fail(path.string(), "state buffer '" + name + "' listed twice");
    }
    state.values = manifest.at("state_values").get<std::map<std::string, std::string>>();
    // Everything read and checked: only now does the store change.
    const std::vector<Var>& vars = store.parameters();
    for (std::size_t k = 0; k < vars.size(); ++k) {
      Tensor t = Tensor::from_shape(vars[k].shape());
      std::copy(values[k].begin(), values[k].end(), t.begin());
      store.set(vars[k], t);  // values of the dtype, so set's rounding keeps them; exposes nothing
    }
    return state;
  } catch (const json::exception& e) {
    fail(path.string(), std::string("malformed manifest: ") + e.what());
  }
}

bool holds_checkpoint(const std::string& dir) { return inspect(dir) == Contents::Checkpoint; }

std::map<std::string, std::string> checkpoint_values(const std::string& dir) {
  json manifest = read_manifest(dir);
  try {
    return manifest.at("state_values").get<std::map<std::string, std::string>>();
  } catch (const json::exception& e) {
    fail(manifest_path(dir).string(), std::string("malformed manifest: ") + e.what());
  }
}

}  // namespace dagrad::optim
