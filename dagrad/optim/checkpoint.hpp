#pragma once
// Crash-safe checkpoints of a ParamStore plus a TrainingState (optimizer moments, counters, RNG
// states, the loop's position). A checkpoint directory holds one NumPy .npy file per parameter and per
// state buffer (C order: numpy.load reads them) and manifest.json: format name and version, a
// generation number, the model's dtype, and for every file its name, shape, dtype, size and CRC-32.
// Parameters are stored in the model's dtype (<f8, <f4; bfloat16 as its raw 16-bit patterns, <u2,
// the entry's "stores" saying "bfloat16"), state buffers in float64; a checkpoint loads only into a
// model of its own dtype (CheckpointError naming both), since an exact resume cannot change precision.
//
// A save touches only files its own manifest names. It first records the next generation's file
// names in the manifest ("pending"), then creates them (O_EXCL | O_NOFOLLOW: an existing file or a
// planted symbolic link is refused, never written through) and fsyncs them, then replaces
// manifest.json by an fsynced temporary and rename(2), fsyncs the directory and removes the previous
// generation's files (which the new manifest still lists as pending). A process killed at any point
// leaves the previous checkpoint or the new one readable, and every file it left is listed as pending
// in the manifest, for the next save to remove. (A killed manifest replacement can leave a
// manifest.json.tmp-XXXXXX temporary, which no save removes: it is not named anywhere.)
//
// A writer holds an exclusive flock(2) on the directory for as long as its CheckpointDirectory lives
// (a training run: from start to end), so a second writer is refused with a clear error instead of
// deleting the first one's files.
#include <map>
#include <string>

#include "dagrad/optim/optimizer.hpp"
#include "dagrad/params/param_store.hpp"

namespace dagrad::optim {

inline constexpr int kCheckpointVersion = 1;
// A manifest is a few kilobytes per parameter; anything larger is refused unread.
inline constexpr std::size_t kMaxManifestBytes = std::size_t{16} << 20;

class CheckpointDirectory {
 public:
  // Creates `dir` if absent and takes the exclusive lock. Refuses (CheckpointError naming the path)
  // an empty path, a directory locked by another writer, and a non-empty directory that is not a
  // dagrad checkpoint (no manifest.json, or one that is not dagrad's): its files are not ours.
  explicit CheckpointDirectory(const std::string& dir);
  ~CheckpointDirectory();
  CheckpointDirectory(const CheckpointDirectory&) = delete;
  CheckpointDirectory& operator=(const CheckpointDirectory&) = delete;

  const std::string& path() const { return dir_; }
  // True when a checkpoint has been saved here (by anyone, now or before).
  bool holds_checkpoint() const;
  void save(const ParamStore& store, const TrainingState& state = {});
  TrainingState load(ParamStore& store) const;

 private:
  std::string dir_;
  int fd_ = -1;
};

// One save under the lock (CheckpointDirectory(dir).save(...)).
void save_checkpoint(const std::string& dir, const ParamStore& store, const TrainingState& state = {});

// Reads and checks everything (manifest size and bytes, version, parameter names and shapes, file
// sizes, checksums, .npy headers; no symbolic links) before it writes into the store; any fault is a
// CheckpointError naming the file and what is wrong, and leaves the store as it was. Takes no lock.
TrainingState load_checkpoint(const std::string& dir, ParamStore& store);

// What `dir` holds, read without changing anything: false when it is absent, empty, or a checkpoint
// whose first save never finished; true for a dagrad checkpoint. Throws CheckpointError for an empty
// path, a file, or a non-empty directory that is not a dagrad checkpoint.
bool holds_checkpoint(const std::string& dir);

// The values the last save recorded (TrainingState::values), read without the parameters: for
// checking a run's options against a checkpoint before any work.
std::map<std::string, std::string> checkpoint_values(const std::string& dir);

}  // namespace dagrad::optim
