"""A dagrad checkpoint read by NumPy alone: every file listed in manifest.json loads with numpy.load,
with the manifest's shape, float64, and the manifest's CRC-32 (zlib.crc32)."""
import json
import sys
import zlib

import numpy as np

directory = sys.argv[1]
manifest = json.load(open(f"{directory}/manifest.json"))
assert manifest["format"] == "dagrad-checkpoint" and manifest["version"] == 1, manifest
entries = manifest["parameters"] + manifest["state_buffers"]
assert entries, "no files in the manifest"
for entry in entries:
    path = f"{directory}/{entry['file']}"
    data = open(path, "rb").read()
    assert zlib.crc32(data) == entry["crc32"], f"{path}: CRC-32 differs"
    array = np.load(path)
    assert array.dtype == np.float64 and list(array.shape) == entry["shape"], f"{path}: {array.dtype} {array.shape}"
    assert np.isfinite(array).all(), f"{path}: non-finite values"
print(f"{len(entries)} files read by numpy {np.__version__}")
