// Plain data shared by every module: what a service file says, after validation.
// No I/O and no library types here, so that every module (and every test) can use it.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sv {

using Duration = std::chrono::milliseconds;

// The name of the critical service that single-command mode (`supervisor -- CMD`) runs CMD as;
// no service file may take it in that mode (load_directory).
constexpr const char* kCommandServiceName = "main";

enum class RestartPolicy { always, on_failure, never };

// The wait after the first quick end of a service whose restart delay is 0 (Service::ended).
constexpr Duration kRestartFloor{10};

struct RestartSpec {
    RestartPolicy policy = RestartPolicy::always;
    std::vector<int> success_codes{0};
    Duration delay{100};
    double factor = 2.0;
    Duration max_delay{30'000};
    Duration reset_after{30'000};
    int max_retries = 0;  // consecutive failed starts before giving up; 0 = never give up
    bool operator==(const RestartSpec&) const = default;
};

struct StopSpec {
    int signal = 15;  // SIGTERM
    Duration timeout{5'000};
    // After a shutdown signal, how long it keeps running before it is stopped (a web app still
    // answers while the load balancer takes it out). Unset: the supervisor's --drain.
    std::optional<Duration> drain;
    bool operator==(const StopSpec&) const = default;
};

struct ReloadSpec {
    std::optional<int> signal;         // sent to the main process; unset: reload means restart
    std::vector<std::string> check;    // must exit 0 before a reload goes ahead
    Duration check_timeout{30'000};    // a check still running then is killed and counts as failed
    std::vector<std::string> watch;    // files whose change triggers a reload
    bool operator==(const ReloadSpec&) const = default;
};

enum class ServiceType { longrun, oneshot };

// One way to check a service: a TCP connect, an HTTP answer (2xx/3xx), or a command exiting 0.
// At most one of tcp, http, command is set.
struct Probe {
    std::string tcp;                   // "127.0.0.1:3000"
    std::string http;                  // "http://127.0.0.1:3000/health"
    std::vector<std::string> command;  // ["pg_isready"]
    bool any() const { return !tcp.empty() || !http.empty() || !command.empty(); }
    bool operator==(const Probe&) const = default;
};

struct ReadySpec {
    bool notify = false;  // sd_notify: READY=1 on $NOTIFY_SOCKET
    Probe probe;
    Duration interval{1000};
    Duration timeout{5000};  // one attempt
    bool operator==(const ReadySpec&) const = default;
};

struct HealthSpec {
    Probe probe;
    Duration interval{10'000};
    Duration timeout{2000};
    int retries = 3;  // consecutive failures, then a restart
    bool operator==(const HealthSpec&) const = default;
};

enum class LogMode { console, inherit, null, file };
enum class LogFormat { prefix, plain, json };

struct LogSpec {
    LogMode stdout_mode = LogMode::console;
    LogMode stderr_mode = LogMode::console;
    LogFormat format = LogFormat::prefix;
    std::string file;                          // when a stream's mode is file
    unsigned long long max_size = 10ull << 20;  // rotate the file past this size
    int max_files = 5;                         // rotated files kept: file.1 ... file.N
    std::string syslog;                        // optional copy: unix:///dev/log, udp://h:p, tcp://h:p
    int facility = 16;                         // local0
    unsigned long long buffer = 64 << 10;      // recent lines kept in PID 1 (`supervisor logs`); 0 = none
    bool operator==(const LogSpec&) const = default;
};

struct ServiceSpec {
    std::string name;  // the file stem
    std::string file;  // where it was read from (for messages)

    std::vector<std::string> command;  // argv; when shell is true, command[0] is a /bin/sh -c script
    bool shell = false;
    std::string description;
    std::string directory;            // empty: the supervisor's own working directory
    std::string user;                 // empty: do not change user
    std::string group;                // empty: the user's primary group
    std::optional<unsigned> umask;    // unset: inherit the supervisor's
    std::map<std::string, std::string> environment;
    // KEY=value files read at each start, in order, after `environment` (so they override it);
    // a leading '-' marks a file that may be missing.
    std::vector<std::string> environment_files;
    // Variable -> file whose content (one trailing newline stripped) is its value at each start.
    // Only the names and paths live here: values are never kept, logged or shown.
    std::map<std::string, std::string> secrets;
    bool no_new_privs = false;          // prctl(PR_SET_NO_NEW_PRIVS): no setuid/file-capability gains
    std::optional<std::vector<int>> capabilities;  // set: keep only these (CAP_* numbers), also after dropping root
    bool critical = false;
    bool enabled = true;
    std::vector<int> forward_signals;
    ServiceType type = ServiceType::longrun;
    std::vector<std::string> after;  // start once these are ready; stop before them
    Duration start_timeout{90'000};  // not ready (oneshot: not done) by then: a failed start; 0 = no limit
    ReadySpec ready;
    HealthSpec health;

    RestartSpec restart;
    StopSpec stop;
    ReloadSpec reload;
    LogSpec log;

    // Single-command mode (`supervisor -- CMD`): stdin and the terminal are passed through.
    bool foreground = false;

    // Two specs are equal when every key is; reload restarts a service whose spec changed.
    // `file` takes part too: moving a service to another file is a change a user made.
    bool operator==(const ServiceSpec&) const = default;
};

}  // namespace sv
