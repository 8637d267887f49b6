// The dagrad command line (apps/cli.hpp). With no subcommand it runs the report (the README's main job).
#include "cli.hpp"

int main(int argc, char** argv) { return dagrad::apps::run_command_line(argc, argv); }
