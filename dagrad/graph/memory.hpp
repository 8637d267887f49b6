#pragma once
// Admission checks for large allocations. A graph whose buffers cannot fit in memory is refused up
// front with an Error naming what and how much, instead of std::bad_alloc, or the OOM killer after
// the kernel's overcommit let the allocation through.
#include <cstddef>
#include <string>

#include "dagrad/graph/error.hpp"
#include "dagrad/graph/tensor.hpp"

namespace dagrad {

// No tensor may hold more elements than this (8 TiB of doubles): far beyond any machine, and small
// enough that sums of element counts over a graph cannot overflow.
inline constexpr std::size_t kMaxElements = std::size_t{1} << 40;

// Whether `shape` has at most kMaxElements elements (the product is computed without overflow).
bool within_max_elements(const Shape& shape);
// The element count of `shape`, or a MemoryError naming `what` when it exceeds kMaxElements.
std::size_t checked_size(const Shape& shape, const std::string& what);

// This machine's physical memory in bytes.
std::size_t physical_memory_bytes();

// Throws MemoryError naming `what` when `bytes` exceed physical memory.
void require_memory(double bytes, const std::string& what);

}  // namespace dagrad
