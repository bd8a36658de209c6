#include "cli.hpp"

#include "units.hpp"

namespace sv {

const char* usage_text() {
    return R"(usage:
  supervisor [run] [OPTIONS] [-- COMMAND [ARGS...]]
      Run as init: start every service of the config directory, supervise them, reap every
      process, and shut down gracefully on SIGTERM/SIGINT/SIGQUIT. With -- COMMAND, also run
      COMMAND as the critical service "main" (tini-compatible: signals go to it, its exit
      status becomes ours).
  supervisor check [--config-dir DIR]
      Validate the service files and exit: 0 if all are valid, 78 otherwise.
  supervisor version | help

options:
  --config-dir DIR     service files, one NAME.toml per service
                       (default $SUPERVISOR_CONFIG_DIR, else /etc/supervisor.d)
  --grace DURATION     at shutdown, how long leftover processes get between SIGTERM and
                       SIGKILL (default 2s)
  --log-level LEVEL    debug, info, warn or error (default info)
)";
}

CommandLine parse_command_line(const std::vector<std::string>& args, const char* config_dir_env) {
    CommandLine cl;
    if (config_dir_env && *config_dir_env) cl.options.config_dir = config_dir_env;
    size_t i = 0;
    if (i < args.size()) {
        const std::string& first = args[i];
        if (first == "run") ++i;
        else if (first == "check") cl.kind = CommandLine::check, ++i;
        else if (first == "help" || first == "--help" || first == "-h") return cl.kind = CommandLine::help, cl;
        else if (first == "version" || first == "--version" || first == "-V") return cl.kind = CommandLine::version, cl;
    }
    for (; i < args.size(); ++i) {
        const std::string& arg = args[i];
        auto value = [&](const char* name) -> const std::string* {
            if (i + 1 >= args.size()) {
                cl.error = std::string(name) + " needs a value";
                return nullptr;
            }
            return &args[++i];
        };
        if (arg == "--") {
            if (cl.kind != CommandLine::run) return cl.error = "a command (-- COMMAND) only goes with run", cl;
            cl.options.command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
            if (cl.options.command.empty()) cl.error = "-- must be followed by a command";
            return cl;
        } else if (arg == "--config-dir") {
            if (auto* v = value("--config-dir")) cl.options.config_dir = *v;
        } else if (arg == "--grace" && cl.kind == CommandLine::run) {
            if (auto* v = value("--grace")) {
                auto d = parse_duration(*v);
                if (!d) cl.error = "--grace: \"" + *v + "\" is not a duration (such as 2s or 500ms)";
                else cl.options.shutdown_grace = *d;
            }
        } else if (arg == "--log-level") {
            if (auto* v = value("--log-level")) {
                cl.log_level = *v;
                if (*v != "debug" && *v != "info" && *v != "warn" && *v != "error")
                    cl.error = "--log-level: \"" + *v + "\" is not one of debug, info, warn, error";
            }
        } else {
            cl.error = "unknown argument \"" + arg + "\" (to run a command, put -- before it)";
        }
        if (!cl.error.empty()) return cl;
    }
    return cl;
}

}  // namespace sv
