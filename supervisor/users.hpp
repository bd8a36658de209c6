// Users and groups, read from /etc/passwd and /etc/group directly (as container runtimes do),
// so that a fully static binary needs no NSS modules at run time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

struct UserEntry {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string password;  // the second field ("x": in /etc/shadow)
    std::string gecos;
    std::string shell;
};

// The largest uid or gid a service may have: 4294967294. Larger numbers do not fit uid_t (and
// 4294967295, (uid_t)-1, means "leave unchanged" to setuid and setgid).
constexpr uint32_t kMaxId = 4294967294u;

// A numeric uid or gid in decimal, 0 to kMaxId; nullopt for anything else (a name, or a
// number out of range: never truncated).
std::optional<uint32_t> parse_id(std::string_view text);

// True if `text` is all decimal digits (a number, whether or not in range).
bool is_number(std::string_view text);

// By name or by numeric uid. nullopt when /etc/passwd (or `passwd_file`) has no such entry.
std::optional<UserEntry> find_user(const std::string& name_or_uid, const std::string& passwd_file = "/etc/passwd");

// A group's gid by name or number. nullopt when not found (a number is always found).
std::optional<gid_t> find_group(const std::string& name_or_gid, const std::string& group_file = "/etc/group");

// `primary` plus every group that lists `user` as a member (what initgroups would set).
std::vector<gid_t> groups_of(const std::string& user, gid_t primary, const std::string& group_file = "/etc/group");

}  // namespace sv
