#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "logs.hpp"
#include "syslog.hpp"
#include "parse.hpp"

using namespace sv;

namespace {

struct Collected {
    std::vector<std::pair<std::string, bool>> lines;
    LineSplitter::Emit emit() {
        return [this](std::string_view line, bool continued) { lines.emplace_back(std::string(line), continued); };
    }
};

}  // namespace

TEST_CASE("lines split across reads, the last partial line flushed at the end") {
    LineSplitter splitter;
    Collected c;
    std::string input = "one\ntw";
    splitter.feed(input.data(), input.size(), c.emit());
    CHECK(c.lines.size() == 1);
    input = "o\n\nthree";
    splitter.feed(input.data(), input.size(), c.emit());
    CHECK(c.lines.size() == 3);
    splitter.finish(c.emit());
    REQUIRE(c.lines.size() == 4);
    CHECK(c.lines[0].first == "one");
    CHECK(c.lines[1].first == "two");
    CHECK(c.lines[2].first == "");
    CHECK(c.lines[3].first == "three");
    splitter.finish(c.emit());
    CHECK(c.lines.size() == 4);  // nothing left to flush
}

TEST_CASE("an overlong line comes out in marked pieces, no byte lost") {
    LineSplitter splitter;
    Collected c;
    std::string big(kMaxLine * 2 + 10, 'x');
    big += "\nnext\n";
    for (size_t i = 0; i < big.size(); i += 1000) splitter.feed(big.data() + i, std::min<size_t>(1000, big.size() - i), c.emit());
    REQUIRE(c.lines.size() == 4);
    CHECK(c.lines[0].first.size() == kMaxLine);
    CHECK_FALSE(c.lines[0].second);
    CHECK(c.lines[1].first.size() == kMaxLine);
    CHECK(c.lines[1].second);
    CHECK(c.lines[2].first.size() == 10);
    CHECK(c.lines[2].second);
    CHECK(c.lines[3].first == "next");
    CHECK_FALSE(c.lines[3].second);
}

TEST_CASE("a line of exactly N x kMaxLine bytes is N pieces, with no empty piece after it") {
    for (size_t pieces : {1, 2, 3}) {
        LineSplitter splitter;
        Collected c;
        std::string line(kMaxLine * pieces, 'x');
        // The newline comes in a read of its own, after reads that end exactly at a piece's end.
        for (size_t i = 0; i < line.size(); i += kMaxLine) splitter.feed(line.data() + i, kMaxLine, c.emit());
        splitter.feed("\n", 1, c.emit());
        splitter.feed("next\n", 5, c.emit());
        REQUIRE(c.lines.size() == pieces + 1);
        for (size_t i = 0; i < pieces; ++i) {
            CHECK(c.lines[i].first.size() == kMaxLine);
            CHECK(c.lines[i].second == (i > 0));
        }
        CHECK(c.lines[pieces].first == "next");
        CHECK_FALSE(c.lines[pieces].second);
    }
}

TEST_CASE("bytes that are not UTF-8 pass through prefix and plain untouched") {
    std::string out;
    std::string bad = "caf\xC3\xA9 \xFF\xFE end";
    format_line(out, LogFormat::prefix, "web", Stream::out, bad, false, {});
    CHECK(out == "web | " + bad + "\n");
    out.clear();
    format_line(out, LogFormat::plain, "web", Stream::err, bad, false, {});
    CHECK(out == bad + "\n");
    out.clear();
    format_line(out, LogFormat::prefix, "web", Stream::err, "more", true, {});
    CHECK(out == "web:err + more\n");
}

TEST_CASE("json lines are valid JSON whatever the bytes") {
    std::string out;
    format_line(out, LogFormat::json, "web", Stream::err, "a \"q\" \\ \t\x01 caf\xC3\xA9 \xFF", true, std::chrono::system_clock::time_point{});
    CHECK(out == "{\"time\":\"1970-01-01T00:00:00.000Z\",\"service\":\"web\",\"stream\":\"stderr\","
                 "\"line\":\"a \\\"q\\\" \\\\ \\t\\u0001 caf\xC3\xA9 \xEF\xBF\xBD\",\"continued\":true}\n");
}

TEST_CASE("syslog frames") {
    long long t = 1764036245123;  // 2025-11-25T02:04:05.123Z
    CHECK(SyslogDestination::frame(SyslogDestination::Transport::unix_socket, 16, 6, "host", "web", "hello", t) == "<134>Nov 25 02:04:05 web: hello");
    CHECK(SyslogDestination::frame(SyslogDestination::Transport::udp, 16, 3, "host", "web", "hello", t) == "<131>1 2025-11-25T02:04:05.123Z host web - - - hello");
    std::string tcp = SyslogDestination::frame(SyslogDestination::Transport::tcp, 1, 6, "host", "web", "hi", t);
    CHECK(tcp == "48 <14>1 2025-11-25T02:04:05.123Z host web - - - hi");
    CHECK(tcp.size() - 3 == 48);
}

TEST_CASE("sizes and facilities") {
    CHECK(parse_size("10MiB") == 10ull << 20);
    CHECK(parse_size("512KiB") == 512ull << 10);
    CHECK(parse_size("1000") == 1000ull);
    CHECK(parse_size("2MB") == 2000000ull);
    CHECK_FALSE(parse_size("ten"));
    CHECK_FALSE(parse_size("10 MiB"));
    // Past the maximum: refused, never wrapped (17179869185GiB was 1GiB).
    bool too_big = false;
    CHECK(parse_size("1024GiB", &too_big) == kMaxSize);
    CHECK_FALSE(too_big);
    CHECK_FALSE(parse_size("17179869185GiB", &too_big));
    CHECK(too_big);
    CHECK_FALSE(parse_size("1099511627777", &too_big));
    CHECK(too_big);
    CHECK_FALSE(parse_size("99999999999999999999999MiB", &too_big));
    CHECK(too_big);
    CHECK(parse_facility("local0") == 16);
    CHECK(parse_facility("local7") == 23);
    CHECK(parse_facility("daemon") == 3);
    CHECK_FALSE(parse_facility("local8"));
}
