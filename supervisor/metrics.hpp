// The supervisor's figures as OpenMetrics text (what Prometheus scrapes from GET /metrics).
// The supervisor fills a snapshot of plain numbers; render_metrics() only formats it, so the
// format is tested without a loop or a process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sv {

// Where a service's captured lines go; a line a destination could not take is counted as
// dropped there (a full pipe to the console, a full syslog queue, a file that cannot be written).
enum class LogDestination { console, file, syslog };
constexpr int kLogDestinations = 3;
const char* to_string(LogDestination destination);

struct ServiceMetrics {
    std::string name;
    std::string state;                // to_string(State)
    bool ready = false;
    std::string health = "none";      // one of kHealthStates
    uint64_t restarts = 0;            // started again by its restart policy
    uint64_t start_failures = 0;      // runs that could not start (fork, exec, user, directory)
    std::optional<int> last_exit_code;    // its last run exited with this status
    std::optional<int> last_exit_signal;  // its last run was killed by this signal
    uint64_t uptime_ms = 0;           // in the running state this long (0 when not running)
    uint64_t log_lines[2] = {0, 0};   // captured, stdout and stderr
    uint64_t log_bytes[2] = {0, 0};
    uint64_t log_dropped[kLogDestinations] = {0, 0, 0};
};

struct SupervisorMetrics {
    uint64_t uptime_ms = 0;
    uint64_t reloads = 0;
    uint64_t reloads_failed = 0;       // refused for errors in the files (nothing changed)
    uint64_t config_errors = 0;        // errors found by the last load of the directory
    uint64_t orphans_reaped = 0;
    uint64_t control_requests = 0;
    uint64_t http_requests = 0;
    bool shutting_down = false;
    std::vector<ServiceMetrics> services;
};

extern const char* const kHealthStates[4];

// The MIME type to answer with.
constexpr const char* kOpenMetricsType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

std::string render_metrics(const SupervisorMetrics& metrics);

}  // namespace sv
