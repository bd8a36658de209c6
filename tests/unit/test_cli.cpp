#include <doctest/doctest.h>

#include "cli.hpp"
#include "control.hpp"

using namespace sv;

namespace {

CommandLine parsed(std::vector<std::string> args) { return parse_command_line(args, nullptr, nullptr); }

}  // namespace

TEST_CASE("global options before or after the subcommand") {
    auto before = parsed({"--socket", "/s", "--timeout", "5s", "status", "web"});
    CHECK(before.error == "");
    CHECK(before.kind == CommandLine::client);
    CHECK(before.options.socket_path == "/s");
    CHECK(before.timeout_seconds == 5);
    CHECK(before.request == std::vector<std::string>{"status", "web"});
    // Every client verb, logs included.
    for (std::string verb : {"start", "stop", "restart", "reload", "shutdown", "logs"}) {
        auto any = verb == "shutdown" ? parsed({"--socket", "/s", verb}) : parsed({"--socket", "/s", verb, "web"});
        CHECK_MESSAGE(any.error == "", verb);
        CHECK_MESSAGE(any.kind == CommandLine::client, verb);
        CHECK_MESSAGE(any.options.socket_path == "/s", verb);
    }
    auto logs = parsed({"--timeout", "5s", "logs", "-n", "5", "web"});
    CHECK(logs.error == "");
    CHECK(logs.timeout_seconds == 5);
    CHECK(parsed({"lgos", "web"}).error == "unknown command \"lgos\"; did you mean \"logs\"?");
    auto after = parsed({"status", "web", "--socket", "/s"});
    CHECK(after.options.socket_path == "/s");
    CHECK(after.request == before.request);

    auto check = parsed({"--config-dir", "/c", "check", "--root", "/img", "--syntax-only"});
    CHECK(check.error == "");
    CHECK(check.kind == CommandLine::check);
    CHECK(check.options.config_dir == "/c");
    CHECK(check.root == "/img");
    CHECK(check.syntax_only);

    auto run = parsed({"--log-level", "debug", "run", "--config-dir", "/c", "--", "sleep", "1"});
    CHECK(run.error == "");
    CHECK(run.kind == CommandLine::run);
    CHECK(run.log_level == "debug");
    CHECK(run.options.command == std::vector<std::string>{"sleep", "1"});
    // Without a subcommand the words are run's, as before.
    auto plain = parsed({"--config-dir", "/c", "--", "sleep", "1"});
    CHECK(plain.kind == CommandLine::run);
    CHECK(plain.options.command == std::vector<std::string>{"sleep", "1"});
    CHECK(parsed({"--socket", "/s", "--help"}).kind == CommandLine::help);
    CHECK(parsed({"--", "prog", "--help"}).kind == CommandLine::run);  // the command's own option
}

TEST_CASE("--http, SUPERVISOR_HTTP, --drain; check takes --drain, --grace and --grace-budget") {
    auto run = parse_command_line({"--drain", "5s", "--http", ":9180"}, nullptr, nullptr, nullptr);
    CHECK(run.error.empty());
    CHECK(run.options.drain == Duration{5000});
    CHECK(run.options.http_address == ":9180");
    CHECK(parse_command_line({}, nullptr, nullptr, "127.0.0.1:0").options.http_address == "127.0.0.1:0");
    CHECK(parse_command_line({"--http", ""}, nullptr, nullptr, "127.0.0.1:0").options.http_address.empty());
    auto check = parse_command_line({"check", "--drain", "5s", "--grace", "1s", "--grace-budget", "30s"}, nullptr, nullptr, nullptr);
    CHECK(check.error.empty());
    CHECK(check.kind == CommandLine::check);
    CHECK(check.grace_budget == Duration{30000});
    CHECK(check.options.shutdown_grace == Duration{1000});
    CHECK(parse_command_line({"--grace-budget", "30s", "check"}, nullptr, nullptr, nullptr).grace_budget == Duration{30000});
}

TEST_CASE("usage errors are one line") {
    CHECK(parsed({"stauts"}).error == "unknown command \"stauts\"; did you mean \"status\"?");
    CHECK(parsed({"--bogus"}).error == "unknown argument \"--bogus\" (to run a command, put -- before it)");
    CHECK(parsed({"check", "--http", ":1"}).error == "unknown argument \"--http\"");
    CHECK(parsed({"run", "--grace-budget", "30s"}).error == "unknown argument \"--grace-budget\" (to run a command, put -- before it)");
    CHECK(parsed({"--drain", "soon"}).error == "--drain: \"soon\" is not a duration (such as 2s or 500ms)");
    CHECK(parsed({"check", "--root"}).error == "--root needs a value");
    CHECK(parsed({"status", "--settle", "1s"}).error == "--settle goes with start and restart");
    CHECK(parsed({"start", "--settle", "soon", "web"}).error == "--settle: \"soon\" is not a duration (such as 30s)");
    for (auto& words : {std::vector<std::string>{"stauts"}, {"--bogus"}, {"signal", "x"}, {"start"}})
        CHECK(parsed(words).error.find('\n') == std::string::npos);
}

TEST_CASE("--settle in a request") {
    Request request;
    std::string error;
    REQUIRE(parse_request("start --settle 2s web", request, error));
    CHECK(request.verb == Request::start);
    CHECK(request.settle == Duration{2000});
    CHECK(request.names == std::vector<std::string>{"web"});
    REQUIRE(parse_request("restart web", request, error));
    CHECK(!request.settle);
    CHECK(!parse_request("stop --settle 2s web", request, error));
}
