#include "config.hpp"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <toml++/toml.h>

#include "json.hpp"
#include "parse.hpp"
#include "users.hpp"

namespace sv {

std::string Diagnostic::str() const {
    if (line <= 0) return file + ": " + message;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

bool valid_service_name(std::string_view name) {
    if (name.empty() || name[0] == '.') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
}

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

}  // namespace

std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
    std::optional<std::string> best;
    size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
    for (auto& candidate : candidates) {
        size_t d = edit_distance(word, candidate);
        if (d < best_distance) best_distance = d, best = candidate;
    }
    return best;
}

namespace {

// toml++ 3.3 (Debian 12) reaches __builtin_unreachable() -- undefined behaviour, a crash at
// best -- when it asks whether certain non-ASCII characters (U+00A1-U+0499, U+2C5E-U+3057,
// U+FB26-U+FEFE, among them every accented Latin letter) are whitespace (found by fuzzing).
// So toml++ never sees them: each is shifted to plane 15 (private use, which toml++ handles
// safely) before parsing, and shifted back in every string read from the result.
constexpr char32_t kShift = 0xF0000;

bool risky(char32_t c) {
    if (c <= 0xA0 || c > 0xFEFF || c == 0x3000 || c == 0xFEFF) return false;
    uint64_t bucket = (c - 0xA0) / 0x3FA;
    return bucket == 0 || bucket == 11 || bucket == 63;
}

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) out += static_cast<char>(c);
    else if (c < 0x800) out += static_cast<char>(0xC0 | (c >> 6)), out += static_cast<char>(0x80 | (c & 0x3F));
    else if (c < 0x10000)
        out += static_cast<char>(0xE0 | (c >> 12)), out += static_cast<char>(0x80 | ((c >> 6) & 0x3F)), out += static_cast<char>(0x80 | (c & 0x3F));
    else
        out += static_cast<char>(0xF0 | (c >> 18)), out += static_cast<char>(0x80 | ((c >> 12) & 0x3F)),
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F)), out += static_cast<char>(0x80 | (c & 0x3F));
}

// Rewrites the risky characters; false if the text already uses the plane-15 range we use.
bool shield(std::string_view text, std::string& out) {
    out.reserve(text.size() + 16);
    for (size_t i = 0; i < text.size();) {
        size_t len;
        char32_t c = decode_utf8(text.substr(i), len);
        if (c >= kShift && c <= kShift + 0xFFFF) return false;
        if (risky(c)) append_utf8(out, c + kShift);
        else out.append(text.substr(i, len));
        i += len;
    }
    return true;
}

std::string unshield(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        size_t len;
        char32_t c = decode_utf8(text.substr(i), len);
        if (c >= kShift && c <= kShift + 0xFFFF && risky(c - kShift)) append_utf8(out, c - kShift);
        else out.append(text.substr(i, len));
        i += len;
    }
    return out;
}

// A string node's text, as the file had it.
std::string text_of(const toml::node& node) { return unshield(node.as_string()->get()); }

const char* type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::array: return "an array";
        case toml::node_type::table: return "a table";
        default: return "a date/time";
    }
}

// Reads one file's tables key by key. Each handler validates its value and stores it;
// keys nobody handles are reported with the closest valid key.
class Reader {
   public:
    Reader(const std::string& path, std::vector<Diagnostic>& errors, KeyPositions* positions)
        : path_(path), errors_(errors), positions_(positions) {}

    void remember(const std::string& key, const toml::node& node) {
        if (positions_) (*positions_)[key] = {static_cast<int>(node.source().begin.line), static_cast<int>(node.source().begin.column)};
    }

    void error(const toml::source_region& where, std::string message) {
        errors_.push_back({path_, static_cast<int>(where.begin.line), static_cast<int>(where.begin.column),
                           std::move(message)});
    }
    void wrong_type(const std::string& key, const toml::node& node, const char* expected) {
        error(node.source(), "`" + key + "` must be " + expected + ", not " + type_name(node));
    }

    using Handler = std::function<void(const std::string& key, const toml::node&)>;

    // Calls the handler of each key present; reports keys without a handler.
    void walk(const toml::table& table, const std::string& prefix,
              const std::vector<std::pair<std::string, Handler>>& handlers) {
        for (auto&& [key, node] : table) {
            std::string name = unshield(key.str());
            auto found = std::find_if(handlers.begin(), handlers.end(), [&](auto& h) { return h.first == name; });
            if (found != handlers.end()) {
                remember(prefix + name, node);
                if (auto* items = node.as_array())
                    for (size_t i = 0; i < items->size(); ++i) remember(prefix + name + "[" + std::to_string(i) + "]", *items->get(i));
                if (auto* table = node.as_table())
                    for (auto&& [sub, value] : *table) remember(prefix + name + "." + unshield(sub.str()), value);
                found->second(prefix + name, node);
                continue;
            }
            std::string message = "unknown key `" + prefix + name + "`";
            std::vector<std::string> keys;
            for (auto& [candidate, _] : handlers) keys.push_back(candidate);
            if (auto best = closest(name, keys)) message += "; did you mean `" + prefix + *best + "`?";
            error(key.source(), message);
        }
    }

    Handler string(std::string& out, bool nonempty = false) {
        return [this, &out, nonempty](const std::string& key, const toml::node& node) {
            if (!node.is_string()) return wrong_type(key, node, "a string");
            out = text_of(node);
            if (nonempty && out.empty()) error(node.source(), "`" + key + "` must not be empty");
        };
    }
    Handler boolean(bool& out) {
        return [this, &out](const std::string& key, const toml::node& node) {
            if (!node.is_boolean()) return wrong_type(key, node, "true or false");
            out = node.as_boolean()->get();
        };
    }
    // One of a few words, each standing for a value of an enum.
    template <typename E>
    Handler choice(E& out, std::vector<std::pair<const char*, E>> words, const char* what) {
        return [this, &out, words, what](const std::string& key, const toml::node& node) {
            std::string list;
            for (size_t i = 0; i < words.size(); ++i)
                list += std::string(i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i].first;
            if (!node.is_string()) return wrong_type(key, node, ("one of " + list).c_str());
            std::string value = text_of(node);
            for (auto& [word, e] : words)
                if (value == word) return void(out = e);
            error(node.source(), "`" + key + "`: \"" + value + "\" is not a " + what + " (" + list + ")");
        };
    }
    Handler duration(Duration& out) {
        return [this, &out](const std::string& key, const toml::node& node) {
            if (!node.is_string()) return wrong_type(key, node, "a duration string such as \"500ms\", \"5s\" or \"1m\"");
            bool too_long = false;
            auto d = parse_duration(text_of(node), &too_long);
            if (too_long) error(node.source(), "`" + key + "`: \"" + text_of(node) + "\" is longer than the maximum duration (" +
                                                  format_duration(kMaxDuration) + ")");
            else if (!d) error(node.source(), "`" + key + "`: \"" + text_of(node) +
                                                  "\" is not a duration (a number with ms, s, m or h, such as \"500ms\")");
            else out = *d;
        };
    }
    Handler signal(int& out) {
        return [this, &out](const std::string& key, const toml::node& node) {
            if (auto sig = signal_of(key, node)) out = *sig;
        };
    }
    std::optional<int> signal_of(const std::string& key, const toml::node& node) {
        std::optional<int> sig;
        if (node.is_string()) sig = parse_signal(text_of(node));
        else if (node.is_integer()) sig = parse_signal(std::to_string(node.as_integer()->get()));
        else {
            wrong_type(key, node, "a signal name such as \"SIGTERM\" or a number");
            return std::nullopt;
        }
        if (!sig) {
            // Appended, not `"\"" + text + "\""`: GCC 12's -Wrestrict misfires on that here.
            std::string shown = node.is_string() ? std::string("\"").append(text_of(node)).append("\"") : std::to_string(node.as_integer()->get());
            error(node.source(), "`" + key + "`: " + shown + " is not a signal (use a name such as \"SIGTERM\" or \"TERM\", or a number)");
        }
        return sig;
    }
    template <typename T>
    Handler integer(T& out, long long min, long long max) {
        return [this, &out, min, max](const std::string& key, const toml::node& node) {
            if (!node.is_integer()) return wrong_type(key, node, "an integer");
            long long v = node.as_integer()->get();
            if (v < min || v > max)
                error(node.source(), "`" + key + "` must be between " + std::to_string(min) + " and " + std::to_string(max));
            else out = static_cast<T>(v);
        };
    }

   private:
    std::string path_;
    std::vector<Diagnostic>& errors_;
    KeyPositions* positions_;
};

// `user` or `group`: a name, or a number that fits (never truncated to uid_t: 4294967296 is not 0).
void read_id(Reader& r, std::string& out, const char* what, const std::string& key, const toml::node& node) {
    r.string(out, true)(key, node);
    if (is_number(out) && !parse_id(out))
        r.error(node.source(), "`" + key + "`: " + out + " is not a " + what + " (numbers go from 0 to " + std::to_string(kMaxId) + ")");
}

void read_command(Reader& r, ServiceSpec& spec, const std::string& key, const toml::node& node) {
    spec.command.clear();
    if (node.is_string()) {
        spec.shell = true;
        spec.command.push_back(text_of(node));
        if (spec.command[0].find_first_not_of(" \t\n") == std::string::npos)
            r.error(node.source(), "`command` must not be empty");
        return;
    }
    if (!node.is_array()) return r.wrong_type(key, node, "an array of strings (run directly) or a string (run by /bin/sh -c)");
    spec.shell = false;
    for (auto& item : *node.as_array()) {
        if (!item.is_string()) return r.wrong_type(key + " item", item, "a string");
        spec.command.push_back(text_of(item));
    }
    if (spec.command.empty() || spec.command[0].empty())
        r.error(node.source(), "`command` must name a program: [\"program\", \"arg\", ...]");
}

void read_forward_signals(Reader& r, ServiceSpec& spec, const std::string& key, const toml::node& node) {
    if (!node.is_array()) return r.wrong_type(key, node, "an array of signal names");
    for (auto& item : *node.as_array()) {
        auto sig = r.signal_of(key, item);
        if (!sig) continue;
        if (auto why = why_not_forwarded(*sig)) r.error(item.source(), *why);
        else spec.forward_signals.push_back(*sig);
    }
}

void read_restart(Reader& r, ServiceSpec& spec, const std::string& key, const toml::node& node) {
    if (!node.is_table()) return r.wrong_type(key, node, "a table ([restart])");
    RestartSpec& rs = spec.restart;
    r.walk(*node.as_table(), "restart.", {
        {"policy", r.choice(rs.policy, {{"always", RestartPolicy::always}, {"on-failure", RestartPolicy::on_failure}, {"never", RestartPolicy::never}}, "policy")},
        {"success_codes", [&](const std::string& k, const toml::node& n) {
             if (!n.is_array()) return r.wrong_type(k, n, "an array of exit codes");
             rs.success_codes.clear();
             for (auto& item : *n.as_array()) {
                 int code = 0;
                 r.integer(code, 0, 255)(k + " item", item);
                 if (item.is_integer()) rs.success_codes.push_back(code);
             }
         }},
        {"delay", r.duration(rs.delay)},
        {"factor", [&](const std::string& k, const toml::node& n) {
             if (!n.is_floating_point() && !n.is_integer()) return r.wrong_type(k, n, "a number");
             double v = n.value<double>().value_or(0);
             if (v < 1.0 || v > 100.0) r.error(n.source(), "`" + k + "` must be between 1.0 and 100.0");
             else rs.factor = v;
         }},
        {"max_delay", r.duration(rs.max_delay)},
        {"reset_after", r.duration(rs.reset_after)},
        {"max_retries", r.integer(rs.max_retries, 0, 1'000'000)},
    });
    if (rs.max_delay < rs.delay)
        r.error(node.source(), "`restart.max_delay` (" + format_duration(rs.max_delay) +
                                   ") is shorter than `restart.delay` (" + format_duration(rs.delay) + ")");
}

void read_stop(Reader& r, ServiceSpec& spec, const std::string& key, const toml::node& node) {
    if (!node.is_table()) return r.wrong_type(key, node, "a table ([stop])");
    r.walk(*node.as_table(), "stop.", {
        {"signal", r.signal(spec.stop.signal)},
        {"timeout", r.duration(spec.stop.timeout)},
        {"drain", [&r, &spec](const std::string& k, const toml::node& n) {
             spec.stop.drain = Duration{0};
             r.duration(*spec.stop.drain)(k, n);
         }},
    });
}

void read_string_list(Reader& r, std::vector<std::string>& out, const std::string& key, const toml::node& node) {
    if (!node.is_array()) return r.wrong_type(key, node, "an array of strings");
    out.clear();
    for (auto& item : *node.as_array()) {
        if (!item.is_string()) return r.wrong_type(key, item, "a string");
        out.push_back(text_of(item));
    }
}

void read_reload(Reader& r, ServiceSpec& spec, const std::string& key, const toml::node& node) {
    if (!node.is_table()) return r.wrong_type(key, node, "a table ([reload])");
    ReloadSpec& rs = spec.reload;
    r.walk(*node.as_table(), "reload.", {
        {"signal", [&](const std::string& k, const toml::node& n) { rs.signal = r.signal_of(k, n); }},
        {"check", [&](const std::string& k, const toml::node& n) {
             read_string_list(r, rs.check, k, n);
             if (n.is_array() && (rs.check.empty() || rs.check[0].empty())) r.error(n.source(), "`reload.check` must name a program");
         }},
        {"check_timeout", r.duration(rs.check_timeout)},
        {"watch", [&](const std::string& k, const toml::node& n) {
             read_string_list(r, rs.watch, k, n);
             for (auto& path : rs.watch)
                 if (path.empty() || path[0] != '/' || path.back() == '/')
                     r.error(n.source(), "`reload.watch`: \"" + path + "\" must be an absolute path to a file");
         }},
    });
}

void read_log(Reader& r, ServiceSpec& spec, const std::string& key, const toml::node& node) {
    if (!node.is_table()) return r.wrong_type(key, node, "a table ([log])");
    LogSpec& log = spec.log;
    auto mode = [&](LogMode& out) {
        return r.choice(out, {{"console", LogMode::console}, {"inherit", LogMode::inherit}, {"null", LogMode::null}, {"file", LogMode::file}}, "mode");
    };
    r.walk(*node.as_table(), "log.", {
        {"stdout", mode(log.stdout_mode)},
        {"stderr", mode(log.stderr_mode)},
        {"format", r.choice(log.format, {{"prefix", LogFormat::prefix}, {"plain", LogFormat::plain}, {"json", LogFormat::json}}, "format")},
        {"file", [&](const std::string& k, const toml::node& n) {
             r.string(log.file, true)(k, n);
             if (!log.file.empty() && log.file[0] != '/') r.error(n.source(), "`log.file` must be an absolute path");
         }},
        {"max_size", [&](const std::string& k, const toml::node& n) {
             std::optional<unsigned long long> size;
             bool too_big = false;
             if (n.is_integer() && n.as_integer()->get() > 0) size = static_cast<unsigned long long>(n.as_integer()->get());
             else if (n.is_string()) size = parse_size(text_of(n), &too_big);
             else return r.wrong_type(k, n, "a size such as \"10MiB\"");
             if (too_big || (size && *size > kMaxSize))
                 r.error(n.source(), "`" + k + "` is larger than the maximum size (1TiB)");
             else if (!size || *size < 4096) r.error(n.source(), "`log.max_size` must be a size of at least 4KiB, such as \"10MiB\"");
             else log.max_size = *size;
         }},
        {"max_files", r.integer(log.max_files, 1, 1000)},
        {"buffer", [&](const std::string& k, const toml::node& n) {
             std::optional<unsigned long long> size;
             if (n.is_integer() && n.as_integer()->get() >= 0) size = static_cast<unsigned long long>(n.as_integer()->get());
             else if (n.is_string()) size = parse_size(text_of(n));
             else return r.wrong_type(k, n, "a size such as \"64KiB\" (\"0\": no buffer)");
             if (!size || (*size != 0 && *size < kMinLogBuffer) || *size > kMaxLogBuffer)
                 r.error(n.source(), "`log.buffer` must be \"0\" (off) or a size from 1KiB to 64MiB, such as \"64KiB\"");
             else log.buffer = *size;
         }},
        {"syslog", [&](const std::string& k, const toml::node& n) {
             r.string(log.syslog, true)(k, n);
             const std::string& url = log.syslog;
             if (url.empty()) return;
             bool ok = (url.rfind("unix://", 0) == 0 && url.size() > 8 && url[7] == '/') ||
                       ((url.rfind("udp://", 0) == 0 || url.rfind("tcp://", 0) == 0) && url.find(':', 6) != std::string::npos);
             if (!ok) r.error(n.source(), "`log.syslog`: \"" + url + "\" is not a syslog destination (unix:///dev/log, udp://HOST:PORT or tcp://HOST:PORT)");
         }},
        {"facility", [&](const std::string& k, const toml::node& n) {
             if (!n.is_string()) return r.wrong_type(k, n, "a facility name such as \"local0\"");
             auto f = parse_facility(text_of(n));
             if (!f) r.error(n.source(), "`log.facility`: \"" + text_of(n) + "\" is not a facility (kern, user, daemon, ..., local0 to local7)");
             else log.facility = *f;
         }},
    });
    bool wants_file = log.stdout_mode == LogMode::file || log.stderr_mode == LogMode::file;
    if (wants_file && log.file.empty()) r.error(node.source(), "`log.file` is needed when stdout or stderr is \"file\"");
}

// The probe keys shared by [ready] and [health]: a handler for each, filling `probe`.
std::vector<std::pair<std::string, Reader::Handler>> probe_keys(Reader& r, Probe& probe) {
    return {
        {"tcp", [&r, &probe](const std::string& k, const toml::node& n) {
             r.string(probe.tcp, true)(k, n);
             if (!probe.tcp.empty() && !parse_endpoint(probe.tcp))
                 r.error(n.source(), "`" + k + "`: \"" + probe.tcp + "\" is not IP:PORT (a numeric address or localhost, such as \"127.0.0.1:3000\")");
         }},
        {"http", [&r, &probe](const std::string& k, const toml::node& n) {
             r.string(probe.http, true)(k, n);
             if (!probe.http.empty() && !parse_http_url(probe.http))
                 r.error(n.source(), "`" + k + "`: \"" + probe.http + "\" is not an http:// URL with a numeric address or localhost, such as \"http://127.0.0.1:3000/health\"");
         }},
        {"command", [&r, &probe](const std::string& k, const toml::node& n) {
             read_string_list(r, probe.command, k, n);
             if (n.is_array() && (probe.command.empty() || probe.command[0].empty())) r.error(n.source(), "`" + k + "` must name a program");
         }},
    };
}

void check_one_probe(Reader& r, const Probe& probe, const std::string& section, const toml::node& node, bool notify) {
    int kinds = !probe.tcp.empty() + !probe.http.empty() + !probe.command.empty() + notify;
    if (kinds > 1) r.error(node.source(), "[" + section + "] takes one check: " + (notify ? "notify, " : "") + "tcp, http or command");
}

// [ready] and [health]: one probe, its interval and timeout, and the section's own `extra` keys.
void read_check_section(Reader& r, const std::string& section, const toml::node& node, Probe& probe, Duration& interval,
                        Duration& timeout, std::vector<std::pair<std::string, Reader::Handler>> extra, const bool& notify) {
    auto keys = probe_keys(r, probe);
    keys.push_back({"interval", r.duration(interval)});
    keys.push_back({"timeout", r.duration(timeout)});
    for (auto& k : extra) keys.push_back(std::move(k));
    r.walk(*node.as_table(), section + ".", keys);
    check_one_probe(r, probe, section, node, notify);
}

void read_ready(Reader& r, ServiceSpec& spec, const std::string& key, const toml::node& node) {
    if (!node.is_table()) return r.wrong_type(key, node, "a table ([ready])");
    ReadySpec& ready = spec.ready;
    read_check_section(r, "ready", node, ready.probe, ready.interval, ready.timeout, {{"notify", r.boolean(ready.notify)}}, ready.notify);
}

void read_health(Reader& r, ServiceSpec& spec, const std::string& key, const toml::node& node) {
    if (!node.is_table()) return r.wrong_type(key, node, "a table ([health])");
    HealthSpec& health = spec.health;
    const bool no_notify = false;
    read_check_section(r, "health", node, health.probe, health.interval, health.timeout, {{"retries", r.integer(health.retries, 1, 1000)}},
                       no_notify);
    if (!health.probe.any()) r.error(node.source(), "[health] needs a check: tcp, http or command");
}

// `environment` and `secrets`: a table of variable names to strings; `store` gets each valid one.
void read_variables(Reader& r, const std::string& key, const toml::node& node, const char* expected, const char* item,
                    const std::function<void(const std::string&, const toml::node&)>& store) {
    if (!node.is_table()) return r.wrong_type(key, node, expected);
    for (auto&& [var, value] : *node.as_table()) {
        std::string var_name = unshield(var.str());
        if (var_name.empty() || var_name.find('=') != std::string::npos)
            r.error(var.source(), "`" + key + "`: \"" + var_name + "\" is not a variable name");
        else if (!value.is_string())
            r.wrong_type(key + "." + var_name, value, item);
        else
            store(var_name, value);
    }
}


}  // namespace

ServiceSpec parse_service(std::string_view text, const std::string& path, const std::string& name,
                          std::vector<Diagnostic>& errors, KeyPositions* positions) {
    ServiceSpec spec;
    spec.name = name;
    spec.file = path;
    size_t first_error = errors.size();
    Reader r(path, errors, positions);

    std::string shielded;
    if (!shield(text, shielded)) {
        errors.push_back({path, 0, 0, "contains characters from U+F0000-U+FFFFF (private use), which service files may not use"});
        return spec;
    }
    toml::parse_result parsed = toml::parse(shielded, path);
    if (!parsed) {
        r.error(parsed.error().source(), unshield(parsed.error().description()));
        return spec;
    }
    const toml::table& root = parsed.table();
    bool has_command = false;
    r.walk(root, "", {
        {"command", [&](const std::string& k, const toml::node& n) { has_command = true; read_command(r, spec, k, n); }},
        {"description", r.string(spec.description)},
        {"directory", [&](const std::string& k, const toml::node& n) {
             r.string(spec.directory, true)(k, n);
             if (!spec.directory.empty() && spec.directory[0] != '/')
                 r.error(n.source(), "`directory` must be an absolute path");
         }},
        {"user", [&](const std::string& k, const toml::node& n) { read_id(r, spec.user, "uid", k, n); }},
        {"group", [&](const std::string& k, const toml::node& n) { read_id(r, spec.group, "gid", k, n); }},
        {"umask", [&](const std::string& k, const toml::node& n) {
             if (!n.is_string()) return r.wrong_type(k, n, "an octal string such as \"0022\"");
             spec.umask = parse_umask(text_of(n));
             if (!spec.umask) r.error(n.source(), "`umask`: \"" + text_of(n) + "\" is not an octal mode between 0000 and 0777");
         }},
        {"environment", [&](const std::string& k, const toml::node& n) {
             read_variables(r, k, n, "a table of strings: { NAME = \"value\" }", "a string",
                            [&](const std::string& var, const toml::node& value) { spec.environment[var] = text_of(value); });
         }},
        {"environment_file", [&](const std::string& k, const toml::node& n) {
             read_string_list(r, spec.environment_files, k, n);
             for (auto& file : spec.environment_files)
                 if (file.empty() || file[file[0] == '-'] != '/')
                     r.error(n.source(), "`environment_file`: \"" + file + "\" must be an absolute path (with a leading - if the file may be missing)");
         }},
        {"secrets", [&](const std::string& k, const toml::node& n) {
             read_variables(r, k, n, "a table of file paths: { NAME = \"/run/secrets/name\" }", "a file path",
                            [&](const std::string& var, const toml::node& value) {
                                if (text_of(value).empty() || text_of(value)[0] != '/')
                                    r.error(value.source(), "`secrets." + var + "` must be an absolute path");
                                else spec.secrets[var] = text_of(value);
                            });
         }},
        {"critical", r.boolean(spec.critical)},
        {"no_new_privs", r.boolean(spec.no_new_privs)},
        {"capabilities", [&](const std::string& k, const toml::node& n) {
             std::vector<std::string> names;
             read_string_list(r, names, k, n);
             spec.capabilities.emplace();
             for (auto& name : names) {
                 auto cap = parse_capability(name);
                 if (!cap) r.error(n.source(), "`capabilities`: \"" + name + "\" is not a capability (such as \"CAP_NET_BIND_SERVICE\")");
                 else spec.capabilities->push_back(*cap);
             }
         }},
        {"enabled", r.boolean(spec.enabled)},
        {"forward_signals", [&](const std::string& k, const toml::node& n) { read_forward_signals(r, spec, k, n); }},
        {"restart", [&](const std::string& k, const toml::node& n) { read_restart(r, spec, k, n); }},
        {"stop", [&](const std::string& k, const toml::node& n) { read_stop(r, spec, k, n); }},
        {"reload", [&](const std::string& k, const toml::node& n) { read_reload(r, spec, k, n); }},
        {"log", [&](const std::string& k, const toml::node& n) { read_log(r, spec, k, n); }},
        {"type", r.choice(spec.type, {{"longrun", ServiceType::longrun}, {"oneshot", ServiceType::oneshot}}, "type")},
        {"after", [&](const std::string& k, const toml::node& n) {
             read_string_list(r, spec.after, k, n);
             for (auto& dep : spec.after)
                 if (!valid_service_name(dep)) r.error(n.source(), "`after`: \"" + dep + "\" is not a service name");
         }},
        {"start_timeout", r.duration(spec.start_timeout)},
        {"ready", [&](const std::string& k, const toml::node& n) { read_ready(r, spec, k, n); }},
        {"health", [&](const std::string& k, const toml::node& n) { read_health(r, spec, k, n); }},
    });
    if (spec.type == ServiceType::oneshot) {
        auto* restart = root.get("restart");
        bool policy_set = restart && restart->is_table() && restart->as_table()->contains("policy");
        if (!policy_set) spec.restart.policy = RestartPolicy::never;  // a oneshot runs once unless told otherwise
        else if (spec.restart.policy == RestartPolicy::always)
            r.error(restart->as_table()->get("policy")->source(),
                    "a oneshot cannot have `restart.policy = \"always\"` (it would run again and again); use on-failure or never");
        if (spec.ready.notify || spec.ready.probe.any()) errors.push_back({path, 0, 0, "a oneshot is ready when it exits successfully: [ready] does not apply"});
        if (spec.health.probe.any()) errors.push_back({path, 0, 0, "a oneshot has no [health] check (it is not meant to keep running)"});
    }
    if (!has_command) errors.push_back({path, 0, 0, "`command` is required: command = [\"program\", \"arg\", ...]"});
    // Tables iterate in key order; a person reads a file top to bottom.
    std::stable_sort(errors.begin() + static_cast<long>(first_error), errors.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    return spec;
}

}  // namespace sv
