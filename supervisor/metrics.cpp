#include "metrics.hpp"

#include <functional>

#include "service.hpp"

namespace sv {

const char* to_string(LogDestination destination) {
    switch (destination) {
        case LogDestination::console: return "console";
        case LogDestination::file: return "file";
        case LogDestination::syslog: return "syslog";
    }
    return "?";
}

const char* const kHealthStates[4] = {"none", "unknown", "healthy", "failing"};

namespace {

constexpr State kStates[] = {State::stopped, State::starting, State::running, State::backoff,
                             State::stopping, State::exited,   State::failed};

// Label values are service names (letters, digits, '-', '_', '.'), but the format's
// escapes are applied all the same.
std::string label(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

// Milliseconds as seconds with three decimals ("12.005"): no floating point on this path.
std::string seconds(uint64_t ms) {
    std::string frac = std::to_string(ms % 1000);
    return std::to_string(ms / 1000) + "." + std::string(3 - frac.size(), '0') + frac;
}

class Writer {
   public:
    // A family: its TYPE, HELP (and UNIT when the name ends in one), then its samples.
    void family(const std::string& name, const char* type, const char* help, const char* unit = nullptr) {
        name_ = name;
        suffix_ = std::string(type) == "counter" ? "_total" : "";
        out_ += "# TYPE " + name + " " + type + "\n";
        if (unit) out_ += "# UNIT " + name + " " + unit + "\n";
        out_ += "# HELP " + name + " " + help + "\n";
    }
    void sample(const std::string& labels, const std::string& value) {
        out_ += name_ + suffix_;
        if (!labels.empty()) out_ += "{" + labels + "}";
        out_ += " " + value + "\n";
    }
    void sample(const std::string& labels, uint64_t value) { sample(labels, std::to_string(value)); }
    std::string finish() { return std::move(out_) + "# EOF\n"; }

   private:
    std::string out_, name_, suffix_;
};

}  // namespace

std::string render_metrics(const SupervisorMetrics& m) {
    Writer w;
    const auto& services = m.services;
    auto each = [&](const std::function<void(const ServiceMetrics&, const std::string& service)>& f) {
        for (const auto& s : services) f(s, "service=\"" + label(s.name) + "\"");
    };

    w.family("supervisor_service_state", "gauge", "The service's state: 1 for the state it is in, 0 for the others.");
    each([&](const ServiceMetrics& s, const std::string& l) {
        for (State state : kStates) w.sample(l + ",state=\"" + to_string(state) + "\"", s.state == to_string(state) ? 1 : 0);
    });
    w.family("supervisor_service_ready", "gauge", "1 when the service is ready (a oneshot: finished), else 0.");
    each([&](const ServiceMetrics& s, const std::string& l) { w.sample(l, s.ready ? 1 : 0); });
    w.family("supervisor_service_health", "gauge",
             "The verdict of the service's health check, one-hot: none (no check), unknown (not checked yet), healthy, failing.");
    each([&](const ServiceMetrics& s, const std::string& l) {
        for (const char* h : kHealthStates) w.sample(l + ",health=\"" + h + "\"", s.health == h ? 1 : 0);
    });
    w.family("supervisor_service_restarts", "counter", "Times the restart policy started the service again.");
    each([&](const ServiceMetrics& s, const std::string& l) { w.sample(l, s.restarts); });
    w.family("supervisor_service_start_failures", "counter", "Runs that could not start at all (fork, exec, user, directory, environment).");
    each([&](const ServiceMetrics& s, const std::string& l) { w.sample(l, s.start_failures); });
    w.family("supervisor_service_last_exit_code", "gauge", "The exit status of the service's last run, when it exited.");
    each([&](const ServiceMetrics& s, const std::string& l) {
        if (s.last_exit_code) w.sample(l, std::to_string(*s.last_exit_code));
    });
    w.family("supervisor_service_last_exit_signal", "gauge", "The signal that ended the service's last run, when a signal did.");
    each([&](const ServiceMetrics& s, const std::string& l) {
        if (s.last_exit_signal) w.sample(l, std::to_string(*s.last_exit_signal));
    });
    w.family("supervisor_service_uptime_seconds", "gauge", "How long the service has been running (0 when it is not).", "seconds");
    each([&](const ServiceMetrics& s, const std::string& l) { w.sample(l, seconds(s.uptime_ms)); });
    const char* streams[2] = {"stdout", "stderr"};
    w.family("supervisor_service_log_lines", "counter", "Lines of output captured from the service, by stream.");
    each([&](const ServiceMetrics& s, const std::string& l) {
        for (int i = 0; i < 2; ++i) w.sample(l + ",stream=\"" + streams[i] + "\"", s.log_lines[i]);
    });
    w.family("supervisor_service_log_bytes", "counter", "Bytes of output captured from the service, by stream.", "bytes");
    each([&](const ServiceMetrics& s, const std::string& l) {
        for (int i = 0; i < 2; ++i) w.sample(l + ",stream=\"" + streams[i] + "\"", s.log_bytes[i]);
    });
    w.family("supervisor_service_log_dropped_lines", "counter", "Lines a log destination could not take in time, by destination.");
    each([&](const ServiceMetrics& s, const std::string& l) {
        for (int d = 0; d < kLogDestinations; ++d)
            w.sample(l + ",destination=\"" + to_string(static_cast<LogDestination>(d)) + "\"", s.log_dropped[d]);
    });

    w.family("supervisor_uptime_seconds", "gauge", "How long the supervisor has been running.", "seconds");
    w.sample("", seconds(m.uptime_ms));
    w.family("supervisor_shutting_down", "gauge", "1 once the supervisor is draining or stopping its services.");
    w.sample("", m.shutting_down ? 1 : 0);
    w.family("supervisor_reloads", "counter", "Reloads of the service directory (SIGHUP or `supervisor reload`).");
    w.sample("", m.reloads);
    w.family("supervisor_reloads_failed", "counter", "Reloads refused for errors in the service files (nothing changed).");
    w.sample("", m.reloads_failed);
    w.family("supervisor_config_errors", "gauge", "Errors found in the service directory by its last load.");
    w.sample("", m.config_errors);
    w.family("supervisor_orphans_reaped", "counter", "Processes that were not services, adopted and reaped.");
    w.sample("", m.orphans_reaped);
    w.family("supervisor_control_requests", "counter", "Requests received on the control socket.");
    w.sample("", m.control_requests);
    w.family("supervisor_http_requests", "counter", "Requests received by the HTTP server.");
    w.sample("", m.http_requests);
    return w.finish();
}

}  // namespace sv
