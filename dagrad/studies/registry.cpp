#include "dagrad/studies/registry.hpp"

#include "dagrad/graph/error.hpp"
#include "dagrad/studies/support.hpp"

namespace dagrad::studies {

const std::vector<StudyEntry>& registry() {
  static const std::vector<StudyEntry> all = [] {
    std::vector<StudyEntry> entries;
    for (auto* study_file :
         {max_margin_entries, deep_linear_entries, balancedness_entries, kinks_entries, landscape_entries,
          lazy_vs_active_entries, lqr_entries, langevin_entries, saddles_entries, pl_entries, random_features_entries,
          narrow_resnet_entries, factorization_entries, linear_conv_entries, mean_field_entries})
      for (StudyEntry& entry : study_file()) entries.push_back(std::move(entry));
    return entries;
  }();
  return all;
}

const StudyEntry& find_study(const std::string& name) {
  for (const StudyEntry& entry : registry())
    if (entry.name == name) return entry;
  throw Error("unknown study '" + name + "' (" + study_name_list() + ")");
}

std::string study_name_list() {
  std::string names;
  for (const StudyEntry& entry : registry()) names += (names.empty() ? "" : ", ") + entry.name;
  return names;
}

}  // namespace dagrad::studies
