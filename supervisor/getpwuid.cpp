// The static binary's getpwuid_r (linked with -Wl,--wrap=getpwuid_r): an entry of /etc/passwd,
// read by users.cpp, instead of through NSS. libuv's core (uv_os_get_passwd, uv_os_homedir) is
// the only caller; glibc's own would link the whole NSS machinery, static dlopen included, about
// 90 KB. Same contract: 0 and *result set, 0 and *result null when there is no such user,
// ERANGE when `buffer` is too small.
#include <pwd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "users.hpp"

extern "C" int __wrap_getpwuid_r(uid_t uid, struct passwd* entry, char* buffer, size_t size, struct passwd** result) {
    *result = nullptr;
    std::optional<sv::UserEntry> user = sv::find_user(std::to_string(uid));
    if (!user) return 0;
    size_t needed = 0;
    for (const std::string* field : {&user->name, &user->password, &user->gecos, &user->home, &user->shell})
        needed += field->size() + 1;
    if (needed > size) return ERANGE;
    char* out = buffer;
    auto copy = [&out](const std::string& field) {
        char* start = out;
        std::memcpy(out, field.c_str(), field.size() + 1);
        out += field.size() + 1;
        return start;
    };
    entry->pw_name = copy(user->name);
    entry->pw_passwd = copy(user->password);
    entry->pw_uid = user->uid;
    entry->pw_gid = user->gid;
    entry->pw_gecos = copy(user->gecos);
    entry->pw_dir = copy(user->home);
    entry->pw_shell = copy(user->shell);
    *result = entry;
    return 0;
}
