#include "trust.hpp"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>

namespace sv {

namespace {

bool ours(uid_t uid) { return uid == 0 || uid == ::geteuid(); }

}  // namespace

Distrust writable_by_others(const struct stat& st) {
    if (!ours(st.st_uid)) return {"is owned by uid " + std::to_string(st.st_uid) + " (not root)", "chown root"};
    if (st.st_mode & S_IWOTH) return {"is writable by every user", "chmod o-w"};
    if (st.st_mode & S_IWGRP)
        return {"is writable by group " + std::to_string(st.st_gid) + " (or, through an ACL, by other users)", "chmod g-w"};
    return {};
}

Distrust untrusted_path(const std::string& path, bool sticky_ok) {
    // A path that does not exist (yet) is as safe as the nearest directory above it that does:
    // nobody else can make it appear there.
    char resolved[PATH_MAX];
    std::string existing = path;
    while (!::realpath(existing.c_str(), resolved)) {
        size_t slash = existing.rfind('/');
        if (errno != ENOENT || slash == std::string::npos)
            return {"cannot be resolved: " + std::string(std::strerror(errno)), "fix the path"};
        existing.resize(slash == 0 ? 1 : slash);
    }
    std::string real = resolved;
    // From the file up to /: each entry, then whether its directory protects it.
    struct stat below {};
    bool have_below = false;
    for (std::string at = real;;) {
        struct stat st {};
        if (::lstat(at.c_str(), &st) != 0) return {"cannot be checked: " + std::string(std::strerror(errno)), "fix the path"};
        Distrust d = writable_by_others(st);
        // Anyone may write a sticky directory, but not rename or remove what root owns in it.
        bool sticky_guard = (have_below ? ours(below.st_uid) : sticky_ok && at == real) && S_ISDIR(st.st_mode) &&
                            (st.st_mode & S_ISVTX) && ours(st.st_uid);
        if (d && !sticky_guard) {
            d.why = (at == real ? "" : at + ", a directory above it, ") + d.why;
            return d;
        }
        if (at == "/") return {};
        below = st;
        have_below = true;
        size_t slash = at.rfind('/');
        at = slash == 0 ? "/" : at.substr(0, slash);
    }
}

}  // namespace sv
