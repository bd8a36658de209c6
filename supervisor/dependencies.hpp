// What holds between services (`after`): who may start now, who may stop now at shutdown, and
// what blocks a start. Pure: it reads the state machines (service.hpp) through a view of the
// table and changes nothing; the supervisor feeds its answers to the machines as events.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "service.hpp"

namespace sv {

// The service table as the rules see it: the supervisor's, or a plain map in tests.
class ServiceTable {
   public:
    virtual ~ServiceTable() = default;
    // The service of that name; null when there is none.
    virtual const Service* find(const std::string& name) const = 0;
    virtual void for_each(const std::function<void(const Service&)>& visit) const = 0;
};

// Its `after` services that are not ready (", "-separated, in the file's order); empty when
// all are, and it may start.
std::string missing_dependencies(const Service& service, const ServiceTable& table);

// Its `after` services that are not ready and that nothing will make so, each with why:
// "db (stopped)", "db (removed)", "cache (waiting for redis (failed))"; empty when none.
// `starting`: the services the same request starts, which count as on their way.
std::string blocked_dependencies(const Service& service, const ServiceTable& table,
                                 const std::vector<std::string>& starting = {}, int depth = 0);

// It waits for its dependencies, and they are now ready: start it (request_start).
bool may_start_now(const Service& service, const ServiceTable& table);

// Shutdown: it still runs (and is not stopping already) and every service that starts after
// it is down, so it may stop now. Services that do not depend on each other stop together.
bool may_stop_now(const Service& service, const ServiceTable& table);

// Every service that starts after it is down, with no process left.
bool dependents_down(const Service& service, const ServiceTable& table);

// Nothing runs and nothing will by itself: shutdown may go on to the leftover processes.
bool all_down(const ServiceTable& table);

// Every enabled service is ready (or a longrun that exited as its policy allows): PID 1 may
// tell its own manager READY=1.
bool all_ready(const ServiceTable& table);

}  // namespace sv
