// What the state-machine tests share: a spec, a fake clock, outcomes, and looks into actions.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>

#include "service.hpp"

namespace sv::testing {

using namespace std::chrono_literals;

inline ServiceSpec spec_with(RestartPolicy policy, int max_retries = 0) {
    ServiceSpec spec;
    spec.name = "web";
    spec.command = {"web"};
    spec.restart.policy = policy;
    spec.restart.delay = Duration{100};
    spec.restart.factor = 2.0;
    spec.restart.max_delay = Duration{1000};
    spec.restart.reset_after = Duration{10000};
    spec.restart.max_retries = max_retries;
    return spec;
}

struct Clockwork {
    TimePoint now = TimePoint{} + 1h;
    void advance(Duration d) { now += d; }
};

inline Outcome exit_code(int code) { return {W_EXITCODE(code, 0), false}; }
inline Outcome killed(int sig) { return {W_EXITCODE(0, sig), false}; }

// Lets a started service run (spawn + exec succeeded) as `pid`; returns what exec_succeeded said.
inline Actions run(Service& s, Clockwork& clock, pid_t pid) {
    s.spawned(pid, clock.now);
    return s.exec_succeeded(clock.now);
}

inline Duration armed(const Actions& actions) {
    for (auto& a : actions)
        if (a.kind == Action::arm_timer) return a.delay;
    FAIL("no timer armed");
    return {};
}

// An action of that kind (with that signal, unless 0) is in the list.
inline bool has(const Actions& actions, Action::Kind kind, int sig = 0) {
    for (auto& a : actions)
        if (a.kind == kind && (sig == 0 || a.signal == sig)) return true;
    return false;
}

// The text of the first `say` (or `note`) action; "" when there is none.
inline std::string said(const Actions& actions, Action::Kind kind = Action::say) {
    for (auto& a : actions)
        if (a.kind == kind) return a.text;
    return "";
}

}  // namespace sv::testing
