// A callback from C that throws: the exception stops at the boundary, is logged, and the
// loop goes on to the next event.
#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <sstream>
#include <stdexcept>

#include "boundary.hpp"

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
