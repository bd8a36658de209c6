// The rules between services (dependencies.hpp) over a table of machines in a plain map: who
// may start, what blocks a start, who may stop at shutdown. No processes, no loop.
#include <doctest/doctest.h>

#include <map>

#include "dependencies.hpp"
#include "service_fixtures.hpp"

using namespace sv;
using namespace sv::testing;

namespace {

struct Table final : ServiceTable {
    std::map<std::string, Service> services;
    Clockwork clock;
    pid_t next_pid = 10;

    Service& add(const std::string& name, std::vector<std::string> after = {}) {
        ServiceSpec spec = spec_with(RestartPolicy::always);
        spec.name = name;
        spec.after = std::move(after);
        return services.emplace(name, Service(spec)).first->second;
    }
    Service& at(const std::string& name) { return services.at(name); }
    // Asked to start, as the supervisor asks: with what its dependencies lack.
    Actions start(const std::string& name) { return at(name).request_start(missing_dependencies(at(name), *this), clock.now); }
    void run(const std::string& name) {
        start(name);
        sv::testing::run(at(name), clock, next_pid++);
    }

    const Service* find(const std::string& name) const override {
        auto found = services.find(name);
        return found == services.end() ? nullptr : &found->second;
    }
    void for_each(const std::function<void(const Service&)>& visit) const override {
        for (auto& [name, s] : services) visit(s);
    }
};

}  // namespace

TEST_CASE("dependencies: a start waits for its `after` services, then may start") {
    Table t;
    t.add("db");
    t.add("cache");
    t.add("app", {"db", "cache"});
    CHECK(missing_dependencies(t.at("app"), t) == "db, cache");
    CHECK(said(t.start("app")) == "app: waiting for db, cache to be ready");
    CHECK(t.at("app").waiting());
    CHECK_FALSE(may_start_now(t.at("app"), t));
    CHECK(blocked_dependencies(t.at("app"), t, {"db", "cache"}).empty());  // on their way when started together

    t.run("db");
    CHECK(missing_dependencies(t.at("app"), t) == "cache");
    t.run("cache");
    CHECK(may_start_now(t.at("app"), t));
    CHECK(has(t.start("app"), Action::spawn));
    CHECK_FALSE(may_start_now(t.at("app"), t));
}

TEST_CASE("dependencies: a start whose dependency nothing will make ready is blocked, never waits forever") {
    Table t;
    t.add("db");
    t.add("app", {"db"});
    // db stopped on request (or never started): nothing will make it ready.
    CHECK(blocked_dependencies(t.at("app"), t) == "db (stopped)");
    // ...unless the same request starts it.
    CHECK(blocked_dependencies(t.at("app"), t, {"db", "app"}).empty());

    // app waits for db, which is then stopped: the wait is now blocked, and says why.
    t.at("db").want_up();
    t.start("app");
    CHECK(blocked_dependencies(t.at("app"), t).empty());  // db's goal is up: on its way
    t.at("db").stop(t.clock.now);
    CHECK(t.at("app").waiting());
    CHECK(blocked_dependencies(t.at("app"), t) == "db (stopped)");

    // failed, removed, unknown; and through a chain
    t.run("db");
    t.at("db").ended(exit_code(1), t.clock.now);
    t.at("db").fail("x", t.clock.now);
    t.at("db").remove(t.clock.now);
    CHECK(blocked_dependencies(t.at("app"), t) == "db (removed)");
    t.add("ghost", {"nowhere"});
    CHECK(blocked_dependencies(t.at("ghost"), t) == "nowhere (unknown)");
    t.add("front", {"app"});
    t.at("app").want_up();
    CHECK(blocked_dependencies(t.at("front"), t) == "app (waiting for db (removed))");
}

TEST_CASE("dependencies: a dependency that failed or exited blocks, unless started again by the same request") {
    Table t;
    t.add("db");
    t.add("app", {"db"});
    t.run("db");
    t.at("db").ended(exit_code(1), t.clock.now);
    ServiceSpec never = t.at("db").spec();
    never.restart.policy = RestartPolicy::never;
    t.at("db").replace(never, t.clock.now);  // down: takes effect now, goal up
    t.run("db");
    t.at("db").ended(exit_code(1), t.clock.now);
    REQUIRE(t.at("db").state() == State::failed);
    CHECK(t.at("db").goal() == Goal::up);
    CHECK(blocked_dependencies(t.at("app"), t) == "db (failed)");
    CHECK(blocked_dependencies(t.at("app"), t, {"db"}).empty());
}

TEST_CASE("dependencies: shutdown stops a service only once every dependent is down") {
    Table t;
    t.add("db");
    t.add("app", {"db"});
    t.add("other");
    t.run("db");
    t.run("app");
    t.run("other");
    CHECK_FALSE(dependents_down(t.at("db"), t));
    CHECK_FALSE(may_stop_now(t.at("db"), t));
    CHECK(may_stop_now(t.at("app"), t));
    CHECK(may_stop_now(t.at("other"), t));  // unrelated: in parallel

    t.at("app").stop(t.clock.now);
    CHECK_FALSE(may_stop_now(t.at("app"), t));  // stopping already
    CHECK_FALSE(may_stop_now(t.at("db"), t));   // its dependent still has a process
    t.at("app").ended(killed(SIGTERM), t.clock.now);
    CHECK(may_stop_now(t.at("db"), t));
    CHECK_FALSE(all_down(t));

    t.at("db").stop(t.clock.now);
    t.at("db").ended(killed(SIGTERM), t.clock.now);
    t.at("other").stop(t.clock.now);
    CHECK_FALSE(all_down(t));
    t.at("other").ended(killed(SIGTERM), t.clock.now);
    CHECK(all_down(t));
}

TEST_CASE("dependencies: all ready once every enabled service is ready or exited as allowed") {
    Table t;
    t.add("web");
    ServiceSpec off = spec_with(RestartPolicy::always);
    off.name = "off";
    off.enabled = false;
    t.services.emplace("off", Service(off));
    CHECK_FALSE(all_ready(t));
    t.run("web");
    CHECK(all_ready(t));  // the disabled one does not count
    ServiceSpec job = spec_with(RestartPolicy::never);
    job.name = "job";
    t.services.emplace("job", Service(job));
    CHECK_FALSE(all_ready(t));
    t.run("job");
    t.at("job").ended(exit_code(0), t.clock.now);
    CHECK(all_ready(t));  // a longrun that exited as its policy allows
}
