// Start order (`after`), readiness ([ready], sd_notify) and health ([health]) as the supervisor
// carries them out: it asks dependencies.hpp who may start, runs the checks the machine
// (service.hpp) says are due, and hands their results and sd_notify messages back to it.
#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

#include "boundary.hpp"
#include "dependencies.hpp"
#include "supervisor.hpp"
#include "parse.hpp"

namespace sv {

const Service* Supervisor::find(const std::string& name) const {
    auto found = services_.find(name);
    return found == services_.end() ? nullptr : &found->second->service;
}

void Supervisor::for_each(const std::function<void(const Service&)>& visit) const {
    for (auto& [name, slot] : services_) visit(slot->service);
}

void Supervisor::request_start(ServiceEntry& slot) {
    if (phase_ != Phase::running || slot.service.goal() == Goal::gone) return;
    apply(slot, slot.service.request_start(missing_dependencies(slot.service, *this), Clock::now()));
}

void Supervisor::start_waiting() {
    for (auto& [name, slot] : services_)
        if (may_start_now(slot->service, *this)) request_start(*slot);
}

bool Supervisor::open_notify(ServiceEntry& slot, std::string& error) {
    slot.notify.reset();
    if (!slot.service.spec().ready.notify) return true;
    auto socket = std::make_unique<NotifySocket>();
    ServiceEntry* s = &slot;
    bool ok = socket->open(loop_, slot.service.spec().name, [this, s](const std::string& key, const std::string& value) {
        apply(*s, s->service.notified(key, value, Clock::now()));
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
    if (!all_ready(*this)) return;
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

void Supervisor::schedule_check(ServiceEntry& slot, Duration delay) {
    uv_timer_start(slot.check_timer, [](uv_timer_t* t) noexcept {
        at_boundary("a service's check timer", [&] {
            auto* s = static_cast<ServiceEntry*>(t->data);
            s->owner->run_check(*s);
        });
    }, static_cast<uint64_t>(delay.count()), 0);
}

// Runs the check the machine says is due; its result goes back to the machine.
void Supervisor::run_check(ServiceEntry& slot) {
    Check check = slot.service.next_check();
    if (check == Check::none || phase_ != Phase::running) return;
    const ServiceSpec& spec = slot.service.spec();
    const Probe& probe = check == Check::readiness ? spec.ready.probe : spec.health.probe;
    Duration timeout = check == Check::readiness ? spec.ready.timeout : spec.health.timeout;
    CommandRunner runner = [this, &spec](const std::vector<std::string>& argv, Duration t, std::function<void(int, const std::string&)> done) {
        tasks_.run(spec, argv, environ_, t, std::move(done));
    };
    ServiceEntry* s = &slot;
    slot.probe = run_probe(loop_, probe, timeout, runner, [this, s, check](bool ok, const std::string& message) {
        s->probe.reset();
        apply(*s, s->service.check_result(check, ok, message, Clock::now()));
    });
}

void Supervisor::end_checks(ServiceEntry& slot) {
    if (slot.probe) *slot.probe = false;
    slot.probe.reset();
    if (slot.check_timer) uv_timer_stop(slot.check_timer);
    slot.notify.reset();
}

}  // namespace sv
