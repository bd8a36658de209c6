// The transition table of service.hpp, cell by cell, with a fake clock: readiness, health,
// sd_notify, dependency waiting, oneshots, start timeouts, and what each event does while
// stopping. (Restart policy and backoff over many runs: test_service.cpp.)
#include <doctest/doctest.h>
#include <signal.h>
#include <spdlog/common.h>

#include "service_fixtures.hpp"

using namespace sv;
using namespace sv::testing;

namespace {

ServiceSpec with_ready_probe() {
    ServiceSpec spec = spec_with(RestartPolicy::always);
    spec.ready.probe.tcp = "127.0.0.1:3000";
    spec.ready.interval = Duration{500};
    spec.start_timeout = Duration{30'000};
    return spec;
}

ServiceSpec with_notify() {
    ServiceSpec spec = spec_with(RestartPolicy::always);
    spec.ready.notify = true;
    spec.start_timeout = Duration{30'000};
    return spec;
}

ServiceSpec with_health(int retries = 3) {
    ServiceSpec spec = spec_with(RestartPolicy::always);
    spec.health.probe.tcp = "127.0.0.1:3000";
    spec.health.interval = Duration{2000};
    spec.health.retries = retries;
    return spec;
}

ServiceSpec oneshot() {
    ServiceSpec spec = spec_with(RestartPolicy::never);
    spec.type = ServiceType::oneshot;
    spec.start_timeout = Duration{30'000};
    return spec;
}

// Started, spawned as pid 7 and running.
Service running(ServiceSpec spec, Clockwork& clock) {
    Service s(std::move(spec));
    s.start(clock.now);
    run(s, clock, 7);
    return s;
}

// Running and then asked to stop: stopping, its signal sent.
Service stopping(ServiceSpec spec, Clockwork& clock) {
    Service s = running(std::move(spec), clock);
    s.stop(clock.now);
    REQUIRE(s.state() == State::stopping);
    return s;
}

Action run_check_after(Duration delay) { return {Action::run_check, 0, delay}; }

}  // namespace

// ---- request_start: dependencies ----

TEST_CASE("cell any × request_start, goal gone: nothing") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    s.remove(clock.now);
    CHECK(s.request_start("", clock.now).empty());
    CHECK(s.request_start("db", clock.now).empty());
    CHECK_FALSE(s.waiting());
    CHECK(s.goal() == Goal::gone);
}

TEST_CASE("cell stopped × request_start with dependencies missing: it waits, said once, goal up") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    Actions a = s.request_start("db, cache", clock.now);
    REQUIRE(a.size() == 1);
    CHECK(a[0].kind == Action::say);
    CHECK(a[0].level == spdlog::level::info);
    CHECK(a[0].text == "web: waiting for db, cache to be ready");
    CHECK(s.waiting());
    CHECK(s.goal() == Goal::up);
    CHECK(s.state() == State::stopped);
    CHECK(s.request_start("db", clock.now).empty());  // still waiting: not said again
    // Its dependencies are ready: it starts, and waits no more.
    a = s.request_start("", clock.now);
    CHECK(has(a, Action::spawn));
    CHECK(s.state() == State::starting);
    CHECK_FALSE(s.waiting());
}

TEST_CASE("cell stopped|exited|failed|backoff × request_start, dependencies ready: starting, counters reset") {
    Clockwork clock;
    for (State from : {State::stopped, State::exited, State::failed, State::backoff}) {
        CAPTURE(to_string(from));
        Service s(spec_with(from == State::exited ? RestartPolicy::never : RestartPolicy::always, from == State::failed ? 1 : 0));
        if (from != State::stopped) {
            s.start(clock.now);
            run(s, clock, 7);
            s.ended(exit_code(from == State::exited ? 0 : 1), clock.now);
        }
        REQUIRE(s.state() == from);
        Actions a = s.request_start("", clock.now);
        CHECK(a.front() == Action{Action::cancel_timer});
        CHECK(a.back() == Action{Action::spawn});
        CHECK(s.state() == State::starting);
        CHECK(s.consecutive_failures() == 0);
        CHECK(s.reason().empty());
    }
}

TEST_CASE("cell stopped × request_start with a readiness check: the start timeout is armed before the spawn") {
    Clockwork clock;
    Service s(with_ready_probe());
    Actions a = s.request_start("", clock.now);
    REQUIRE(a.size() == 3);
    CHECK(a[1] == Action{Action::arm_timer, 0, Duration{30'000}});
    CHECK(a[2] == Action{Action::spawn});
}

TEST_CASE("stop, replace and remove end the waiting; shut_down too, and a failed check does not") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    s.request_start("db", clock.now);
    s.stop(clock.now);
    CHECK_FALSE(s.waiting());
    CHECK(s.goal() == Goal::down);

    s.request_start("db", clock.now);
    s.shut_down(clock.now);
    CHECK_FALSE(s.waiting());

    s.request_start("db", clock.now);
    s.remove(clock.now);
    CHECK_FALSE(s.waiting());
}

// ---- stopped, exited, failed, backoff × stop, replace, remove, timer ----

TEST_CASE("cell stopped × stop: stopped, cancel_timer, goal down; timer_fired: nothing") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    CHECK(s.stop(clock.now).empty());  // already stopped: nothing to cancel
    CHECK(s.goal() == Goal::down);
    CHECK(s.timer_fired(clock.now).empty());
}

TEST_CASE("cell backoff|exited|failed × stop: stopped, the timer cancelled") {
    Clockwork clock;
    for (RestartPolicy policy : {RestartPolicy::always, RestartPolicy::never}) {
        for (int code : {0, 1}) {
            Service s = running(spec_with(policy), clock);
            s.ended(exit_code(code), clock.now);
            Actions a = s.stop(clock.now);
            CHECK(a == Actions{{Action::cancel_timer}});
            CHECK(s.state() == State::stopped);
            CHECK(s.reason() == "stopped");
        }
    }
}

TEST_CASE("cell stopped × remove: removable at once") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    s.remove(clock.now);
    CHECK(s.removable());
}

TEST_CASE("cell backoff × timer_fired: starting, a restart counted") {
    Clockwork clock;
    Service s = running(spec_with(RestartPolicy::always), clock);
    s.ended(exit_code(1), clock.now);
    Actions a = s.timer_fired(clock.now);
    CHECK(a == Actions{{Action::spawn}});
    CHECK(s.state() == State::starting);
    CHECK(s.restarts() == 1);
}

// ---- starting ----

TEST_CASE("cell starting × spawned: the pid is known, still starting") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    s.start(clock.now);
    s.spawned(42, clock.now);
    CHECK(s.state() == State::starting);
    CHECK(s.pid() == 42);
    CHECK(s.has_process());
    CHECK_FALSE(s.ready());
}

TEST_CASE("cell starting × exec_succeeded, no readiness check: running and ready at once") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    s.start(clock.now);
    Actions a = run(s, clock, 42);
    CHECK(said(a) == "web: started (pid 42)");
    CHECK(has(a, Action::cancel_timer));
    CHECK_FALSE(has(a, Action::run_check));
    CHECK(a.size() == 2);  // no "ready" line for a service without a check
    CHECK(s.state() == State::running);
    CHECK(s.ready());
    CHECK(s.next_check() == Check::health);
}

TEST_CASE("cell starting × exec_succeeded with a [ready] probe: the first check at once, not ready") {
    Clockwork clock;
    Service s(with_ready_probe());
    s.start(clock.now);
    Actions a = run(s, clock, 42);
    CHECK(a.back() == run_check_after(Duration{0}));
    CHECK_FALSE(s.ready());
    CHECK(s.next_check() == Check::readiness);
}

TEST_CASE("cell starting × exec_succeeded, notify or oneshot: it waits for READY=1 or its end") {
    Clockwork clock;
    for (ServiceSpec spec : {with_notify(), oneshot()}) {
        Service s(spec);
        s.start(clock.now);
        Actions a = run(s, clock, 42);
        CHECK(a.size() == 1);  // "started" alone
        CHECK_FALSE(s.ready());
    }
}

TEST_CASE("cell starting × notified READY=1 (before the exec was confirmed): ready once it runs") {
    Clockwork clock;
    Service s(with_notify());
    s.start(clock.now);
    s.spawned(42, clock.now);
    CHECK(s.notified("READY", "1", clock.now).empty());
    CHECK_FALSE(s.ready());
    Actions a = s.exec_succeeded(clock.now);
    CHECK(s.ready());
    CHECK(has(a, Action::cancel_timer));  // the start timeout
    CHECK(said(Actions(a.begin() + 1, a.end())) == "web: ready");
}

TEST_CASE("cell starting × timer_fired (start_timeout): the run fails, stopping, goal still up") {
    Clockwork clock;
    Service s(with_ready_probe());
    s.start(clock.now);
    s.spawned(42, clock.now);
    Actions a = s.timer_fired(clock.now);
    CHECK(has(a, Action::signal_group, SIGTERM));
    CHECK(s.state() == State::stopping);
    CHECK(s.goal() == Goal::up);
    s.ended(killed(SIGTERM), clock.now);
    CHECK(s.state() == State::backoff);
    CHECK(s.reason() == "not ready within 30s (start_timeout)");
}

TEST_CASE("cell starting × stop: stopping: stop signal, SIGCONT, the stop timeout") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    s.start(clock.now);
    s.spawned(42, clock.now);
    Actions a = s.stop(clock.now);
    CHECK(a == Actions{{Action::signal_group, SIGTERM}, {Action::signal_group, SIGCONT}, {Action::arm_timer, 0, Duration{5000}}});
    CHECK(s.state() == State::stopping);
}

TEST_CASE("cell starting × fail: stopping, the goal kept; the end counts as a failure") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::on_failure));
    s.start(clock.now);
    s.spawned(42, clock.now);
    s.fail("gave up", clock.now);
    CHECK(s.state() == State::stopping);
    CHECK(s.goal() == Goal::up);
    Actions a = s.ended(exit_code(0), clock.now);  // even a clean exit: the run failed
    CHECK(has(a, Action::signal_group, SIGKILL));
    CHECK(s.state() == State::backoff);
    CHECK(s.consecutive_failures() == 1);
    CHECK(s.reason() == "gave up");
}

TEST_CASE("cell starting × ended, the start failed: backoff, no signal to a group that never was") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    s.start(clock.now);
    s.set_reason("cannot fork: Resource temporarily unavailable");
    Actions a = s.ended({0, true}, clock.now);
    CHECK_FALSE(has(a, Action::signal_group));
    CHECK(has(a, Action::end_checks));
    CHECK(s.state() == State::backoff);
    CHECK(s.last_status() == (127 << 8));
}

TEST_CASE("cell starting|running × fail while not starting or running: nothing") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    CHECK(s.fail("x", clock.now).empty());
    Service t = stopping(spec_with(RestartPolicy::always), clock);
    CHECK(t.fail("x", clock.now).empty());
    CHECK(t.goal() == Goal::down);
}

// ---- running: readiness ----

TEST_CASE("cell running × readiness check passed: ready, the start timeout cancelled, health checks begin") {
    Clockwork clock;
    ServiceSpec spec = with_ready_probe();
    spec.health = with_health().health;
    Service s = running(spec, clock);
    Actions a = s.check_result(Check::readiness, true, "connected", clock.now);
    CHECK(a.size() == 3);
    CHECK(a[0] == Action{Action::cancel_timer});
    CHECK(said(a) == "web: ready");
    CHECK(a[2] == run_check_after(Duration{2000}));
    CHECK(s.ready());
    CHECK(s.next_check() == Check::health);
    CHECK(s.check_result(Check::readiness, true, "connected", clock.now).empty());  // ready already
}

TEST_CASE("cell running × readiness check failed: said at info once a run, then at debug, kept when new") {
    Clockwork clock;
    Service s = running(with_ready_probe(), clock);
    Actions a = s.check_result(Check::readiness, false, "connection refused", clock.now);
    REQUIRE(a.size() == 2);
    CHECK(a[0].level == spdlog::level::info);
    CHECK(a[0].text == "web: not ready: connection refused (checking every 500ms)");
    CHECK(a[1] == run_check_after(Duration{500}));
    CHECK(s.check_message() == "connection refused");

    a = s.check_result(Check::readiness, false, "connection refused", clock.now);  // the same again
    REQUIRE(a.size() == 2);
    CHECK(a[0].level == spdlog::level::debug);
    CHECK(a[0].text == "web: not ready yet: connection refused");
    CHECK_FALSE(has(a, Action::note));

    a = s.check_result(Check::readiness, false, "timed out", clock.now);  // new words: kept for `logs`
    CHECK(said(a, Action::note) == "web: not ready: timed out");
    CHECK_FALSE(s.ready());

    // A new run says it at info again.
    s.stop(clock.now);
    s.ended(killed(SIGTERM), clock.now);
    s.start(clock.now);
    run(s, clock, 8);
    CHECK(s.check_message().empty());
    CHECK(s.check_result(Check::readiness, false, "timed out", clock.now)[0].level == spdlog::level::info);
}

TEST_CASE("cell running × timer_fired (start_timeout): nothing once ready; fails when not") {
    Clockwork clock;
    Service ready = running(with_ready_probe(), clock);
    ready.check_result(Check::readiness, true, "ok", clock.now);
    CHECK(ready.timer_fired(clock.now).empty());
    CHECK(ready.state() == State::running);

    Service late = running(with_ready_probe(), clock);
    CHECK(has(late.timer_fired(clock.now), Action::signal_group, SIGTERM));
    CHECK(late.state() == State::stopping);
    CHECK(late.goal() == Goal::up);
}

TEST_CASE("oneshot: the start timeout says it did not finish; its success makes it ready (exited)") {
    Clockwork clock;
    Service slow = running(oneshot(), clock);
    slow.timer_fired(clock.now);
    slow.ended(killed(SIGTERM), clock.now);
    CHECK(slow.state() == State::failed);
    CHECK(slow.reason() == "did not finish within 30s (start_timeout)");

    Service job = running(oneshot(), clock);
    CHECK_FALSE(job.ready());
    Actions a = job.ended(exit_code(0), clock.now);
    CHECK(job.state() == State::exited);
    CHECK(job.ready());  // its dependents may start
    CHECK(has(a, Action::ended_for_good));
    CHECK(job.next_check() == Check::none);
}

TEST_CASE("cell running × a check result after the run ended: the words kept, nothing done") {
    Clockwork clock;
    Service s = running(with_ready_probe(), clock);
    s.stop(clock.now);
    CHECK(s.check_result(Check::readiness, true, "late", clock.now).empty());
    CHECK(s.check_message() == "late");
    CHECK(s.next_check() == Check::none);
}

// ---- running: sd_notify ----

TEST_CASE("cell running × notified: READY=1 makes it ready, RELOADING=1 not, STOPPING=1 is said, STATUS kept clean") {
    Clockwork clock;
    Service s = running(with_notify(), clock);
    Actions a = s.notified("READY", "1", clock.now);
    CHECK(has(a, Action::cancel_timer));
    CHECK(said(a) == "web: ready");
    CHECK(s.ready());
    CHECK(s.notified("READY", "1", clock.now).empty());  // ready already

    a = s.notified("RELOADING", "1", clock.now);
    CHECK(said(a) == "web: reloading (sd_notify)");
    CHECK_FALSE(s.ready());
    CHECK(s.notified("READY", "1", clock.now).size() == 2);  // ready again
    CHECK(said(s.notified("STOPPING", "1", clock.now)) == "web: stopping (sd_notify)");

    CHECK(s.notified("STATUS", "serving\x1b[31m 3\x7f clients", clock.now).empty());
    CHECK(s.notify_status() == "serving[31m 3 clients");
    CHECK(s.notified("MAINPID", "9", clock.now).empty());
}

// ---- running: health ----

TEST_CASE("cell running × health checks: failures counted against retries, then the run fails") {
    Clockwork clock;
    Service s = running(with_health(3), clock);
    CHECK_FALSE(s.health_checked());
    Actions a = s.check_result(Check::health, true, "ok", clock.now);
    CHECK(a == Actions{run_check_after(Duration{2000})});
    CHECK(s.health_checked());

    for (int i = 1; i <= 2; ++i) {
        a = s.check_result(Check::health, false, "refused", clock.now);
        CHECK(a[0].level == spdlog::level::warn);
        CHECK(a[0].text == "web: health check failed (" + std::to_string(i) + "/3): refused");
        CHECK(a.back() == run_check_after(Duration{2000}));
        CHECK(s.health_failures() == i);
    }
    // Healthy again resets the count.
    a = s.check_result(Check::health, true, "ok", clock.now);
    CHECK(said(a) == "web: healthy again");
    CHECK(s.health_failures() == 0);

    for (int i = 1; i <= 3; ++i) a = s.check_result(Check::health, false, "refused", clock.now);
    CHECK_FALSE(has(a, Action::run_check));
    CHECK(has(a, Action::signal_group, SIGTERM));
    CHECK(s.state() == State::stopping);
    CHECK(s.goal() == Goal::up);
    s.ended(killed(SIGTERM), clock.now);
    CHECK(s.state() == State::backoff);  // the restart policy: always
    CHECK(s.reason() == "health check failed 3 times in a row (tcp 127.0.0.1:3000: refused)");
    CHECK(s.health_failures() == 3);  // shown until the next run
}

TEST_CASE("health retries 1: the first failure fails the run") {
    Clockwork clock;
    Service s = running(with_health(1), clock);
    s.check_result(Check::health, false, "refused", clock.now);
    CHECK(s.state() == State::stopping);
}

// ---- running: ended ----

TEST_CASE("cell running × ended: exited, failed, backoff; each ends the checks and clears the group") {
    Clockwork clock;
    struct Case {
        RestartPolicy policy;
        int code;
        State then;
        int level;
        const char* said;
    };
    for (Case c : {Case{RestartPolicy::never, 0, State::exited, spdlog::level::info, "web: exited with status 0; not restarting (restart policy)"},
                   Case{RestartPolicy::never, 1, State::failed, spdlog::level::err, "web: exited with status 1; not restarting"},
                   Case{RestartPolicy::on_failure, 0, State::exited, spdlog::level::info, "web: exited with status 0; not restarting (restart policy)"},
                   Case{RestartPolicy::always, 0, State::backoff, spdlog::level::warn, "web: exited with status 0; restarting in 100ms"}}) {
        Service s = running(spec_with(c.policy), clock);
        Actions a = s.ended(exit_code(c.code), clock.now);
        CHECK(a[0].kind == Action::say);  // said first: before a restart or a critical shutdown says more
        CHECK(a[0].level == c.level);
        CHECK(a[0].text == c.said);
        CHECK(a[1] == Action{Action::end_checks});
        CHECK(a[2] == Action{Action::signal_group, SIGTERM});
        CHECK(a[3] == Action{Action::signal_group, SIGCONT});
        CHECK(s.state() == c.then);
        CHECK(has(a, Action::ended_for_good) == (c.then != State::backoff));
        CHECK(has(a, Action::arm_timer) == (c.then == State::backoff));
        CHECK_FALSE(s.has_process());
        CHECK_FALSE(s.ready());
    }
}

// ---- stopping ----

TEST_CASE("cell stopping × timer_fired (stop timeout): SIGKILL, and the reason says so") {
    Clockwork clock;
    Service s = stopping(spec_with(RestartPolicy::always), clock);
    CHECK(s.timer_fired(clock.now) == Actions{{Action::signal_group, SIGKILL}});
    CHECK(s.reason() == "did not stop within 5s; killed");
    CHECK(s.state() == State::stopping);
}

TEST_CASE("cell stopping × ended after a stop: stopped, its group killed, nothing starts") {
    Clockwork clock;
    Service s = stopping(spec_with(RestartPolicy::always), clock);
    Actions a = s.ended(killed(SIGTERM), clock.now);
    CHECK(said(a) == "web: stopped (killed by SIGTERM)");
    CHECK(Actions(a.begin() + 1, a.end()) == Actions{{Action::end_checks}, {Action::cancel_timer}, {Action::signal_group, SIGKILL}});
    CHECK(s.state() == State::stopped);
    CHECK(s.consecutive_failures() == 0);  // a stop asked for is no failure
}

TEST_CASE("cell stopping × request_start: goal up, started again once down") {
    Clockwork clock;
    Service s = stopping(spec_with(RestartPolicy::always), clock);
    CHECK(s.request_start("", clock.now).empty());
    CHECK(s.goal() == Goal::up);
    CHECK(s.ended(killed(SIGTERM), clock.now).back() == Action{Action::start_again});
}

TEST_CASE("cell stopping × stop: nothing more, goal down") {
    Clockwork clock;
    Service s = stopping(spec_with(RestartPolicy::always), clock);
    s.start(clock.now);
    CHECK(s.stop(clock.now).empty());
    CHECK(s.goal() == Goal::down);
    CHECK_FALSE(has(s.ended(killed(SIGTERM), clock.now), Action::start_again));
}

TEST_CASE("cell stopping × replace: the spec waits for the old run to end") {
    Clockwork clock;
    Service s = stopping(spec_with(RestartPolicy::always), clock);
    ServiceSpec next = spec_with(RestartPolicy::always);
    next.command = {"web", "--v2"};
    CHECK(s.replace(next, clock.now).empty());
    REQUIRE(s.next_spec());
    CHECK(s.spec().command == std::vector<std::string>{"web"});
    Actions a = s.ended(killed(SIGTERM), clock.now);
    CHECK(has(a, Action::new_spec));
    CHECK(a.back() == Action{Action::start_again});
    CHECK(s.spec().command == next.command);
}

TEST_CASE("cell stopping × remove: goal gone, removable once down") {
    Clockwork clock;
    Service s = stopping(spec_with(RestartPolicy::always), clock);
    s.remove(clock.now);
    CHECK_FALSE(s.removable());
    s.ended(killed(SIGTERM), clock.now);
    CHECK(s.removable());
}

TEST_CASE("cell stopping × shut_down: not started again once down") {
    Clockwork clock;
    Service s = stopping(spec_with(RestartPolicy::always), clock);
    s.start(clock.now);  // a start asked during the stop...
    CHECK(s.goal() == Goal::up);
    CHECK(s.shut_down(clock.now).empty());  // ...and then shutdown
    CHECK(s.goal() == Goal::down);
    CHECK_FALSE(has(s.ended(killed(SIGTERM), clock.now), Action::start_again));

    Service r = running(spec_with(RestartPolicy::always), clock);
    CHECK(r.shut_down(clock.now).empty());  // one still running is stopped in dependency order
    CHECK(r.state() == State::running);
}

TEST_CASE("cell stopping × ended after a fail while a stop came too: the stop wins") {
    Clockwork clock;
    Service s = running(spec_with(RestartPolicy::always), clock);
    s.fail("health", clock.now);
    s.stop(clock.now);  // the user's stop replaces the failure being handled
    s.ended(killed(SIGTERM), clock.now);
    CHECK(s.state() == State::stopped);
    CHECK(s.reason() == "stopped");
}

TEST_CASE("ended: what the system adds (the OOM killer) goes into the reason, after a give-up too") {
    Clockwork clock;
    Service s = running(spec_with(RestartPolicy::always, 1), clock);
    Outcome oom = killed(SIGKILL);
    oom.cause = "out of memory: the memory cgroup's OOM kill count rose to 1";
    Actions a = s.ended(oom, clock.now);
    CHECK(s.state() == State::failed);
    CHECK(s.reason() == "gave up after 1 failed start (last: killed by SIGKILL) (out of memory: the memory cgroup's OOM kill count rose to 1)");
    CHECK(said(a) == "web: " + s.reason() + "; not restarting");
}

TEST_CASE("ended: the command of single-command mode is quiet on an end it was asked for") {
    Clockwork clock;
    ServiceSpec spec = spec_with(RestartPolicy::never);
    spec.name = "main";
    spec.foreground = true;
    struct Case {
        Outcome outcome;
        int level;
        const char* said;
    };
    Outcome passed_on = killed(SIGTERM);
    passed_on.passed_signal = SIGTERM;
    for (Case c : {Case{exit_code(5), spdlog::level::warn, "main: exited with status 5; exit status 5"},
                   Case{killed(SIGKILL), spdlog::level::warn, "main: killed by SIGKILL; exit status 137"},
                   Case{killed(SIGINT), spdlog::level::info, "main: killed by SIGINT"},
                   Case{passed_on, spdlog::level::info, "main: killed by SIGTERM"}}) {
        Service s = running(spec, clock);
        Actions a = s.ended(c.outcome, clock.now);
        CHECK(a[0].level == c.level);
        CHECK(a[0].text == c.said);
    }
}
