// The static binary's getpwuid_r (linked with -Wl,--wrap=getpwuid_r): an entry of /etc/passwd,
// read directly as users.cpp does, instead of through NSS. libuv's core (uv_os_get_passwd,
// uv_os_homedir) is the only caller; glibc's own would link the whole NSS machinery, static
// dlopen included, about 90 KB. Same contract: 0 and *result set, 0 and *result null when
// there is no such user, ERANGE when `buffer` is too small.
#include <pwd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "units.hpp"

extern "C" int __wrap_getpwuid_r(uid_t uid, struct passwd* entry, char* buffer, size_t size, struct passwd** result) {
    *result = nullptr;
    std::string text;
    if (!sv::read_file("/etc/passwd", text)) return errno == ENOENT ? 0 : errno;
    std::string_view rest = text;
    while (!rest.empty()) {
        size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string_view> fields;
        for (size_t start = 0;;) {
            size_t colon = line.find(':', start);
            fields.push_back(line.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
            if (colon == std::string_view::npos) break;
            start = colon + 1;
        }
        if (fields.size() != 7) continue;
        unsigned long id = 0, gid = 0;
        auto number = [](std::string_view f, unsigned long& out) {
            if (f.empty()) return false;
            out = 0;
            for (char c : f) {
                if (c < '0' || c > '9') return false;
                out = out * 10 + static_cast<unsigned long>(c - '0');
            }
            return true;
        };
        if (!number(fields[2], id) || !number(fields[3], gid) || id != uid) continue;
        size_t needed = 0;
        for (size_t i : {0, 1, 4, 5, 6}) needed += fields[i].size() + 1;
        if (needed > size) return ERANGE;
        char* out = buffer;
        auto copy = [&out](std::string_view f) {
            char* start = out;
            std::memcpy(out, f.data(), f.size());
            out[f.size()] = '\0';
            out += f.size() + 1;
            return start;
        };
        entry->pw_name = copy(fields[0]);
        entry->pw_passwd = copy(fields[1]);
        entry->pw_uid = static_cast<uid_t>(id);
        entry->pw_gid = static_cast<gid_t>(gid);
        entry->pw_gecos = copy(fields[4]);
        entry->pw_dir = copy(fields[5]);
        entry->pw_shell = copy(fields[6]);
        *result = entry;
        return 0;
    }
    return 0;
}
