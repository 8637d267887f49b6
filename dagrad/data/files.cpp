#include "dagrad/data/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace dagrad::data {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, int error) {
  throw FileError(path + ": " + what + " (" + std::strerror(error) + ")");
}

// Writes all of `bytes` to `fd`, retrying short writes; returns 0 or the errno of the failure.
int write_all(int fd, const std::string& bytes) {
  for (std::size_t at = 0; at < bytes.size();) {
    ssize_t n = ::write(fd, bytes.data() + at, bytes.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return ENOSPC;
    at += static_cast<std::size_t>(n);
  }
  return 0;
}

// Writes, fsyncs and closes `fd` (which names `path`); on failure removes `remove_on_failure` (the
// file this call created) and throws.
void finish(int fd, const std::string& bytes, const std::string& path, const std::string& remove_on_failure) {
  int error = write_all(fd, bytes);
  const char* step = "write failed";
  if (!error && ::fsync(fd) != 0) error = errno, step = "fsync failed";
  if (::close(fd) != 0 && !error) error = errno, step = "close failed";
  if (error) {
    ::unlink(remove_on_failure.c_str());
    fail(path, step, error);
  }
}

}  // namespace

void write_file(const std::string& path, const std::string& bytes) {
  if (path.empty()) throw FileError("cannot write a file with an empty path");
  std::string temporary = path + ".tmp-XXXXXX";
  std::vector<char> name(temporary.begin(), temporary.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);  // O_CREAT | O_EXCL under a fresh name
  if (fd < 0) fail(path, "cannot create a file beside it", errno);
  temporary = name.data();
  ::fchmod(fd, 0644);  // mkostemp makes 0600; outputs are ordinary files
  finish(fd, bytes, path, temporary);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    fail(path, "cannot replace it", error);
  }
}

void create_file(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, errno == EEXIST ? "already exists (not overwritten)" : "cannot create", errno);
  finish(fd, bytes, path, path);
}

std::string read_file(const std::string& path, std::size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) throw FileError(path + ": is a symbolic link (refused)");
    fail(path, "missing or unreadable", errno);
  }
  struct stat info {};
  std::string bytes;
  try {
    if (::fstat(fd, &info) != 0) fail(path, "cannot stat", errno);
    if (!S_ISREG(info.st_mode)) throw FileError(path + ": not a regular file");
    auto size = static_cast<std::size_t>(info.st_size);
    if (size > max_bytes)
      throw FileError(path + ": " + std::to_string(size) + " bytes, more than the " + std::to_string(max_bytes) +
                      " allowed");
    bytes.resize(size);
    for (std::size_t at = 0; at < size;) {
      ssize_t n = ::read(fd, &bytes[at], size - at);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(path, "read failed", errno);
      if (n == 0) {  // shrank while read
        bytes.resize(at);
        break;
      }
      at += static_cast<std::size_t>(n);
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return bytes;
}

void require_writable_directory(const std::string& option, const std::string& path) {
  if (path.empty()) throw FileError(option + ": the path is empty");
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw FileError(option + " " + path + ": cannot create the directory (" + ec.message() + ")");
  if (!std::filesystem::is_directory(path, ec))
    throw FileError(option + " " + path + ": exists and is not a directory");
  std::string probe = path + "/.dagrad-probe-XXXXXX";
  std::vector<char> name(probe.begin(), probe.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) fail(option + " " + path, "cannot write into the directory", errno);
  // One byte through write(2) as well: a full file system still lets a file be created.
  int error = write_all(fd, std::string(1, '\n'));
  ::close(fd);
  ::unlink(name.data());
  if (error) fail(option + " " + path, "cannot write into the directory", error);
}

std::uint32_t crc32(const void* data, std::size_t size) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  const auto* bytes = static_cast<const Bytef*>(data);
  for (std::size_t at = 0; at < size;) {  // zlib takes 32-bit lengths
    uInt chunk = static_cast<uInt>(std::min<std::size_t>(size - at, std::size_t{1} << 30));
    crc = ::crc32(crc, bytes + at, chunk);
    at += chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

std::string visible(const std::string& text) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0xef && text.compare(i, 3, "\xef\xbb\xbf") == 0) {
      out += "\\xef\\xbb\\xbf";
      i += 2;
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace dagrad::data
