// The life of one service as a state machine that makes no system calls: the supervisor
// feeds it events (start asked with what its dependencies lack, process spawned, exec
// succeeded, process ended, timer fired, a check's result, an sd_notify message, stop asked)
// with the current time, and carries out the actions it returns (spawn, signal the process
// group, arm or cancel the service's one timer, schedule or end its checks, say a message).
// Everything that decides a service's state lives here: restart policy and backoff, start
// timeouts, readiness, health verdicts, waiting for dependencies, oneshots. What holds between
// services (`after`: who may start, who may stop) is in dependencies.hpp. Tests drive both
// with a fake clock (tests/unit/test_service*.cpp).
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
        run_check,       // run its next check (next_check() says which) after `delay`
        end_checks,      // cancel the check in flight and the next one, close its notify socket
        say,             // the supervisor's log: `text` at `level` (spdlog's levels)
        note,            // `text` at `level` kept with the service's lines only (`logs`), not logged
    };
    Kind kind;
    int signal = 0;
    Duration delay{0};
    std::string text{};
    int level = 0;
    bool operator==(const Action&) const = default;
};

using Actions = std::vector<Action>;

// How a run ended: a wait status, or a failure to start at all (nothing was executed).
struct Outcome {
    int wait_status = 0;
    bool start_failed = false;  // the spawn or exec failed; wait_status is then meaningless
    std::string cause{};        // what else the supervisor learned of an end nobody asked for,
                                // added to the reason: "out of memory: ..."
    int passed_signal = 0;      // single-command mode: the signal PID 1 last passed on to the
                                // command (an end by it, or by SIGINT, was asked for: said quietly)
};

// Which check a running service is due: none, readiness ([ready]) until it passed, then
// health ([health]).
enum class Check { none, readiness, health };

// The transitions, one line a cell (state × event -> new state: actions). `ready` is a flag of
// a running service, `waiting` one of a service held back by its dependencies, `goal` the newest
// request's (Goal). A cell not written changes nothing and returns no action. Every cell is
// tested in tests/unit/test_service_table.cpp.
//
//  any        request_start, goal gone           -> (same): -
//  any        shut_down                           -> (same): no longer waiting; if stopping, goal down (as stop)
//  stopped,   request_start, `after` not ready    -> (same): say "waiting for D to be ready" once; waiting, goal up
//  exited,    request_start, dependencies ready   -> starting: cancel_timer, [arm_timer start_timeout], spawn;
//  failed,                                           failures and delay reset
//  backoff    stop                                -> stopped: cancel_timer; goal down
//             replace(spec)                       -> stopped: cancel_timer, new_spec, [start_again if enabled]
//             remove                              -> stopped: cancel_timer; goal gone (removable)
//  backoff    timer_fired                         -> starting: [arm_timer start_timeout], spawn; restarts+1
//  starting   spawned(pid)                        -> starting: - (pid known)
//             exec_succeeded                      -> running: say "started"; then, by its readiness:
//                                                    none: became ready (below); [ready] probe: run_check 0;
//                                                    notify or oneshot: - (READY=1 / its end)
//             notified READY=1                    -> starting: - ; ready as soon as exec succeeded
//             timer_fired (start_timeout)         -> stopping: fail "not ready|did not finish within T"
//             stop, replace, remove               -> stopping: signal_group stop signal, SIGCONT, arm_timer stop timeout
//             fail(reason)                        -> stopping: as stop, goal kept; the end counts as failed
//             ended                               -> as from running (a failed start: no group to signal)
//  running    became ready (check passed,         -> running: cancel_timer; say "ready" (if it has a check);
//             READY=1), not ready yet                [health] probe: run_check health.interval
//             check_result readiness failed       -> running: say "not ready: M" once a run, then debug (+note if
//                                                    new); run_check ready.interval
//             check_result health ok              -> running: [say "healthy again"]; run_check health.interval
//             check_result health failed          -> running: say warn "health check failed (n/r)"; run_check
//                                                    health.interval; at n = retries: fail (-> stopping)
//             notified RELOADING=1                -> running: not ready; say "reloading"
//             timer_fired (start_timeout)         -> stopping: fail, unless ready
//             stop, replace, remove, fail         -> stopping: as from starting
//             ended, success, no restart          -> exited: say "R; not restarting (restart policy)", end_checks,
//                                                    signal_group SIGTERM+SIGCONT, ended_for_good
//             ended, failure, no restart          -> failed: the same, said at error "R; not restarting" (the
//                                                    command of single-command mode: warn "R; exit status N",
//                                                    or info when it ended by a signal passed on or SIGINT)
//             ended, restart due                  -> backoff: say warn "R; restarting in D", end_checks,
//                                                    signal_group SIGTERM+SIGCONT, arm_timer delay
//                                                    (delay grows by factor up to max_delay; reset after reset_after)
//             ended, restart due, max_retries hit -> failed: "gave up after N failed starts"; ended_for_good
//  stopping   timer_fired (stop timeout)          -> stopping: signal_group SIGKILL; reason "did not stop within T"
//             ended (after stop)                  -> stopped: say "stopped (S)", end_checks, cancel_timer, SIGKILL
//                                                    to the group; then a
//                                                    waiting spec takes effect (new_spec), and goal up: start_again
//             ended (after fail)                  -> as ended from running, counted as a failure, but with
//                                                    cancel_timer, SIGKILL to the group (it had the stop signal)
//             request_start                       -> stopping: goal up (start_again once down)
//             stop                                -> stopping: goal down
//             replace(spec)                       -> stopping: spec waits (next_spec), goal by `enabled`
//             remove                              -> stopping: goal gone; removable once down
//  exited,    stop                                -> stopped: cancel_timer (the answer "stopped" is the state)
//  failed     timer_fired                         -> (same): -
//
// A start request with a dependency that nothing will make ready (stopped on request, failed,
// removed: blocked_dependencies() in dependencies.hpp) is refused by the supervisor before it
// reaches the machine; one whose dependencies are on their way waits (`waiting`) until
// may_start_now() says they are, then request_start again.
class Service {
   public:
    explicit Service(ServiceSpec spec) : spec_(std::move(spec)) {}

    // Asked to run (boot, `start`, restart policy once down, a reload). `missing_dependencies`:
    // its `after` services that are not ready yet (", "-separated; empty: none). With some
    // missing it waits (waiting(), goal up, nothing runs); otherwise as start().
    Actions request_start(const std::string& missing_dependencies, TimePoint now);
    // The user (or boot) wants it running, whatever its dependencies. Resets the failure count
    // and delay. While it stops, it starts again once down (start_again). Nothing, once removed.
    Actions start(TimePoint now);
    // Asked to start but held back until its dependencies are ready: the goal is up, nothing runs.
    void want_up() {
        if (goal_ != Goal::gone) goal_ = Goal::up;
    }
    // The user (or shutdown) wants it down: stop signal, then SIGKILL at the stop timeout. A
    // service that ended for good (exited, failed) becomes stopped. No longer waiting.
    Actions stop(TimePoint now);
    // Shutdown began: nothing waits any more, and one already stopping is not started again.
    Actions shut_down(TimePoint now);
    // A reload brought a changed file: stop the old run, then run `spec` (if it is enabled).
    Actions replace(ServiceSpec spec, TimePoint now);
    // A reload found its file gone: stop it; removable() once down. Only replace() undoes it.
    Actions remove(TimePoint now);
    // The spawn happened: the child exists with this pid (exec not yet confirmed).
    void spawned(pid_t pid, TimePoint now);
    // The child's exec succeeded: it runs; its readiness check (if any) begins.
    Actions exec_succeeded(TimePoint now);
    // The process ended (or could not be started); decides between restart, exited and failed.
    Actions ended(const Outcome& outcome, TimePoint now);
    // The service's timer fired.
    Actions timer_fired(TimePoint now);
    // A check of kind `check` (as next_check() said when it began) ended: passed or not, with
    // what it said.
    Actions check_result(Check check, bool passed, const std::string& message, TimePoint now);
    // An sd_notify message from the service (READY=1, RELOADING=1, STOPPING=1, STATUS=...).
    Actions notified(const std::string& key, const std::string& value, TimePoint now);
    // Its readiness check passed (or it sent READY=1): dependents may start.
    Actions became_ready(TimePoint now);
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
    // Asked to start, it waits for its `after` services to be ready.
    bool waiting() const { return waiting_; }
    // The check due now: none unless it runs.
    Check next_check() const;
    // Running or on its way back up: the supervisor wants it alive.
    bool active() const { return state_ == State::starting || state_ == State::running || state_ == State::backoff; }
    // Not running and not going to run by itself.
    bool down() const { return state_ == State::stopped || state_ == State::exited || state_ == State::failed; }

    int restarts() const { return restarts_; }
    uint64_t start_failures() const { return start_failures_; }  // runs that could not start at all
    int consecutive_failures() const { return failures_; }
    std::optional<int> last_status() const { return last_status_; }
    // Why it is not running, for status and logs: "exited with status 1", "gave up after 3 failed starts".
    const std::string& reason() const { return reason_; }
    void set_reason(std::string reason) { reason_ = std::move(reason); }
    TimePoint since() const { return since_; }  // when the current state began
    // What its checks said, for status (kept after the run until the next one runs).
    int health_failures() const { return health_failures_; }  // consecutive
    bool health_checked() const { return health_checked_; }   // a health check ended this run
    const std::string& check_message() const { return check_message_; }  // the last check's words
    const std::string& notify_status() const { return notify_status_; }  // STATUS= from sd_notify

   private:
    void enter(State state, TimePoint now);
    Actions spawn_actions();
    Actions now_down();
    Action end_message(const Outcome& outcome, Duration restart_delay) const;
    Actions readiness_failed(const std::string& message, bool news);
    Actions health_result(bool passed, const std::string& message, TimePoint now);
    void grow_delay();
    bool is_success(const Outcome& outcome) const;
    Action say(int level, std::string text) const;

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
    bool waiting_ = false;  // asked to start; waits for its `after` services to be ready
    std::optional<int> last_status_;
    std::string reason_;

    // the checks of the current run (readiness, health) and what sd_notify said
    int health_failures_ = 0;
    bool health_checked_ = false;
    std::string check_message_;
    bool not_ready_told_ = false;  // the first failed readiness check of a run is said at info
    std::string notify_status_;
};

}  // namespace sv
