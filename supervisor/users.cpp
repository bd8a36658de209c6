#include "users.hpp"

#include <algorithm>
#include <string_view>

#include "parse.hpp"

namespace sv {

namespace {

// Calls `visit(fields)` for each well-formed colon-separated line; stops when it returns true.
std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t end = text.find(separator, start);
        parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return parts;
        start = end + 1;
    }
}

template <typename Visit>
void each_entry(const std::string& file, size_t min_fields, Visit visit) {
    std::string text;
    if (!read_file(file, text)) return;
    for (const std::string& line : split(text, '\n')) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> fields = split(line, ':');
        if (fields.size() >= min_fields && visit(fields)) return;
    }
}

}  // namespace

bool is_number(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<uint32_t> parse_id(std::string_view text) {
    if (!is_number(text) || text.size() > 10) return std::nullopt;
    auto value = parse_number<unsigned long long>(text);
    if (!value || *value > kMaxId) return std::nullopt;
    return static_cast<uint32_t>(*value);
}

std::optional<UserEntry> find_user(const std::string& name_or_uid, const std::string& passwd_file) {
    auto uid = parse_id(name_or_uid);
    std::optional<UserEntry> found;
    each_entry(passwd_file, 7, [&](const std::vector<std::string>& f) {
        auto entry_uid = parse_id(f[2]), entry_gid = parse_id(f[3]);
        if (!entry_uid || !entry_gid) return false;
        if (uid ? *entry_uid != *uid : f[0] != name_or_uid) return false;
        found = UserEntry{f[0], static_cast<uid_t>(*entry_uid), static_cast<gid_t>(*entry_gid), f[5], f[1], f[4], f[6]};
        return true;
    });
    return found;
}

std::optional<gid_t> find_group(const std::string& name_or_gid, const std::string& group_file) {
    if (auto gid = parse_id(name_or_gid)) return static_cast<gid_t>(*gid);
    std::optional<gid_t> found;
    each_entry(group_file, 3, [&](const std::vector<std::string>& f) {
        auto gid = parse_id(f[2]);
        if (f[0] != name_or_gid || !gid) return false;
        found = static_cast<gid_t>(*gid);
        return true;
    });
    return found;
}

std::vector<gid_t> groups_of(const std::string& user, gid_t primary, const std::string& group_file) {
    std::vector<gid_t> groups{primary};
    each_entry(group_file, 3, [&](const std::vector<std::string>& f) {
        auto gid = parse_id(f[2]);
        if (!gid || f.size() < 4) return false;
        for (const std::string& member : split(f[3], ','))
            if (member == user && std::find(groups.begin(), groups.end(), *gid) == groups.end())
                groups.push_back(static_cast<gid_t>(*gid));
        return false;
    });
    return groups;
}

}  // namespace sv
