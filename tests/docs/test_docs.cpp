#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace {

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The guide's C++ blocks whose first line names their file: "// docs/examples/<name>.cpp".
std::map<std::string, std::string> guide_examples(const std::string& guide) {
  std::map<std::string, std::string> blocks;
  const std::string open = "```cpp\n", close = "```\n";
  for (std::size_t at = guide.find(open); at != std::string::npos; at = guide.find(open, at)) {
    std::size_t begin = at + open.size(), end = guide.find(close, begin);
    REQUIRE(end != std::string::npos);
    std::string block = guide.substr(begin, end - begin);
    const std::string tag = "// docs/examples/";
    if (block.compare(0, tag.size(), tag) == 0) blocks[block.substr(3, block.find('\n') - 3)] = block;
    at = end + close.size();
  }
  return blocks;
}

}  // namespace

TEST_CASE("the guide shows every compiled example verbatim, and only compiled examples", "[docs]") {
  const std::filesystem::path root = DAGRAD_SOURCE_DIR;
  std::map<std::string, std::string> shown = guide_examples(read(root / "docs/guide.md"));
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root / "docs/examples")) {
    if (entry.path().extension() != ".cpp") continue;
    ++files;
    std::string name = "docs/examples/" + entry.path().filename().string();
    INFO(name);
    REQUIRE(shown.count(name) == 1);
    CHECK(shown[name] == read(entry.path()));
  }
  CHECK(shown.size() == files);
  CHECK(files >= 8);
}

TEST_CASE("the repository's documents are where the README links them", "[docs]") {
  const std::filesystem::path root = DAGRAD_SOURCE_DIR;
  std::string readme = read(root / "README.md");
  for (const char* doc : {"docs/design.md", "docs/guide.md", "docs/results.md", "docs/studies.md", "LICENSE"}) {
    INFO(doc);
    CHECK(std::filesystem::exists(root / doc));
    CHECK(readme.find(doc) != std::string::npos);
  }
  CHECK(readme.find("../shared") == std::string::npos);  // a clone has no ../shared
}
