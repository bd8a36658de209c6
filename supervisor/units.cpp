#include "units.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <iterator>
#include <cctype>
#include <charconv>
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

template <typename T>
std::optional<T> parse_number(std::string_view text, int base = 10) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
    if (text == "0") return Duration{0};
    if (text.empty()) return std::nullopt;
    long long total = 0;
    while (!text.empty()) {
        size_t digits = 0;
        while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
        if (digits == 0 || digits > 12) return std::nullopt;
        auto value = parse_number<long long>(text.substr(0, digits));
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
        total += *value * scale;
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

bool read_file(const std::string& path, std::string& out) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    out.clear();
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            int saved = errno;
            ::close(fd);
            errno = saved;
            return false;
        }
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return true;
}

std::optional<unsigned long long> parse_size(std::string_view text) {
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    auto value = parse_number<unsigned long long>(text.substr(0, digits));
    if (!value || digits > 15) return std::nullopt;
    std::string unit = upper(text.substr(digits));
    static const std::pair<const char*, unsigned long long> kUnits[] = {
        {"", 1}, {"B", 1}, {"K", 1000}, {"KB", 1000}, {"KIB", 1024}, {"M", 1000'000}, {"MB", 1000'000},
        {"MIB", 1 << 20}, {"G", 1000'000'000}, {"GB", 1000'000'000}, {"GIB", 1 << 30}};
    for (auto& [name, scale] : kUnits)
        if (unit == name) return *value * scale;
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
