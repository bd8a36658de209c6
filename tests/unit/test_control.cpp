#include <doctest/doctest.h>

#include "control.hpp"

using namespace sv;

TEST_CASE("logs requests: -n N|all, -f, --since DURATION|TIME, --json, names; usage errors") {
    Request r;
    std::string error;
    REQUIRE(parse_request("logs", r, error));
    CHECK(r.verb == Request::logs);
    CHECK(r.lines == kDefaultLogLines);
    CHECK_FALSE(r.follow);
    CHECK(r.names.empty());
    REQUIRE(parse_request("logs -n 5 -f --json web db --timeout 60000ms", r, error));
    CHECK(r.lines == 5u);
    CHECK(r.follow);
    CHECK(r.json);
    CHECK(r.names == std::vector<std::string>{"web", "db"});
    REQUIRE(parse_request("logs -n all --since 10m", r, error));
    CHECK_FALSE(r.lines);
    REQUIRE(r.since);
    auto ago = std::chrono::system_clock::now() - *r.since;
    CHECK(ago >= std::chrono::minutes(10));
    CHECK(ago < std::chrono::minutes(11));
    REQUIRE(parse_request("logs --since 2026-12-02T14:05:00Z web", r, error));
    CHECK(std::chrono::system_clock::to_time_t(*r.since) == 1796220300);
    CHECK_FALSE(parse_request("logs -n", r, error));
    CHECK(error == "logs: -n needs a value");
    CHECK_FALSE(parse_request("logs -n -3", r, error));
    CHECK_FALSE(parse_request("logs -n lots", r, error));
    CHECK(error.find("is not a number of lines") != std::string::npos);
    CHECK_FALSE(parse_request("logs --since soon", r, error));
    CHECK(error.find("neither a duration") != std::string::npos);
    CHECK_FALSE(parse_request("logs --tail web", r, error));
    CHECK(error == "logs: unknown option --tail");
}
