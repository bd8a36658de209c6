#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "config.hpp"
#include "environment.hpp"
#include "image_check.hpp"

using namespace sv;

namespace {

EnvVars parsed(std::string_view text) {
    EnvVars vars;
    std::string error = parse_env_file(text, vars);
    REQUIRE_MESSAGE(error.empty(), error);
    return vars;
}

std::string error_of(std::string_view text) {
    EnvVars vars;
    return parse_env_file(text, vars);
}

}  // namespace

TEST_CASE("environment file: lines, quoting, comments") {
    auto vars = parsed("# comment\n\n  A=1\nexport B = two words  # trailing\nC='$X \\n # kept'\n"
                       "D=\"a\\nb \\\"q\\\" \\$X\"\nE=\nF=x#not-a-comment\r\nG=\"multi\nline\"  # after\n");
    REQUIRE(vars.size() == 7);
    CHECK(vars[0] == std::pair<std::string, std::string>{"A", "1"});
    CHECK(vars[1] == std::pair<std::string, std::string>{"B", "two words"});
    CHECK(vars[2] == std::pair<std::string, std::string>{"C", "$X \\n # kept"});
    CHECK(vars[3] == std::pair<std::string, std::string>{"D", "a\nb \"q\" $X"});
    CHECK(vars[4] == std::pair<std::string, std::string>{"E", ""});
    CHECK(vars[5] == std::pair<std::string, std::string>{"F", "x#not-a-comment"});
    CHECK(vars[6] == std::pair<std::string, std::string>{"G", "multi\nline"});
}

TEST_CASE("environment file: errors name the line, never the value") {
    CHECK(error_of("A=1\nhunter2\n") == "line 2: not KEY=value");
    CHECK(error_of("1A=x") == "line 1: the name before = is not a variable name (letters, digits and _)");
    CHECK(error_of("c2Vj+cmV0==") == "line 1: the name before = is not a variable name (letters, digits and _)");
    CHECK(error_of("A=1\nB=\"hunter2\n\n") == "line 2: the value of B has no closing \"");
    CHECK(error_of("B='x' hunter2") == "line 1: unexpected text after the closing quote of B");
    CHECK(error_of("A=\"x\ny\"\nbad") == "line 3: not KEY=value");  // lines counted inside quotes
}

TEST_CASE("path_in_root resolves links inside the tree") {
    namespace fs = std::filesystem;
    fs::path root = fs::temp_directory_path() / ("sv-root-" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "usr/bin");
    fs::create_directories(root / "etc/alternatives");
    fs::create_directory_symlink("usr/bin", root / "bin");
    fs::create_symlink("/usr/bin/real", root / "etc/alternatives/tool");
    fs::create_symlink("../../etc/alternatives/tool", root / "usr/bin/tool");
    fs::create_symlink("/loop", root / "loop");
    std::string r = root.string();
    CHECK(path_in_root(r, "/bin/tool") == r + "/usr/bin/real");
    CHECK(path_in_root(r, "/etc/../bin/x/y") == r + "/usr/bin/x/y");
    CHECK(path_in_root(r, "/no/such") == r + "/no/such");
    CHECK(path_in_root(r, "/loop").starts_with(r));  // a loop stops, inside the tree
    CHECK(path_in_root("/", "/bin/tool") == "/bin/tool");
    CHECK(path_in_root("", "/x") == "/x");
    fs::remove_all(root);
}

TEST_CASE("positions of values, for checks that come after parsing") {
    std::vector<Diagnostic> errors;
    KeyPositions at;
    parse_service("command = [\"a\"]\nuser = \"u\"\nafter = [\"x\", \"y\"]\n[reload]\nwatch = [\"/a/b\"]\n", "s.toml", "s", errors, &at);
    CHECK(errors.empty());
    CHECK(at["user"] == std::pair{2, 8});
    CHECK(at["after[1]"] == std::pair{3, 15});
    CHECK(at["reload.watch[0]"] == std::pair{5, 10});
    CHECK(closest("wbe", {"web", "db"}) == "web");
    CHECK(!closest("cache", {"web", "db"}));
}

TEST_CASE("environment_file and secrets keys") {
    std::vector<Diagnostic> errors;
    auto spec = parse_service("command = [\"a\"]\nenvironment_file = [\"/etc/a.env\", \"-/run/b.env\", \"rel.env\"]\n"
                              "secrets = { DB = \"/run/secrets/db\", BAD = \"rel\", \"A=B\" = \"/x\" }\n",
                              "s.toml", "s", errors);
    REQUIRE(errors.size() == 3);
    CHECK(errors[0].str() == "s.toml:2:20: `environment_file`: \"rel.env\" must be an absolute path (with a leading - if the file may be missing)");
    CHECK(errors[1].str().starts_with("s.toml:3:"));
    CHECK(spec.environment_files == std::vector<std::string>{"/etc/a.env", "-/run/b.env", "rel.env"});
    CHECK(spec.secrets == std::map<std::string, std::string>{{"DB", "/run/secrets/db"}});
}
