#include "parse.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <iterator>
#include <cctype>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <utility>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

namespace sv {

namespace {

constexpr std::array<std::pair<const char*, int>, 31> kSignals{{
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"BUS", SIGBUS},     {"FPE", SIGFPE},
    {"KILL", SIGKILL},   {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},     {"TERM", SIGTERM},   {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD},   {"CONT", SIGCONT},     {"STOP", SIGSTOP},   {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},     {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},   {"WINCH", SIGWINCH},
    {"IO", SIGIO},       {"PWR", SIGPWR},       {"SYS", SIGSYS},
}};

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text, bool* too_long) {
    if (too_long) *too_long = false;
    if (text == "0") return Duration{0};
    if (text.empty()) return std::nullopt;
    // Summed with a bound at every step, so that no term or sum can overflow.
    constexpr long long max = kMaxDuration.count();
    long long total = 0;
    bool over = false;
    while (!text.empty()) {
        size_t digits = 0;
        while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
        if (digits == 0) return std::nullopt;
        auto value = digits <= 18 ? parse_number<long long>(text.substr(0, digits)) : std::nullopt;
        if (!value) over = true;  // more digits than any duration we take
        text.remove_prefix(digits);
        size_t unit_len = 0;
        while (unit_len < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_len]))) ++unit_len;
        std::string_view unit = text.substr(0, unit_len);
        text.remove_prefix(unit_len);
        long long scale = 0;
        if (unit == "ms") scale = 1;
        else if (unit == "s") scale = 1000;
        else if (unit == "m") scale = 60'000;
        else if (unit == "h") scale = 3'600'000;
        else return std::nullopt;
        if (over || *value > (max - total) / scale) over = true;
        else total += *value * scale;
    }
    if (over) {
        if (too_long) *too_long = true;
        return std::nullopt;
    }
    return Duration{total};
}

std::string format_duration(Duration d) {
    auto ms = d.count();
    if (ms == 0) return "0s";
    if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    if (ms > 1000 && ms % 100 == 0) return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + "s";
    return std::to_string(ms) + "ms";
}

std::optional<int> parse_signal(std::string_view text) {
    if (auto n = parse_number<int>(text)) {
        if (*n >= 1 && *n <= SIGRTMAX) return n;
        return std::nullopt;
    }
    std::string name = upper(text);
    if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
    for (auto& [n, sig] : kSignals)
        if (name == n) return sig;
    if (name == "IOT") return SIGABRT;
    if (name == "POLL") return SIGIO;
    if (name == "CLD") return SIGCHLD;
    auto realtime = [&](std::string_view prefix, int base, int dir) -> std::optional<int> {
        if (name.rfind(prefix, 0) != 0) return std::nullopt;
        std::string_view rest = std::string_view(name).substr(prefix.size());
        int offset = 0;
        if (!rest.empty()) {
            if (rest[0] != (dir > 0 ? '+' : '-')) return std::nullopt;
            auto n = parse_number<int>(rest.substr(1));
            if (!n) return std::nullopt;
            offset = *n;
        }
        int sig = base + dir * offset;
        if (sig < SIGRTMIN || sig > SIGRTMAX) return std::nullopt;
        return sig;
    };
    if (auto s = realtime("RTMIN", SIGRTMIN, +1)) return s;
    if (auto s = realtime("RTMAX", SIGRTMAX, -1)) return s;
    return std::nullopt;
}

std::string signal_name(int sig) {
    for (auto& [n, s] : kSignals)
        if (s == sig) return std::string("SIG") + n;
    if (sig >= SIGRTMIN && sig <= SIGRTMAX)
        return sig == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
    return "signal " + std::to_string(sig);
}

bool is_shutdown_signal(int sig) { return sig == SIGTERM || sig == SIGINT || sig == SIGQUIT; }

std::optional<std::string> why_not_forwarded(int sig) {
    if (sig == SIGKILL || sig == SIGSTOP) return signal_name(sig) + " cannot be caught, so it cannot be forwarded";
    if (sig == SIGCHLD) return "SIGCHLD is the supervisor's own (it reaps children); it cannot be forwarded";
    if (is_shutdown_signal(sig))
        return signal_name(sig) + " shuts the supervisor down (every service gets its [stop] signal); it cannot be forwarded";
    if (sig == SIGHUP) return "SIGHUP reloads the service directory; it cannot be forwarded (use [reload] signal to pass a reload on)";
    return std::nullopt;
}

std::string describe_status(int wait_status) {
    if (WIFEXITED(wait_status)) return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
    if (WIFSIGNALED(wait_status))
        return "killed by " + signal_name(WTERMSIG(wait_status)) + (WCOREDUMP(wait_status) ? " (core dumped)" : "");
    return "ended with wait status " + std::to_string(wait_status);
}

int exit_code_of(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 255;
}

std::optional<unsigned> parse_umask(std::string_view text) {
    auto n = parse_number<unsigned>(text, 8);
    if (!n || *n > 0777) return std::nullopt;
    return n;
}

namespace {

constexpr const char* kCapabilities[] = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE"};

}  // namespace

std::optional<int> parse_capability(std::string_view text) {
    std::string name = upper(text);
    if (name.rfind("CAP_", 0) == 0) name.erase(0, 4);
    for (int i = 0; i < static_cast<int>(std::size(kCapabilities)); ++i)
        if (name == kCapabilities[i]) return i;
    return std::nullopt;
}

std::string capability_name(int cap) {
    if (cap >= 0 && cap < static_cast<int>(std::size(kCapabilities))) return std::string("CAP_") + kCapabilities[cap];
    return "capability " + std::to_string(cap);
}

std::string format_size(unsigned long long bytes) {
    if (bytes >= (1ULL << 30) && bytes % (1ULL << 30) == 0) return std::to_string(bytes >> 30) + "GiB";
    if (bytes >= (1ULL << 20) && bytes % (1ULL << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
    if (bytes >= (1ULL << 10) && bytes % (1ULL << 10) == 0) return std::to_string(bytes >> 10) + "KiB";
    return std::to_string(bytes) + " bytes";
}

bool read_file(const std::string& path, std::string& out, std::string* error, size_t limit, struct stat* st) {
    auto fail = [&](int code, const std::string& why) {
        if (error) *error = why;
        errno = code;
        return false;
    };
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return fail(errno, std::strerror(errno));
    struct stat own {};
    if (!st) st = &own;
    if (::fstat(fd, st) != 0) {
        int saved = errno;
        ::close(fd);
        return fail(saved, std::strerror(saved));
    }
    if (!S_ISREG(st->st_mode)) {
        ::close(fd);
        const char* kind = S_ISDIR(st->st_mode) ? "a directory" : S_ISFIFO(st->st_mode) ? "a FIFO" : S_ISSOCK(st->st_mode) ? "a socket"
                           : S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? "a device" : "not a file";
        return fail(EINVAL, std::string("is ") + kind + ", not a regular file");
    }
    if (static_cast<unsigned long long>(st->st_size) > limit) {
        ::close(fd);
        return fail(EFBIG, "is " + std::to_string(st->st_size) + " bytes, over the limit of " + format_size(limit));
    }
    out.clear();
    char buf[8192];
    ssize_t n;
    // Read at most one byte past the limit: a file that grew since fstat is refused too.
    while (out.size() <= limit && (n = ::read(fd, buf, std::min(sizeof buf, limit + 1 - out.size()))) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            int saved = errno;
            ::close(fd);
            return fail(saved, std::strerror(saved));
        }
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    if (out.size() > limit) return fail(EFBIG, "grew past the limit of " + format_size(limit) + " while being read");
    return true;
}

std::optional<unsigned long long> parse_size(std::string_view text, bool* too_big) {
    if (too_big) *too_big = false;
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == 0) return std::nullopt;
    unsigned long long value = 0;
    bool fits = digits <= 18;  // more digits than any size we take otherwise
    if (fits) value = parse_number<unsigned long long>(text.substr(0, digits)).value_or(0);
    std::string unit = upper(text.substr(digits));
    static const std::pair<const char*, unsigned long long> kUnits[] = {
        {"", 1}, {"B", 1}, {"K", 1000}, {"KB", 1000}, {"KIB", 1024}, {"M", 1000'000}, {"MB", 1000'000},
        {"MIB", 1 << 20}, {"G", 1000'000'000}, {"GB", 1000'000'000}, {"GIB", 1 << 30}};
    for (auto& [name, scale] : kUnits) {
        if (unit != name) continue;
        if (!fits || value > kMaxSize / scale) {  // checked before multiplying: no wrap-around
            if (too_big) *too_big = true;
            return std::nullopt;
        }
        return value * scale;
    }
    return std::nullopt;
}

std::optional<int> parse_facility(std::string_view text) {
    static const char* const kNames[] = {"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
                                         "uucp", "cron", "authpriv", "ftp"};
    for (int i = 0; i < 12; ++i)
        if (text == kNames[i]) return i;
    if (text.size() == 6 && text.substr(0, 5) == "local" && text[5] >= '0' && text[5] <= '7') return 16 + (text[5] - '0');
    return std::nullopt;
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string host(text.substr(0, colon));
    auto port = parse_number<int>(text.substr(colon + 1));
    if (!port || *port < 1 || *port > 65535) return std::nullopt;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "localhost") host = "127.0.0.1";
    unsigned char buf[16];
    if (::inet_pton(AF_INET, host.c_str(), buf) != 1 && ::inet_pton(AF_INET6, host.c_str(), buf) != 1) return std::nullopt;
    return Endpoint{host, *port};
}

std::optional<HttpUrl> parse_http_url(std::string_view text) {
    constexpr std::string_view scheme = "http://";
    if (text.substr(0, scheme.size()) != scheme) return std::nullopt;
    text.remove_prefix(scheme.size());
    size_t slash = text.find('/');
    std::string_view authority = text.substr(0, slash);
    std::string path = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
    for (char c : path)
        if (c <= ' ' || c == 0x7F) return std::nullopt;
    std::string with_port(authority);
    bool has_port = authority.rfind(':') != std::string_view::npos && authority.back() != ']';
    if (!has_port) with_port += ":80";
    auto endpoint = parse_endpoint(with_port);
    if (!endpoint) return std::nullopt;
    return HttpUrl{*endpoint, std::string(authority), path};
}

}  // namespace sv

namespace sv {

std::optional<std::chrono::system_clock::time_point> parse_time(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS, then optional .fraction, then optional Z.
    if (text.size() < 19 || text.size() > 40 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') ||
        text[13] != ':' || text[16] != ':')
        return std::nullopt;
    auto number = [&](size_t at, size_t len) { return parse_number<int>(text.substr(at, len)); };
    auto year = number(0, 4), month = number(5, 2), day = number(8, 2), hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
    if (!year || !month || !day || !hour || !minute || !second || *month < 1 || *month > 12 || *day < 1 || *day > 31 ||
        *hour > 23 || *minute > 59 || *second > 60)
        return std::nullopt;
    std::string_view rest = text.substr(19);
    long long nanos = 0;
    if (!rest.empty() && rest[0] == '.') {
        size_t digits = 1;
        long long scale = 100'000'000;
        while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) {
            nanos += (rest[digits] - '0') * scale;
            scale /= 10;
            ++digits;
        }
        if (digits == 1) return std::nullopt;
        rest.remove_prefix(digits);
    }
    if (rest == "Z" || rest == "z") rest = {};
    if (!rest.empty()) return std::nullopt;
    struct tm tm {};
    tm.tm_year = *year - 1900;
    tm.tm_mon = *month - 1;
    tm.tm_mday = *day;
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = *second;
    time_t seconds = ::timegm(&tm);
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds)) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(nanos));
}

}  // namespace sv
