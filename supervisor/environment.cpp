#include "environment.hpp"

#include <cctype>
#include <cerrno>

#include "trust.hpp"
#include "parse.hpp"

namespace sv {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool valid_key(std::string_view key) {
    if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
    for (char c : key)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
}

}  // namespace

std::string parse_env_file(std::string_view text, EnvVars& vars) {
    size_t i = 0, line = 1;
    auto at_end = [&] { return i >= text.size(); };
    auto fail = [&](size_t at_line, const std::string& why) { return "line " + std::to_string(at_line) + ": " + why; };
    while (!at_end()) {
        while (!at_end() && is_space(text[i])) ++i;
        if (at_end()) break;
        if (text[i] == '\n') { ++i, ++line; continue; }
        size_t eol = std::min(text.find('\n', i), text.size());
        if (text[i] == '#') { i = eol; continue; }
        size_t start_line = line;
        std::string_view rest = text.substr(i, eol - i);
        if (rest.starts_with("export ") || rest.starts_with("export\t")) {
            i += 7;
            while (i < eol && is_space(text[i])) ++i;
        }
        size_t equals = text.find('=', i);
        if (equals == std::string_view::npos || equals > eol) return fail(line, "not KEY=value");
        std::string_view key = text.substr(i, equals - i);
        while (!key.empty() && is_space(key.back())) key.remove_suffix(1);
        // Not quoted: a line that is a value by mistake ("c2VjcmV0==") must not end up in a log.
        if (!valid_key(key)) return fail(line, "the name before = is not a variable name (letters, digits and _)");
        i = equals + 1;
        while (i < eol && is_space(text[i])) ++i;
        std::string value;
        if (i < text.size() && (text[i] == '"' || text[i] == '\'')) {
            char quote = text[i++];
            for (;;) {
                if (at_end()) return fail(start_line, "the value of " + std::string(key) + " has no closing " + (quote == '"' ? "\"" : "'"));
                char c = text[i++];
                if (c == quote) break;
                if (c == '\n') ++line;
                if (c == '\\' && quote == '"' && !at_end()) {
                    char e = text[i++];
                    switch (e) {
                        case 'n': value += '\n'; break;
                        case 't': value += '\t'; break;
                        case '"': case '\\': case '$': case '`': value += e; break;
                        case '\n': ++line; break;  // a continued line
                        default: value += '\\', value += e;
                    }
                    continue;
                }
                value += c;
            }
            eol = std::min(text.find('\n', i), text.size());
            size_t after = i;
            while (after < eol && is_space(text[after])) ++after;
            if (after < eol && text[after] != '#') return fail(line, "unexpected text after the closing quote of " + std::string(key));
        } else {
            std::string_view raw = text.substr(i, eol - i);
            for (size_t hash = raw.find('#'); hash != std::string_view::npos; hash = raw.find('#', hash + 1))
                if (hash > 0 && is_space(raw[hash - 1])) {
                    raw = raw.substr(0, hash);
                    break;
                }
            while (!raw.empty() && is_space(raw.back())) raw.remove_suffix(1);
            value = raw;
        }
        vars.emplace_back(std::string(key), std::move(value));
        i = eol;
    }
    return {};
}

std::string read_env_source(const std::string& path, const std::string& what, std::string& text, bool& missing) {
    std::string why;
    missing = false;
    if (!read_file(path, text, &why, kMaxEnvFile)) {
        missing = errno == ENOENT;
        return (what.empty() ? "" : what + " ") + path + ": " + why;
    }
    size_t slash = path.rfind('/');
    std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    Distrust d = untrusted_path(dir);
    if (!d) d = untrusted_path(path);
    if (d) return "refused to read " + (what.empty() ? "" : what + " ") + path + ": " + d.why + "; only root may be able to change it (fix: " + d.fix + ")";
    return {};
}

std::string read_service_environment(const ServiceSpec& spec, EnvVars& vars) {
    for (const std::string& entry : spec.environment_files) {
        bool optional = entry[0] == '-';
        std::string path = entry.substr(optional ? 1 : 0), text;
        bool missing;
        std::string why = read_env_source(path, "environment_file", text, missing);
        if (!why.empty()) {
            if (optional && missing) continue;
            return why;
        }
        why = parse_env_file(text, vars);
        if (!why.empty()) return "environment_file " + path + ": " + why;
    }
    for (const auto& [name, path] : spec.secrets) {
        std::string text;
        bool missing;
        std::string why = read_env_source(path, "secret " + name + ":", text, missing);
        if (!why.empty()) return why;
        if (text.ends_with('\n')) text.pop_back();
        if (text.ends_with('\r')) text.pop_back();
        vars.emplace_back(name, std::move(text));
    }
    return {};
}

}  // namespace sv
