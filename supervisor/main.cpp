// Entry point: wires the command line, the config loader and the supervisor together,
// and turns whatever escaped into a message and an exit status.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <tuple>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli.hpp"
#include "config.hpp"
#include "image_check.hpp"
#include "shutdown_budget.hpp"
#include "parse.hpp"
#include "logs.hpp"
#include "resolve.hpp"
#include "socket_path.hpp"
#include "supervisor.hpp"

#ifndef SUPERVISOR_VERSION
#define SUPERVISOR_VERSION "dev"
#endif

namespace {

void setup_logging(const std::string& level) {
    auto logger = std::make_shared<spdlog::logger>("supervisor", std::make_shared<spdlog::sinks::stderr_sink_st>());
    logger->set_pattern(sv::kStderrPattern, spdlog::pattern_time_type::utc);
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
}

int report_errors(const sv::LoadResult& loaded) {
    for (auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.str().c_str());
    std::fprintf(stderr, "%zu error%s; nothing was started\n", loaded.errors.size(), loaded.errors.size() == 1 ? "" : "s");
    return sv::exit_status::config;
}

// `supervisor check`: every error of the files, then (unless --syntax-only) of the image.
int check(const sv::CommandLine& cl) {
    std::string dir = sv::path_in_root(cl.root, cl.options.config_dir);
    sv::LoadResult loaded = sv::load_directory(dir);
    if (!cl.syntax_only) {
        // Inside the image, services inherit this PATH; an image checked from outside gets the default.
        const char* path = std::getenv("PATH");
        std::string base = cl.root.empty() && path && *path ? path : sv::kDefaultPath;
        for (auto& e : sv::verify_image(loaded, cl.root, base)) loaded.errors.push_back(e);
        std::stable_sort(loaded.errors.begin(), loaded.errors.end(), [](const sv::Diagnostic& a, const sv::Diagnostic& b) {
            return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
        });
    }
    for (auto& w : loaded.warnings) std::fprintf(stderr, "%s: warning: %s\n", w.file.c_str(), w.message.c_str());
    size_t warnings = loaded.warnings.size();
    std::string counted = warnings == 0 ? "" : ", " + std::to_string(warnings) + " warning" + (warnings == 1 ? "" : "s");
    if (!loaded.ok()) {
        for (auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.str().c_str());
        std::fprintf(stderr, "%zu error%s%s in %s\n", loaded.errors.size(), loaded.errors.size() == 1 ? "" : "s", counted.c_str(), dir.c_str());
        return sv::exit_status::config;
    }
    std::printf("%s: %zu service%s, all valid%s%s\n", dir.c_str(), loaded.services.size(), loaded.services.size() == 1 ? "" : "s",
                cl.syntax_only ? " (syntax only)" : "", counted.c_str());
    if (cl.grace_budget) {
        sv::ShutdownEstimate worst = sv::worst_case_shutdown(loaded.services, cl.options.drain, cl.options.shutdown_grace);
        if (worst.total > *cl.grace_budget)
            std::fprintf(stderr, "%s: warning: a shutdown can take %s (%s), more than the grace budget of %s: the engine would "
                                 "kill what is still running; shorten drain or stop timeouts, or give the container a longer grace period\n",
                         dir.c_str(), sv::format_duration(worst.total).c_str(), worst.chain.c_str(), sv::format_duration(*cl.grace_budget).c_str());
        else
            std::printf("%s: a shutdown takes at most %s (%s), within the grace budget of %s\n", dir.c_str(),
                        sv::format_duration(worst.total).c_str(), worst.chain.c_str(), sv::format_duration(*cl.grace_budget).c_str());
    }
    return 0;
}

// The helper the supervisor runs to look up a syslog host name without blocking its loop.
#if SUPERVISOR_NO_NSS
int resolve(const std::string& host) {
    std::optional<std::string> address = sv::resolve_host(host);
    if (!address) return 1;
    std::printf("%s\n", address->c_str());
    return 0;
}
#else
int resolve(const std::string& host) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || !found) return 1;
    char text[INET6_ADDRSTRLEN] = {};
    const void* addr = found->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr)
                                                   : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr);
    ::inet_ntop(found->ai_family, addr, text, sizeof text);
    ::freeaddrinfo(found);
    std::printf("%s\n", text);
    return 0;
}
#endif

// Descriptors 0-2 that the caller closed become /dev/null. Otherwise the first socket or pipe
// the supervisor opens would take the number, and its own messages (stderr) and the console
// (stdout) would be written into it.
void ensure_standard_fds() {
    for (int fd = 0; fd <= 2; ++fd)
        if (::fcntl(fd, F_GETFD) < 0 && errno == EBADF && ::open("/dev/null", O_RDWR) < 0) return;
}

}  // namespace

int main(int argc, char** argv) {
    ensure_standard_fds();
    sv::block_received_signals();  // a SIGTERM during start-up waits for the loop instead of being lost
    std::vector<std::string> args(argv + 1, argv + argc);
    sv::CommandLine cl = sv::parse_command_line(args, std::getenv("SUPERVISOR_CONFIG_DIR"), std::getenv("SUPERVISOR_SOCKET"),
                                                 std::getenv("SUPERVISOR_HTTP"));
    if (cl.kind != sv::CommandLine::run) sv::unblock_all_signals();  // a client stays interruptible
    if (!cl.error.empty()) {
        std::fprintf(stderr, "supervisor: %s\nsee 'supervisor --help'\n", cl.error.c_str());
        return sv::exit_status::usage;
    }
    switch (cl.kind) {
        case sv::CommandLine::help: std::fputs(sv::usage_text(), stdout); return 0;
        case sv::CommandLine::version: std::printf("supervisor %s\n", SUPERVISOR_VERSION); return 0;
        case sv::CommandLine::check: return check(cl);
        case sv::CommandLine::client: {
            if (cl.options.socket_explicit && cl.options.socket_path.empty()) {
                std::fprintf(stderr, "supervisor: no control socket (--socket PATH or SUPERVISOR_SOCKET)\n");
                return sv::exit_status::usage;
            }
            double timeout = cl.timeout_seconds;
            if (!cl.options.socket_explicit) {
                // The same places the supervisor tries, in the same order (socket_path.hpp).
                bool wait = std::find(cl.request.begin(), cl.request.end(), "--wait-ready") != cl.request.end();
                auto start = std::chrono::steady_clock::now();
                std::string tried;
                cl.options.socket_path = sv::locate_socket(wait, start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(timeout)), tried);
                if (cl.options.socket_path.empty()) {
                    std::fprintf(stderr, "supervisor: cannot reach the supervisor: tried %s (is it running? --socket or SUPERVISOR_SOCKET name another place)\n", tried.c_str());
                    return sv::exit_status::unreachable;
                }
                timeout -= std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            }
            return sv::run_client(cl.options.socket_path, cl.request, std::max(timeout, 0.001));
        }
        case sv::CommandLine::resolve: return resolve(cl.request.at(0));
        case sv::CommandLine::run: break;
    }

    setup_logging(!cl.log_level.empty() ? cl.log_level : cl.options.command.empty() ? "info" : "warn");
    try {
        sv::LoadResult loaded = sv::load_directory(cl.options.config_dir, !cl.options.command.empty());
        for (auto& w : loaded.warnings) spdlog::warn("{}", w.str());
        if (!loaded.ok()) return report_errors(loaded);
        uv_loop_t loop;
        uv_loop_init(&loop);
        int status;
        {
            sv::Supervisor supervisor(&loop, cl.options, environ);
            status = supervisor.run(std::move(loaded.services));
        }
        uv_run(&loop, UV_RUN_DEFAULT);  // let the last close callbacks run
        uv_loop_close(&loop);
        return status;
    } catch (const std::exception& e) {
        spdlog::critical("cannot start: {}", e.what());
        // The loop's handles die with the process: no teardown to run (nor leaks to report).
        std::fflush(nullptr);
        std::_Exit(sv::exit_status::internal);
    }
}
