#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "resolve.hpp"

namespace {

std::string temp_file(const std::string& text) {
    char path[] = "/tmp/sv-hosts-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fd);
    return path;
}

}  // namespace

TEST_CASE("hosts file: first address of a name or alias, in file order") {
    std::string hosts = temp_file(
        "# comment\n"
        "127.0.0.1\tlocalhost\n"
        "not-an-address logs\n"
        "10.0.0.2 logs.lab logs  # the log host\n"
        "10.0.0.3 logs\n"
        "fd00::0042 six\r\n");
    CHECK(sv::find_host("localhost", hosts) == "127.0.0.1");
    CHECK(sv::find_host("LOGS", hosts) == "10.0.0.2");
    CHECK(sv::find_host("logs.lab", hosts) == "10.0.0.2");
    CHECK(sv::find_host("six", hosts) == "fd00::42");
    CHECK_FALSE(sv::find_host("comment", hosts));
    CHECK_FALSE(sv::find_host("the", hosts));
    CHECK_FALSE(sv::find_host("", hosts));
    CHECK_FALSE(sv::find_host("logs", "/nonexistent/hosts"));
    std::remove(hosts.c_str());
}

TEST_CASE("DNS answers: a CNAME is skipped, compressed names are followed past") {
    // id, flags, 1 question, 2 answers; question "a.test" A IN; CNAME a.test -> b.test; A 10.1.2.3
    const unsigned char message[] = {
        0, 1, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
        1, 'a', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
        0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 8, 1, 'b', 4, 't', 'e', 's', 't', 0,
        0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3};
    CHECK(sv::first_answer(message, sizeof message, 1) == "10.1.2.3");
    CHECK_FALSE(sv::first_answer(message, sizeof message, 28));
    CHECK_FALSE(sv::first_answer(message, sizeof message - 1, 1));  // truncated record
    CHECK_FALSE(sv::first_answer(message, 11, 1));
}

TEST_CASE("literal addresses resolve to themselves") {
    CHECK(sv::resolve_host("127.0.0.1") == "127.0.0.1");
    CHECK(sv::resolve_host("::0001") == "::1");
}
