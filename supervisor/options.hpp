// How `supervisor run` was asked to run (the command line's options), and the exit statuses
// of `supervisor` itself. Plain values: the command line (cli.hpp) fills them, the supervisor
// and the client (control.hpp) read them.
#pragma once

#include <string>
#include <vector>

#include "model.hpp"

namespace sv {

struct Options {
    std::string config_dir = "/etc/supervisor.d";
    // The control socket. Unless `socket_explicit` (--socket or SUPERVISOR_SOCKET), the first
    // default place where one can be made (socket_path.hpp), or none; explicit "" turns it off.
    std::string socket_path;
    bool socket_explicit = false;
    std::vector<std::string> command;  // single-command mode: run this as the critical service "main"
    Duration shutdown_grace{2000};     // leftovers: SIGTERM, this long, then SIGKILL
    // At a shutdown signal, how long services keep running (readiness failing) before they stop;
    // a service's [stop] drain overrides it.
    Duration drain{0};
    std::string http_address;          // --http ADDR:PORT: the probe and metrics server ("": none)
    LogFormat log_format = LogFormat::prefix;  // the supervisor's own messages
};

// Exit statuses of `supervisor` itself (a critical service's own status passes through).
namespace exit_status {
constexpr int ok = 0;
constexpr int failed = 1;     // a control command was refused or did not reach its goal
constexpr int usage = 2;
constexpr int unreachable = 3;  // the client cannot reach the supervisor's socket
constexpr int internal = 70;  // EX_SOFTWARE: the supervisor could not set itself up
constexpr int config = 78;    // EX_CONFIG: invalid service files at boot, or `check` found errors
}  // namespace exit_status

}  // namespace sv
