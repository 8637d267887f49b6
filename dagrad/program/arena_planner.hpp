#pragma once
// Where each buffer of a Program lives in its arena.
#include <cstddef>
#include <map>
#include <set>

namespace dagrad {

// First-fit placement of buffers in one arena, in schedule order (the plan TFLite's arena uses):
// a buffer goes to the lowest free interval it fits, else above the highest live buffer, and a
// released buffer's interval is free for the next. Free gaps below the top live buffer are kept by
// offset in one set per power-of-two size class, so a placement looks at the first gap of each
// larger class and scans only its own class: a 100k-op chain with its gradient keeps ~100k buffers
// live at once, and scanning every live buffer per placement made compiling quadratic.
class ArenaPlanner {
 public:
  // Offset (in elements) of a new live buffer of n elements; an empty one still gets an offset of its own.
  std::size_t allocate(std::size_t n);
  // Frees the live buffer that allocate() placed at `offset`; anything else is a logic_error.
  void release(std::size_t offset);
  std::size_t end() const { return end_; }    // arena size the plan needs
  std::size_t peak() const { return peak_; }  // largest total of buffers live at once

 private:
  static constexpr std::size_t kClasses = 64;
  void insert_gap(std::size_t offset, std::size_t size);
  void erase_gap(std::size_t offset);
  std::map<std::size_t, std::size_t> live_;  // offset -> size
  std::map<std::size_t, std::size_t> gaps_;  // free intervals below top_: offset -> size
  std::set<std::size_t> gaps_by_class_[kClasses];
  std::size_t top_ = 0;  // end of the highest live buffer
  std::size_t live_total_ = 0, peak_ = 0, end_ = 0;
};

}  // namespace dagrad
