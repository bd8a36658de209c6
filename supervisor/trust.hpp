// Trust: whether anyone but root (or the supervisor's own uid) could change a file or directory
// that decides what PID 1 runs or where it writes: service files and their directory, the
// programs it runs as root, the directories of log files. A root PID 1 must not be a confused
// deputy: a service that does not run as root must not be able to change any of them.
//
// The rule: owned by root or by the supervisor's uid, and writable by its owner alone: no write
// for others, and no write for the group, whichever group it is. Group 0 included: a bare
// numeric uid used to run with gid 0, a passwd entry may give a service gid 0, and group
// membership cannot be seen from the file. A POSIX ACL that grants write to a named user or
// group shows as group write too (the mode's group bits are the ACL's mask, which caps every
// named entry), so it is refused by the same test.
#pragma once

#include <sys/stat.h>

#include <string>

namespace sv {

struct Distrust {
    std::string why;  // "is writable by group 0 (or through an ACL)"; empty when trusted
    std::string fix;  // "chmod g-w"
    explicit operator bool() const { return !why.empty(); }
};

// Why `st` could be changed by someone other than root or us, and the command that fixes it.
Distrust writable_by_others(const struct stat& st);

// The same for `path` (symbolic links resolved) and every directory above it, naming the
// culprit: "/srv/app is owned by uid 1000". A directory writable by others is accepted above
// an entry owned by root (or us) if it is sticky (/tmp): nobody else may rename or remove
// that entry. A path that does not exist is judged by the nearest directory above it that does.
// With `sticky_ok`, `path` itself may be such a sticky directory (a log directory like /tmp:
// the caller then trusts only files it made itself there, opened without following links).
Distrust untrusted_path(const std::string& path, bool sticky_ok = false);

}  // namespace sv
