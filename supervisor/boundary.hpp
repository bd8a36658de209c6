// The boundary between C and our code. libuv (and the kernel, through it) calls plain C
// function pointers: an exception thrown by our code inside one would unwind through C frames,
// which is undefined behaviour. Every such callback is `noexcept` and runs its body through
// at_boundary(), which catches, logs with the place's name, and returns to the loop: PID 1
// never dies of one failed event. A lost event is a bug worth a line at `critical`, not a
// crashed container.
#pragma once

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

namespace sv {

inline void report_at_boundary(const char* where, const char* what) noexcept {
    try {
        if (auto* log = spdlog::default_logger_raw())
            log->critical("internal error in {}: {}; the event is dropped, the supervisor goes on", where, what);
    } catch (...) {
    }
}

template <typename Body>
void at_boundary(const char* where, Body&& body) noexcept {
    try {
        std::forward<Body>(body)();
    } catch (const std::exception& e) {
        report_at_boundary(where, e.what());
    } catch (...) {
        report_at_boundary(where, "unknown exception");
    }
}

}  // namespace sv
