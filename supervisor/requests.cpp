// What the control socket's requests do, and how status reads for a person or a script.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <spdlog/spdlog.h>

#include "json.hpp"
#include "supervisor_parts.hpp"
#include "units.hpp"

namespace sv {

namespace {

std::string short_status(int wait_status) {
    if (WIFEXITED(wait_status)) return std::to_string(WEXITSTATUS(wait_status));
    if (WIFSIGNALED(wait_status)) return signal_name(WTERMSIG(wait_status));
    return "?";
}

// "45s", "12m05s", "3h07m", "2d04h": two units at most, for a column a person scans.
std::string uptime_text(Duration d) {
    long s = static_cast<long>(d.count() / 1000);
    char buf[32];
    if (s < 60) std::snprintf(buf, sizeof buf, "%lds", s);
    else if (s < 3600) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    else if (s < 86400) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s % 3600 / 60);
    else std::snprintf(buf, sizeof buf, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
    return buf;
}

std::string pad(std::string text, size_t width) {
    if (text.size() < width) text.append(width - text.size(), ' ');
    return text;
}

}  // namespace

// How a waiting request stands for one service: nullopt while it must still wait.
std::optional<std::pair<bool, std::string>> Supervisor::outcome_for(Request::Verb verb, const Slot& slot, pid_t before) const {
    const Service& s = slot.service;
    const std::string& name = s.spec().name;
    std::string pid = " (pid " + std::to_string(s.pid()) + ")";
    switch (verb) {
        case Request::stop:
            if (s.down()) return std::pair{true, name + ": stopped"};
            return std::nullopt;
        case Request::status:  // --wait-ready
            if (!s.spec().enabled || s.ready() || slot.removing) return std::pair{true, ""};
            if (s.state() == State::failed) return std::pair{false, name + ": failed (" + s.reason() + ")"};
            if (s.state() == State::exited) return std::pair{true, ""};  // a longrun that finished as its policy allows
            return std::nullopt;
        case Request::start:
        case Request::restart:
            if (slot.waiting) return std::nullopt;
            if (s.state() == State::running && (verb == Request::start || s.pid() != before))
                return s.ready() ? std::optional{std::pair{true, name + ": running" + pid}} : std::nullopt;
            if (s.state() == State::exited) return std::pair{true, name + ": ran and " + s.reason()};
            if (s.state() == State::failed || s.state() == State::backoff || s.state() == State::stopped)
                return std::pair{false, name + ": did not start: " + std::string(to_string(s.state())) +
                                            (s.reason().empty() ? "" : " (" + s.reason() + ")")};
            return std::nullopt;
        default:
            return std::pair{true, name};
    }
}

void Supervisor::on_request(const Request& request, std::shared_ptr<Reply> reply) {
    std::vector<Slot*> slots;
    std::vector<std::string> unknown;
    for (auto& name : request.names) {
        auto found = services_.find(name);
        if (found == services_.end()) unknown.push_back(name);
        else slots.push_back(found->second.get());
    }
    if (!unknown.empty()) {
        std::string known;
        for (auto& [name, _] : services_) known += (known.empty() ? "" : ", ") + name;
        std::string text;
        for (auto& name : unknown) text += "unknown service: " + name + "\n";
        return reply->send(false, text + "(services: " + (known.empty() ? "none" : known) + ")");
    }
    if (request.names.empty() && request.verb == Request::status)
        for (auto& [name, slot] : services_) slots.push_back(slot.get());

    auto now = Clock::now();
    switch (request.verb) {
        case Request::status:
            if (!request.wait_ready) return reply->send(true, status_text(slots, request.json));
            {
                Waiter waiter{Request::status, {}, reply, request.json};
                for (Slot* slot : slots) waiter.targets.emplace_back(slot->service.spec().name, slot->service.pid());
                waiters_.push_back(std::move(waiter));
                return;
            }
        case Request::shutdown:
            reply->send(true, "shutting down");
            return begin_shutdown(exit_status::ok, "requested through the control socket");
        case Request::reload:
            if (slots.empty()) return request_reload(reply);
            return reload_service(*slots[0], reply);
        case Request::signal: {
            Slot& slot = *slots[0];
            if (!slot.service.has_process()) return reply->send(false, slot.service.spec().name + " is not running");
            ::kill(-slot.pgid, request.signal_number);
            return reply->send(true, signal_name(request.signal_number) + " sent to " + slot.service.spec().name +
                                         " (process group " + std::to_string(slot.pgid) + ")");
        }
        case Request::start:
        case Request::stop:
        case Request::restart:
            break;
    }
    if (phase_ != Phase::running) return reply->send(false, "shutting down");
    Waiter waiter{request.verb, {}, reply};
    for (Slot* slot : slots) {
        Service& s = slot->service;
        waiter.targets.emplace_back(s.spec().name, s.pid());
        spdlog::info("{}: {} requested", s.spec().name, request.verb == Request::start ? "start" : request.verb == Request::stop ? "stop" : "restart");
        if (request.verb != Request::start) {
            slot->waiting = false;
            apply(*slot, s.stop(now));
        }
        if (request.verb == Request::restart) apply(*slot, s.start(now));
        if (request.verb == Request::start) request_start(*slot);
    }
    waiters_.push_back(std::move(waiter));
}

void Supervisor::check_waiters() {
    for (auto it = waiters_.begin(); it != waiters_.end();) {
        Waiter& w = *it;
        bool all_done = true, all_ok = true;
        std::string text;
        for (auto& [name, before] : w.targets) {
            auto found = services_.find(name);
            std::optional<std::pair<bool, std::string>> result =
                found == services_.end() ? std::pair{false, name + ": removed"} : outcome_for(w.verb, *found->second, before);
            if (!result) {
                all_done = false;
                continue;
            }
            all_ok = all_ok && result->first;
            if (!result->second.empty()) text += result->second + "\n";
        }
        // Waiting for readiness ends at the first service that failed for good: it never will be.
        if (w.verb == Request::status && !all_ok) all_done = true;
        if (w.reply->done()) {
            it = waiters_.erase(it);  // the client went away
        } else if (all_done) {
            if (w.verb == Request::status && all_ok) {  // --wait-ready: then the status itself
                std::vector<Slot*> slots;
                for (auto& [name, before] : w.targets) slots.push_back(services_.at(name).get());
                text = status_text(slots, w.json);
            }
            w.reply->send(all_ok, text);
            it = waiters_.erase(it);
        } else {
            ++it;
        }
    }
}

std::string Supervisor::status_text(const std::vector<Slot*>& slots, bool json) const {
    auto now = Clock::now();
    std::string out;
    if (json) out += "[";
    else out += "NAME                 STATE     READY  HEALTH   PID      UPTIME    RESTARTS  LAST EXIT  REASON\n";
    bool first = true;
    for (const Slot* slot : slots) {
        const Service& s = slot->service;
        const ServiceSpec& spec = s.spec();
        bool up = s.state() == State::running;
        auto uptime = std::chrono::duration_cast<Duration>(now - s.since());
        std::string reason = s.reason();
        if (s.state() == State::stopped && !spec.enabled && reason.empty()) reason = "disabled";
        if (s.state() == State::backoff) {
            uint64_t due = uv_timer_get_due_in(slot->timer);
            reason += "; restarting in " + format_duration(Duration{static_cast<long>(due)});
        }
        if (up || s.state() == State::starting) reason.clear();
        if (slot->waiting) {
            std::string missing;
            dependencies_ready(*slot, &missing);
            reason = "waiting for " + missing + " to be ready";
        }
        if (up && !s.ready() && !slot->check_message.empty()) reason = "not ready: " + slot->check_message;
        if (!slot->notify_status.empty()) reason += std::string(reason.empty() ? "" : "; ") + slot->notify_status;
        std::string health = !spec.health.probe.any() ? "-"
                             : !slot->health_checked  ? "unknown"
                             : slot->health_failures == 0
                                 ? "ok"
                                 : "failing " + std::to_string(slot->health_failures) + "/" + std::to_string(spec.health.retries);
        if (slot->health_failures > 0 && up) reason += std::string(reason.empty() ? "" : "; ") + "health: " + slot->check_message;
        if (slot->next_spec) reason += std::string(reason.empty() ? "" : "; ") + "changed: restarting with the new file";
        if (slot->removing) reason += std::string(reason.empty() ? "" : "; ") + "removed: stopping";
        if (json) {
            out += std::string(first ? "" : ",") + "\n  {\"name\": " + json_string(spec.name) +
                   ", \"state\": " + json_string(to_string(s.state())) +
                   ", \"pid\": " + (s.has_process() ? std::to_string(s.pid()) : "null") +
                   ", \"uptime_seconds\": " + (up ? std::to_string(uptime.count() / 1000.0) : "null") +
                   ", \"restarts\": " + std::to_string(s.restarts()) +
                   ", \"last_exit_code\": " + (s.last_status() ? std::to_string(exit_code_of(*s.last_status())) : "null") +
                   ", \"last_exit\": " + (s.last_status() ? json_string(describe_status(*s.last_status())) : "null") +
                   ", \"ready\": " + (s.ready() ? "true" : "false") +
                   ", \"health\": " + json_string(health) +
                   ", \"health_failures\": " + std::to_string(slot->health_failures) +
                   ", \"last_check\": " + json_string(slot->check_message) +
                   ", \"type\": " + json_string(spec.type == ServiceType::oneshot ? "oneshot" : "longrun") +
                   ", \"reason\": " + json_string(reason) +
                   ", \"description\": " + json_string(spec.description) +
                   ", \"critical\": " + (spec.critical ? "true" : "false") +
                   ", \"enabled\": " + (spec.enabled ? "true" : "false") + "}";
        } else {
            out += pad(spec.name, 20) + " " + pad(to_string(s.state()), 9) + " " + pad(s.ready() ? "yes" : "no", 6) + " " +
                   pad(health, 8) + " " +
                   pad(s.has_process() ? std::to_string(s.pid()) : "-", 8) + " " +
                   pad(up ? uptime_text(uptime) : "-", 9) + " " +
                   pad(std::to_string(s.restarts()), 9) + " " +
                   pad(s.last_status() ? short_status(*s.last_status()) : "-", 10) + " " + reason + "\n";
        }
        first = false;
    }
    if (json) out += slots.empty() ? "]\n" : "\n]\n";
    return out;
}

}  // namespace sv
