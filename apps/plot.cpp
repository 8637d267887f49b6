#include "plot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <ctime>

#include "dagrad/data/files.hpp"

extern char** environ;

namespace dagrad::apps {

std::string gnuplot_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "''";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += ' ';
    else
      out += c;
  }
  return out + "'";
}

bool run_gnuplot(const std::string& script_path, const std::string& script, const std::vector<std::string>& args,
                 const std::vector<std::string>& outputs) {
  if (args.size() > 9)
    throw Error("run_gnuplot: gnuplot -c takes at most 9 arguments, not " + std::to_string(args.size()));
  data::write_file(script_path, script);
  std::vector<std::string> words{"gnuplot", "-c", script_path};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  timespec started{};
  ::clock_gettime(CLOCK_REALTIME, &started);
  pid_t child = 0;
  int spawned = posix_spawnp(&child, "gnuplot", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return false;  // gnuplot is not installed
  int status = 0;
  while (::waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return false;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return false;
  for (const std::string& path : outputs) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_size == 0) return false;
    // A plot left by an earlier run does not count as this one's.
    if (info.st_mtim.tv_sec < started.tv_sec) return false;
  }
  return true;
}

}  // namespace dagrad::apps
