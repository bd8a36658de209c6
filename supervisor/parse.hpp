// Parsers and formatters for the values that service files, options and messages use:
// durations ("100ms", "1m30s"), times, signals ("SIGTERM", "term", "15", "SIGRTMIN+2"), sizes
// ("10MiB"), numbers, umasks, capabilities, facilities, endpoints and URLs, wait statuses
// ("exited with status 3", "killed by SIGKILL"); and read_file, for small files read whole.
#pragma once

#include <sys/stat.h>

#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "model.hpp"

namespace sv {

// The longest duration a service file or option may give: 10000h (about 14 months). Longer ones
// are refused rather than wrapped around (a stop timeout that never fires, a negative delay).
constexpr Duration kMaxDuration{10'000LL * 3'600'000};
// The largest size (`log.max_size`): 1TiB.
constexpr unsigned long long kMaxSize = 1ull << 40;
// `log.buffer`: 0 (off), or from 1KiB to 64MiB.
constexpr unsigned long long kMinLogBuffer = 1 << 10;
constexpr unsigned long long kMaxLogBuffer = 64ull << 20;

// The one number parser: all of `text` as a number of type T in `base` (digits only; a sign
// only where T is signed). nullopt for empty text, anything after the digits, or a number too
// big for T.
template <typename T>
std::optional<T> parse_number(std::string_view text, int base = 10) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

// "250ms", "5s", "1m30s", "2h", "0". Returns nullopt on anything else (units are required
// except for 0). Accepts the units ms, s, m, h; several parts add up. A well-formed duration
// longer than kMaxDuration is nullopt too, with `*too_long` (if given) set to true.
std::optional<Duration> parse_duration(std::string_view text, bool* too_long = nullptr);

// A time as `--since` takes it: "2026-12-02T14:05:00Z", with optional fractions of a second
// (".250"); without a zone, UTC as well. nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_time(std::string_view text);

// "1.5s", "400ms", "2m" — the shortest exact spelling, for messages.
std::string format_duration(Duration d);

// "1MiB", "64KiB", "1000 bytes": the largest binary unit that divides the size exactly.
std::string format_size(unsigned long long bytes);

// A signal by name with or without the SIG prefix, in any case, or by number; real-time
// signals as RTMIN+N / RTMAX-N. Returns nullopt for unknown names and out-of-range numbers.
std::optional<int> parse_signal(std::string_view text);

// "SIGTERM", "SIGRTMIN+2", or "signal 99" for something unknown.
std::string signal_name(int sig);

// SIGTERM, SIGINT, SIGQUIT: each shuts the supervisor down.
bool is_shutdown_signal(int sig);

// The signals the supervisor keeps for itself, which no service's forward_signals may name:
// why `sig` cannot be forwarded, or nullopt when it can.
std::optional<std::string> why_not_forwarded(int sig);

// A wait status as a person reads it: "exited with status 3", "killed by SIGKILL".
std::string describe_status(int wait_status);

// The status a shell (and a container runtime) reports: the exit code, or 128 + signal.
int exit_code_of(int wait_status);

// "0022" (octal, as in umask(1)). nullopt unless 0..0777.
std::optional<unsigned> parse_umask(std::string_view text);

// A Linux capability by name ("CAP_NET_BIND_SERVICE" or "net_bind_service"); nullopt if unknown.
std::optional<int> parse_capability(std::string_view text);
// "CAP_NET_BIND_SERVICE" for 10; "capability N" for a number it does not know.
std::string capability_name(int cap);

// Reads a whole small file: a service file, /etc/passwd, /etc/group, /etc/hosts. It is opened
// without blocking and must be a regular file of at most `limit` bytes: a FIFO, socket, device
// or directory is refused without waiting for a writer, and a big file without reading it.
// False on failure, with `error` (if given) set to the cause and errno to ENOENT-like causes or
// EINVAL (not a regular file) or EFBIG (too big). `st` (if given) receives the opened file's
// fstat, so a permission check sees the very file that was read.
constexpr size_t kMaxSmallFile = 1 << 20;
bool read_file(const std::string& path, std::string& out, std::string* error = nullptr,
               size_t limit = kMaxSmallFile, struct stat* st = nullptr);

// "10MiB", "512KiB", "1GiB", "1000000" (bytes), also KB/MB/GB (powers of 1000). A well-formed
// size above kMaxSize is nullopt, with `*too_big` (if given) set to true.
std::optional<unsigned long long> parse_size(std::string_view text, bool* too_big = nullptr);

// Syslog facility by name ("local0", "daemon", ...). nullopt for unknown names.
std::optional<int> parse_facility(std::string_view text);

// A numeric TCP endpoint: "127.0.0.1:3000", "[::1]:3000", "localhost:3000" (= 127.0.0.1).
// Names are not resolved here (that would block): nullopt for anything else.
struct Endpoint {
    std::string ip;
    int port = 0;
};
std::optional<Endpoint> parse_endpoint(std::string_view text);

// "http://127.0.0.1:3000/health" -> endpoint (port 80 by default) and path ("/" by default).
struct HttpUrl {
    Endpoint endpoint;
    std::string host;  // as written, for the Host header
    std::string path;
};
std::optional<HttpUrl> parse_http_url(std::string_view text);

}  // namespace sv
