// Environment files (`environment_file`: KEY=value lines) and secret files (`secrets`: one
// value per file, the Docker and Kubernetes convention), read at each start of a service.
// A value read here is never put in a message: errors name the file, the line and the key only.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model.hpp"

namespace sv {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

// The largest environment file or secret file read: 64KiB (a variable is at most 128KiB for
// the kernel, and a file bigger than this is not what these files are for).
constexpr size_t kMaxEnvFile = 64 * 1024;

// Parses an environment file: `KEY=value` lines (an optional `export ` before KEY), blank lines
// and `#` comments; a value is unquoted (trimmed, ` #` starts a comment), 'single-quoted'
// (literal) or "double-quoted" (\" \\ \$ \` \n \t escapes); quoted values may span lines.
// Appends to `vars` in file order. Returns "" or "line N: cause" (quoting no value).
std::string parse_env_file(std::string_view text, EnvVars& vars);

// Reads one environment or secret file (`what`, if not empty, names it in messages:
// "environment_file", "secret NAME:") under the rules below; `missing` tells a file that does not exist. "" on success.
std::string read_env_source(const std::string& path, const std::string& what, std::string& text, bool& missing);

// What `spec`'s environment files and secrets give, in order (files in their order, then the
// secrets, so later entries win). A missing file marked '-' is skipped. Each file must be a
// regular file of at most kMaxEnvFile bytes that only root (or the supervisor's uid) can change,
// and so must the directory that holds it (a link there could otherwise be pointed anywhere):
// otherwise the returned message names the file and the cause. "" on success.
std::string read_service_environment(const ServiceSpec& spec, EnvVars& vars);

}  // namespace sv
