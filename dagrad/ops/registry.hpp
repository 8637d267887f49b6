#pragma once
// The registry of dagrad's public ops: each op file names its public functions with
// DAGRAD_REGISTER_OP beside their definitions, and the unary table's rows (unary_ops()) join them.
// The op table's coverage test enumerates this instead of a list of names, so an op added without
// a test case fails. Registration runs when the op's object file is linked, so a program that
// never calls an op may not list it; the op test links the whole library.
#include <string>
#include <vector>

namespace dagrad {

struct OpInfo {
  std::string name;     // the public function, as the op table labels its cases
  bool differentiable;  // false for ops on integer labels (one_hot, sign_labels): no derivative to check
  std::string file;     // where it is defined
};

// Every registered op and every unary row, sorted by name.
std::vector<OpInfo> registered_ops();

namespace detail {
bool register_op(const char* name, bool differentiable, const char* file);
}  // namespace detail

}  // namespace dagrad

// At namespace scope in the op's file, after its public function. The variable's name carries the
// op's, so unity builds that join op files into one translation unit do not collide.
#define DAGRAD_REGISTER_OP(op, differentiable)                                                                       \
  namespace {                                                                                                        \
  [[maybe_unused]] const bool dagrad_registered_##op = ::dagrad::detail::register_op(#op, differentiable, __FILE__); \
  }
