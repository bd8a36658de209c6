// What the HTTP server (--http) answers: /healthz, /readyz, /metrics, /status. Read-only: no
// request over HTTP changes anything. The server itself (parsing, limits, deadlines) is http.cpp.
#include <sys/wait.h>

#include <spdlog/spdlog.h>

#include "metrics.hpp"
#include "supervisor.hpp"

namespace sv {

namespace {

HttpResponse text(int status, std::string body) { return {status, "text/plain; charset=utf-8", std::move(body)}; }

uint64_t ms_between(TimePoint from, TimePoint to) {
    return to > from ? static_cast<uint64_t>(std::chrono::duration_cast<Duration>(to - from).count()) : 0;
}

}  // namespace

void Supervisor::open_http() {
    if (options_.http_address.empty()) return;
    http_.open(loop_, options_.http_address, [this](const HttpRequest& request) { return on_http(request); });
    spdlog::info("HTTP server on {} (GET /healthz, /readyz, /metrics, /status)", http_.address());
}

HttpResponse Supervisor::on_http(const HttpRequest& request) {
    ++http_requests_;
    if (request.path == "/healthz") {
        if (!critical_failure_.empty()) return text(503, "failing: " + critical_failure_ + "\n");
        return text(200, "ok\n");
    }
    if (request.path == "/readyz") return readyz(query_value(request.query, "service"));
    if (request.path == "/metrics") return {200, kOpenMetricsType, render_metrics(metrics())};
    if (request.path == "/status") {
        std::vector<ServiceEntry*> slots;
        for (auto& [name, slot] : services_) slots.push_back(slot.get());
        return {200, "application/json", status_text(slots, true)};
    }
    return text(404, "not found: " + request.path + " (there are /healthz, /readyz, /metrics and /status)\n");
}

// Ready as `status --wait-ready` means it: every service wanted up is ready (a oneshot: it
// finished), and no critical one was stopped. While the supervisor shuts down (or drains),
// nothing is ready: a load balancer must stop sending new work.
HttpResponse Supervisor::readyz(const std::optional<std::string>& only) {
    std::vector<ServiceEntry*> slots;
    if (only) {
        auto found = services_.find(*only);
        if (found == services_.end()) {
            std::string known;
            for (auto& [name, _] : services_) known += (known.empty() ? "" : ", ") + name;
            return text(404, "unknown service: " + *only + " (services: " + (known.empty() ? "none" : known) + ")\n");
        }
        slots.push_back(found->second.get());
    } else {
        for (auto& [name, slot] : services_) slots.push_back(slot.get());
    }
    if (drain_from_ != TimePoint{}) return text(503, "not ready: draining before the shutdown (the services still answer)\n");
    if (phase_ != Phase::running) return text(503, "not ready: the supervisor is shutting down\n");
    PendingRequest probe{Request::status, {}, nullptr};
    std::string not_ready;
    for (ServiceEntry* slot : slots) {
        const Service& s = slot->service;
        auto outcome = outcome_for(probe, *slot, s.pid());
        if (outcome && outcome->first) continue;
        if (outcome) {
            not_ready += outcome->second + "\n";
            continue;
        }
        std::string why = to_string(s.state());
        if (s.state() == State::running && !s.check_message().empty()) why = "not ready: " + s.check_message();
        else if (s.state() == State::running) why = "not ready yet";
        else if (!s.reason().empty()) why += " (" + s.reason() + ")";
        not_ready += s.spec().name + ": " + why + "\n";
    }
    if (not_ready.empty()) return text(200, "ready\n");
    return text(503, not_ready);
}

SupervisorMetrics Supervisor::metrics() const {
    auto now = Clock::now();
    SupervisorMetrics m;
    m.uptime_ms = ms_between(started_at_, now);
    m.reloads = reloads_;
    m.reloads_failed = reloads_failed_;
    m.config_errors = config_errors_;
    m.orphans_reaped = orphans_reaped_;
    m.control_requests = control_requests_;
    m.http_requests = http_requests_;
    m.shutting_down = phase_ != Phase::running;
    for (auto& [name, slot] : services_) {
        const Service& s = slot->service;
        const ServiceSpec& spec = s.spec();
        ServiceMetrics sm;
        sm.name = name;
        sm.state = to_string(s.state());
        sm.ready = s.ready();
        sm.health = !spec.health.probe.any() ? "none" : !s.health_checked() ? "unknown" : s.health_failures() == 0 ? "healthy" : "failing";
        sm.restarts = static_cast<uint64_t>(s.restarts());
        sm.start_failures = s.start_failures();
        if (auto status = s.last_status()) {
            if (WIFEXITED(*status)) sm.last_exit_code = WEXITSTATUS(*status);
            else if (WIFSIGNALED(*status)) sm.last_exit_signal = WTERMSIG(*status);
        }
        if (s.state() == State::running) sm.uptime_ms = ms_between(s.since(), now);
        logs_.counters(name, sm);
        m.services.push_back(std::move(sm));
    }
    return m;
}

}  // namespace sv
