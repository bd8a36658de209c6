// Service files: one TOML file per service, NAME.toml, in a directory.
// This is the only module that sees toml++ types: it turns each file into a plain
// ServiceSpec and reports every problem of every file at once, each with file:line:col.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model.hpp"

namespace sv {

struct Diagnostic {
    std::string file;
    int line = 0;  // 0: the problem concerns the whole file (or directory)
    int column = 0;
    std::string message;
    // "file:line:col: message" (or "file: message" when there is no position).
    std::string str() const;
};

// Where each value of a file is: "user", "reload.watch[0]", "after[1]" -> {line, column}.
using KeyPositions = std::map<std::string, std::pair<int, int>>;

struct LoadResult {
    std::vector<ServiceSpec> services;  // sorted by name; complete only when errors is empty
    std::vector<Diagnostic> errors;
    // Files of the directory that are not loaded although they may be meant as service files
    // ("web.yaml", "Web.TOML"): reported, never an error.
    std::vector<Diagnostic> warnings;
    std::map<std::string, KeyPositions> positions;  // by service name
    bool ok() const { return errors.empty(); }
    // The position of `key` in `service`'s file, as a diagnostic (line 0 if unknown).
    Diagnostic at(const ServiceSpec& service, const std::string& key, std::string message) const;
};

// Reads every NAME.toml of `dir` (NAME matching [A-Za-z0-9_.-]+; dotfiles are ignored, other
// files named in `warnings`), then checks `after` across files: every error at once, the
// dependency errors of valid files included. A missing directory is an error, except in
// single-command mode (`supervisor -- CMD`), where no file may take kCommandServiceName
// either. Never throws.
LoadResult load_directory(const std::string& dir, bool single_command = false);

// Parses one service file's text. `path` is used in messages, `name` becomes the service name.
// Appends problems to `errors`; returns a spec that is meaningful only if none were added.
// `positions` (if given) receives where each value is.
ServiceSpec parse_service(std::string_view text, const std::string& path, const std::string& name,
                          std::vector<Diagnostic>& errors, KeyPositions* positions = nullptr);

// The candidate closest to `word` by edit distance, if close enough to be a likely typo.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

// True for a valid service name: [A-Za-z0-9_.-]+, not starting with a dot.
bool valid_service_name(std::string_view name);

}  // namespace sv
