#include "dagrad/program/arena_planner.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <string>

namespace dagrad {

namespace {
std::size_t size_class(std::size_t n) {
  std::size_t c = 0;
  while (n >>= 1) ++c;
  return c;
}
}  // namespace

std::size_t ArenaPlanner::allocate(std::size_t n) {
  n = std::max<std::size_t>(n, 1);
  std::size_t offset = top_;
  std::size_t own = size_class(n);
  for (std::size_t c = own + 1; c < kClasses; ++c)  // any gap of a larger class fits
    if (!gaps_by_class_[c].empty()) offset = std::min(offset, *gaps_by_class_[c].begin());
  for (std::size_t gap : gaps_by_class_[own]) {  // gaps of n's own class may be too small
    if (gap >= offset) break;
    if (gaps_.at(gap) >= n) {
      offset = gap;
      break;
    }
  }
  if (offset == top_) {
    top_ += n;
  } else {
    std::size_t gap_size = gaps_.at(offset);
    erase_gap(offset);
    if (gap_size > n) insert_gap(offset + n, gap_size - n);
  }
  live_.emplace(offset, n);
  live_total_ += n;
  peak_ = std::max(peak_, live_total_);
  end_ = std::max(end_, offset + n);
  return offset;
}

void ArenaPlanner::release(std::size_t offset) {
  auto it = live_.find(offset);
  if (it == live_.end())
    throw std::logic_error("ArenaPlanner::release: no live buffer at offset " + std::to_string(offset));
  std::size_t begin = offset, end = offset + it->second;
  live_total_ -= it->second;
  live_.erase(it);
  auto after = gaps_.find(end);
  if (after != gaps_.end()) {
    end += after->second;
    erase_gap(after->first);
  }
  auto before = gaps_.lower_bound(begin);
  if (before != gaps_.begin() && std::prev(before)->first + std::prev(before)->second == begin) {
    begin = std::prev(before)->first;
    erase_gap(begin);
  }
  if (end == top_)
    top_ = begin;  // the freed interval joins the space above the highest live buffer
  else
    insert_gap(begin, end - begin);
}

void ArenaPlanner::insert_gap(std::size_t offset, std::size_t size) {
  gaps_.emplace(offset, size);
  gaps_by_class_[size_class(size)].insert(offset);
}

void ArenaPlanner::erase_gap(std::size_t offset) {
  auto it = gaps_.find(offset);
  gaps_by_class_[size_class(it->second)].erase(offset);
  gaps_.erase(it);
}

}  // namespace dagrad
