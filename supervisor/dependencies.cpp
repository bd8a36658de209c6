#include "dependencies.hpp"

#include <algorithm>

namespace sv {

std::string missing_dependencies(const Service& service, const ServiceTable& table) {
    std::string missing;
    for (auto& dep : service.spec().after) {
        const Service* found = table.find(dep);
        if (found && found->ready()) continue;
        missing += (missing.empty() ? "" : ", ") + dep;
    }
    return missing;
}

// A dependency blocks a start when it is not ready and nothing will make it so: it is stopped
// on request or disabled (goal down), removed, failed, a longrun that exited, or blocked itself.
std::string blocked_dependencies(const Service& service, const ServiceTable& table, const std::vector<std::string>& starting,
                                 int depth) {
    std::string blocked;
    for (auto& dep : service.spec().after) {
        const Service* d = table.find(dep);
        std::string why;
        if (!d) {
            why = "unknown";
        } else {
            bool asked = std::find(starting.begin(), starting.end(), dep) != starting.end();
            if (d->ready()) continue;
            if (d->goal() == Goal::gone) why = "removed";
            else if (!asked && d->goal() == Goal::down) why = to_string(d->state());
            else if (!asked && (d->state() == State::failed || d->state() == State::exited)) why = to_string(d->state());
            else if (depth < 64) {
                std::string below = blocked_dependencies(*d, table, starting, depth + 1);
                if (!below.empty()) why = "waiting for " + below;
            }
        }
        if (!why.empty()) blocked += (blocked.empty() ? "" : ", ") + dep + " (" + why + ")";
    }
    return blocked;
}

bool may_start_now(const Service& service, const ServiceTable& table) {
    return service.waiting() && missing_dependencies(service, table).empty();
}

bool dependents_down(const Service& service, const ServiceTable& table) {
    const std::string& name = service.spec().name;
    bool down = true;
    table.for_each([&](const Service& other) {
        const auto& after = other.spec().after;
        if (std::find(after.begin(), after.end(), name) == after.end()) return;
        if (!other.down() || other.has_process()) down = false;
    });
    return down;
}

bool may_stop_now(const Service& service, const ServiceTable& table) {
    return service.state() != State::stopping && !service.down() && dependents_down(service, table);
}

bool all_down(const ServiceTable& table) {
    bool down = true;
    table.for_each([&](const Service& s) {
        if (s.has_process() || !s.down()) down = false;
    });
    return down;
}

bool all_ready(const ServiceTable& table) {
    bool ready = true;
    table.for_each([&](const Service& s) {
        if (s.spec().enabled && !s.ready() && s.state() != State::exited) ready = false;
    });
    return ready;
}

}  // namespace sv
