#include "cli.hpp"

#include <algorithm>
#include <iterator>

#include "config.hpp"
#include "control.hpp"
#include "parse.hpp"

namespace sv {

const char* usage_text() {
    return R"(usage:
  supervisor [run] [OPTIONS] [-- COMMAND [ARGS...]]
      Run as init: start every service of the config directory, supervise them, reap every
      process, and shut down gracefully on SIGTERM/SIGINT/SIGQUIT. With -- COMMAND, also run
      COMMAND as the critical service "main" (tini-compatible: signals go to it, its exit
      status becomes ours).
  supervisor check [--config-dir DIR] [--syntax-only] [--root DIR] [--grace-budget DURATION]
      Validate the service files and what they name in the image (programs, users, groups,
      directories, environment files) and exit: 0 if all are valid, 78 otherwise.
      --syntax-only: the files alone. --root DIR: check the image unpacked at DIR.
      --grace-budget: warn when the worst-case shutdown (drain, then the longest chain of
      stop timeouts in reverse dependency order, then --grace) exceeds it (the engine's
      grace period: docker stop -t, terminationGracePeriodSeconds); give --drain and
      --grace as the container runs with them.
  supervisor status [--json] [--wait-ready [TIMEOUT]] [NAME...]
      A table of the services: state, readiness, health, pid, since, restarts, last exit,
      and why anything is not running; for one NAME, then its last lines. --json: the same
      as a JSON array. --wait-ready:
      first wait (up to TIMEOUT, default 60s) until every service wanted up (enabled, not
      stopped on request) is ready; exit 1 if one failed, a critical one was stopped, or
      the time ran out (for a Docker HEALTHCHECK).
  supervisor start|stop|restart [--settle DURATION] NAME...
      Start, stop or restart services and wait until they got there, failed, or a later
      request superseded this one (exit 1 unless all got there). The newest request decides.
      A started service got there once it passed its readiness check, or, without one, once
      it stayed up for the settle time (default 1s). A start of a service whose dependencies
      are stopped fails at once, naming them (start them in the same command).
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
  --drain DURATION     at a shutdown signal, how long services keep running while readiness
                       fails, before they stop (default 0; a second signal ends it; a
                       service's [stop] drain overrides it)
  --http ADDR:PORT     serve GET /healthz, /readyz, /metrics and /status over HTTP on
                       ADDR:PORT (default $SUPERVISOR_HTTP, else none; read-only)
  --log-level LEVEL    debug, info, warn or error (default info; warn with -- COMMAND)
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

namespace {

const char* const kClientVerbs[] = {"status", "start", "stop", "restart", "signal", "reload", "shutdown", "logs"};
const char* const kOwnVerbs[] = {"run", "check", "help", "version"};  // and every client verb

bool is_subcommand(const std::string& word) {
    return std::find(std::begin(kOwnVerbs), std::end(kOwnVerbs), word) != std::end(kOwnVerbs) ||
           std::find(std::begin(kClientVerbs), std::end(kClientVerbs), word) != std::end(kClientVerbs);
}

// The options that take a value, wherever they stand.
bool takes_value(const std::string& option) {
    return option == "--config-dir" || option == "--socket" || option == "--timeout" || option == "--grace" ||
           option == "--log-level" || option == "--log-format" || option == "--root" || option == "--settle" ||
           option == "--drain" || option == "--http" || option == "--grace-budget";
}

// Options given before the subcommand move after it (`supervisor --socket X status` is
// `supervisor status --socket X`); without a subcommand the words stay as they are (run).
std::vector<std::string> subcommand_first(const std::vector<std::string>& args) {
    size_t i = 0;
    while (i < args.size() && args[i].starts_with("-") && args[i] != "--" && !is_subcommand(args[i]))
        i += takes_value(args[i]) ? 2 : 1;
    if (i == 0 || i >= args.size() || !is_subcommand(args[i])) return args;
    std::vector<std::string> out{args[i]};
    out.insert(out.end(), args.begin(), args.begin() + static_cast<long>(i));
    out.insert(out.end(), args.begin() + static_cast<long>(i) + 1, args.end());
    return out;
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& given, const char* config_dir_env,
                               const char* socket_env, const char* http_env) {
    CommandLine cl;
    std::vector<std::string> args = subcommand_first(given);
    for (const std::string& arg : args)
        if (arg == "--help" || arg == "-h") return cl.kind = CommandLine::help, cl;
        else if (arg == "--") break;
    if (config_dir_env && *config_dir_env) cl.options.config_dir = config_dir_env;
    if (socket_env) cl.options.socket_path = socket_env, cl.options.socket_explicit = true;
    if (http_env) cl.options.http_address = http_env;
    size_t i = 0;
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
        } else if (arg == "--syntax-only" && cl.kind == CommandLine::check) {
            cl.syntax_only = true;
        } else if (arg == "--root" && cl.kind == CommandLine::check) {
            if (auto* v = value("--root")) cl.root = *v;
        } else if (arg == "--grace" || arg == "--drain" || (arg == "--grace-budget" && cl.kind == CommandLine::check)) {
            if (auto* v = value(arg.c_str())) {
                auto d = parse_duration(*v);
                if (!d) cl.error = arg + ": \"" + *v + "\" is not a duration (such as 2s or 500ms)";
                else if (arg == "--grace") cl.options.shutdown_grace = *d;
                else if (arg == "--drain") cl.options.drain = *d;
                else cl.grace_budget = *d;
            }
        } else if (arg == "--http" && cl.kind == CommandLine::run) {
            if (auto* v = value("--http")) cl.options.http_address = *v;
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
        } else if (i == 0 && !arg.starts_with("-")) {
            cl.error = "unknown command \"" + arg + "\"";
            std::vector<std::string> verbs(std::begin(kOwnVerbs), std::end(kOwnVerbs));
            verbs.insert(verbs.end(), std::begin(kClientVerbs), std::end(kClientVerbs));
            if (auto best = closest(arg, verbs))
                cl.error += "; did you mean \"" + *best + "\"?";
            else cl.error += " (to run a program, put -- before it)";
        } else {
            cl.error = "unknown argument \"" + arg + "\"" + (cl.kind == CommandLine::run ? " (to run a command, put -- before it)" : "");
        }
        if (!cl.error.empty()) return cl;
    }
    return cl;
}

}  // namespace sv
