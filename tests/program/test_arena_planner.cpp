#include <catch2/catch.hpp>

#include <algorithm>
#include <list>
#include <random>
#include <utility>
#include <vector>

#include "dagrad/program/arena_planner.hpp"

using namespace dagrad;

namespace {

// First fit by the definition: walk the live buffers in offset order and take the first hole that
// fits. Linear per placement, which is what made compiling quadratic; it is the reference here.
struct ReferenceFirstFit {
  std::list<std::pair<std::size_t, std::size_t>> live;  // (offset, size), sorted by offset
  std::size_t allocate(std::size_t n) {
    n = std::max<std::size_t>(n, 1);
    std::size_t offset = 0;
    auto it = live.begin();
    for (; it != live.end(); ++it) {
      if (it->first >= offset + n) break;
      offset = std::max(offset, it->first + it->second);
    }
    live.insert(it, {offset, n});
    return offset;
  }
  void release(std::size_t offset) {
    live.erase(std::find_if(live.begin(), live.end(), [&](auto& p) { return p.first == offset; }));
  }
};

}  // namespace

TEST_CASE("arena planner places every buffer where first fit by definition does", "[program][memory]") {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    ArenaPlanner planner;
    ReferenceFirstFit reference;
    std::vector<std::pair<std::size_t, std::size_t>> live;  // (offset, size) as placed
    std::size_t total = 0, peak = 0, end = 0;
    std::size_t max_size = trial % 2 ? 8 : 300;  // few size classes, and many
    for (int step = 0; step < 300; ++step) {
      if (!live.empty() && rng() % 5 < 2) {
        std::size_t k = rng() % live.size();
        planner.release(live[k].first);
        reference.release(live[k].first);
        total -= live[k].second;
        live.erase(live.begin() + static_cast<long>(k));
        continue;
      }
      std::size_t n = rng() % max_size;  // 0 included: an empty tensor
      std::size_t offset = planner.allocate(n);
      REQUIRE(offset == reference.allocate(n));
      std::size_t size = std::max<std::size_t>(n, 1);
      bool overlaps = std::any_of(live.begin(), live.end(), [&](const auto& b) {
        return offset < b.first + b.second && b.first < offset + size;
      });
      REQUIRE_FALSE(overlaps);
      live.emplace_back(offset, size);
      total += size;
      peak = std::max(peak, total);
      end = std::max(end, offset + size);
    }
    REQUIRE(planner.end() == end);
    REQUIRE(planner.peak() == peak);
  }
}

TEST_CASE("arena planner refuses to release what it did not place", "[program][memory][errors]") {
  ArenaPlanner planner;
  std::size_t a = planner.allocate(4);
  CHECK_THROWS_AS(planner.release(a + 1), std::logic_error);
  planner.release(a);
  CHECK_THROWS_AS(planner.release(a), std::logic_error);
}
