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
  supervisor status [--json] [--wait-ready [TIMEOUT]] [NAME...]
      A table of the services: state, readiness, health, pid, uptime, restarts, last exit,
      and why anything is not running; for one NAME, then its last lines. --json: the same
      as a JSON array. --wait-ready:
      first wait (up to TIMEOUT, default 60s) until every service wanted up (enabled, not
      stopped on request) is ready; exit 1 if one failed, a critical one was stopped, or
      the time ran out (for a Docker HEALTHCHECK).
  supervisor start|stop|restart NAME...
      Start, stop or restart services and wait until they got there, failed, or a later
      request superseded this one (exit 1 unless all got there). The newest request decides.
  supervisor signal NAME SIGNAL
      Send SIGNAL (name or number) to the service's process group.
  supervisor reload [NAME]
      Without NAME: re-read the config directory (as SIGHUP does) and apply the difference.
      With NAME: run the service's [reload] check, then send its [reload] signal (or restart it).
  supervisor logs [-n N] [-f] [--since DURATION|TIME] [--json] [NAME...]
      The recent lines of the services (all, or those named), in the order they came:
      "NAME | line", "NAME:err | line", and "supervisor | NAME: ..." for what the supervisor
      said about them. -n: the last N lines per service (default 30; "all"). -f: then follow
      new lines (across restarts and reloads) until Ctrl-C or the supervisor exits. --since:
      only lines from that long ago (10m) or that time (2026-12-02T14:05:00Z, UTC) on.
      --json: one JSON object per line, as [log] format = "json".
  supervisor shutdown
      Stop every service and exit 0.
  supervisor version | help

options:
  --config-dir DIR     service files, one NAME.toml per service
                       (default $SUPERVISOR_CONFIG_DIR, else /etc/supervisor.d)
  --grace DURATION     at shutdown, how long leftover processes get between SIGTERM and
                       SIGKILL (default 2s)
  --log-level LEVEL    debug, info, warn or error (default info)
  --log-format FORMAT  the supervisor's own messages: prefix, plain or json (default prefix;
                       services choose theirs in [log] format)
  --socket PATH        the control socket (default $SUPERVISOR_SOCKET, else the first
                       of /run/supervisor.sock, $XDG_RUNTIME_DIR/supervisor.sock and
                       /tmp/supervisor-UID/supervisor.sock where one can be made, or
                       none); "" turns it off (run only)
  --timeout DURATION   client: how long a request may wait (default 60s); the supervisor
                       answers by then ("not ready within ...", exit 1)

exit status: see the README ("Exit status").
)";
}

CommandLine parse_command_line(const std::vector<std::string>& args, const char* config_dir_env,
                               const char* socket_env) {
    CommandLine cl;
    if (config_dir_env && *config_dir_env) cl.options.config_dir = config_dir_env;
    if (socket_env) cl.options.socket_path = socket_env, cl.options.socket_explicit = true;
    size_t i = 0;
    static const char* const kClientVerbs[] = {"status", "start", "stop", "restart", "signal", "reload", "shutdown", "logs"};
    if (i < args.size()) {
        const std::string& first = args[i];
        for (const char* verb : kClientVerbs)
            if (first == verb) cl.kind = CommandLine::client;
        if (cl.kind == CommandLine::client) {
            // Client options may come anywhere; every other word goes to the supervisor as is.
            for (; i < args.size(); ++i) {
                if ((args[i] == "--socket" || args[i] == "--timeout") && i + 1 >= args.size())
                    return cl.error = args[i] + " needs a value", cl;
                if (args[i] == "--socket") cl.options.socket_path = args[++i], cl.options.socket_explicit = true;
                else if (args[i] == "--wait-ready") {
                    // An optional TIMEOUT right after it: how long to wait.
                    cl.request.push_back(args[i]);
                    if (i + 1 < args.size())
                        if (auto d = parse_duration(args[i + 1])) cl.timeout_seconds = static_cast<double>(d->count()) / 1000.0, ++i;
                }
                else if (args[i] == "--timeout") {
                    auto d = parse_duration(args[++i]);
                    if (!d) return cl.error = "--timeout: \"" + args[i] + "\" is not a duration (such as 30s)", cl;
                    cl.timeout_seconds = static_cast<double>(d->count()) / 1000.0;
                } else cl.request.push_back(args[i]);
            }
            // A malformed request is a usage error here (exit 2), not a refusal by the supervisor.
            Request request;
            std::string line = format_request(cl.request), error;
            line.pop_back();
            if (!parse_request(line, request, error)) cl.error = error;
            return cl;
        }
        if (first == "run") ++i;
        else if (first == "check") cl.kind = CommandLine::check, ++i;
        else if (first == "help" || first == "--help" || first == "-h") return cl.kind = CommandLine::help, cl;
        else if (first == "version" || first == "--version" || first == "-V") return cl.kind = CommandLine::version, cl;
        else if (first == "resolve" && args.size() == 2) return cl.kind = CommandLine::resolve, cl.request = {args[1]}, cl;
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
        } else if (arg == "--socket" && cl.kind == CommandLine::run) {
            if (auto* v = value("--socket")) cl.options.socket_path = *v, cl.options.socket_explicit = true;
        } else if (arg == "--log-format" && cl.kind == CommandLine::run) {
            if (auto* v = value("--log-format")) {
                if (*v == "prefix") cl.options.log_format = LogFormat::prefix;
                else if (*v == "plain") cl.options.log_format = LogFormat::plain;
                else if (*v == "json") cl.options.log_format = LogFormat::json;
                else cl.error = "--log-format: \"" + *v + "\" is not one of prefix, plain, json";
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
