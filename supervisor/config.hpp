// Service files: one TOML file per service, NAME.toml, in a directory.
// This is the only module that sees toml++ types: it turns each file into a plain
// ServiceSpec and reports every problem of every file at once, each with file:line:col.
#pragma once

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

struct LoadResult {
    std::vector<ServiceSpec> services;  // sorted by name; complete only when errors is empty
    std::vector<Diagnostic> errors;
    bool ok() const { return errors.empty(); }
};

// Reads every NAME.toml of `dir` (NAME matching [A-Za-z0-9_.-]+; dotfiles and other files are
// ignored). A missing directory is an error unless `missing_ok`. Never throws.
LoadResult load_directory(const std::string& dir, bool missing_ok = false);

// Parses one service file's text. `path` is used in messages, `name` becomes the service name.
// Appends problems to `errors`; returns a spec that is meaningful only if none were added.
ServiceSpec parse_service(std::string_view text, const std::string& path, const std::string& name,
                          std::vector<Diagnostic>& errors);

// True for a valid service name: [A-Za-z0-9_.-]+, not starting with a dot.
bool valid_service_name(std::string_view name);

}  // namespace sv
