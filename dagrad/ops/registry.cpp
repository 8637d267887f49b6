#include "dagrad/ops/registry.hpp"

#include <algorithm>
#include <mutex>

#include "dagrad/ops/ops.hpp"

namespace dagrad {

namespace {
// Constructed on first use: registrations run during static initialisation, in no fixed order.
std::vector<OpInfo>& registrations() {
  static std::vector<OpInfo> ops;
  return ops;
}
std::mutex& registrations_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

namespace detail {
bool register_op(const char* name, bool differentiable, const char* file) {
  std::lock_guard lock(registrations_mutex());
  registrations().push_back({name, differentiable, file});
  return true;
}
}  // namespace detail

std::vector<OpInfo> registered_ops() {
  std::vector<OpInfo> ops;
  {
    std::lock_guard lock(registrations_mutex());
    ops = registrations();
  }
  for (const UnaryOpInfo& row : unary_ops()) ops.push_back({row.name, true, "dagrad/ops/unary.cpp"});
  std::sort(ops.begin(), ops.end(), [](const OpInfo& a, const OpInfo& b) { return a.name < b.name; });
  return ops;
}

}  // namespace dagrad
