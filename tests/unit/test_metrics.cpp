// The OpenMetrics text of a known snapshot: families, labels, counters' _total, one-hot gauges,
// seconds without floating point, and the closing # EOF.
#include <doctest/doctest.h>

#include "metrics.hpp"

using namespace sv;

namespace {

bool has_line(const std::string& text, const std::string& line) { return text.find("\n" + line + "\n") != std::string::npos; }

SupervisorMetrics sample() {
    SupervisorMetrics m;
    m.uptime_ms = 12005;
    m.reloads = 2;
    m.orphans_reaped = 7;
    ServiceMetrics web;
    web.name = "web";
    web.state = "running";
    web.ready = true;
    web.health = "healthy";
    web.restarts = 3;
    web.last_exit_code = 1;
    web.uptime_ms = 61500;
    web.log_lines[1] = 4;
    web.log_dropped[static_cast<int>(LogDestination::syslog)] = 9;
    ServiceMetrics job;
    job.name = "job";
    job.state = "failed";
    job.last_exit_signal = 9;
    job.start_failures = 1;
    m.services = {web, job};
    return m;
}

}  // namespace

TEST_CASE("metrics: every family has TYPE and HELP, counters end in _total, the text ends with # EOF") {
    std::string text = render_metrics(sample());
    CHECK(text.rfind("# TYPE supervisor_service_state gauge\n", 0) == 0);
    CHECK(text.substr(text.size() - 6) == "# EOF\n");
    CHECK(has_line(text, "# TYPE supervisor_service_restarts counter"));
    CHECK(has_line(text, "supervisor_service_restarts_total{service=\"web\"} 3"));
    CHECK(has_line(text, "supervisor_service_start_failures_total{service=\"job\"} 1"));
    CHECK(has_line(text, "supervisor_reloads_total 2"));
    CHECK(has_line(text, "supervisor_orphans_reaped_total 7"));
}

TEST_CASE("metrics: one-hot state and health, exit code or signal, uptime in seconds") {
    std::string text = render_metrics(sample());
    CHECK(has_line(text, "supervisor_service_state{service=\"web\",state=\"running\"} 1"));
    CHECK(has_line(text, "supervisor_service_state{service=\"web\",state=\"failed\"} 0"));
    CHECK(has_line(text, "supervisor_service_state{service=\"job\",state=\"failed\"} 1"));
    CHECK(has_line(text, "supervisor_service_health{service=\"web\",health=\"healthy\"} 1"));
    CHECK(has_line(text, "supervisor_service_health{service=\"job\",health=\"none\"} 1"));
    CHECK(has_line(text, "supervisor_service_ready{service=\"web\"} 1"));
    CHECK(has_line(text, "supervisor_service_last_exit_code{service=\"web\"} 1"));
    CHECK(text.find("supervisor_service_last_exit_code{service=\"job\"}") == std::string::npos);
    CHECK(has_line(text, "supervisor_service_last_exit_signal{service=\"job\"} 9"));
    CHECK(has_line(text, "supervisor_service_uptime_seconds{service=\"web\"} 61.500"));
    CHECK(has_line(text, "supervisor_uptime_seconds 12.005"));
    CHECK(has_line(text, "supervisor_service_log_lines_total{service=\"web\",stream=\"stderr\"} 4"));
    CHECK(has_line(text, "supervisor_service_log_dropped_lines_total{service=\"web\",destination=\"syslog\"} 9"));
}

TEST_CASE("metrics: no services, still valid") {
    std::string text = render_metrics(SupervisorMetrics{});
    CHECK(has_line(text, "supervisor_uptime_seconds 0.000"));
    CHECK(text.find("{service=") == std::string::npos);
}
