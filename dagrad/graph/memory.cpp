#include "dagrad/graph/memory.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace dagrad {

bool within_max_elements(const Shape& shape) {
  if (std::find(shape.begin(), shape.end(), std::size_t{0}) != shape.end()) return true;
  std::size_t n = 1;
  for (std::size_t d : shape) {
    if (d > kMaxElements / n) return false;
    n *= d;
  }
  return true;
}

std::size_t checked_size(const Shape& shape, const std::string& what) {
  if (!within_max_elements(shape))
    throw MemoryError(what + ": shape " + to_string(shape) + " has more than 2^40 elements (8 TiB of doubles)");
  return size_of(shape);
}

std::size_t physical_memory_bytes() {
  // Asked once: sysconf reads it with a system call, and Programs are made in training loops.
  static const std::size_t bytes = [] {
    long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0) return static_cast<std::size_t>(-1);  // unknown: admit everything
    return static_cast<std::size_t>(pages) * static_cast<std::size_t>(page);
  }();
  return bytes;
}

void require_memory(double bytes, const std::string& what) {
  double limit = static_cast<double>(physical_memory_bytes());
  if (bytes <= limit) return;
  char text[96];
  std::snprintf(text, sizeof text, "needs %.3g GiB, more than this machine's %.3g GiB of memory", bytes / 1073741824.0,
                limit / 1073741824.0);
  throw MemoryError(what + " " + text);
}

}  // namespace dagrad
