#include "service.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>

#include "units.hpp"

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

Actions Service::became_ready(TimePoint) {
    if (state_ != State::running || ready_) return {};
    ready_ = true;
    return {{Action::cancel_timer}};
}

Actions Service::fail(const std::string& reason, TimePoint now) {
    if (state_ != State::starting && state_ != State::running) return {};
    Goal goal = goal_;  // giving up on a run is no change of goal: the restart policy decides
    Actions actions = stop(now);
    goal_ = goal;
    failing_ = true;
    reason_ = reason;
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

void Service::exec_succeeded(TimePoint now) {
    if (state_ != State::starting) return;
    enter(State::running, now);
    ready_ = !waits_for_readiness();
}

Actions Service::ended(const Outcome& outcome, TimePoint now) {
    pid_ = 0;
    last_status_ = outcome.start_failed ? (127 << 8) : outcome.wait_status;
    if (outcome.start_failed) ++start_failures_;
    Actions actions;

    bool failing = failing_;
    failing_ = false;
    ready_ = false;
    if (state_ == State::stopping && !failing) {
        // What is left of its process group already had the stop signal: finish it.
        actions = {{Action::cancel_timer}, {Action::signal_group, SIGKILL}};
        enter(State::stopped, now);
        Actions next = now_down();
        actions.insert(actions.end(), next.begin(), next.end());
        return actions;
    }
    if (failing) {
        // It was stopped because it failed a check; what is left of its group had the stop signal.
        actions = {{Action::cancel_timer}, {Action::signal_group, SIGKILL}};
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
    if (!restart) {
        enter(success ? State::exited : State::failed, now);
        actions.push_back({Action::ended_for_good});
        return actions;
    }
    if (rs.max_retries > 0 && failures_ >= rs.max_retries) {
        reason_ = "gave up after " + std::to_string(failures_) + " failed start" + (failures_ == 1 ? "" : "s") +
                  " (last: " + reason_ + ")";
        enter(State::failed, now);
        actions.push_back({Action::ended_for_good});
        return actions;
    }
    enter(State::backoff, now);
    actions.push_back({Action::arm_timer, 0, delay_});
    // A zero delay restarts at once, but a service that keeps ending quickly then waits from
    // kRestartFloor up, like any other: never a busy crash loop, unless max_delay is 0 too.
    auto grown = std::chrono::duration<double, std::milli>(delay_.count() * rs.factor);
    Duration next = delay_ == Duration::zero() ? kRestartFloor : std::chrono::duration_cast<Duration>(grown);
    delay_ = std::min(rs.max_delay, next);
    return actions;
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
