// What the control socket's requests do, and how status reads for a person or a script.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <spdlog/spdlog.h>

#include "boundary.hpp"
#include "json.hpp"
#include "supervisor.hpp"
#include "parse.hpp"

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

// Rows of cells as columns as wide as their widest cell, two spaces apart; the last column
// (the reason) is not padded.
std::string table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths;
    for (auto& row : rows)
        for (size_t i = 0; i < row.size(); ++i) {
            if (widths.size() <= i) widths.push_back(0);
            widths[i] = std::max(widths[i], row[i].size());
        }
    std::string out;
    for (auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

std::string json_or_null(const std::string& text) { return text.empty() ? "null" : json_string(text); }

constexpr Duration kDefaultWait{60'000};  // a waiting request that named no deadline

constexpr size_t kStatusLines = 10;  // `status NAME` ends with the service's last lines

// A `logs -f` client as LogHub sees it.
class ReplyReader : public LogHub::Reader {
   public:
    explicit ReplyReader(std::shared_ptr<Reply> reply) : reply_(std::move(reply)) {}
    void write(std::string data) override { reply_->stream(std::move(data)); }
    size_t backlog() const override { return reply_->backlog(); }
    bool gone() const override { return reply_->done(); }
    void end() override { reply_->send(true, ""); }

   private:
    std::shared_ptr<Reply> reply_;
};

const char* intent_word(Request::Verb verb) {
    switch (verb) {
        case Request::start: return "start";
        case Request::stop: return "stop";
        case Request::restart: return "restart";
        default: return "request";
    }
}

}  // namespace

// How a waiting request stands for one service: nullopt while it must still wait.
std::optional<std::pair<bool, std::string>> Supervisor::outcome_for(PendingRequest& waiter, const ServiceEntry& slot, pid_t before) const {
    Request::Verb verb = waiter.verb;
    const Service& s = slot.service;
    const std::string& name = s.spec().name;
    std::string pid = " (pid " + std::to_string(s.pid()) + ")";
    switch (verb) {
        case Request::stop:
            if (s.state() == State::stopped) return std::pair{true, name + ": stopped"};
            return std::nullopt;
        case Request::status:  // --wait-ready: the services that are wanted up, and every critical one
            if (s.ready()) return std::pair{true, ""};
            if (s.goal() == Goal::down && s.spec().critical && s.spec().enabled)
                return std::pair{false, name + ": stopped (a critical service: the container does not do its job)"};
            if (s.goal() != Goal::up) return std::pair{true, ""};
            if (s.state() == State::failed) return std::pair{false, name + ": failed (" + s.reason() + ")"};
            if (s.state() == State::exited) return std::pair{true, ""};  // a longrun that finished as its policy allows
            if (s.waiting()) {
                std::string blocked = blocked_dependencies(s, *this);
                if (!blocked.empty()) return std::pair{false, name + ": waiting for " + blocked};
            }
            return std::nullopt;
        case Request::start:
        case Request::restart:
            if (s.waiting()) {
                std::string blocked = blocked_dependencies(s, *this);
                if (blocked.empty()) return std::nullopt;
                return std::pair{false, name + ": did not start: it starts after " + blocked};
            }
            if (s.state() == State::running && (verb == Request::start || s.pid() != before)) {
                if (!s.ready()) return std::nullopt;
                // Without a readiness check, ready means only that it was executed: it must
                // also stay up for the settle time (a program that dies at once did not start).
                bool checked = s.spec().ready.notify || s.spec().ready.probe.any();
                TimePoint settled = s.since() + waiter.settle;
                if (!checked && Clock::now() < settled) return waiter.wake = std::min(waiter.wake, settled), std::nullopt;
                return std::pair{true, name + ": running" + pid};
            }
            if (s.state() == State::exited) return std::pair{true, name + ": ran and " + s.reason()};
            if (s.state() == State::failed || s.state() == State::backoff || s.state() == State::stopped)
                return std::pair{false, name + ": did not start: " + std::string(to_string(s.state())) +
                                            (s.reason().empty() ? "" : " (" + s.reason() + ")")};
            return std::nullopt;
        default:
            return std::pair{true, name};
    }
}

// Why a start or restart of `slot` is refused at once (empty: it is not). A removed service
// starts only if its file comes back; a dependency that nothing will make ready is named
// (`starting`: the services of the same request, which count as on their way).
std::string Supervisor::start_refusal(const ServiceEntry& slot, Request::Verb verb, const std::vector<std::string>& starting) const {
    const Service& s = slot.service;
    const std::string& name = s.spec().name;
    if (s.goal() == Goal::gone)
        return name + ": removed from " + options_.config_dir + " by a reload; it starts again only once its file is back (then reload)";
    if (verb == Request::start && (s.state() == State::starting || s.state() == State::running)) return {};
    std::string blocked = blocked_dependencies(s, *this, starting);
    if (blocked.empty()) return {};
    return name + ": not " + (verb == Request::start ? "started" : "restarted") + ": it starts after " + blocked +
           "; start " + (s.spec().after.size() == 1 ? "it" : "them") + " first, or in the same command";
}

void Supervisor::on_request(const Request& request, std::shared_ptr<Reply> reply) {
    ++control_requests_;
    std::vector<ServiceEntry*> slots;
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

    switch (request.verb) {
        case Request::status:
            if (!request.wait_ready && request.names.size() == 1 && !request.json) {
                std::string last = logs_.recent({request.names, kStatusLines, {}, false});
                return reply->send(true, status_text(slots, false) + (last.empty() ? "" : "\n" + last));
            }
            if (!request.wait_ready) return reply->send(true, status_text(slots, request.json));
            {
                PendingRequest waiter{Request::status, {}, reply, request.json};
                for (ServiceEntry* slot : slots) waiter.targets.push_back({slot->service.spec().name, slot->service.pid(), {}, {}});
                return wait_for(std::move(waiter), request.timeout);
            }
        case Request::logs: {
            LogHub::Query query{request.names, request.lines, request.since, request.json};
            std::string lines = logs_.recent(query);
            if (!request.follow) return reply->send(true, lines);
            if (!logs_.follow(query, std::make_unique<ReplyReader>(reply)))
                return reply->send(false, "too many followers: " + std::to_string(LogHub::kMaxFollowers) +
                                              " `logs -f` are reading already; end one, or ask without -f");
            return reply->stream(std::move(lines));
        }
        case Request::shutdown:
            reply->send(true, "shutting down");
            return begin_shutdown(exit_status::ok, "requested through the control socket", true);
        case Request::reload:
            if (slots.empty()) return request_reload(reply);
            return reload_service(*slots[0], reply, request.timeout);
        case Request::signal: {
            ServiceEntry& slot = *slots[0];
            if (!slot.service.has_process()) return reply->send(false, slot.service.spec().name + " is not running");
            processes_.kill(-slot.pgid, request.signal_number);
            return reply->send(true, signal_name(request.signal_number) + " sent to " + slot.service.spec().name +
                                         " (process group " + std::to_string(slot.pgid) + ")");
        }
        case Request::start:
        case Request::stop:
        case Request::restart:
            return set_goals(request, slots, reply);
    }
}

// start, stop, restart: each named service's goal set, the refusals answered, the rest waited for.
void Supervisor::set_goals(const Request& request, const std::vector<ServiceEntry*>& slots, std::shared_ptr<Reply> reply) {
    if (phase_ != Phase::running) return reply->send(false, "shutting down");
    auto now = Clock::now();
    // The newest request decides the goal (service.hpp, Goal): refusals are decided first, on the
    // state before this request, so that the order of the names does not matter.
    Goal goal = request.verb == Request::stop ? Goal::down : Goal::up;
    PendingRequest waiter{request.verb, {}, reply};
    waiter.settle = request.settle.value_or(kDefaultSettle);
    for (ServiceEntry* slot : slots) {
        PendingRequest::Target target{slot->service.spec().name, slot->service.pid(), goal, {}};
        if (goal == Goal::up)
            if (std::string refused = start_refusal(*slot, request.verb, request.names); !refused.empty())
                target.result = std::pair{false, refused};
        waiter.targets.push_back(std::move(target));
    }
    for (size_t i = 0; i < slots.size(); ++i) {
        if (waiter.targets[i].result) continue;
        ServiceEntry& slot = *slots[i];
        Service& s = slot.service;
        spdlog::info("{}: {} requested", s.spec().name, intent_word(request.verb));
        slot.intent = intent_word(request.verb);
        if (request.verb != Request::start) apply(slot, s.stop(now));
        if (goal == Goal::up) s.want_up();
    }
    // Started once every goal is set: a service named after its dependency waits for it.
    for (size_t i = 0; i < slots.size(); ++i)
        if (!waiter.targets[i].result && goal == Goal::up) request_start(*slots[i]);
    wait_for(std::move(waiter), request.timeout);
}

void Supervisor::wait_for(PendingRequest waiter, std::optional<Duration> timeout) {
    waiter.timeout = timeout.value_or(kDefaultWait);
    waiter.deadline = Clock::now() + waiter.timeout;
    pending_requests_.push_back(std::move(waiter));
    check_waiters();
}

// Where one service of a waiting request stands: nullopt while it must still wait.
std::optional<std::pair<bool, std::string>> Supervisor::decide(PendingRequest& w, size_t target) {
    const PendingRequest::Target& t = w.targets[target];
    auto found = services_.find(t.name);
    if (found == services_.end())
        return t.goal == Goal::down ? std::pair{true, t.name + ": stopped and removed (its file is gone)"}
                                    : std::pair{false, t.name + ": removed (its file is gone)"};
    const ServiceEntry& entry = *found->second;
    if (t.goal && entry.service.goal() != *t.goal && !(*t.goal == Goal::down && entry.service.goal() == Goal::gone))
        return std::pair{false, t.name + ": superseded by a later " + entry.intent};  // a later request wants something else
    return outcome_for(w, entry, t.before);
}

void Supervisor::check_waiters() {
    auto now = Clock::now();
    for (auto it = pending_requests_.begin(); it != pending_requests_.end();) {
        PendingRequest& w = *it;
        w.wake = TimePoint::max();
        if (w.reply->done()) {  // the client went away: nothing to answer, nothing to keep
            it = pending_requests_.erase(it);
            continue;
        }
        if (w.verb == Request::status && phase_ != Phase::running) {  // no service gets ready now
            w.reply->send(false, "not ready: the supervisor is shutting down");
            it = pending_requests_.erase(it);
            continue;
        }
        bool all_done = true, all_ok = true;
        std::string text, pending;
        for (size_t i = 0; i < w.targets.size(); ++i) {
            auto& t = w.targets[i];
            if (!t.result) t.result = decide(w, i);
            if (!t.result) {
                all_done = false;
                pending += (pending.empty() ? "" : ", ") + t.name;
                continue;
            }
            all_ok = all_ok && t.result->first;
            if (!t.result->second.empty()) text += t.result->second + "\n";
        }
        // Waiting for readiness ends at the first service that failed for good: it never will be.
        if (w.verb == Request::status && !all_ok) all_done = true;
        bool late = !all_done && now >= w.deadline;
        if (!all_done && !late) {
            ++it;
            continue;
        }
        // --json: the JSON status alone, whatever the outcome (the exit status says which).
        if (w.verb == Request::status && ((all_ok && !late) || w.json)) text.clear();
        if (w.verb == Request::status && (all_ok || late || w.json)) {  // then the status itself
            std::vector<ServiceEntry*> slots;
            for (auto& t : w.targets)
                if (auto found = services_.find(t.name); found != services_.end()) slots.push_back(found->second.get());
            if (late && !w.json) text += "not ready within " + format_duration(w.timeout) + ": " + pending + "\n";
            text += status_text(slots, w.json);
        } else if (late) {
            std::vector<ServiceEntry*> slots;
            for (auto& t : w.targets)
                if (!t.result)
                    if (auto found = services_.find(t.name); found != services_.end()) slots.push_back(found->second.get());
            text += std::string(w.verb == Request::stop ? "not stopped" : "not ready") + " within " + format_duration(w.timeout) +
                    ": " + pending + "\n" + status_text(slots, false);
        }
        w.reply->send(all_ok && !late, text);
        it = pending_requests_.erase(it);
    }
    arm_pending_timer();
}

void Supervisor::arm_pending_timer() {
    if (!pending_timer_) return;
    if (pending_requests_.empty()) return (void)uv_timer_stop(pending_timer_);
    TimePoint first = pending_requests_.front().deadline;
    for (auto& w : pending_requests_) first = std::min({first, w.deadline, w.wake});
    auto left = std::chrono::ceil<Duration>(first - Clock::now()).count();
    uv_timer_start(pending_timer_, [](uv_timer_t* t) noexcept { at_boundary("the waiting requests", [&] { static_cast<Supervisor*>(t->data)->check_waiters(); }); },
                   static_cast<uint64_t>(std::max<long>(left, 1)), 0);
}

std::string Supervisor::status_text(const std::vector<ServiceEntry*>& slots, bool json) const {
    auto now = Clock::now();
    std::string out;
    std::vector<std::vector<std::string>> rows{{"NAME", "STATE", "READY", "HEALTH", "PID", "SINCE", "RESTARTS", "LAST EXIT", "REASON"}};
    if (json) out += "[";
    bool first = true;
    for (const ServiceEntry* slot : slots) {
        const Service& s = slot->service;
        const ServiceSpec& spec = s.spec();
        bool up = s.state() == State::running;
        TimePoint began = s.since() == TimePoint{} ? slot->added : s.since();
        auto since = std::chrono::duration_cast<Duration>(now - began);  // in this state
        std::string reason = s.reason();
        if (s.state() == State::stopped && !spec.enabled && reason.empty()) reason = "disabled";
        if (s.state() == State::backoff) reason += "; restarting in " + format_duration(slot->timer_delay);  // as logged
        if (up || s.state() == State::starting) reason.clear();
        if (s.waiting()) reason = "waiting for " + missing_dependencies(s, *this) + " to be ready";
        if (up && !s.ready() && !s.check_message().empty()) reason = "not ready: " + s.check_message();
        if (!s.notify_status().empty()) reason += std::string(reason.empty() ? "" : "; ") + s.notify_status();
        std::string health = !spec.health.probe.any() ? ""
                             : !s.health_checked()    ? "unknown"
                             : s.health_failures() == 0
                                 ? "ok"
                                 : "failing " + std::to_string(s.health_failures()) + "/" + std::to_string(spec.health.retries);
        if (s.health_failures() > 0 && up) reason += std::string(reason.empty() ? "" : "; ") + "health: " + s.check_message();
        if (s.next_spec())
            reason += std::string(reason.empty() ? "" : "; ") +
                      (s.goal() == Goal::up ? "changed: restarting with the new file" : "changed: the new file applies once stopped");
        if (s.goal() == Goal::gone) reason += std::string(reason.empty() ? "" : "; ") + "removed: stopping";
        if (draining(*slot, now))
            reason += std::string(reason.empty() ? "" : "; ") + "draining: stops in " +
                      format_duration(std::chrono::ceil<std::chrono::seconds>(drain_from_ + drain_of(*slot) - now));
        if (json) {
            out += std::string(first ? "" : ",") + "\n  {\"name\": " + json_string(spec.name) +
                   ", \"state\": " + json_string(to_string(s.state())) +
                   ", \"pid\": " + (s.has_process() ? std::to_string(s.pid()) : "null") +
                   ", \"uptime_seconds\": " + (up ? std::to_string(since.count() / 1000.0) : "null") +
                   ", \"since_seconds\": " + std::to_string(since.count() / 1000.0) +
                   ", \"restarts\": " + std::to_string(s.restarts()) +
                   ", \"last_exit_code\": " + (s.last_status() ? std::to_string(exit_code_of(*s.last_status())) : "null") +
                   ", \"last_exit\": " + (s.last_status() ? json_string(describe_status(*s.last_status())) : "null") +
                   ", \"ready\": " + (s.ready() ? "true" : "false") +
                   ", \"health\": " + json_or_null(health) +
                   ", \"health_failures\": " + std::to_string(s.health_failures()) +
                   ", \"last_check\": " + json_or_null(s.check_message()) +
                   ", \"type\": " + json_string(spec.type == ServiceType::oneshot ? "oneshot" : "longrun") +
                   ", \"reason\": " + json_string(reason) +  // text: "" when there is nothing to say
                   ", \"description\": " + json_string(spec.description) +
                   ", \"critical\": " + (spec.critical ? "true" : "false") +
                   ", \"enabled\": " + (spec.enabled ? "true" : "false") + "}";
        } else {
            rows.push_back({spec.name, to_string(s.state()), s.ready() ? "yes" : "no", health.empty() ? "-" : health,
                            s.has_process() ? std::to_string(s.pid()) : "-", uptime_text(since), std::to_string(s.restarts()),
                            s.last_status() ? short_status(*s.last_status()) : "-", reason});
        }
        first = false;
    }
    if (json) return out + (slots.empty() ? "]\n" : "\n]\n");
    return table(rows);
}

}  // namespace sv
