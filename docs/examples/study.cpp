// docs/examples/study.cpp
// A study runs an experiment from a paper and returns its table and verdict: here the max-margin study
// in a short edition (the dagrad command line runs the full one: `dagrad study max-margin`).
#include <dagrad/studies/studies.hpp>

#include <iostream>

using namespace dagrad;

int main() {
  studies::MaxMarginOptions options;
  options.steps = 20000;
  studies::StudyResult result = studies::max_margin(options);
  std::cout << result.name << ": " << result.claim << "\nmeasured: " << result.measured << "\nholds: " << result.holds
            << " (" << result.series.at(result.columns.front()).size() << " rows of " << result.columns.size()
            << " columns)\n";
  return result.holds ? 0 : 1;  // the verdict is a measured check that can fail
}
