// The life of one service as a state machine that makes no system calls: the supervisor
// feeds it events (start asked, process spawned, exec succeeded, process ended, timer fired,
// stop asked) with the current time, and carries out the actions it returns (spawn, signal
// the process group, arm or cancel the service's one timer). Tests drive it with a fake clock.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "model.hpp"

namespace sv {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

enum class State {
    stopped,   // not running and not wanted: never started, disabled, or stopped on request
    starting,  // forked; waiting to learn that exec succeeded
    running,   // exec succeeded and the process is alive (ready() tells if it passed its check)
    backoff,   // ended and will be started again when the restart timer fires
    stopping,  // stop signal sent to the process group; SIGKILL when the stop timeout fires
    exited,    // ended and, by its restart policy, stays down (a finished job)
    failed,    // gave up: ended in failure with no restart due, or max_retries failed starts
};

const char* to_string(State state);

// What the newest request wants of the service. The rule for overlapping requests (also in the
// README, "Overlapping requests"):
//  - The newest request decides the goal. `start`, `restart`, and a reload that brings a changed
//    file with `enabled = true`, want it up; `stop`, and a changed file with `enabled = false`,
//    want it down; a reload without its file wants it gone.
//  - What is in flight finishes: a stop signal already sent runs its course (the stop timeout,
//    then SIGKILL); the goal is acted on once the old run is down. A start asked while it stops
//    starts it again then; a stop asked while a reload stops it keeps it stopped.
//  - The file on disk is what runs: a reload's new spec waits (next_spec()) while the old run
//    stops, and becomes the spec before anything starts again (a start, a restart, the restart
//    policy). A removed service starts again only if its file comes back (replace()).
//  - Every request is answered (requests.cpp): its goal reached; "superseded by a later ..."
//    when a newer request changed the goal before it was reached; or failed, with the reason.
enum class Goal {
    down,  // stopped, and stays so (at first, and after `stop`)
    up,    // running, or on its way (restart policy, waiting for its dependencies)
    gone,  // removed from the directory: stops, then leaves the table (removable())
};

struct Action {
    enum Kind {
        spawn,           // fork/exec the service now
        signal_group,    // send `signal` to the service's process group
        arm_timer,       // (re)arm the service's timer to fire after `delay`
        cancel_timer,    // disarm the timer
        ended_for_good,  // entered exited/failed: the service will not run again by itself
        new_spec,        // a reload's spec took effect: renew what depends on it (log, watched files)
        start_again,     // down while the goal is up: start it once its dependencies are ready
    };
    Kind kind;
    int signal = 0;
    Duration delay{0};
    bool operator==(const Action&) const = default;
};

using Actions = std::vector<Action>;

// How a run ended: a wait status, or a failure to start at all (nothing was executed).
struct Outcome {
    int wait_status = 0;
    bool start_failed = false;  // the spawn or exec failed; wait_status is then meaningless
};

class Service {
   public:
    explicit Service(ServiceSpec spec) : spec_(std::move(spec)) {}

    // The user (or boot) wants it running. Resets the failure count and delay. While it stops,
    // it starts again once down (start_again). Nothing, once removed (goal gone).
    Actions start(TimePoint now);
    // Asked to start but held back until its dependencies are ready: the goal is up, nothing runs.
    void want_up() {
        if (goal_ != Goal::gone) goal_ = Goal::up;
    }
    // The user (or shutdown) wants it down: stop signal, then SIGKILL at the stop timeout. A
    // service that ended for good (exited, failed) becomes stopped.
    Actions stop(TimePoint now);
    // A reload brought a changed file: stop the old run, then run `spec` (if it is enabled).
    Actions replace(ServiceSpec spec, TimePoint now);
    // A reload found its file gone: stop it; removable() once down. Only replace() undoes it.
    Actions remove(TimePoint now);
    // The spawn happened: the child exists with this pid (exec not yet confirmed).
    void spawned(pid_t pid, TimePoint now);
    // The child's exec succeeded.
    void exec_succeeded(TimePoint now);
    // The process ended (or could not be started); decides between restart, exited and failed.
    Actions ended(const Outcome& outcome, TimePoint now);
    // The service's timer fired.
    Actions timer_fired(TimePoint now);
    // Its readiness check passed (or it sent READY=1): dependents may start.
    Actions became_ready(TimePoint now);
    // It said it is reloading (RELOADING=1): not ready until it says READY=1 again.
    void became_unready() { ready_ = false; }
    // Give up on this run (start timeout, health check): stop it, then count it as a failure
    // with `reason` and follow the restart policy.
    Actions fail(const std::string& reason, TimePoint now);

    const ServiceSpec& spec() const { return spec_; }
    // The spec a reload accepted, waiting for the old run to end; null when none waits.
    const ServiceSpec* next_spec() const { return next_ ? &*next_ : nullptr; }
    Goal goal() const { return goal_; }
    // Removed by a reload and down: the supervisor drops it from its table.
    bool removable() const { return goal_ == Goal::gone && down() && !has_process(); }
    State state() const { return state_; }
    pid_t pid() const { return pid_; }
    bool has_process() const { return pid_ > 0; }
    // Dependents may start: a longrun that runs and passed its readiness check, or a
    // oneshot that finished successfully.
    bool ready() const;
    // It has a readiness check to wait for (or, as a oneshot, its end).
    bool waits_for_readiness() const;
    // Running or on its way back up: the supervisor wants it alive.
    bool active() const { return state_ == State::starting || state_ == State::running || state_ == State::backoff; }
    // Not running and not going to run by itself.
    bool down() const { return state_ == State::stopped || state_ == State::exited || state_ == State::failed; }

    int restarts() const { return restarts_; }
    uint64_t start_failures() const { return start_failures_; }  // runs that could not start at all
    int consecutive_failures() const { return failures_; }
    Duration next_delay() const { return delay_; }
    std::optional<int> last_status() const { return last_status_; }
    // Why it is not running, for status and logs: "exited with status 1", "gave up after 3 failed starts".
    const std::string& reason() const { return reason_; }
    void set_reason(std::string reason) { reason_ = std::move(reason); }
    TimePoint since() const { return since_; }  // when the current state began

   private:
    void enter(State state, TimePoint now);
    Actions spawn_actions();
    Actions now_down();
    bool is_success(const Outcome& outcome) const;

    ServiceSpec spec_;
    State state_ = State::stopped;
    pid_t pid_ = 0;
    TimePoint started_at_{};
    TimePoint since_{};
    Duration delay_{spec_.restart.delay};
    int failures_ = 0;
    int restarts_ = 0;
    uint64_t start_failures_ = 0;
    Goal goal_ = Goal::down;
    std::optional<ServiceSpec> next_;  // a reload's spec, applied once the old run is down
    bool ready_ = false;
    bool failing_ = false;  // stopping because fail() gave up on the run
    std::optional<int> last_status_;
    std::string reason_;
};

}  // namespace sv
