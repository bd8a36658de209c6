// `supervisor check` beyond the syntax: whether what valid service files name exists in the
// image they will run in, so that an image that passes `RUN supervisor check` starts. Checks
// only; nothing is run, created or changed.
#pragma once

#include <string>
#include <vector>

#include "config.hpp"

namespace sv {

// `path` (absolute) as a path of this machine inside the tree at `root`: every symbolic link
// met is resolved within that tree, as if `root` were `/` (an image unpacked for a CI). Once a
// component is missing, the rest is appended as is. `root` "" or "/": `path` unchanged.
std::string path_in_root(const std::string& root, const std::string& path);

// For each service of `loaded` (errors of the files themselves are not repeated): the programs
// of `command`, `ready.command`, `health.command` and `reload.check` resolve in the service's
// PATH (its `environment`, its environment files, else `base_path`) to executable files; `user`
// and `group` are in the image's /etc/passwd and /etc/group (a bare number needs no entry);
// `directory` is a directory; the directory of each `reload.watch` path exists; the directory
// of `log.file` exists or can be made; each `environment_file` exists (unless marked '-') and
// parses. Every path is taken inside `root`. Each problem at the key's file:line:col.
std::vector<Diagnostic> verify_image(const LoadResult& loaded, const std::string& root, const std::string& base_path);

}  // namespace sv
