// libFuzzer target: the environment-file parser never crashes, and what it reads it reads back
// the same once written out again in double quotes (every name valid, every value exact).
#include <cstddef>
#include <cstdint>
#include <string>

#include "environment.hpp"

namespace {

std::string quoted(const std::string& value) {
    std::string out = "\"";
    for (char c : value) {
        if (c == '\n') out += "\\n";
        else if (c == '"' || c == '\\' || c == '$' || c == '`') out += '\\', out += c;
        else out += c;
    }
    return out + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    sv::EnvVars vars;
    std::string error = sv::parse_env_file(text, vars);
    if (!error.empty() && error.rfind("line ", 0) != 0) __builtin_trap();
    if (!error.empty()) return 0;
    std::string again;
    for (auto& [name, value] : vars) again += "export " + name + "=" + quoted(value) + "\n";
    sv::EnvVars back;
    if (!sv::parse_env_file(again, back).empty() || back != vars) __builtin_trap();
    return 0;
}
