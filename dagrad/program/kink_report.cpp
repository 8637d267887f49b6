#include <string>

#include "dagrad/program/program.hpp"

namespace dagrad {

const char* to_string(KinkPolicy policy) { return policy == KinkPolicy::Clarke ? "clarke" : "convention"; }

std::size_t KinkReport::kinks() const {
  std::size_t n = 0;
  for (const auto& s : sites) n += s.count.kinks;
  return n;
}
std::size_t KinkReport::kinks(KinkPolicy policy) const {
  std::size_t n = 0;
  for (const auto& s : sites) n += s.policy == policy ? s.count.kinks : 0;
  return n;
}
std::size_t KinkReport::decided() const {
  std::size_t n = 0;
  for (const auto& s : sites) n += s.policy == KinkPolicy::Clarke ? s.count.decided() : 0;
  return n;
}
std::size_t KinkReport::unresolved() const {
  std::size_t n = 0;
  for (const auto& s : sites) n += s.policy == KinkPolicy::Clarke ? s.count.unresolved : 0;
  return n;
}
std::size_t KinkReport::unqualified() const {
  std::size_t n = 0;
  for (const auto& s : sites) n += s.policy == KinkPolicy::Clarke ? s.count.unqualified : 0;
  return n;
}
std::string KinkReport::summary() const {
  std::string out = "kinks: " + std::to_string(kinks()) + " element(s) at " + std::to_string(sites.size()) +
                    " (policy, node) pair(s); Clarke directions " +
                    (has_directional_pass ? (directional_pass_ran ? "read" : "not needed") : "absent") +
                    (has_directional_pass && directional_pass_ran
                         ? (directional_ops_ran ? " (tangent ops ran)" : " (no tangent ops needed)")
                         : "") +
                    (qualified() ? "" : "; UNQUALIFIED ties present") + "\n";
  for (const auto& s : sites) {
    out +=
        std::string("  ") + to_string(s.policy) + " " + s.site + ": " + std::to_string(s.count.kinks) + " at kinks, ";
    if (s.policy == KinkPolicy::Convention)
      out += "all took the fixed derivative\n";
    else
      out += std::to_string(s.count.decided()) + " decided by directions, " + std::to_string(s.count.unresolved) +
             " tied, " + std::to_string(s.count.unqualified) + " unqualified\n";
  }
  return out;
}

}  // namespace dagrad
