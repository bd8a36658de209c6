// The command line: which sub-command to run and its options. Parsing only; no I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "options.hpp"

namespace sv {

struct CommandLine {
    enum Kind { run, check, client, resolve, help, version } kind = run;  // resolve: internal helper
    Options options;
    std::string log_level;  // "": not given (info; warn in single-command mode, quiet as tini)
    std::vector<std::string> request;  // client: the words sent to the control socket
    double timeout_seconds = 60;       // client: how long to wait for the answer
    bool syntax_only = false;          // check: the files only, not the image
    std::string root;                  // check: the image's root directory ("": this one)
    std::optional<Duration> grace_budget;  // check: warn when the worst-case shutdown exceeds it
    std::string error;  // non-empty: a usage error to print (exit status 2)
};

// Parses argv (without argv[0]). The env values are $SUPERVISOR_CONFIG_DIR, $SUPERVISOR_SOCKET
// and $SUPERVISOR_HTTP, or null.
CommandLine parse_command_line(const std::vector<std::string>& args, const char* config_dir_env,
                               const char* socket_env, const char* http_env = nullptr);

// The text `supervisor help` prints.
const char* usage_text();

}  // namespace sv
