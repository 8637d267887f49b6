#pragma once
// Plots with gnuplot, run without a shell. A script never contains a path or any other string the
// user chose: those reach it as arguments (gnuplot -c SCRIPT ARG1 ARG2 ..., read as the string
// variables ARG1..ARG9), so quotes, spaces, newlines, $(...) and backquotes in a path are only
// characters. Labels dagrad itself chooses are written as gnuplot single-quoted strings
// (gnuplot_quoted), where gnuplot performs no substitution.
#include <string>
#include <vector>

namespace dagrad::apps {

// `text` as a gnuplot single-quoted string: ' doubled (gnuplot's rule), control characters (which
// would end the command) replaced by spaces.
std::string gnuplot_quoted(const std::string& text);

// Writes `script` to `script_path` (checked, data::write_file), runs `gnuplot -c script_path args...`
// (spawned with an argument vector, output discarded) and returns true when gnuplot exited with 0
// and every path in `outputs` is a non-empty regular file written during this call. False when gnuplot is missing or
// failed: the caller says so and does not claim the plot. At most 9 arguments (gnuplot's ARG9).
bool run_gnuplot(const std::string& script_path, const std::string& script, const std::vector<std::string>& args,
                 const std::vector<std::string>& outputs);

}  // namespace dagrad::apps
