// Host names to addresses without NSS, for the fully static binary: /etc/hosts first, then
// DNS through the servers of /etc/resolv.conf (libc's res_search: search domains, retries,
// TCP for long answers). That is what a static glibc's getaddrinfo does with the usual
// "hosts: files dns", without the NSS machinery (and its dlopen) linked in.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace sv {

// The first address of `name` (case-insensitive, canonical name or alias) in a hosts file, in
// file order, in inet_ntop's form. nullopt if the file has none.
std::optional<std::string> find_host(const std::string& name, const std::string& hosts_file = "/etc/hosts");

// The first record of `type` (1: A, 28: AAAA) in the answer section of a DNS response, as text.
std::optional<std::string> first_answer(const unsigned char* message, size_t size, int type);

// A literal address as is (canonical form), else find_host, else an A record, else an AAAA one.
std::optional<std::string> resolve_host(const std::string& name);

}  // namespace sv
