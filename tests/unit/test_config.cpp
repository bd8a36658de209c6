#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "config.hpp"

using namespace sv;

namespace {

struct Parsed {
    ServiceSpec spec;
    std::vector<Diagnostic> errors;
    std::string all() const {
        std::string out;
        for (auto& e : errors) out += e.str() + "\n";
        return out;
    }
};

Parsed parse(const std::string& text) {
    Parsed p;
    p.spec = parse_service(text, "web.toml", "web", p.errors);
    return p;
}

}  // namespace

TEST_CASE("a complete service file") {
    auto p = parse(R"(
command = ["node", "/srv/app/index.js"]
description = "web app"
directory = "/srv/app"
user = "node"
group = "node"
umask = "0022"
environment = { NODE_ENV = "production" }
critical = true
enabled = false
forward_signals = ["SIGUSR1", "WINCH"]

[restart]
policy = "on-failure"
success_codes = [0, 2]
delay = "250ms"
factor = 1.5
max_delay = "10s"
reset_after = "1m"
max_retries = 4

[stop]
signal = "SIGINT"
timeout = "7s"
)");
    REQUIRE_MESSAGE(p.errors.empty(), p.all());
    CHECK(p.spec.name == "web");
    CHECK(p.spec.command == std::vector<std::string>{"node", "/srv/app/index.js"});
    CHECK_FALSE(p.spec.shell);
    CHECK(p.spec.directory == "/srv/app");
    CHECK(p.spec.umask == 022u);
    CHECK(p.spec.environment.at("NODE_ENV") == "production");
    CHECK(p.spec.critical);
    CHECK_FALSE(p.spec.enabled);
    CHECK(p.spec.forward_signals == std::vector<int>{SIGUSR1, SIGWINCH});
    CHECK(p.spec.restart.policy == RestartPolicy::on_failure);
    CHECK(p.spec.restart.success_codes == std::vector<int>{0, 2});
    CHECK(p.spec.restart.delay == Duration{250});
    CHECK(p.spec.restart.factor == doctest::Approx(1.5));
    CHECK(p.spec.restart.max_delay == Duration{10000});
    CHECK(p.spec.restart.reset_after == Duration{60000});
    CHECK(p.spec.restart.max_retries == 4);
    CHECK(p.spec.stop.signal == SIGINT);
    CHECK(p.spec.stop.timeout == Duration{7000});
}

TEST_CASE("defaults and the shell form") {
    auto p = parse("command = \"echo hi && sleep 1\"\n");
    REQUIRE(p.errors.empty());
    CHECK(p.spec.shell);
    CHECK(p.spec.command == std::vector<std::string>{"echo hi && sleep 1"});
    CHECK(p.spec.restart.policy == RestartPolicy::always);
    CHECK(p.spec.restart.delay == Duration{100});
    CHECK(p.spec.stop.signal == SIGTERM);
    CHECK(p.spec.stop.timeout == Duration{5000});
    CHECK(p.spec.enabled);
    CHECK_FALSE(p.spec.critical);
}

TEST_CASE("an unknown key names the closest valid one, with its position") {
    auto p = parse("command = [\"x\"]\nrestrat = {}\n[stop]\nsignall = \"TERM\"\n");
    REQUIRE(p.errors.size() == 2);
    CHECK(p.errors[0].str() == "web.toml:2:1: unknown key `restrat`; did you mean `restart`?");
    CHECK(p.errors[1].str() == "web.toml:4:1: unknown key `stop.signall`; did you mean `stop.signal`?");
}

TEST_CASE("every error of a file at once") {
    auto p = parse(R"(command = "x"
critical = "yes"
umask = "999"
forward_signals = ["SIGKILL", "NOPE", "SIGHUP"]
[restart]
policy = "sometimes"
delay = "fast"
factor = 0.5
[stop]
signal = "SIGBOGUS"
timeout = 5
)");
    std::string all = p.all();
    CHECK_MESSAGE(p.errors.size() == 10, all);
    CHECK(p.errors[0].line == 2);
    CHECK(p.errors[9].line == 11);
    CHECK(all.find("web.toml:2:12: `critical` must be true or false, not a string") != std::string::npos);
    CHECK(all.find("web.toml:3:9: `umask`") != std::string::npos);
    CHECK(all.find("SIGKILL cannot be caught") != std::string::npos);
    CHECK(all.find("\"NOPE\" is not a signal") != std::string::npos);
    CHECK(all.find("SIGHUP reloads") != std::string::npos);
    CHECK(all.find("\"sometimes\" is not a policy") != std::string::npos);
    CHECK(all.find("\"fast\" is not a duration") != std::string::npos);
    CHECK(all.find("`restart.factor` must be between") != std::string::npos);
    CHECK(all.find("web.toml:10:10: `stop.signal`: \"SIGBOGUS\" is not a signal") != std::string::npos);
    CHECK(all.find("web.toml:11:11: `stop.timeout` must be a duration string") != std::string::npos);
}

TEST_CASE("command is required and must name a program") {
    CHECK(parse("description = \"x\"\n").all().find("`command` is required") != std::string::npos);
    CHECK(parse("command = []\n").all().find("must name a program") != std::string::npos);
    CHECK(parse("command = [1]\n").all().find("must be a string, not an integer") != std::string::npos);
    CHECK(parse("command = \"  \"\n").all().find("must not be empty") != std::string::npos);
}

TEST_CASE("TOML syntax errors carry line and column") {
    auto p = parse("command = [\"x\"\n");
    REQUIRE(p.errors.size() == 1);
    CHECK(p.errors[0].file == "web.toml");
    CHECK(p.errors[0].line >= 1);
    CHECK(p.errors[0].column >= 1);
}

TEST_CASE("a directory: NAME.toml files only, errors of all files together") {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("sv-config-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; };
    write("web.toml", "command = [\"node\"]\n");
    write("log.toml", "command = [\"rsyslogd\"]\n");
    write(".hidden.toml", "garbage");
    write("README", "garbage");
    write("web.toml.bak", "garbage");
    auto ok = load_directory(dir.string());
    REQUIRE(ok.ok());
    REQUIRE(ok.services.size() == 2);
    CHECK(ok.services[0].name == "log");
    CHECK(ok.services[1].name == "web");

    write("bad1.toml", "command = 3\n");
    write("bad2.toml", "command = [\"x\"]\nenabled = 1\n");
    write("bad name.toml", "command = [\"x\"]\n");
    auto bad = load_directory(dir.string());
    CHECK(bad.errors.size() == 3);
    CHECK_FALSE(load_directory((dir / "missing").string()).ok());
    CHECK(load_directory((dir / "missing").string(), true).ok());
    fs::remove_all(dir);
}

TEST_CASE("regression (fuzzing): characters toml++ 3.3 cannot classify never reach it") {
    // toml++ 3.3 hits __builtin_unreachable() on U+FEF7, U+00A1, U+00E9... where it expects
    // whitespace. Each of these inputs crashed the loader under UBSan before the fix.
    for (const char* input : {"restrat = 1\xEF\xBB\xB7\ncommand = 5\n", "x = \xC2\xA1\n", "o=0'\xCD\xBF", "0=0=\"\xCE\xBB"}) {
        auto p = parse(input);
        CHECK_FALSE(p.errors.empty());
    }
    // Inside strings, comments and quoted keys the same characters are fine and come back intact.
    auto ok = parse("# caf\xC3\xA9 \xC2\xA1\ncommand = [\"echo\", \"\xC2\xA1hola \xEF\xBB\xB7 caf\xC3\xA9\"]\n"
                    "description = '''\xC3\xA9t\xC3\xA9'''\nenvironment = { \"CAF\xC3\xA9\" = '\xC3\xA9' }\n");
    REQUIRE_MESSAGE(ok.errors.empty(), ok.all());
    CHECK(ok.spec.command[1] == "\xC2\xA1hola \xEF\xBB\xB7 caf\xC3\xA9");
    CHECK(ok.spec.description == "\xC3\xA9t\xC3\xA9");
    CHECK(ok.spec.environment.at("CAF\xC3\xA9") == "\xC3\xA9");
    auto trimmed = parse("command = \"\"\"x \\\n  \xC2\xA1\"\"\"\n");  // a line-ending backslash, then U+00A1
    REQUIRE(trimmed.errors.empty());
    CHECK(trimmed.spec.command[0] == "x \xC2\xA1");
    // The private-use range the loader borrows is refused rather than misread.
    CHECK(parse("command = \"\xF3\xB0\x83\xA9\"\n").errors.size() == 1);
}

TEST_CASE("a duration or size past its maximum is an error naming the key") {
    auto p = parse(R"(command = ["x"]
[stop]
timeout = "999999999999h999999999999h999999999999h"
[restart]
delay = "10001h"
max_delay = "10001h"
[log]
stdout = "file"
file = "/var/log/x.log"
max_size = "17179869185GiB"
)");
    CHECK(p.all().find("web.toml:3:11: `stop.timeout`: \"999999999999h999999999999h999999999999h\" is longer than the maximum duration (10000h)") != std::string::npos);
    CHECK(p.all().find("`restart.delay`: \"10001h\" is longer than the maximum duration") != std::string::npos);
    CHECK(p.all().find("`log.max_size` is larger than the maximum size (1TiB)") != std::string::npos);
    CHECK(parse("command = [\"x\"]\n[log]\nmax_size = 1099511627777\n").all().find("`log.max_size` is larger than the maximum size") != std::string::npos);
}

TEST_CASE("a numeric user or group past uid_t is an error, never truncated (4294967296 is not uid 0)") {
    auto p = parse("command = [\"x\"]\nuser = \"4294967296\"\ngroup = \"4294967295\"\n");
    CHECK(p.all().find("web.toml:2:8: `user`: 4294967296 is not a uid (numbers go from 0 to 4294967294)") != std::string::npos);
    CHECK(p.all().find("web.toml:3:9: `group`: 4294967295 is not a gid") != std::string::npos);
    CHECK(parse("command = [\"x\"]\nuser = \"4294967294\"\n").errors.empty());
    CHECK(parse("command = [\"x\"]\nuser = \"app1\"\n").errors.empty());
}

TEST_CASE("log.buffer: a size (default 64KiB), \"0\" turns it off, out of range is an error") {
    CHECK(parse("command = [\"x\"]\n").spec.log.buffer == 64 * 1024);
    CHECK(parse("command = [\"x\"]\n[log]\nbuffer = \"1MiB\"\n").spec.log.buffer == 1 << 20);
    CHECK(parse("command = [\"x\"]\n[log]\nbuffer = \"0\"\n").spec.log.buffer == 0);
    CHECK(parse("command = [\"x\"]\n[log]\nbuffer = 0\n").spec.log.buffer == 0);
    for (const char* bad : {"\"100\"", "\"65MiB\"", "\"lots\"", "-1", "true"})
        CHECK(parse(std::string("command = [\"x\"]\n[log]\nbuffer = ") + bad + "\n").all().find("log.buffer") != std::string::npos);
}

TEST_CASE("[stop] drain: a duration, unset without it (the supervisor's --drain applies)") {
    auto p = parse("command = [\"x\"]\n[stop]\ndrain = \"3s\"\n");
    CHECK(p.errors.empty());
    REQUIRE(p.spec.stop.drain);
    CHECK(*p.spec.stop.drain == Duration{3000});
    CHECK_FALSE(parse("command = [\"x\"]\n").spec.stop.drain);
    auto zero = parse("command = [\"x\"]\nstop.drain = \"0s\"\n");
    REQUIRE(zero.spec.stop.drain);
    CHECK(*zero.spec.stop.drain == Duration{0});
    auto bad = parse("command = [\"x\"]\n[stop]\ndrain = 5\n");
    REQUIRE(bad.errors.size() == 1);
    CHECK(bad.errors[0].str().find("web.toml:3:9: `stop.drain`") != std::string::npos);
}
