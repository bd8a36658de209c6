// A callback from C that throws: the exception stops at the boundary, is logged, and the
// loop goes on to the next event.
#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <sstream>
#include <stdexcept>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "boundary.hpp"
#include "process.hpp"

using namespace sv;

TEST_CASE("a throwing handler inside a libuv callback is logged and the loop goes on") {
    std::ostringstream out;
    auto previous = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    spdlog::set_default_logger(logger);

    uv_loop_t loop;
    uv_loop_init(&loop);
    struct State {
        int fired = 0;
    } state;
    uv_timer_t first, second;
    uv_timer_init(&loop, &first);
    uv_timer_init(&loop, &second);
    first.data = second.data = &state;
    uv_timer_start(&first, [](uv_timer_t* t) noexcept {
        at_boundary("test timer", [&] {
            ++static_cast<State*>(t->data)->fired;
            throw std::runtime_error("boom");
        });
    }, 0, 0);
    uv_timer_start(&second, [](uv_timer_t* t) noexcept {
        at_boundary("second timer", [&] { ++static_cast<State*>(t->data)->fired; });
    }, 1, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close(reinterpret_cast<uv_handle_t*>(&first), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&second), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    spdlog::set_default_logger(previous);

    CHECK(state.fired == 2);
    CHECK(out.str().find("internal error in test timer: boom") != std::string::npos);
}

TEST_CASE("a non-standard exception is caught too") {
    int after = 0;
    at_boundary("odd", [] { throw 42; });
    at_boundary("next", [&] { ++after; });
    CHECK(after == 1);
}

TEST_CASE("reap_children: a handler that throws for one child costs no other child") {
    auto previous = spdlog::default_logger();
    std::ostringstream out;
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out)));
    pid_t first = ::fork();
    if (first == 0) ::_exit(0);
    pid_t second = ::fork();
    if (second == 0) ::_exit(0);
    // Both must have ended before the one reap: wait (with a deadline) until neither runs.
    auto ended = [](pid_t pid) {
        siginfo_t info{};
        return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
    };
    for (int i = 0; i < 2000 && !(ended(first) && ended(second)); ++i) ::usleep(1000);
    std::vector<pid_t> seen;
    reap_children([&](pid_t pid, int) {
        seen.push_back(pid);
        if (seen.size() == 1) throw std::runtime_error("first child");
    });
    spdlog::set_default_logger(previous);
    CHECK(std::count(seen.begin(), seen.end(), first) == 1);
    CHECK(std::count(seen.begin(), seen.end(), second) == 1);
    CHECK(out.str().find("internal error in a child's exit: first child") != std::string::npos);
}
