#pragma once
// The one list of studies: the command line's `dagrad study NAME`, its --help, the unknown-name error,
// the report's quick editions and the tests all read it. Each study file contributes its entries (a
// newcomer adds a study by writing its file, declaring it in studies.hpp and listing it in registry.cpp).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dagrad/studies/studies.hpp"

namespace dagrad::studies {

// Command-line overrides of a study's options, for reruns with other seeds and sizes. Setting one the
// study does not have is an Error naming the study and the option.
struct StudyOverrides {
  std::optional<std::uint64_t> seed;
  std::optional<std::size_t> steps, n, d, width, depth, size, rank, runs;
  std::optional<double> lr, init_scale;
  std::optional<std::string> scaling;         // --scaling: lazy-vs-active's output scale (mean-field, ntk)
  std::optional<std::string> loss_reduction;  // --loss-reduction: sum or mean
  std::optional<std::string> data, init;      // --data FILE.csv, --init DIR of .npy
  std::vector<std::size_t> depths, observed, widths, dims;
  std::vector<double> init_scales, alphas;
  std::vector<std::string> dtypes;  // --dtype: the precisions to run (float64, float32, bfloat16)
};

struct StudyEntry {
  std::string name;                  // `dagrad study NAME`
  std::string source;                // the paper(s) whose claim it checks
  std::string claim;                 // the claim, as its verdict judges it
  bool in_report = false;            // the main job's report runs its quick edition
  std::vector<std::string> options;  // the overrides it takes ("--seed", "--steps", ...)
  // The study with its options resolved (quick edition, then overrides), not yet run. Refuses, with an
  // Error naming the study and the option, an override it lacks or sizes past this machine's memory.
  std::function<std::function<StudyResult()>(bool quick, const StudyOverrides&)> prepare;
};

// Every study, in the order --help lists them.
const std::vector<StudyEntry>& registry();
// The entry called `name`; an Error listing every name when there is none.
const StudyEntry& find_study(const std::string& name);
// The names, comma-separated, for help and error messages.
std::string study_name_list();

}  // namespace dagrad::studies
