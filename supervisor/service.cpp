#include "service.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <spdlog/common.h>

#include <algorithm>

#include "checks.hpp"
#include "parse.hpp"

namespace sv {

const char* to_string(State state) {
    switch (state) {
        case State::stopped: return "stopped";
        case State::starting: return "starting";
        case State::running: return "running";
        case State::backoff: return "backoff";
        case State::stopping: return "stopping";
        case State::exited: return "exited";
        case State::failed: return "failed";
    }
    return "?";
}

void Service::enter(State state, TimePoint now) {
    state_ = state;
    since_ = now;
}

bool Service::is_success(const Outcome& outcome) const {
    if (outcome.start_failed || !WIFEXITED(outcome.wait_status)) return false;
    const auto& codes = spec_.restart.success_codes;
    return std::find(codes.begin(), codes.end(), WEXITSTATUS(outcome.wait_status)) != codes.end();
}

bool Service::waits_for_readiness() const {
    return spec_.type == ServiceType::oneshot || spec_.ready.notify || spec_.ready.probe.any();
}

bool Service::ready() const {
    if (spec_.type == ServiceType::oneshot) return state_ == State::exited;
    return state_ == State::running && ready_;
}

Actions Service::spawn_actions() {
    ready_ = false;
    // The start timeout is armed before the spawn: a spawn that fails at once (unknown user,
    // program not found) ends the run inside it and arms the backoff timer, which must stay.
    if (waits_for_readiness() && spec_.start_timeout.count() > 0) return {{Action::arm_timer, 0, spec_.start_timeout}, {Action::spawn}};
    return {{Action::spawn}};
}

Action Service::say(int level, std::string text) const {
    return {Action::say, 0, Duration{0}, spec_.name + ": " + std::move(text), level};
}

Check Service::next_check() const {
    if (state_ != State::running) return Check::none;
    return ready_ ? Check::health : Check::readiness;
}

Actions Service::became_ready(TimePoint) {
    if (state_ == State::starting && spec_.ready.notify) ready_ = true;  // READY=1 before its exec was confirmed
    if (state_ != State::running || ready_) return {};
    ready_ = true;
    Actions actions{{Action::cancel_timer}};
    if (spec_.ready.notify || spec_.ready.probe.any()) actions.push_back(say(spdlog::level::info, "ready"));
    if (spec_.health.probe.any()) actions.push_back({Action::run_check, 0, spec_.health.interval});
    return actions;
}

Actions Service::check_result(Check check, bool passed, const std::string& message, TimePoint now) {
    bool news = check_message_ != message;
    check_message_ = message;
    if (state_ != State::running || check == Check::none) return {};
    if (check == Check::health) return health_result(passed, message, now);
    if (passed) return became_ready(now);
    return readiness_failed(message, news);
}

// Said once per run at info (a check that cannot pass, such as a refused program, must not go
// unseen; the service's buffer keeps it through the log), then at debug: it repeats every
// interval. The buffer keeps only what is new (it takes no debug message from the log: `logs`
// tells why, not every attempt).
Actions Service::readiness_failed(const std::string& message, bool news) {
    Actions actions;
    if (!not_ready_told_) {
        actions.push_back(say(spdlog::level::info, "not ready: " + message + " (checking every " + format_duration(spec_.ready.interval) + ")"));
    } else {
        actions.push_back(say(spdlog::level::debug, "not ready yet: " + message));
        if (news) actions.push_back({Action::note, 0, Duration{0}, spec_.name + ": not ready: " + message, spdlog::level::debug});
    }
    not_ready_told_ = true;
    actions.push_back({Action::run_check, 0, spec_.ready.interval});
    return actions;
}

Actions Service::health_result(bool passed, const std::string& message, TimePoint now) {
    health_checked_ = true;
    Actions actions;
    if (passed) {
        if (health_failures_ > 0) actions.push_back(say(spdlog::level::info, "healthy again"));
        health_failures_ = 0;
        actions.push_back({Action::run_check, 0, spec_.health.interval});
        return actions;
    }
    ++health_failures_;
    actions.push_back(say(spdlog::level::warn, "health check failed (" + std::to_string(health_failures_) + "/" +
                                                   std::to_string(spec_.health.retries) + "): " + message));
    if (health_failures_ < spec_.health.retries) {
        actions.push_back({Action::run_check, 0, spec_.health.interval});
        return actions;
    }
    for (auto& a : fail("health check failed " + std::to_string(health_failures_) + " times in a row (" + describe(spec_.health.probe) +
                            ": " + message + ")",
                        now))
        actions.push_back(std::move(a));
    return actions;
}

Actions Service::notified(const std::string& key, const std::string& value, TimePoint now) {
    if (key == "READY" && value == "1") {
        if (!ready()) return became_ready(now);
    } else if (key == "RELOADING" && value == "1") {
        ready_ = false;
        return {say(spdlog::level::info, "reloading (sd_notify)")};
    } else if (key == "STOPPING" && value == "1") {
        return {say(spdlog::level::info, "stopping (sd_notify)")};
    } else if (key == "STATUS") {
        // Shown by `status` on a terminal: no escape sequences, no control characters.
        notify_status_.clear();
        for (char c : value)
            if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) notify_status_ += c;
    }
    return {};
}

Actions Service::fail(const std::string& reason, TimePoint now) {
    if (state_ != State::starting && state_ != State::running) return {};
    Goal goal = goal_;  // giving up on a run is no change of goal: the restart policy decides
    bool waiting = waiting_;
    Actions actions = stop(now);
    goal_ = goal;
    waiting_ = waiting;
    failing_ = true;
    reason_ = reason;
    return actions;
}

Actions Service::request_start(const std::string& missing_dependencies, TimePoint now) {
    if (goal_ == Goal::gone) return {};
    if (missing_dependencies.empty()) {
        waiting_ = false;
        return start(now);
    }
    Actions actions;
    if (!waiting_) actions.push_back(say(spdlog::level::info, "waiting for " + missing_dependencies + " to be ready"));
    waiting_ = true;
    want_up();
    return actions;
}

Actions Service::start(TimePoint now) {
    if (goal_ == Goal::gone) return {};
    goal_ = Goal::up;
    switch (state_) {
        case State::starting:
        case State::running:
        case State::stopping:  // started again once down (ended)
            return {};
        case State::backoff:
        case State::stopped:
        case State::exited:
        case State::failed:
            break;
    }
    failures_ = 0;
    delay_ = spec_.restart.delay;
    reason_.clear();
    enter(State::starting, now);
    started_at_ = now;
    Actions actions{{Action::cancel_timer}};
    for (auto& a : spawn_actions()) actions.push_back(a);
    return actions;
}

Actions Service::stop(TimePoint now) {
    if (goal_ != Goal::gone) goal_ = Goal::down;
    waiting_ = false;
    if (failing_) reason_ = "stopped";  // the stop asked for replaces the failure being handled
    failing_ = false;
    switch (state_) {
        case State::starting:
        case State::running:
            if (pid_ <= 0) break;
            enter(State::stopping, now);
            reason_ = "stopped";
            // SIGCONT after the stop signal, so a process that was stopped (SIGSTOP) sees it.
            return {{Action::signal_group, spec_.stop.signal},
                    {Action::signal_group, SIGCONT},
                    {Action::arm_timer, 0, spec_.stop.timeout}};
        case State::backoff:
        case State::exited:  // ended for good: the answer "stopped" is then the state too
        case State::failed:
            break;
        case State::stopping:
        case State::stopped:
            return {};
    }
    enter(State::stopped, now);
    reason_ = "stopped";
    return {{Action::cancel_timer}};
}

Actions Service::shut_down(TimePoint now) {
    waiting_ = false;
    if (state_ == State::stopping) return stop(now);  // not started again once down
    return {};
}

Actions Service::replace(ServiceSpec spec, TimePoint now) {
    Goal goal = spec.enabled ? Goal::up : Goal::down;
    next_ = std::move(spec);
    goal_ = Goal::down;  // even from gone: its file is back
    Actions actions = stop(now);
    goal_ = goal;
    if (state_ == State::stopping) return actions;  // the rest once the old run ended
    for (auto& a : now_down()) actions.push_back(a);
    return actions;
}

Actions Service::remove(TimePoint now) {
    next_.reset();
    Actions actions = stop(now);
    goal_ = Goal::gone;
    return actions;
}

// Stopped, with nothing left of the old run: a waiting spec takes effect, then the goal decides.
Actions Service::now_down() {
    Actions actions;
    if (next_) {
        spec_ = std::move(*next_);
        next_.reset();
        waiting_ = false;
        failures_ = 0;
        delay_ = spec_.restart.delay;
        reason_.clear();
        actions.push_back({Action::new_spec});
    }
    if (goal_ == Goal::up) actions.push_back({Action::start_again});
    return actions;
}

void Service::spawned(pid_t pid, TimePoint now) {
    pid_ = pid;
    started_at_ = now;
}

Actions Service::exec_succeeded(TimePoint now) {
    if (state_ != State::starting) return {};
    enter(State::running, now);
    health_failures_ = 0;
    health_checked_ = false;
    check_message_.clear();
    not_ready_told_ = false;
    notify_status_.clear();
    Actions actions{say(spdlog::level::info, "started (pid " + std::to_string(pid_) + ")")};
    bool told_ready = ready_;  // READY=1 came before the exec was confirmed
    ready_ = false;
    Actions next;
    if (spec_.type == ServiceType::oneshot) return actions;
    if (spec_.ready.probe.any() && !told_ready) next = {{Action::run_check, 0, Duration{0}}};
    else if (!waits_for_readiness() || told_ready) next = became_ready(now);  // no check: ready as soon as it runs
    actions.insert(actions.end(), next.begin(), next.end());
    return actions;
}

Actions Service::ended(const Outcome& outcome, TimePoint now) {
    pid_ = 0;
    last_status_ = outcome.start_failed ? (127 << 8) : outcome.wait_status;
    if (outcome.start_failed) ++start_failures_;
    Actions actions{{Action::end_checks}};

    bool failing = failing_;
    failing_ = false;
    ready_ = false;
    if (state_ == State::stopping && !failing) {
        // What is left of its process group already had the stop signal: finish it.
        actions.push_back({Action::cancel_timer});
        actions.push_back({Action::signal_group, SIGKILL});
        enter(State::stopped, now);
        actions.insert(actions.begin(), end_message(outcome, {}));
        Actions next = now_down();
        actions.insert(actions.end(), next.begin(), next.end());
        return actions;
    }
    if (failing) {
        // It was stopped because it failed a check; what is left of its group had the stop signal.
        actions.push_back({Action::cancel_timer});
        actions.push_back({Action::signal_group, SIGKILL});
    } else if (!outcome.start_failed) {
        // Children it left in its group would hold its ports and files against the next run.
        actions.push_back({Action::signal_group, SIGTERM});
        actions.push_back({Action::signal_group, SIGCONT});
    }

    const RestartSpec& rs = spec_.restart;
    if (!outcome.start_failed && now - started_at_ >= rs.reset_after) {
        failures_ = 0;
        delay_ = rs.delay;
    }
    bool success = !failing && is_success(outcome);
    if (!success) ++failures_;
    if (!outcome.start_failed && !failing) reason_ = describe_status(outcome.wait_status);

    bool restart = rs.policy == RestartPolicy::always || (rs.policy == RestartPolicy::on_failure && !success);
    bool give_up = restart && rs.max_retries > 0 && failures_ >= rs.max_retries;
    if (give_up)
        reason_ = "gave up after " + std::to_string(failures_) + " failed start" + (failures_ == 1 ? "" : "s") +
                  " (last: " + reason_ + ")";
    if (!outcome.cause.empty()) reason_ += " (" + outcome.cause + ")";
    if (restart && !give_up) {
        enter(State::backoff, now);
        actions.insert(actions.begin(), end_message(outcome, delay_));
        actions.push_back({Action::arm_timer, 0, delay_});
        grow_delay();
        return actions;
    }
    enter(success && !restart ? State::exited : State::failed, now);
    actions.insert(actions.begin(), end_message(outcome, {}));
    actions.push_back({Action::ended_for_good});
    return actions;
}

// What the log says of an end, once ended() decided the state it leads to.
Action Service::end_message(const Outcome& outcome, Duration restart_delay) const {
    int status = outcome.wait_status;
    switch (state_) {
        case State::backoff: return say(spdlog::level::warn, reason_ + "; restarting in " + format_duration(restart_delay));
        case State::exited: return say(spdlog::level::info, reason_ + "; not restarting (restart policy)");
        case State::failed:
            if (spec_.foreground) {
                // Single-command mode is as quiet as tini: the command's end is its own business,
                // but one that nobody asked for is worth a line (the exit status, or the signal).
                bool asked = WIFSIGNALED(status) && (WTERMSIG(status) == SIGINT || WTERMSIG(status) == outcome.passed_signal);
                if (asked) return say(spdlog::level::info, reason_);
                return say(spdlog::level::warn, reason_ + "; exit status " + std::to_string(exit_code_of(status)));
            }
            return say(spdlog::level::err, reason_ + "; not restarting");
        default:  // stopped: a stop asked for
            return say(spdlog::level::info, "stopped (" + describe_status(status) + ")");
    }
}

// A zero delay restarts at once, but a service that keeps ending quickly then waits from
// kRestartFloor up, like any other: never a busy crash loop, unless max_delay is 0 too.
void Service::grow_delay() {
    const RestartSpec& rs = spec_.restart;
    auto grown = std::chrono::duration<double, std::milli>(delay_.count() * rs.factor);
    Duration next = delay_ == Duration::zero() ? kRestartFloor : std::chrono::duration_cast<Duration>(grown);
    delay_ = std::min(rs.max_delay, next);
}

Actions Service::timer_fired(TimePoint now) {
    switch (state_) {
        case State::backoff:
            enter(State::starting, now);
            started_at_ = now;
            ++restarts_;
            return spawn_actions();
        case State::starting:
        case State::running:
            if (ready_) return {};
            return fail(std::string(spec_.type == ServiceType::oneshot ? "did not finish" : "not ready") + " within " +
                            format_duration(spec_.start_timeout) + " (start_timeout)",
                        now);
        case State::stopping:
            reason_ = "did not stop within " + format_duration(spec_.stop.timeout) + "; killed";
            return {{Action::signal_group, SIGKILL}};
        default:
            return {};
    }
}

}  // namespace sv
