// The restart/backoff state machine, driven with a fake clock: no processes, no timers.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>

#include "service_fixtures.hpp"

using namespace sv;
using namespace sv::testing;
using namespace std::chrono_literals;


TEST_CASE("start spawns; exec success makes it running") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    CHECK(s.state() == State::stopped);
    Actions a = s.start(clock.now);
    CHECK(has(a, Action::spawn));
    CHECK(s.state() == State::starting);
    run(s, clock, 42);
    CHECK(s.state() == State::running);
    CHECK(s.pid() == 42);
    CHECK(s.start(clock.now).empty());  // already running: nothing to do
}

TEST_CASE("crash loop: the delay doubles up to max_delay, and a long run resets it") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    s.start(clock.now);
    std::vector<long> delays;
    for (int i = 0; i < 6; ++i) {
        run(s, clock, 100 + i);
        clock.advance(Duration{10});
        Actions a = s.ended(exit_code(1), clock.now);
        CHECK(s.state() == State::backoff);
        delays.push_back(armed(a).count());
        clock.advance(armed(a));
        CHECK(has(s.timer_fired(clock.now), Action::spawn));
        CHECK(s.state() == State::starting);
    }
    CHECK(delays == std::vector<long>{100, 200, 400, 800, 1000, 1000});
    CHECK(s.restarts() == 6);

    run(s, clock, 200);
    clock.advance(Duration{10000});  // reset_after
    Actions a = s.ended(exit_code(1), clock.now);
    CHECK(armed(a) == Duration{100});
    CHECK(s.consecutive_failures() == 1);
}

TEST_CASE("delay 0: the first restart at once, then a floor of 10 ms that grows; max_delay 0 opts out") {
    for (long max_delay : {1000L, 0L}) {
        Clockwork clock;
        ServiceSpec spec = spec_with(RestartPolicy::always);
        spec.restart.delay = Duration{0};
        spec.restart.max_delay = Duration{max_delay};
        Service s(spec);
        s.start(clock.now);
        std::vector<long> delays;
        for (int i = 0; i < 5; ++i) {
            run(s, clock, 100 + i);
            Actions a = s.ended(exit_code(1), clock.now);
            delays.push_back(armed(a).count());
            clock.advance(armed(a));
            s.timer_fired(clock.now);
        }
        CHECK(delays == (max_delay ? std::vector<long>{0, 10, 20, 40, 80} : std::vector<long>{0, 0, 0, 0, 0}));
        run(s, clock, 200);
        clock.advance(Duration{10000});  // a run of reset_after: at once again
        CHECK(armed(s.ended(exit_code(1), clock.now)) == Duration{0});
    }
}

TEST_CASE("max_retries: gives up after that many consecutive failed starts") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always, 3));
    s.start(clock.now);
    for (int i = 1; i <= 3; ++i) {
        run(s, clock, i);
        Actions a = s.ended(exit_code(3), clock.now);
        if (i < 3) {
            CHECK(s.state() == State::backoff);
            clock.advance(armed(a));
            s.timer_fired(clock.now);
        } else {
            CHECK(s.state() == State::failed);
            CHECK(has(a, Action::ended_for_good));
            CHECK(s.reason() == "gave up after 3 failed starts (last: exited with status 3)");
        }
    }
    CHECK(s.timer_fired(clock.now).empty());
    // Start by hand: counters are fresh.
    CHECK(has(s.start(clock.now), Action::spawn));
    CHECK(s.consecutive_failures() == 0);
}

TEST_CASE("start failures count like failed runs") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always, 2));
    s.start(clock.now);
    s.set_reason("cannot find 'x' in PATH");
    s.ended({0, true}, clock.now);
    CHECK(s.state() == State::backoff);
    s.timer_fired(clock.now);
    s.set_reason("cannot find 'x' in PATH");
    Actions a = s.ended({0, true}, clock.now);
    CHECK(s.state() == State::failed);
    CHECK(has(a, Action::ended_for_good));
    CHECK(s.last_status() == (127 << 8));
}

TEST_CASE("policies: on-failure, never, success codes") {
    Clockwork clock;
    {
        Service s(spec_with(RestartPolicy::on_failure));
        s.start(clock.now);
        run(s, clock, 1);
        CHECK(has(s.ended(exit_code(0), clock.now), Action::ended_for_good));
        CHECK(s.state() == State::exited);
    }
    {
        Service s(spec_with(RestartPolicy::on_failure));
        s.start(clock.now);
        run(s, clock, 1);
        s.ended(killed(SIGSEGV), clock.now);
        CHECK(s.state() == State::backoff);
        CHECK(s.reason() == "killed by SIGSEGV");
    }
    {
        auto spec = spec_with(RestartPolicy::on_failure);
        spec.restart.success_codes = {0, 3};
        Service s(spec);
        s.start(clock.now);
        run(s, clock, 1);
        s.ended(exit_code(3), clock.now);
        CHECK(s.state() == State::exited);
    }
    {
        Service s(spec_with(RestartPolicy::never));
        s.start(clock.now);
        run(s, clock, 1);
        s.ended(exit_code(1), clock.now);
        CHECK(s.state() == State::failed);
    }
    {
        Service s(spec_with(RestartPolicy::always));
        s.start(clock.now);
        run(s, clock, 1);
        s.ended(exit_code(0), clock.now);
        CHECK(s.state() == State::backoff);
        CHECK(s.consecutive_failures() == 0);
    }
}

TEST_CASE("stop: stop signal to the group, SIGKILL at the timeout, then stopped") {
    Clockwork clock;
    auto spec = spec_with(RestartPolicy::always);
    spec.stop.signal = SIGINT;
    spec.stop.timeout = Duration{3000};
    Service s(spec);
    s.start(clock.now);
    run(s, clock, 7);
    Actions a = s.stop(clock.now);
    CHECK(s.state() == State::stopping);
    CHECK(has(a, Action::signal_group, SIGINT));
    CHECK(armed(a) == Duration{3000});
    clock.advance(Duration{3000});
    CHECK(has(s.timer_fired(clock.now), Action::signal_group, SIGKILL));
    a = s.ended(killed(SIGKILL), clock.now);
    CHECK(s.state() == State::stopped);
    CHECK(has(a, Action::cancel_timer));
    CHECK_FALSE(has(a, Action::spawn));
    CHECK_FALSE(has(a, Action::ended_for_good));  // a requested stop is not an end of its own
}

TEST_CASE("stop during backoff cancels the restart; start while stopping restarts once down") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    s.start(clock.now);
    run(s, clock, 1);
    s.ended(exit_code(1), clock.now);
    CHECK(s.state() == State::backoff);
    CHECK(has(s.stop(clock.now), Action::cancel_timer));
    CHECK(s.state() == State::stopped);
    CHECK(s.timer_fired(clock.now).empty());

    s.start(clock.now);
    run(s, clock, 2);
    s.stop(clock.now);
    CHECK(s.start(clock.now).empty());  // remembered, not yet acted on
    CHECK(s.goal() == Goal::up);
    Actions a = s.ended(killed(SIGTERM), clock.now);
    CHECK(s.state() == State::stopped);
    CHECK(a.back() == Action{Action::start_again});  // the supervisor starts it once its dependencies are ready
    CHECK(has(s.start(clock.now), Action::spawn));
    CHECK(s.state() == State::starting);
}


// Overlapping requests (service.hpp, Goal): the newest decides the goal; the file on disk runs.
namespace {

ServiceSpec file_v(int version) {
    ServiceSpec spec = spec_with(RestartPolicy::always);
    spec.name = "g7";
    std::string command = "v";
    command += std::to_string(version);  // (not "v" + ...: GCC 12's -Wrestrict false positive)
    spec.command = {command};
    spec.stop.timeout = Duration{1500};
    return spec;
}

// g7 running its first file as pid 5.
Service running_g7(Clockwork& clock) {
    Service s(file_v(1));
    s.start(clock.now);
    run(s, clock, 5);
    return s;
}

// A running g7 whose file changed: the reload's stop of the old run is in flight.
Service reload_stopping(Clockwork& clock) {
    Service s = running_g7(clock);
    Actions a = s.replace(file_v(2), clock.now);
    CHECK(s.state() == State::stopping);
    CHECK(has(a, Action::signal_group, SIGTERM));
    CHECK(s.spec().command == std::vector<std::string>{"v1"});  // still the old run's spec
    REQUIRE(s.next_spec());
    CHECK(s.goal() == Goal::up);
    return s;
}

}  // namespace

TEST_CASE("overlap: stop during a reload's stop keeps it stopped, with the new file applied") {
    Clockwork clock;
    Service s = reload_stopping(clock);
    CHECK(s.stop(clock.now).empty());  // the stop signal is already out: nothing new to send
    CHECK(s.goal() == Goal::down);
    clock.advance(Duration{1500});
    CHECK(has(s.timer_fired(clock.now), Action::signal_group, SIGKILL));
    Actions a = s.ended(killed(SIGKILL), clock.now);
    CHECK(s.state() == State::stopped);
    CHECK(has(a, Action::new_spec));
    CHECK_FALSE(has(a, Action::start_again));
    CHECK_FALSE(has(a, Action::spawn));
    CHECK(s.spec().command == std::vector<std::string>{"v2"});
    CHECK(s.next_spec() == nullptr);
    // A later start runs the new file.
    CHECK(has(s.start(clock.now), Action::spawn));
    CHECK(s.spec().command == std::vector<std::string>{"v2"});
}

TEST_CASE("overlap: restart during a reload's stop runs the new file, and so do crash restarts") {
    Clockwork clock;
    Service s = reload_stopping(clock);
    s.stop(clock.now);  // restart = stop + start
    CHECK(s.start(clock.now).empty());
    CHECK(s.goal() == Goal::up);
    Actions a = s.ended(killed(SIGTERM), clock.now);
    CHECK(has(a, Action::new_spec));
    CHECK(a.back() == Action{Action::start_again});
    CHECK(has(s.start(clock.now), Action::spawn));
    CHECK(s.spec().command == std::vector<std::string>{"v2"});
    run(s, clock, 6);
    a = s.ended(killed(SIGSEGV), clock.now);  // a crash: the restart policy, with the same (new) file
    CHECK(s.state() == State::backoff);
    clock.advance(armed(a));
    CHECK(has(s.timer_fired(clock.now), Action::spawn));
    CHECK(s.spec().command == std::vector<std::string>{"v2"});
    CHECK(s.spec().stop.timeout == Duration{1500});
}

TEST_CASE("overlap: a reload's stop that ends by itself still starts the new file") {
    Clockwork clock;
    Service s = reload_stopping(clock);
    Actions a = s.ended(exit_code(0), clock.now);
    CHECK(has(a, Action::new_spec));
    CHECK(a.back() == Action{Action::start_again});
    CHECK(s.spec().command == std::vector<std::string>{"v2"});
}

TEST_CASE("overlap: two clients with opposite goals: start during stop, then stop again; the newest wins") {
    Clockwork clock;
    Service s = running_g7(clock);
    s.stop(clock.now);
    CHECK(s.goal() == Goal::down);
    s.start(clock.now);  // a second client, the opposite goal
    CHECK(s.goal() == Goal::up);
    s.stop(clock.now);  // and a third: the newest decides
    CHECK(s.goal() == Goal::down);
    Actions a = s.ended(killed(SIGTERM), clock.now);
    CHECK(s.state() == State::stopped);
    CHECK_FALSE(has(a, Action::start_again));
}

TEST_CASE("overlap: removal then start: nothing starts; once down it is removable; its file back undoes it") {
    Clockwork clock;
    Service s = running_g7(clock);
    Actions a = s.remove(clock.now);
    CHECK(has(a, Action::signal_group, SIGTERM));
    CHECK(s.goal() == Goal::gone);
    CHECK(s.start(clock.now).empty());
    CHECK(s.goal() == Goal::gone);
    s.want_up();
    CHECK(s.goal() == Goal::gone);
    CHECK_FALSE(s.removable());  // its process is still there
    a = s.ended(killed(SIGTERM), clock.now);
    CHECK(s.state() == State::stopped);
    CHECK_FALSE(has(a, Action::start_again));
    CHECK(s.removable());

    // Its file came back before the supervisor dropped it: a reload's replace() brings it back.
    a = s.replace(file_v(3), clock.now);
    CHECK(s.goal() == Goal::up);
    CHECK(has(a, Action::new_spec));
    CHECK(a.back() == Action{Action::start_again});
    CHECK_FALSE(s.removable());
    CHECK(s.spec().command == std::vector<std::string>{"v3"});
}

TEST_CASE("overlap: a file that comes back during the removal's stop runs once the old run is down") {
    Clockwork clock;
    Service s = running_g7(clock);
    s.remove(clock.now);
    CHECK(s.replace(file_v(2), clock.now).empty());  // already stopping
    Actions a = s.ended(killed(SIGTERM), clock.now);
    CHECK(has(a, Action::new_spec));
    CHECK(a.back() == Action{Action::start_again});
    CHECK_FALSE(s.removable());
}

TEST_CASE("reload of a service that is down: the new file at once; started only if enabled") {
    Clockwork clock;
    {
        Service s(file_v(1));  // never started (goal down), then a changed, enabled file
        Actions a = s.replace(file_v(2), clock.now);
        CHECK(has(a, Action::new_spec));
        CHECK(a.back() == Action{Action::start_again});
        CHECK(s.reason().empty());
    }
    {
        Service s(file_v(1));
        s.start(clock.now);
        run(s, clock, 5);
        s.ended(exit_code(1), clock.now);
        CHECK(s.state() == State::backoff);
        ServiceSpec off = file_v(2);
        off.enabled = false;
        Actions a = s.replace(off, clock.now);
        CHECK(has(a, Action::cancel_timer));  // no restart of the old file
        CHECK(has(a, Action::new_spec));
        CHECK_FALSE(has(a, Action::start_again));
        CHECK(s.state() == State::stopped);
        CHECK(s.goal() == Goal::down);
        CHECK(s.timer_fired(clock.now).empty());
    }
}

TEST_CASE("stop of a service that ended for good makes it stopped, as the answer says") {
    Clockwork clock;
    for (int code : {0, 1}) {
        Service s(spec_with(RestartPolicy::never));
        s.start(clock.now);
        run(s, clock, 5);
        s.ended(exit_code(code), clock.now);
        CHECK(s.state() == (code == 0 ? State::exited : State::failed));
        s.stop(clock.now);
        CHECK(s.state() == State::stopped);
        CHECK(s.goal() == Goal::down);
        CHECK(s.last_status() == W_EXITCODE(code, 0));  // what it did is still shown
    }
}

TEST_CASE("a failed check is no change of goal: the restart policy restarts it") {
    Clockwork clock;
    Service s(spec_with(RestartPolicy::always));
    s.start(clock.now);
    run(s, clock, 5);
    s.fail("health check failed", clock.now);
    CHECK(s.state() == State::stopping);
    CHECK(s.goal() == Goal::up);
    s.ended(killed(SIGTERM), clock.now);
    CHECK(s.state() == State::backoff);
    CHECK(s.reason() == "health check failed");
}

TEST_CASE("the start timeout is armed before the spawn, so a start failing at once keeps its backoff timer") {
    // Action lists are carried out in order, and a spawn that fails at once arms the backoff
    // timer from inside it: an arm_timer after the spawn would replace the backoff (100ms)
    // with the start timeout (90s).
    ServiceSpec spec = spec_with(RestartPolicy::always);
    spec.ready.probe.tcp = "127.0.0.1:1";
    spec.start_timeout = Duration{90000};
    Service s(spec);
    Clockwork clock;
    Actions actions = s.start(clock.now);
    auto spawn = std::find_if(actions.begin(), actions.end(), [](const Action& a) { return a.kind == Action::spawn; });
    auto timer = std::find_if(actions.begin(), actions.end(), [](const Action& a) { return a.kind == Action::arm_timer; });
    REQUIRE(spawn != actions.end());
    REQUIRE(timer != actions.end());
    CHECK(timer < spawn);
    Actions failed = s.ended({0, true}, clock.now);
    CHECK(armed(failed) == Duration{100});
    Actions again = s.timer_fired(clock.now);  // backoff over: the same order on a restart
    CHECK(std::find_if(again.begin(), again.end(), [](const Action& a) { return a.kind == Action::arm_timer; }) <
          std::find_if(again.begin(), again.end(), [](const Action& a) { return a.kind == Action::spawn; }));
}
