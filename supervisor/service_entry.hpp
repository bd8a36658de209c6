// The supervisor's records: one service's entry in its table (ServiceEntry), and a control
// request waiting for its answer (PendingRequest). Below the supervisor (supervisor.hpp
// includes this, never the other way round); only the supervisor's own code uses them.
#pragma once

#include <optional>
#include <utility>

#include <memory>
#include <string>
#include <vector>

#include "checks.hpp"
#include "control.hpp"
#include "logs.hpp"
#include "process.hpp"
#include "service.hpp"
#include "uv_handles.hpp"

namespace sv {

class Supervisor;

// One service in the table: its state machine and the loop handles that carry out its actions.
struct ServiceEntry {
    ServiceEntry(Supervisor* o, ServiceSpec spec) : owner(o), service(std::move(spec)) {}
    Supervisor* owner;
    Service service;
    uv_timer_t* timer = nullptr;  // the one timer the state machine arms (backoff, stop timeout)
    Duration timer_delay{};       // what it was armed for (the backoff status says what the log said)
    TimePoint added = Clock::now();  // "since" of a service that never changed state (never started)
    pid_t pgid = 0;               // the process group of the current or last run (kept after it ends)
    uv_poll_t* exec_poll = nullptr;
    int exec_fd = -1;             // the exec-status pipe of the current run, until exec is confirmed
    std::optional<ExecFailure> exec_failure;
    LaunchPlan plan;
    std::shared_ptr<ServiceLog> log;  // where its output goes (renewed when its spec changes)

    // the checks the machine asks for (readiness.cpp); what they said is in Service
    std::unique_ptr<NotifySocket> notify;  // sd_notify socket of the current run
    std::shared_ptr<bool> probe;           // the check in flight; *probe = false cancels it
    uv_timer_t* check_timer = nullptr;     // when the next readiness or health check runs

    // The request that last set the service's goal ("start", "stop", "restart", "reload",
    // "shutdown"): named in the answer to the requests it superseded.
    std::string intent = "boot";

    // reload (a changed file or a removal waits in the state machine: Service::next_spec, Goal::gone)
    bool reload_running = false;           // a [reload] check is in progress
    bool reload_again = false;             // a watched file changed meanwhile: check again after it
    std::vector<uv_fs_event_t*> watchers;  // one per directory holding a watched file
    uv_timer_t* watch_timer = nullptr;     // debounces bursts of file changes
};

// A control request that answers once its services reached the state it asked for, a later
// request superseded it, or its deadline came.
struct PendingRequest {
    struct Target {
        std::string name;
        pid_t before = 0;                  // its pid when asked (a restart waits for another)
        std::optional<Goal> goal;          // what the request wants; unset for status --wait-ready
        std::optional<std::pair<bool, std::string>> result;  // once decided: ok, and the answer's line
    };
    Request::Verb verb;
    std::vector<Target> targets;
    std::shared_ptr<Reply> reply;
    bool json = false;   // status --wait-ready --json
    Duration timeout{};  // as the client asked, for the answer at the deadline
    TimePoint deadline{};
    Duration settle = kDefaultSettle;  // start, restart: how long a service without a readiness check must stay up
    TimePoint wake = TimePoint::max();  // the next end of a settle time to look again at
};

}  // namespace sv
