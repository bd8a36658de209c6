#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "users.hpp"

using namespace sv;

TEST_CASE("numeric ids: in range or refused, never truncated") {
    CHECK(parse_id("0") == 0u);
    CHECK(parse_id("4294967294") == 4294967294u);
    CHECK_FALSE(parse_id("4294967295"));  // (uid_t)-1: "unchanged" to setuid
    CHECK_FALSE(parse_id("4294967296"));  // would be uid 0 as a uid_t
    CHECK_FALSE(parse_id("99999999999999999999999"));
    CHECK_FALSE(parse_id("-1"));
    CHECK_FALSE(parse_id(""));
    CHECK_FALSE(parse_id("12a"));
}

TEST_CASE("passwd and group entries with out-of-range ids are skipped, not truncated") {
    char passwd[] = "/tmp/sv-unit-passwd.XXXXXX";
    int fd = ::mkstemp(passwd);
    REQUIRE(fd >= 0);
    ::close(fd);
    std::ofstream(passwd) << "big:x:4294967296:4294967296::/:/bin/sh\nok:x:1000:1000::/home/ok:/bin/sh\n";
    CHECK_FALSE(find_user("big", passwd));
    CHECK_FALSE(find_user("0", passwd));
    CHECK(find_user("ok", passwd)->uid == 1000u);
    std::ofstream(passwd) << "huge:x:4294967297:\n";
    CHECK_FALSE(find_group("huge", passwd));
    std::remove(passwd);
}
