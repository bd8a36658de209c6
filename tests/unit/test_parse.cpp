#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "resolve.hpp"
#include "parse.hpp"
#include "users.hpp"

using namespace sv;
using namespace std::chrono_literals;

TEST_CASE("durations") {
    CHECK(parse_duration("100ms") == Duration{100});
    CHECK(parse_duration("5s") == Duration{5000});
    CHECK(parse_duration("2m") == Duration{120000});
    CHECK(parse_duration("1h") == Duration{3600000});
    CHECK(parse_duration("1m30s") == Duration{90000});
    CHECK(parse_duration("0") == Duration{0});
    CHECK_FALSE(parse_duration(""));
    CHECK_FALSE(parse_duration("5"));
    CHECK_FALSE(parse_duration("s"));
    CHECK_FALSE(parse_duration("5 s"));
    CHECK_FALSE(parse_duration("-5s"));
    CHECK_FALSE(parse_duration("1.5s"));
    CHECK_FALSE(parse_duration("5sec"));
    CHECK_FALSE(parse_duration("99999999999999999s"));
    CHECK(format_duration(Duration{400}) == "400ms");
    CHECK(format_duration(Duration{1500}) == "1.5s");
    CHECK(format_duration(Duration{30000}) == "30s");
    CHECK(format_duration(Duration{120000}) == "2m");
}

TEST_CASE("signals by name, with or without SIG, any case, or by number") {
    CHECK(parse_signal("SIGTERM") == SIGTERM);
    CHECK(parse_signal("TERM") == SIGTERM);
    CHECK(parse_signal("sigusr1") == SIGUSR1);
    CHECK(parse_signal("9") == SIGKILL);
    CHECK(parse_signal("SIGRTMIN") == SIGRTMIN);
    CHECK(parse_signal("RTMIN+2") == SIGRTMIN + 2);
    CHECK(parse_signal("SIGRTMAX-1") == SIGRTMAX - 1);
    CHECK_FALSE(parse_signal("SIGFOO"));
    CHECK_FALSE(parse_signal("0"));
    CHECK_FALSE(parse_signal("65"));
    CHECK_FALSE(parse_signal("RTMIN+99"));
    CHECK_FALSE(parse_signal(""));
    CHECK(signal_name(SIGTERM) == "SIGTERM");
    CHECK(signal_name(SIGRTMIN + 3) == "SIGRTMIN+3");
}

TEST_CASE("wait statuses") {
    CHECK(describe_status(W_EXITCODE(3, 0)) == "exited with status 3");
    CHECK(describe_status(W_EXITCODE(0, SIGKILL)) == "killed by SIGKILL");
    CHECK(exit_code_of(W_EXITCODE(3, 0)) == 3);
    CHECK(exit_code_of(W_EXITCODE(0, SIGKILL)) == 137);
    CHECK(exit_code_of(W_EXITCODE(0, SIGTERM)) == 143);
}

TEST_CASE("umask") {
    CHECK(parse_umask("0022") == 022u);
    CHECK(parse_umask("077") == 077u);
    CHECK_FALSE(parse_umask("0999"));
    CHECK_FALSE(parse_umask("01000"));
    CHECK_FALSE(parse_umask("abc"));
}

TEST_CASE("durations past the maximum are refused, never wrapped around") {
    bool too_long = false;
    CHECK(parse_duration("10000h", &too_long) == kMaxDuration);
    CHECK_FALSE(too_long);
    CHECK(parse_duration("9999h59m59s999ms") == kMaxDuration - Duration{1});
    CHECK_FALSE(parse_duration("10000h1ms", &too_long));
    CHECK(too_long);
    // Three terms that each fit a long long but sum past it (the audit's "-7646744073720352728ms").
    CHECK_FALSE(parse_duration("999999999999h999999999999h999999999999h", &too_long));
    CHECK(too_long);
    CHECK_FALSE(parse_duration("99999999999999999999999999s", &too_long));
    CHECK(too_long);
    CHECK_FALSE(parse_duration("999999999999x", &too_long));  // a bad unit is a syntax error
    CHECK_FALSE(too_long);
}

TEST_CASE("capabilities by name, and back") {
    CHECK(parse_capability("CAP_NET_BIND_SERVICE") == 10);
    CHECK(parse_capability("kill") == 5);
    CHECK_FALSE(parse_capability("CAP_BOGUS"));
    CHECK(capability_name(10) == "CAP_NET_BIND_SERVICE");
    CHECK(capability_name(*parse_capability("checkpoint_restore")) == "CAP_CHECKPOINT_RESTORE");
    CHECK(capability_name(99) == "capability 99");
}

TEST_CASE("read_file: only a small regular file, never a wait for a FIFO's writer") {
    char dir[] = "/tmp/sv-unit.XXXXXX";
    REQUIRE(::mkdtemp(dir));
    std::string base = dir, text, why;
    std::string fifo = base + "/passwd";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    CHECK_FALSE(read_file(fifo, text, &why));  // returns at once: opened non-blocking
    CHECK(why == "is a FIFO, not a regular file");
    CHECK_FALSE(find_user("root", fifo));      // the users and hosts files are read the same way
    CHECK_FALSE(find_host("localhost", fifo));
    CHECK_FALSE(read_file("/dev/zero", text, &why));
    CHECK(why == "is a device, not a regular file");
    CHECK_FALSE(read_file(base, text, &why));
    CHECK(why == "is a directory, not a regular file");
    std::string big = base + "/big";
    FILE* f = std::fopen(big.c_str(), "w");
    REQUIRE(f);
    std::string chunk(4096, 'x');
    for (int i = 0; i < 300; ++i) std::fwrite(chunk.data(), 1, chunk.size(), f);
    std::fclose(f);
    CHECK_FALSE(read_file(big, text, &why));
    CHECK(why == "is 1228800 bytes, over the limit of 1MiB");
    CHECK(read_file(big, text, &why, 2 << 20));
    CHECK(text.size() == 1228800);
    CHECK(read_file("/proc/self/stat", text));  // /proc files say size 0 and are read whole
    CHECK_FALSE(text.empty());
    ::unlink(fifo.c_str());
    ::unlink(big.c_str());
    ::rmdir(dir);
}

TEST_CASE("times for logs --since: RFC 3339 in UTC, fractions optional") {
    using std::chrono::system_clock;
    auto t = parse_time("2026-12-02T14:05:06Z");
    REQUIRE(t);
    CHECK(system_clock::to_time_t(*t) == 1796220306);
    auto fraction = parse_time("2026-12-02T14:05:06.250");
    REQUIRE(fraction);
    CHECK(*fraction - *t == std::chrono::milliseconds(250));
    for (const char* bad : {"", "2026-12-02", "2026-12-02 14:05:06", "2026-13-02T14:05:06Z", "2026-12-02T14:05:06+01:00", "yesterday"})
        CHECK_FALSE(parse_time(bad));
}

TEST_CASE("parse_number: the whole text, digits only, within the type") {
    CHECK(parse_number<unsigned long>("42") == 42ul);
    CHECK(parse_number<int>("-7") == -7);
    CHECK_FALSE(parse_number<unsigned long>("-7"));
    CHECK_FALSE(parse_number<int>(""));
    CHECK_FALSE(parse_number<int>("+1"));
    CHECK_FALSE(parse_number<int>("12x"));
    CHECK_FALSE(parse_number<int>(" 1"));
    CHECK_FALSE(parse_number<uint8_t>("256"));
    CHECK(parse_number<unsigned>("777", 8) == 0777u);
}

TEST_CASE("signals the supervisor keeps for itself cannot be forwarded") {
    for (int sig : {SIGKILL, SIGSTOP, SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP}) CHECK(why_not_forwarded(sig));
    for (int sig : {SIGUSR1, SIGUSR2, SIGWINCH, SIGRTMIN + 2}) CHECK_FALSE(why_not_forwarded(sig));
    CHECK(is_shutdown_signal(SIGQUIT));
    CHECK_FALSE(is_shutdown_signal(SIGHUP));
}
