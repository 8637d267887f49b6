#pragma once
// How a study file makes its registry entries: the overrides its options struct can take, checked
// at compile time, so an override of an option the study lacks is refused by name, never ignored.
#include <algorithm>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "dagrad/graph/error.hpp"
#include "dagrad/graph/memory.hpp"
#include "dagrad/studies/registry.hpp"

namespace dagrad::studies::detail {

// Member accessor usable in `if constexpr (std::is_invocable_v<...>)`: options structs differ in
// which sizes they have.
#define DAGRAD_OPTION(member) [](auto& options) -> decltype((options.member)) { return options.member; }

// Calls f(option name, override, member accessor) for every override the command line knows: the
// one list of them.
template <class F>
void for_each_override(const StudyOverrides& v, F&& f) {
  f("--seed", v.seed, DAGRAD_OPTION(seed));
  f("--steps", v.steps, DAGRAD_OPTION(steps));
  f("--n", v.n, DAGRAD_OPTION(n));
  f("--d", v.d, DAGRAD_OPTION(d));
  f("--width", v.width, DAGRAD_OPTION(width));
  f("--depth", v.depth, DAGRAD_OPTION(depth));
  f("--size", v.size, DAGRAD_OPTION(size));
  f("--rank", v.rank, DAGRAD_OPTION(rank));
  f("--runs", v.runs, DAGRAD_OPTION(runs));
  f("--lr", v.lr, DAGRAD_OPTION(lr));
  f("--depths", v.depths, DAGRAD_OPTION(depths));
  f("--observed", v.observed, DAGRAD_OPTION(observed));
  f("--widths", v.widths, DAGRAD_OPTION(widths));
  f("--dims", v.dims, DAGRAD_OPTION(dims));
  f("--init-scale", v.init_scale, DAGRAD_OPTION(init_scale));
  f("--init-scales", v.init_scales, DAGRAD_OPTION(init_scales));
  f("--alphas", v.alphas, DAGRAD_OPTION(alphas));
  f("--scaling", v.scaling, DAGRAD_OPTION(scaling));
  f("--loss-reduction", v.loss_reduction, DAGRAD_OPTION(loss_reduction));
  f("--data", v.data, DAGRAD_OPTION(data));
  f("--init", v.init, DAGRAD_OPTION(init));
  f("--dtype", v.dtypes, DAGRAD_OPTION(dtypes));
}

// The value of an override, or null where the command line did not set it (an empty list).
template <class T>
const T* given(const std::optional<T>& value) {
  return value ? &*value : nullptr;
}
template <class T>
const std::vector<T>* given(const std::vector<T>& values) {
  return values.empty() ? nullptr : &values;
}

// The size option `member` of `o`, as a double so products cannot overflow; 0 where the study has none.
template <class Options, class Member>
double size_option(const Options& o, Member member) {
  if constexpr (std::is_invocable_v<Member, const Options&>) {
    const auto& value = member(o);
    if constexpr (std::is_arithmetic_v<std::decay_t<decltype(value)>>)
      return static_cast<double>(value);
    else
      return value.empty() ? 0.0 : static_cast<double>(*std::max_element(value.begin(), value.end()));
  } else {
    return 0.0;
  }
}

// A lower bound on what the study holds at once, from its sizes: the data (n × d), a layer's
// activations (n × width), the weights (depth layers of width × max(d, width)), the factorized matrix
// (size² per factor) and a few graph nodes per layer. Oversized overrides are refused here by name,
// before any work, instead of an anonymous bad_alloc (or the OOM killer) minutes later.
template <class Options>
void require_study_memory(const Options& o, const std::string& study) {
  std::pair<const char*, double> sizes[] = {
      {"--n", size_option(o, DAGRAD_OPTION(n))},         {"--d", size_option(o, DAGRAD_OPTION(d))},
      {"--width", size_option(o, DAGRAD_OPTION(width))}, {"--widths", size_option(o, DAGRAD_OPTION(widths))},
      {"--depth", size_option(o, DAGRAD_OPTION(depth))}, {"--depths", size_option(o, DAGRAD_OPTION(depths))},
      {"--size", size_option(o, DAGRAD_OPTION(size))}};
  double n = sizes[0].second, d = sizes[1].second, width = std::max(sizes[2].second, sizes[3].second);
  double depth = std::max({1.0, sizes[4].second, sizes[5].second}), size = sizes[6].second;
  constexpr double kGraphNodeDoubles = 64;  // a layer's graph nodes: 1.3 KiB measured for a parameter and a matmul
  double doubles = n * d + n * width + depth * (width * std::max(d, width) + size * size + kGraphNodeDoubles);
  std::string named;
  for (const auto& [option, value] : sizes)
    if (value > 0) {  // the largest of a list option
      char number[32];
      std::snprintf(number, sizeof number, "%.0f", value);
      named += std::string(" ") + option + " " + number;
    }
  require_memory(sizeof(Scalar) * doubles,
                 "study '" + study + "' at" + named + ": its data, activations and weights (a lower bound)");
}

#undef DAGRAD_OPTION

// An entry for a study run by `run` on Options: `edition(options, quick)` sets the edition's options
// before the overrides apply; `pinned` lists overrides the edition refuses though Options has them,
// with the reason (max-margin-digits has no --n: its data are the digits 0 and 1).
template <class Options>
StudyEntry make_entry(std::string name, std::string source, std::string claim, bool in_report,
                      void (*edition)(Options&, bool quick), StudyResult (*run)(const Options&),
                      std::vector<std::pair<std::string, std::string>> pinned = {}) {
  StudyEntry entry;
  entry.name = name;
  entry.source = std::move(source);
  entry.claim = std::move(claim);
  entry.in_report = in_report;
  auto is_pinned = [pinned](const std::string& option) {
    return std::any_of(pinned.begin(), pinned.end(), [&](const auto& p) { return p.first == option; });
  };
  for_each_override(StudyOverrides{}, [&](const char* option, const auto&, auto member) {
    if constexpr (std::is_invocable_v<decltype(member), Options&>)
      if (!is_pinned(option)) entry.options.push_back(option);
  });
  entry.prepare = [name, edition, run, pinned](bool quick, const StudyOverrides& v) {
    Options o;
    edition(o, quick);
    for (const auto& pin : pinned) {  // a lambda may not capture a structured binding in C++17
      bool set = false;
      for_each_override(
          v, [&](const char* each, const auto& value, auto) { set = set || (each == pin.first && given(value)); });
      if (set) throw Error("study '" + name + "' has no option " + pin.first + " (" + pin.second + ")");
    }
    for_each_override(v, [&](const char* option, const auto& value, auto member) {
      if (!given(value)) return;
      if constexpr (std::is_invocable_v<decltype(member), Options&>) {
        using Target = std::decay_t<std::invoke_result_t<decltype(member), Options&>>;
        if constexpr (std::is_assignable_v<Target&, decltype(*given(value))>)
          member(o) = *given(value);
        else
          throw Error("study '" + name + "': option " + option + " has another type here");
      } else {
        throw Error("study '" + name + "' has no option " + option);
      }
    });
    require_study_memory(o, name);
    return std::function<StudyResult()>([o, run] { return run(o); });
  };
  return entry;
}

}  // namespace dagrad::studies::detail
