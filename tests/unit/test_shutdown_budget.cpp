// The worst-case shutdown that `check --grace-budget` compares: drains, stop timeouts along the
// longest chain of dependents, and the leftovers' grace.
#include <doctest/doctest.h>

#include "shutdown_budget.hpp"

using namespace sv;

namespace {

ServiceSpec svc(const std::string& name, int stop_ms, std::vector<std::string> after = {}, std::optional<int> drain_ms = {}) {
    ServiceSpec s;
    s.name = name;
    s.stop.timeout = Duration{stop_ms};
    s.after = std::move(after);
    if (drain_ms) s.stop.drain = Duration{*drain_ms};
    return s;
}

}  // namespace

TEST_CASE("shutdown budget: independent services stop in parallel; the longest counts") {
    auto e = worst_case_shutdown({svc("a", 5000), svc("b", 30000)}, Duration{0}, Duration{2000});
    CHECK(e.total == Duration{32000});
    CHECK(e.chain == "b (stop timeout 30s), leftovers 2s");
}

TEST_CASE("shutdown budget: a chain of dependents adds up in reverse order, after the drain") {
    // web starts after db, so web stops first, then db.
    auto e = worst_case_shutdown({svc("db", 5000), svc("web", 30000, {"db"}), svc("log", 1000)}, Duration{10000}, Duration{2000});
    CHECK(e.total == Duration{47000});
    CHECK(e.chain == "drain 10s, web (stop timeout 30s), db (stop timeout 5s), leftovers 2s");
}

TEST_CASE("shutdown budget: a service's own drain overrides --drain, and a longer drain further down wins") {
    // web drains 0 (its own), db would drain 20s (the default) and stop only then.
    auto e = worst_case_shutdown({svc("db", 5000), svc("web", 3000, {"db"}, 0)}, Duration{20000}, Duration{0});
    CHECK(e.total == Duration{25000});
    CHECK(e.chain == "drain 20s, db (stop timeout 5s), leftovers 0s");
}

TEST_CASE("shutdown budget: no services, only the leftovers' grace") {
    auto e = worst_case_shutdown({}, Duration{0}, Duration{2000});
    CHECK(e.total == Duration{2000});
    CHECK(e.chain == "leftovers 2s");
}
