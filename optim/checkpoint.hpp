#pragma once
// Crash-safe checkpoints of a ParamStore plus a TrainingState (optimizer moments, counters, RNG
// states, the loop's position). A checkpoint directory holds one NumPy .npy file per parameter and per
// state buffer (little-endian float64, C order: numpy.load reads them) and manifest.json: format name
// and version, a generation number, and for every file its name, shape, dtype, size and CRC-32.
//
// Saving never overwrites what the current manifest names: the new generation's files get new names
// and are fsynced, then manifest.json is replaced by an fsynced temporary and rename(2), then the
// directory is fsynced and the old generation's files are removed. A process killed at any point
// leaves either the previous checkpoint or the new one readable.
#include <string>

#include "graph/param_store.hpp"
#include "optim/optimizer.hpp"

namespace dagrad::optim {

inline constexpr int kCheckpointVersion = 1;

void save_checkpoint(const std::string& dir, const ParamStore& store, const TrainingState& state = {});

// Reads and checks everything (manifest, version, parameter names and shapes, file sizes, checksums,
// .npy headers) before it writes into the store; any fault is a CheckpointError naming the file and
// what is wrong, and leaves the store as it was.
TrainingState load_checkpoint(const std::string& dir, ParamStore& store);

}  // namespace dagrad::optim
