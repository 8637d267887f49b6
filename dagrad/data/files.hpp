#pragma once
// Files dagrad writes and reads, with every step checked: a full disk, a read-only directory or a
// symbolic link planted where an output goes is an error naming the path, never a silent 0-byte
// file reported as written.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dagrad/graph/error.hpp"

namespace dagrad::data {

// Replaces `path` with `bytes`, atomically: they go to a new temporary in the same directory
// (created with O_EXCL, so never through a link), every write checked, fsynced and closed, then
// renamed over `path` (a link there is replaced, not followed). On any failure the temporary is
// removed, `path` is as it was, and a FileError names the path and the cause (ENOSPC, EROFS, ...).
void write_file(const std::string& path, const std::string& bytes);

// Creates `path`, which must not exist (O_CREAT | O_EXCL | O_NOFOLLOW: an existing file or link is
// refused, not written through), writes `bytes` with every write checked and fsyncs it.
void create_file(const std::string& path, const std::string& bytes);

// The whole file at `path`; refuses a symbolic link (O_NOFOLLOW), anything but a regular file, and a
// file over `max_bytes` before reading it (a 3 GB "manifest" is not read into memory).
std::string read_file(const std::string& path, std::size_t max_bytes);

// Creates `path` (and its parents) if absent and proves it writable by creating and removing a
// probe file in it, so a read-only or full output directory is refused before any work. `option`
// names what the path is for in the message ("--out").
void require_writable_directory(const std::string& option, const std::string& path);

// CRC-32 (zlib's) of a byte range.
std::uint32_t crc32(const void* data, std::size_t size);

// `text` with what a terminal would not show (control characters and the byte-order mark U+FEFF)
// written as \r, \n, \t or \xNN, for error messages that quote what a user gave.
std::string visible(const std::string& text);

}  // namespace dagrad::data
