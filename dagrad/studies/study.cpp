#include <cmath>
#include <sstream>

#include "dagrad/ops/ops.hpp"
#include "dagrad/studies/studies.hpp"
#include "dagrad/studies/support.hpp"

namespace dagrad::studies {

void StudyResult::add(const std::string& column, Scalar value) {
  if (!series.count(column)) columns.push_back(column);
  series[column].push_back(value);
}

std::string fmt(Scalar v, int digits) {
  std::ostringstream s;
  s.precision(digits);
  s << v;
  return s.str();
}

Var reduce_loss(const Var& mean_loss, std::size_t n, const std::string& reduction, const std::string& study) {
  if (reduction == "mean") return mean_loss;
  if (reduction == "sum") return mean_loss * static_cast<Scalar>(n);
  throw ValueError(study + ": --loss-reduction must be sum or mean, got '" + reduction + "'");
}

std::vector<std::size_t> log_steps(std::size_t steps, std::size_t count) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < count; ++k) {
    auto t = static_cast<std::size_t>(
        std::round(std::pow(static_cast<Scalar>(steps), static_cast<Scalar>(k) / (count - 1))));
    if (out.empty() || t > out.back()) out.push_back(t);
  }
  return out;
}

}  // namespace dagrad::studies
