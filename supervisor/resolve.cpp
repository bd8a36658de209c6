#include "resolve.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "parse.hpp"

namespace sv {

namespace {

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// `text` as an IPv4 or IPv6 address in canonical form; nullopt if it is neither.
std::optional<std::string> literal_address(const std::string& text) {
    unsigned char bytes[sizeof(in6_addr)];
    char out[INET6_ADDRSTRLEN];
    for (int family : {AF_INET, AF_INET6})
        if (::inet_pton(family, text.c_str(), bytes) == 1 && ::inet_ntop(family, bytes, out, sizeof out)) return std::string(out);
    return std::nullopt;
}

// Offset just past the (possibly compressed) domain name at `at`; 0 if it runs off the end.
size_t skip_name(const unsigned char* message, size_t size, size_t at) {
    while (at < size) {
        unsigned char length = message[at];
        if (length == 0) return at + 1;
        if ((length & 0xC0) == 0xC0) return at + 2 <= size ? at + 2 : 0;
        at += 1 + length;
    }
    return 0;
}

}  // namespace

std::optional<std::string> find_host(const std::string& name, const std::string& hosts_file) {
    std::string text;
    if (name.empty() || !read_file(hosts_file, text)) return std::nullopt;
    std::string_view rest = text;
    while (!rest.empty()) {
        size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        line = line.substr(0, line.find('#'));
        std::optional<std::string> address;
        for (size_t field = 0;; ++field) {
            size_t start = line.find_first_not_of(" \t\r");
            if (start == std::string_view::npos) break;
            line.remove_prefix(start);
            size_t stop = std::min(line.find_first_of(" \t\r"), line.size());
            std::string_view word = line.substr(0, stop);
            line.remove_prefix(stop);
            if (field == 0) {
                address = literal_address(std::string(word));
                if (!address) break;
            } else if (same_name(word, name)) {
                return address;
            }
        }
    }
    return std::nullopt;
}

std::optional<std::string> first_answer(const unsigned char* message, size_t size, int type) {
    if (size < 12) return std::nullopt;
    size_t questions = message[4] << 8 | message[5], answers = message[6] << 8 | message[7];
    size_t at = 12;
    for (size_t i = 0; i < questions; ++i) {
        at = skip_name(message, size, at);
        if (at == 0 || at + 4 > size) return std::nullopt;
        at += 4;  // type, class
    }
    for (size_t i = 0; i < answers; ++i) {
        at = skip_name(message, size, at);
        if (at == 0 || at + 10 > size) return std::nullopt;
        int record_type = message[at] << 8 | message[at + 1];
        int record_class = message[at + 2] << 8 | message[at + 3];
        size_t length = message[at + 8] << 8 | message[at + 9];
        at += 10;
        if (at + length > size) return std::nullopt;
        size_t want = type == 1 ? 4 : type == 28 ? 16 : 0;
        if (record_type == type && record_class == 1 && length == want) {
            char out[INET6_ADDRSTRLEN];
            if (::inet_ntop(type == 1 ? AF_INET : AF_INET6, message + at, out, sizeof out)) return std::string(out);
        }
        at += length;
    }
    return std::nullopt;
}

std::optional<std::string> resolve_host(const std::string& name) {
    if (auto literal = literal_address(name)) return literal;
    if (auto listed = find_host(name)) return listed;
    unsigned char answer[4096];
    for (int type : {1, 28}) {
        int size = ::res_search(name.c_str(), 1 /* IN */, type, answer, sizeof answer);
        if (size > 0)
            if (auto found = first_answer(answer, static_cast<size_t>(std::min<int>(size, sizeof answer)), type)) return found;
    }
    return std::nullopt;
}

}  // namespace sv
