#include "metrics.hpp"

#include <charconv>
#include <string_view>

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
    explicit Writer(size_t services) { out_.reserve(4096 + services * 2048); }
    // A family: its TYPE, HELP (and UNIT when the name ends in one), then its samples.
    void family(const char* name, const char* type, const char* help, const char* unit = nullptr) {
        name_ = name;
        name_ += std::string_view(type) == "counter" ? "_total" : "";
        out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
        if (unit) out_.append("# UNIT ").append(name).append(" ").append(unit).append("\n");
        out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    }
    // name{service="S",key="value"} number; `service` and `key` may be empty (no label).
    void sample(std::string_view service, std::string_view key, std::string_view value, std::string_view number) {
        out_ += name_;
        if (!service.empty()) {
            out_.append("{service=\"").append(service).append("\"");
            if (!key.empty()) out_.append(",").append(key).append("=\"").append(value).append("\"");
            out_ += '}';
        }
        out_.append(" ").append(number).append("\n");
    }
    void sample(std::string_view service, std::string_view key, std::string_view value, uint64_t number) {
        char digits[24];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, number);
        (void)ec;
        sample(service, key, value, std::string_view(digits, static_cast<size_t>(end - digits)));
    }
    std::string finish() { return std::move(out_) + "# EOF\n"; }

   private:
    std::string out_, name_;
};

// The families of every service, one after the other.
void render_services(Writer& w, const SupervisorMetrics& m) {
    std::vector<std::string> names;  // the label values, escaped once
    for (const auto& s : m.services) names.push_back(label(s.name));
    auto each = [&](auto&& f) {
        for (size_t i = 0; i < m.services.size(); ++i) f(m.services[i], std::string_view(names[i]));
    };
    using S = const ServiceMetrics&;
    using N = std::string_view;

    w.family("supervisor_service_state", "gauge", "The service's state: 1 for the state it is in, 0 for the others.");
    each([&](S s, N n) {
        for (State state : kStates) w.sample(n, "state", to_string(state), s.state == to_string(state) ? 1 : 0);
    });
    w.family("supervisor_service_ready", "gauge", "1 when the service is ready (a oneshot: finished), else 0.");
    each([&](S s, N n) { w.sample(n, "", "", s.ready ? 1 : 0); });
    w.family("supervisor_service_health", "gauge",
             "The verdict of the service's health check, one-hot: none (no check), unknown (not checked yet), healthy, failing.");
    each([&](S s, N n) {
        for (const char* h : kHealthStates) w.sample(n, "health", h, s.health == h ? 1 : 0);
    });
    w.family("supervisor_service_restarts", "counter", "Times the restart policy started the service again.");
    each([&](S s, N n) { w.sample(n, "", "", s.restarts); });
    w.family("supervisor_service_start_failures", "counter", "Runs that could not start at all (fork, exec, user, directory, environment).");
    each([&](S s, N n) { w.sample(n, "", "", s.start_failures); });
    w.family("supervisor_service_last_exit_code", "gauge", "The exit status of the service's last run, when it exited.");
    each([&](S s, N n) {
        if (s.last_exit_code) w.sample(n, "", "", std::to_string(*s.last_exit_code));
    });
    w.family("supervisor_service_last_exit_signal", "gauge", "The signal that ended the service's last run, when a signal did.");
    each([&](S s, N n) {
        if (s.last_exit_signal) w.sample(n, "", "", std::to_string(*s.last_exit_signal));
    });
    w.family("supervisor_service_uptime_seconds", "gauge", "How long the service has been running (0 when it is not).", "seconds");
    each([&](S s, N n) { w.sample(n, "", "", seconds(s.uptime_ms)); });
    const char* streams[2] = {"stdout", "stderr"};
    w.family("supervisor_service_log_lines", "counter", "Lines of output captured from the service, by stream.");
    each([&](S s, N n) {
        for (int i = 0; i < 2; ++i) w.sample(n, "stream", streams[i], s.log_lines[i]);
    });
    w.family("supervisor_service_log_bytes", "counter", "Bytes of output captured from the service, by stream.", "bytes");
    each([&](S s, N n) {
        for (int i = 0; i < 2; ++i) w.sample(n, "stream", streams[i], s.log_bytes[i]);
    });
    w.family("supervisor_service_log_dropped_lines", "counter", "Lines a log destination could not take in time, by destination.");
    each([&](S s, N n) {
        for (int d = 0; d < kLogDestinations; ++d) w.sample(n, "destination", to_string(static_cast<LogDestination>(d)), s.log_dropped[d]);
    });

}

}  // namespace

std::string render_metrics(const SupervisorMetrics& m) {
    Writer w(m.services.size());
    render_services(w, m);
    w.family("supervisor_uptime_seconds", "gauge", "How long the supervisor has been running.", "seconds");
    w.sample("", "", "", seconds(m.uptime_ms));
    struct Figure {
        const char* name;
        const char* type;
        const char* help;
        uint64_t value;
    };
    for (const Figure& f : {
             Figure{"supervisor_shutting_down", "gauge", "1 once the supervisor is draining or stopping its services.", m.shutting_down ? 1u : 0u},
             Figure{"supervisor_reloads", "counter", "Reloads of the service directory (SIGHUP or `supervisor reload`).", m.reloads},
             Figure{"supervisor_reloads_failed", "counter", "Reloads refused for errors in the service files (nothing changed).", m.reloads_failed},
             Figure{"supervisor_config_errors", "gauge", "Errors found in the service directory by its last load.", m.config_errors},
             Figure{"supervisor_orphans_reaped", "counter", "Processes that were not services, adopted and reaped.", m.orphans_reaped},
             Figure{"supervisor_control_requests", "counter", "Requests received on the control socket.", m.control_requests},
             Figure{"supervisor_http_requests", "counter", "Requests received by the HTTP server.", m.http_requests},
         }) {
        w.family(f.name, f.type, f.help);
        w.sample("", "", "", f.value);
    }
    return w.finish();
}

}  // namespace sv
