// libFuzzer target: the command line. The input is the argument list, NUL-separated. Parsing
// (CLI11 and dagrad's validators) and the commands' checks (apps/cli.hpp) must end in an exit
// status or a dagrad::Error, never a crash, a sanitizer finding or another exception. Commands are
// not run: a study takes seconds to hours; the checks are what stands between options and work.
#include <algorithm>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "dagrad/graph/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args;
  const char* bytes = reinterpret_cast<const char*>(data);
  for (const char* at = bytes; at < bytes + size && args.size() < 64;) {
    const char* end = std::find(at, bytes + size, '\0');
    args.emplace_back(at, end);
    at = end + 1;
  }
  std::ostream discard(nullptr);
  dagrad::apps::Invocation invocation = dagrad::apps::parse_command_line(args, discard, discard);
  if (invocation.exit_status) return 0;
  try {
    dagrad::apps::check_invocation(invocation);
  } catch (const dagrad::Error&) {
  }
  return 0;
}
