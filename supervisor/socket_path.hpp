// Where the control socket lives when neither --socket nor SUPERVISOR_SOCKET names one.
// A container may run the supervisor as any uid, on a read-only root: the socket is a
// convenience, running the services is the job. So the server takes the first of these where
// a socket can be made (or none, with one warning), and the client tries them in the same
// order and talks to the first that answers:
//   /run/supervisor.sock                      root, or a writable /run (a tmpfs)
//   $XDG_RUNTIME_DIR/supervisor.sock          when set (absolute)
//   /tmp/supervisor-UID/supervisor.sock       a directory of its own, 0700, owned by UID
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace sv {

// The candidates for the server running as `uid`, in order. `xdg_runtime_dir` may be null.
std::vector<std::string> default_socket_paths(uid_t uid, const char* xdg_runtime_dir);

// Makes sure a socket can be bound at `path` as far as its directory goes: the directory
// exists (libuv reports a missing one as "permission denied"), and for the private
// /tmp/supervisor-UID one, it is made 0700 if missing and otherwise must be a real directory
// (not a link) owned by us and closed to others, since anyone may create names in /tmp.
// False with `error` set to the cause.
bool prepare_socket_directory(const std::string& path, std::string& error);

// The client's side: the first candidate (for this uid, and for the uid PID 1 runs as) that
// accepts a connection. With `wait` it keeps looking until `deadline` (the supervisor may still
// be starting). Returns the path, or "" with `error` listing what was tried.
std::string locate_socket(bool wait, std::chrono::steady_clock::time_point deadline, std::string& error);

}  // namespace sv
