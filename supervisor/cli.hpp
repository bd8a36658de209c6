// The command line: which sub-command to run and its options. Parsing only; no I/O.
#pragma once

#include <string>
#include <vector>

#include "supervisor.hpp"

namespace sv {

struct CommandLine {
    enum Kind { run, check, help, version } kind = run;
    Options options;
    std::string log_level = "info";
    std::string error;  // non-empty: a usage error to print (exit status 2)
};

// Parses argv (without argv[0]). `config_dir_env` is $SUPERVISOR_CONFIG_DIR or null.
CommandLine parse_command_line(const std::vector<std::string>& args, const char* config_dir_env);

// The text `supervisor help` prints.
const char* usage_text();

}  // namespace sv
