// Start order (`after`), readiness ([ready], sd_notify) and health ([health]) of services.
#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "supervisor_parts.hpp"
#include "parse.hpp"

namespace sv {

bool Supervisor::dependencies_ready(const Slot& slot, std::string* waiting_for) const {
    bool ready = true;
    for (auto& dep : slot.service.spec().after) {
        auto found = services_.find(dep);
        if (found != services_.end() && found->second->service.ready()) continue;
        ready = false;
        if (waiting_for) *waiting_for += (waiting_for->empty() ? "" : ", ") + dep;
    }
    return ready;
}

// A dependency blocks a start when it is not ready and nothing will make it so: it is stopped
// on request or disabled (goal down), removed, failed, a longrun that exited, or blocked itself.
// `starting`: the services the same request starts, so "start db app" works in either order.
std::string Supervisor::blocked_dependencies(const Slot& slot, const std::vector<std::string>& starting, int depth) const {
    std::string blocked;
    for (auto& dep : slot.service.spec().after) {
        auto found = services_.find(dep);
        std::string why;
        if (found == services_.end()) {
            why = "unknown";
        } else {
            const Service& d = found->second->service;
            bool asked = std::find(starting.begin(), starting.end(), dep) != starting.end();
            if (d.ready()) continue;
            if (d.goal() == Goal::gone) why = "removed";
            else if (!asked && d.goal() == Goal::down) why = to_string(d.state());
            else if (!asked && (d.state() == State::failed || d.state() == State::exited)) why = to_string(d.state());
            else if (depth < 64) {
                std::string below = blocked_dependencies(*found->second, starting, depth + 1);
                if (!below.empty()) why = "waiting for " + below;
            }
        }
        if (!why.empty()) blocked += (blocked.empty() ? "" : ", ") + dep + " (" + why + ")";
    }
    return blocked;
}

bool Supervisor::dependents_down(const Slot& slot) const {
    const std::string& name = slot.service.spec().name;
    for (auto& [other, s] : services_) {
        const auto& after = s->service.spec().after;
        if (std::find(after.begin(), after.end(), name) == after.end()) continue;
        if (!s->service.down() || s->service.has_process()) return false;
    }
    return true;
}

void Supervisor::request_start(Slot& slot) {
    if (phase_ != Phase::running || slot.service.goal() == Goal::gone) return;
    std::string missing;
    if (!dependencies_ready(slot, &missing)) {
        if (!slot.waiting) spdlog::info("{}: waiting for {} to be ready", slot.service.spec().name, missing);
        slot.waiting = true;
        slot.service.want_up();
        return;
    }
    slot.waiting = false;
    apply(slot, slot.service.start(Clock::now()));
}

void Supervisor::start_waiting() {
    for (auto& [name, slot] : services_)
        if (slot->waiting && dependencies_ready(*slot)) request_start(*slot);
}

bool Supervisor::open_notify(Slot& slot, std::string& error) {
    slot.notify.reset();
    if (!slot.service.spec().ready.notify) return true;
    auto socket = std::make_unique<NotifySocket>();
    Slot* s = &slot;
    bool ok = socket->open(loop_, slot.service.spec().name, [this, s](const std::string& key, const std::string& value) {
        const std::string& name = s->service.spec().name;
        if (key == "READY" && value == "1") {
            if (!s->service.ready()) on_ready(*s);
        } else if (key == "RELOADING" && value == "1") {
            s->service.became_unready();
            spdlog::info("{}: reloading (sd_notify)", name);
        } else if (key == "STOPPING" && value == "1") {
            spdlog::info("{}: stopping (sd_notify)", name);
        } else if (key == "STATUS") {
            // Shown by `status` on a terminal: no escape sequences, no control characters.
            s->notify_status.clear();
            for (char c : value)
                if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) s->notify_status += c;
        }
    });
    if (!ok) {
        error = std::string("cannot make its NOTIFY_SOCKET: ") + std::strerror(errno);
        return false;
    }
    slot.plan.envp.push_back("NOTIFY_SOCKET=" + socket->address());
    slot.notify = std::move(socket);
    return true;
}

void Supervisor::check_all_ready() {
    if (outer_ready_ || outer_notify_.empty() || phase_ != Phase::running) return;
    for (auto& [name, slot] : services_) {
        const Service& s = slot->service;
        if (s.spec().enabled && !s.ready() && s.state() != State::exited) return;
    }
    outer_ready_ = true;
    tell_outer_manager("READY=1");
}

void Supervisor::tell_outer_manager(const char* message) {
    if (outer_notify_.empty()) return;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = outer_notify_;
    if (path.size() >= sizeof addr.sun_path || (path[0] != '/' && path[0] != '@')) {
        spdlog::warn("NOTIFY_SOCKET {} is not a socket address; not telling it {}", outer_notify_, message);
        return;
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    if (path[0] == '@') addr.sun_path[0] = '\0';  // abstract
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '/' ? 1 : 0));
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || ::sendto(fd, message, std::strlen(message), MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len) < 0)
        spdlog::warn("cannot tell {} to NOTIFY_SOCKET {}: {}", message, outer_notify_, std::strerror(errno));
    else
        spdlog::debug("told NOTIFY_SOCKET {}: {}", outer_notify_, message);
    if (fd >= 0) ::close(fd);
}

void Supervisor::on_running(Slot& slot) {
    slot.health_failures = 0;
    slot.health_checked = false;
    slot.check_message.clear();
    slot.not_ready_told = false;
    slot.notify_status.clear();
    const ServiceSpec& spec = slot.service.spec();
    if (spec.type == ServiceType::oneshot) return;
    if (spec.ready.probe.any()) return schedule_check(slot, Duration{0});
    if (!slot.service.waits_for_readiness()) on_ready(slot);  // no check: ready as soon as it runs
}

void Supervisor::on_ready(Slot& slot) {
    apply(slot, slot.service.became_ready(Clock::now()));
    const ServiceSpec& spec = slot.service.spec();
    if (spec.ready.notify || spec.ready.probe.any()) spdlog::info("{}: ready", spec.name);
    if (spec.health.probe.any()) schedule_check(slot, spec.health.interval);
}

void Supervisor::schedule_check(Slot& slot, Duration delay) {
    uv_timer_start(slot.check_timer, [](uv_timer_t* t) {
        auto* s = static_cast<Slot*>(t->data);
        s->owner->run_check(*s);
    }, static_cast<uint64_t>(delay.count()), 0);
}

void Supervisor::run_check(Slot& slot) {
    Service& service = slot.service;
    if (service.state() != State::running || phase_ != Phase::running) return;
    const ServiceSpec& spec = service.spec();
    bool readiness = !service.ready();
    const Probe& probe = readiness ? spec.ready.probe : spec.health.probe;
    Duration timeout = readiness ? spec.ready.timeout : spec.health.timeout;
    CommandRunner runner = [this, &spec](const std::vector<std::string>& argv, Duration t, std::function<void(int, const std::string&)> done) {
        tasks_.run(spec, argv, environ_, t, std::move(done));
    };
    Slot* s = &slot;
    slot.probe = run_probe(loop_, probe, timeout, runner, [this, s, readiness](bool ok, const std::string& message) {
        s->probe.reset();
        bool news = s->check_message != message;
        s->check_message = message;
        Service& svc = s->service;
        const ServiceSpec& sp = svc.spec();
        if (svc.state() != State::running) return;
        if (readiness) {
            if (ok) return on_ready(*s);
            // Said once per run at info (a check that cannot pass, such as a refused program,
            // must not go unseen; the service's buffer keeps it through the log), then at
            // debug: it repeats every interval. The buffer keeps only what is new (the buffer
            // takes no debug message from the log: `logs` tells why, not every attempt).
            if (!s->not_ready_told) {
                spdlog::info("{}: not ready: {} (checking every {})", sp.name, message, format_duration(sp.ready.interval));
            } else {
                spdlog::debug("{}: not ready yet: {}", sp.name, message);
                if (news) logs_.note(sp.name, spdlog::level::debug, sp.name + ": not ready: " + message, std::chrono::system_clock::now());
            }
            s->not_ready_told = true;
            return schedule_check(*s, sp.ready.interval);
        }
        s->health_checked = true;
        if (ok) {
            if (s->health_failures > 0) spdlog::info("{}: healthy again", sp.name);
            s->health_failures = 0;
            return schedule_check(*s, sp.health.interval);
        }
        ++s->health_failures;
        spdlog::warn("{}: health check failed ({}/{}): {}", sp.name, s->health_failures, sp.health.retries, message);
        if (s->health_failures < sp.health.retries) return schedule_check(*s, sp.health.interval);
        apply(*s, svc.fail("health check failed " + std::to_string(s->health_failures) + " times in a row (" + describe(sp.health.probe) + ": " + message + ")",
                           Clock::now()));
    });
}

void Supervisor::end_checks(Slot& slot) {
    if (slot.probe) *slot.probe = false;
    slot.probe.reset();
    if (slot.check_timer) uv_timer_stop(slot.check_timer);
    slot.notify.reset();
}

}  // namespace sv
