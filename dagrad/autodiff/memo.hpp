#pragma once
// Keys for Graph::memoized: one transform call is identified by its name, the calling thread's
// derivative/directional flags (they are stamped on the nodes built), every Var it reads, its
// other arguments and its subgradient policy. Equal keys build equal nodes, so a hit is exact.
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "dagrad/autodiff/autodiff.hpp"

namespace dagrad::detail {

inline Graph::MemoKey transform_key(std::string_view transform, const Graph& g,
                                    std::initializer_list<const std::vector<Var>*> lists,
                                    std::initializer_list<std::uint64_t> extra, const SubgradientPolicy& policy) {
  std::uint64_t name_hash = 1469598103934665603ULL;  // FNV-1a
  for (char c : transform) name_hash = (name_hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  Graph::BuildFlags flags = g.build_flags();
  Graph::MemoKey key{name_hash, std::uint64_t{flags.derivative} | std::uint64_t{flags.conditional} << 1};
  for (const auto* list : lists) {
    key.push_back(list->size());
    for (const Var& v : *list) key.push_back(v.id());
  }
  key.push_back(extra.size());
  key.insert(key.end(), extra.begin(), extra.end());
  key.push_back(policy.index());
  if (const auto* clarke = std::get_if<Subgradient::Clarke>(&policy)) {
    key.push_back(static_cast<std::uint64_t>(clarke->directions_drawn));
    key.push_back(clarke->seed);
    key.push_back(clarke->directions.size());
    for (const Var& d : clarke->directions) key.push_back(d.id());
  } else {
    std::uint64_t bits;
    Scalar slope = std::get<Subgradient::Convention>(policy).relu_slope_at_zero;
    std::memcpy(&bits, &slope, sizeof bits);
    key.push_back(bits);
  }
  return key;
}

}  // namespace dagrad::detail
