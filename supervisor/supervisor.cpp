#include "supervisor.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <spdlog/spdlog.h>

#include "boundary.hpp"
#include "socket_path.hpp"
#include "parse.hpp"

namespace sv {

Supervisor::Supervisor(uv_loop_t* loop, Options options, char** environ, ProcessControl& processes)
    : loop_(loop), options_(std::move(options)), environ_(environ), processes_(processes), tasks_(loop, processes) {}

Supervisor::~Supervisor() = default;

int Supervisor::run(std::vector<ServiceSpec> specs) {
    // PID 1's own NOTIFY_SOCKET is for PID 1 alone: a service given it could tell the outer
    // manager READY=1 or STOPPING=1 on the container's behalf. PID 1 sends READY=1 itself once
    // every service is ready, and STOPPING=1 when it shuts down (readiness.cpp).
    if (const char* outer = std::getenv("NOTIFY_SOCKET")) outer_notify_ = outer;
    ::unsetenv("NOTIFY_SOCKET");
    environ_ = environ;
    logs_.open(loop_, options_.log_format, [this](const std::string& host, std::function<void(const std::string&)> done) {
        // A name lookup may block for seconds: a helper process (this binary) does it instead.
        ServiceSpec resolver;
        resolver.name = "resolver";
        tasks_.run(resolver, {"/proc/self/exe", "resolve", host}, environ_, Duration{10'000}, [done](int status, const std::string& output) {
            done(status == 0 ? output.substr(0, output.find('\n')) : std::string());
        });
    });
    signals_.open(loop_, [this](const signalfd_siginfo& info) {
        at_boundary("a signal", [&] { on_signal(static_cast<int>(info.ssi_signo), static_cast<pid_t>(info.ssi_pid)); });
    });
    oom_kills_ = memory_oom_kills();
    if (::getpid() != 1) {
        // Not PID 1: adopt orphans anyway, so that every descendant is ours to reap.
        if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) spdlog::warn("cannot become a subreaper: {}", std::strerror(errno));
    }
    if (!options_.command.empty()) {
        ServiceSpec main;
        main.name = kCommandServiceName;
        main.command = options_.command;
        main.critical = true;
        main.foreground = true;
        main.restart.policy = RestartPolicy::never;
        main.log.stdout_mode = main.log.stderr_mode = LogMode::inherit;  // straight through, as tini
        specs.push_back(std::move(main));
    }
    open_control_socket();
    open_http();
    after_events_hook_ = new_handle<uv_check_t>(this);
    uv_check_init(loop_, after_events_hook_);
    uv_check_start(after_events_hook_, [](uv_check_t* h) noexcept {
        at_boundary("settling after events", [&] { static_cast<Supervisor*>(h->data)->after_events(); });
    });
    reload_timer_ = new_handle<uv_timer_t>(this);
    uv_timer_init(loop_, reload_timer_);
    pending_timer_ = new_handle<uv_timer_t>(this);
    uv_timer_init(loop_, pending_timer_);
    for (auto& spec : specs) add(std::move(spec));
    if (services_.empty()) spdlog::info("no services in {}; waiting", options_.config_dir);
    for (auto& [name, slot] : services_) {
        if (phase_ != Phase::running) break;  // a critical service failed to start
        if (slot->service.spec().enabled) request_start(*slot);
        else spdlog::info("{}: disabled, not started", name);
    }
    uv_run(loop_, UV_RUN_DEFAULT);
    return exit_code_;
}

// A socket the user named is made or the start fails with the reason. Otherwise the first
// default place that works is taken, and where none does (a non-root uid, a read-only root)
// the services still run, without a control socket, and one warning says so.
void Supervisor::open_control_socket() {
    auto handler = [this](const Request& r, std::shared_ptr<Reply> reply) { on_request(r, std::move(reply)); };
    std::string why;
    if (options_.socket_explicit) {
        if (options_.socket_path.empty()) return;
        if (!prepare_socket_directory(options_.socket_path, why)) throw std::runtime_error(why);
        return control_.open(loop_, options_.socket_path, handler);
    }
    std::string tried;
    for (const std::string& path : default_socket_paths(::geteuid(), std::getenv("XDG_RUNTIME_DIR"))) {
        try {
            if (!prepare_socket_directory(path, why)) throw std::runtime_error(why);
            control_.open(loop_, path, handler);
            if (!tried.empty()) spdlog::info("control socket at {} ({})", path, tried);
            options_.socket_path = path;
            return;
        } catch (const SocketInUse&) {
            throw;  // its clients would reach the other supervisor, not this one
        } catch (const std::runtime_error& e) {
            tried += (tried.empty() ? "" : "; ") + std::string(e.what());
        }
    }
    spdlog::warn("no control socket ({}); the services run, but `supervisor status` and the other commands cannot reach "
                 "this supervisor: give --socket a writable place, such as a tmpfs on /run",
                 tried);
}

ServiceEntry& Supervisor::add(ServiceSpec spec) {
    auto slot = std::make_unique<ServiceEntry>(this, std::move(spec));
    slot->timer = new_handle<uv_timer_t>(slot.get());
    uv_timer_init(loop_, slot->timer);
    slot->check_timer = new_handle<uv_timer_t>(slot.get());
    uv_timer_init(loop_, slot->check_timer);
    ServiceEntry& added = *slot;
    added.log = logs_.service_log(added.service.spec());
    services_[added.service.spec().name] = std::move(slot);
    watch_files(added);
    return added;
}

// The state machine took a reload's spec: what was made from the old one is made again.
void Supervisor::renew_spec(ServiceEntry& slot) {
    unwatch_files(slot);
    end_checks(slot);
    slot.log = logs_.service_log(slot.service.spec());
    watch_files(slot);
}

void Supervisor::remove(const std::string& name) {
    auto found = services_.find(name);
    if (found == services_.end()) return;
    ServiceEntry& slot = *found->second;
    unwatch_files(slot);
    end_checks(slot);
    close_exec_pipe(slot);
    close_handle(slot.timer);
    close_handle(slot.check_timer);
    spdlog::info("{}: removed", name);
    services_.erase(found);
    logs_.forget(name);
}

void Supervisor::after_events() {
    std::vector<std::string> names;
    for (auto& [name, slot] : services_)
        if (slot->service.removable()) names.push_back(name);
    for (auto& name : names) remove(name);
    start_waiting();
    check_waiters();
    check_all_ready();
    if (phase_ != Phase::running && phase_ != Phase::done) advance_shutdown();
}

void Supervisor::apply(ServiceEntry& slot, const Actions& actions) {
    Service& service = slot.service;
    for (const Action& action : actions) {
        switch (action.kind) {
            case Action::spawn:
                spawn(slot);
                // A start that failed at once (fork, user, PATH) was handled as an end, with its
                // backoff timer armed; what followed (the start_timeout) belonged to that start.
                if (!service.has_process()) return;
                break;
            case Action::signal_group:
                signal_group(slot, action.signal);
                break;
            case Action::arm_timer:
                slot.timer_delay = action.delay;
                uv_timer_start(slot.timer, [](uv_timer_t* t) noexcept {
                    at_boundary("a service's timer", [&] {
                        auto* s = static_cast<ServiceEntry*>(t->data);
                        s->owner->apply(*s, s->service.timer_fired(Clock::now()));
                    });
                }, static_cast<uint64_t>(action.delay.count()), 0);
                break;
            case Action::cancel_timer:
                uv_timer_stop(slot.timer);
                break;
            case Action::new_spec:
                renew_spec(slot);
                break;
            case Action::start_again:
                request_start(slot);
                break;
            case Action::ended_for_good:
                if (service.spec().critical && phase_ == Phase::running) {
                    int code = exit_code_of(service.last_status().value_or(0));
                    critical_failure_ = "critical service " + service.spec().name + " ended (" + service.reason() + ")";
                    begin_shutdown(code, critical_failure_ + "; exit status " + std::to_string(code));
                }
                break;
            case Action::run_check:
                schedule_check(slot, action.delay);
                break;
            case Action::end_checks:
                end_checks(slot);
                break;
            case Action::say:
                spdlog::log(static_cast<spdlog::level::level_enum>(action.level), "{}", action.text);
                break;
            case Action::note:
                logs_.note(service.spec().name, action.level, action.text, std::chrono::system_clock::now());
                break;
        }
    }
}

void Supervisor::signal_group(ServiceEntry& slot, int signal) {
    Service& service = slot.service;
    if (slot.pgid <= 0) return;
    // Before the child's setsid() its group does not exist yet: signal the child itself.
    if (processes_.kill(-slot.pgid, signal) < 0 && errno == ESRCH && service.has_process()) processes_.kill(service.pid(), signal);
    if (signal == SIGKILL && service.state() == State::stopping)
        spdlog::warn("{}: did not stop within {}; sent SIGKILL to its process group", service.spec().name,
                     format_duration(service.spec().stop.timeout));
}

void Supervisor::spawn(ServiceEntry& slot) {
    const ServiceSpec& spec = slot.service.spec();
    auto plan = plan_launch(spec, environ_);
    if (auto* why = std::get_if<std::string>(&plan)) return start_failed(slot, *why);
    slot.plan = std::move(std::get<LaunchPlan>(plan));
    std::string why;
    if (!open_notify(slot, why)) return start_failed(slot, why);
    auto output = logs_.output_for(slot.log);
    if (auto* failed = std::get_if<std::string>(&output)) return start_failed(slot, *failed);
    auto result = processes_.launch(slot.plan, std::move(std::get<ChildOutput>(output)));
    if (auto* failed = std::get_if<std::string>(&result)) return start_failed(slot, *failed);
    auto* launched = &std::get<Launched>(result);

    slot.pgid = launched->pid;
    if (slot.notify) slot.notify->set_sender(slot.pgid, slot.plan.change_user ? slot.plan.uid : ::geteuid());
    slot.exec_fd = launched->status_fd;
    slot.exec_failure.reset();
    by_pid_[launched->pid] = &slot;
    slot.service.spawned(launched->pid, Clock::now());
    slot.exec_poll = new_handle<uv_poll_t>(&slot);
    uv_poll_init(loop_, slot.exec_poll, slot.exec_fd);
    uv_poll_start(slot.exec_poll, UV_READABLE, [](uv_poll_t* p, int, int) noexcept {
        at_boundary("a service's exec status", [&] {
            auto* s = static_cast<ServiceEntry*>(p->data);
            s->owner->on_exec_status(*s);
        });
    });
}

void Supervisor::on_exec_status(ServiceEntry& slot) {
    ExecStatus status = read_exec_status(slot.exec_fd);
    if (std::holds_alternative<ExecPending>(status)) return;
    if (auto* failure = std::get_if<ExecFailure>(&status)) slot.exec_failure = *failure;
    else {
        close_exec_pipe(slot);
        return apply(slot, slot.service.exec_succeeded(Clock::now()));
    }
    close_exec_pipe(slot);
}

void Supervisor::close_exec_pipe(ServiceEntry& slot) {
    close_handle(slot.exec_poll);
    if (slot.exec_fd >= 0) ::close(slot.exec_fd);
    slot.exec_fd = -1;
}

void Supervisor::start_failed(ServiceEntry& slot, const std::string& why) {
    slot.service.set_reason(why);
    on_service_ended(slot, Outcome{0, true});
}

void Supervisor::on_child_exit(pid_t pid, int status) {
    if (tasks_.on_exit(pid, status)) return;
    auto found = by_pid_.find(pid);
    if (found == by_pid_.end()) {
        ++orphans_reaped_;
        if (spdlog::should_log(spdlog::level::debug)) spdlog::debug("reaped orphan {} ({})", pid, describe_status(status));
        return;
    }
    ServiceEntry& slot = *found->second;
    by_pid_.erase(found);
    if (slot.exec_fd >= 0) on_exec_status(slot);  // the child may end before its pipe was read
    if (slot.exec_failure) {
        slot.service.set_reason(slot.exec_failure->str(&slot.plan));
        on_service_ended(slot, Outcome{status, true});
    } else {
        on_service_ended(slot, Outcome{status, false});
    }
}

// The machine decides and says what the end means; the supervisor adds what only the system
// knows: the OOM killer's count, the signal it passed on to the command.
void Supervisor::on_service_ended(ServiceEntry& slot, Outcome outcome) {
    Service& service = slot.service;
    int status = outcome.wait_status;
    if (service.state() != State::stopping && !outcome.start_failed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        // A SIGKILL nobody here sent: most often the kernel's OOM killer, which the cgroup counts.
        auto kills = memory_oom_kills();
        if (kills && *kills > oom_kills_.value_or(0))
            outcome.cause = "out of memory: the memory cgroup's OOM kill count rose to " + std::to_string(*kills);
        if (kills) oom_kills_ = kills;
    }
    outcome.passed_signal = passed_to_main_;
    apply(slot, service.ended(outcome, Clock::now()));
}

void Supervisor::on_signal(int sig, pid_t sender) {
    if (sig == SIGCHLD) {
        processes_.reap([this](pid_t pid, int status) { on_child_exit(pid, status); });
        return;
    }
    bool single_command = services_.count(kCommandServiceName) && !options_.command.empty();
    bool shutdown_signal = is_shutdown_signal(sig);
    if (shutdown_signal && phase_ != Phase::running) return drain_from_ != TimePoint{} ? skip_drain() : hurry_shutdown();
    if (single_command) {
        // tini-compatible: every signal goes to the command, and its end ends the container.
        ServiceEntry& main = *services_.at(kCommandServiceName);
        if (main.service.has_process()) processes_.kill(-main.pgid, sig), passed_to_main_ = sig;
        if (!shutdown_signal && sig != SIGHUP) forward(sig);
        return;  // the directory reloads through `supervisor reload` in this mode
    }
    if (shutdown_signal)
        return begin_shutdown(exit_status::ok, "received " + signal_name(sig) + (sender > 0 ? " from pid " + std::to_string(sender) : ""), true);
    if (sig == SIGHUP) return request_reload(nullptr);
    forward(sig);
}

void Supervisor::forward(int sig) {
    int delivered = 0;
    for (auto& [name, slot] : services_) {
        const auto& wanted = slot->service.spec().forward_signals;
        if (std::find(wanted.begin(), wanted.end(), sig) == wanted.end()) continue;
        if (!slot->service.has_process()) continue;
        processes_.kill(-slot->pgid, sig);
        ++delivered;
    }
    if (delivered == 0 && (options_.command.empty()))
        spdlog::warn("received {}: no running service takes it (forward_signals); ignored", signal_name(sig));
}

void Supervisor::begin_shutdown(int exit_code, const std::string& why, bool drain) {
    if (phase_ != Phase::running) return;
    phase_ = Phase::stopping_services;
    exit_code_ = exit_code;
    auto now = Clock::now();
    std::string drained;
    if (drain)
        for (auto& [name, slot] : services_)
            if (slot->service.has_process() && drain_of(*slot) > Duration{0})
                drained += (drained.empty() ? "" : ", ") + name + " " + format_duration(drain_of(*slot));
    if (drained.empty()) {
        spdlog::info("shutting down: {}", why);
    } else {
        // Readiness fails from now on (/readyz, status --wait-ready): load balancers take the
        // services out while they still answer.
        drain_from_ = now;
        drain_timer_ = new_handle<uv_timer_t>(this);
        uv_timer_init(loop_, drain_timer_);
        spdlog::info("shutting down: {}; draining first ({}); a second signal stops them at once", why, drained);
    }
    tell_outer_manager("STOPPING=1");
    for (auto& [name, slot] : services_) {
        slot->intent = "shutdown";
        // One already stopping is not started again once down; the others stop in order below.
        apply(*slot, slot->service.shut_down(now));
    }
    advance_shutdown();
}

Duration Supervisor::drain_of(const ServiceEntry& slot) const { return slot.service.spec().stop.drain.value_or(options_.drain); }

bool Supervisor::draining(const ServiceEntry& slot, TimePoint now) const {
    return drain_from_ != TimePoint{} && now < drain_from_ + drain_of(slot);
}

void Supervisor::skip_drain() {
    spdlog::warn("second shutdown signal: the drain ends now; stopping the services");
    drain_from_ = TimePoint{};
    if (drain_timer_) uv_timer_stop(drain_timer_);
    advance_shutdown();
}

void Supervisor::hurry_shutdown() {
    spdlog::warn("second shutdown signal: killing every process now");
    for (auto& [name, slot] : services_)
        if (slot->service.has_process()) processes_.kill(-slot->pgid, SIGKILL);
    processes_.signal_leftovers(SIGKILL);
}

void Supervisor::advance_shutdown() {
    if (phase_ == Phase::stopping_services) {
        // Reverse dependency order: a service stops once everything started after it is down;
        // services that do not depend on each other stop in parallel.
        auto now = Clock::now();
        TimePoint next_drain_end = TimePoint::max();
        for (auto& [name, slot] : services_) {
            if (!may_stop_now(slot->service, *this)) continue;
            if (draining(*slot, now)) {
                next_drain_end = std::min(next_drain_end, drain_from_ + drain_of(*slot));
                continue;
            }
            apply(*slot, slot->service.stop(now));
        }
        if (next_drain_end != TimePoint::max()) {
            auto left = std::chrono::ceil<Duration>(next_drain_end - now).count();
            uv_timer_start(drain_timer_, [](uv_timer_t* t) noexcept {
                at_boundary("drain timer", [&] { static_cast<Supervisor*>(t->data)->advance_shutdown(); });
            }, static_cast<uint64_t>(std::max<long>(left, 1)), 0);
        }
        if (!all_down(*this)) return;
        phase_ = Phase::stopping_leftovers;
        if (!processes_.have_children()) return schedule_finish();
        spdlog::info("stopping leftover processes: SIGTERM, then SIGKILL after {}", format_duration(options_.shutdown_grace));
        processes_.signal_leftovers(SIGTERM);
        processes_.signal_leftovers(SIGCONT);
        grace_timer_ = new_handle<uv_timer_t>(this);
        uv_timer_init(loop_, grace_timer_);
        uv_timer_start(grace_timer_, [](uv_timer_t* t) noexcept {
            at_boundary("the shutdown grace timer", [&] {
                auto* self = static_cast<Supervisor*>(t->data);
                spdlog::warn("leftover processes did not exit within {}; sending SIGKILL", format_duration(self->options_.shutdown_grace));
                self->processes_.signal_leftovers(SIGKILL);
            });
        }, static_cast<uint64_t>(options_.shutdown_grace.count()), 0);
        return;
    }
    if (phase_ == Phase::stopping_leftovers && !processes_.have_children()) schedule_finish();
}

// The end tears down the service table, so it never runs inside a call that may be walking
// that table (a critical service that fails while the first services start, or during a
// reload): a zero timer runs it from the top of the loop.
void Supervisor::schedule_finish() {
    if (finish_timer_) return;
    finish_timer_ = new_handle<uv_timer_t>(this);
    uv_timer_init(loop_, finish_timer_);
    uv_timer_start(finish_timer_, [](uv_timer_t* t) noexcept {
        at_boundary("the end of shutdown", [&] { static_cast<Supervisor*>(t->data)->finish(); });
    }, 0, 0);
}

void Supervisor::finish() {
    phase_ = Phase::done;
    logs_.drain();
    logs_.end_followers();  // `logs -f` ends (exit 0) with the services' last lines
    if (orphans_reaped_) spdlog::info("reaped {} orphaned processes in all", orphans_reaped_);
    spdlog::info("shutdown complete; exit status {}", exit_code_);
    for (auto& waiter : pending_requests_) waiter.reply->send(false, "the supervisor shut down");
    pending_requests_.clear();
    for (auto& reply : reload_replies_) if (reply) reply->send(false, "the supervisor shut down");
    reload_replies_.clear();
    signals_.close();
    control_.close();
    http_.close();
    close_handle(after_events_hook_);
    close_handle(reload_timer_);
    close_handle(pending_timer_);
    close_handle(grace_timer_);
    close_handle(drain_timer_);
    close_handle(finish_timer_);
    for (auto& [name, slot] : services_) {
        unwatch_files(*slot);
        end_checks(*slot);
        close_exec_pipe(*slot);
        close_handle(slot->timer);
        close_handle(slot->check_timer);
    }
    services_.clear();  // drops the last references to syslog destinations
    logs_.close();
}

}  // namespace sv
