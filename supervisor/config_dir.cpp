// The service directory: which files are service files, the trust rule on them, and the checks
// across files (`after`), so that every error of the directory comes out in one report.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <tuple>

#include "config.hpp"
#include "trust.hpp"
#include "parse.hpp"

namespace sv {

Diagnostic LoadResult::at(const ServiceSpec& service, const std::string& key, std::string message) const {
    Diagnostic d{service.file, 0, 0, std::move(message)};
    auto file = positions.find(service.name);
    if (file == positions.end()) return d;
    auto found = file->second.find(key);
    if (found != file->second.end()) d.line = found->second.first, d.column = found->second.second;
    return d;
}

namespace {

// Across files: every `after` names a service of the directory, and there is no cycle. `known`
// also holds the names of files that did not load (their errors are reported already).
void check_dependencies(LoadResult& result, const std::vector<std::string>& known) {
    std::map<std::string, const ServiceSpec*> by_name;
    for (auto& spec : result.services) by_name[spec.name] = &spec;
    for (auto& spec : result.services)
        for (size_t i = 0; i < spec.after.size(); ++i) {
            const std::string& dep = spec.after[i];
            std::string key = "after[" + std::to_string(i) + "]";
            if (dep == spec.name) result.errors.push_back(result.at(spec, key, "`after` names the service itself"));
            else if (!std::count(known.begin(), known.end(), dep)) {
                std::string message = "`after`: unknown service \"" + dep + "\" (no " + dep + ".toml)";
                if (auto best = closest(dep, known)) message += "; did you mean \"" + *best + "\"?";
                result.errors.push_back(result.at(spec, key, message));
            }
        }
    // Depth-first search; a service met again while on the path closes a cycle.
    std::map<std::string, int> mark;  // 0 new, 1 on the path, 2 done
    std::vector<std::string> path;
    std::function<void(const ServiceSpec&)> visit = [&](const ServiceSpec& spec) {
        mark[spec.name] = 1;
        path.push_back(spec.name);
        for (size_t i = 0; i < spec.after.size(); ++i) {
            const std::string& dep = spec.after[i];
            auto found = by_name.find(dep);
            if (found == by_name.end() || dep == spec.name) continue;
            if (mark[dep] == 1) {
                std::string cycle;
                for (auto it = std::find(path.begin(), path.end(), dep); it != path.end(); ++it) cycle += *it + " -> ";
                result.errors.push_back(result.at(spec, "after[" + std::to_string(i) + "]", "dependency cycle: " + cycle + dep));
            } else if (mark[dep] == 0) {
                visit(*found->second);
            }
        }
        path.pop_back();
        mark[spec.name] = 2;
    };
    for (auto& spec : result.services)
        if (mark[spec.name] == 0) visit(spec);
}

// "refused: the file is writable by every user; anyone who can write it can run code as this
// supervisor's user (fix: chmod o-w)"
std::string refusal(const char* what, const Distrust& d, const char* where) {
    std::string out = "refused: the ";
    out.append(what).append(" ").append(d.why);
    out.append("; anyone who can write ").append(where).append(" can run code as this supervisor's user (fix: ");
    return out.append(d.fix).append(")");
}

// The `*.toml` entries of `dir` (not starting with a dot), as "dir/name" paths, sorted; every
// other entry but dotfiles and directories goes to `warnings`. False with errno set if the
// directory cannot be read.
bool list_service_files(const std::string& dir, std::vector<std::string>& files, std::vector<Diagnostic>& warnings) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return false;
    std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    for (;;) {
        errno = 0;
        const dirent* entry = ::readdir(d);
        if (!entry) break;
        std::string_view file = entry->d_name;
        if (file.empty() || file[0] == '.') continue;
        if (file.ends_with(".toml")) {
            files.push_back(prefix + std::string(file));
            continue;
        }
        struct stat st {};
        if (::stat((prefix + std::string(file)).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
        std::string stem(file.substr(0, file.rfind('.')));
        std::string lower(file);
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        std::string why = lower.ends_with(".toml") ? "service files end in \".toml\", in lower case (rename it " + stem + ".toml)"
                                                   : "only NAME.toml files are service files";
        warnings.push_back({prefix + std::string(file), 0, 0, "not loaded: " + why});
    }
    int error = errno;
    ::closedir(d);
    if (error != 0) return errno = error, false;
    std::sort(files.begin(), files.end());
    std::sort(warnings.begin(), warnings.end(), [](const Diagnostic& a, const Diagnostic& b) { return a.file < b.file; });
    return true;
}

void load_files(const std::string& dir, bool missing_ok, LoadResult& result, std::vector<std::string>& known) {
    struct stat dir_stat {};
    int found = ::stat(dir.c_str(), &dir_stat);
    if (found != 0 || !S_ISDIR(dir_stat.st_mode)) {
        if (!missing_ok) result.errors.push_back({dir, 0, 0, found == 0 ? "not a directory" : "no such directory"});
        return;
    }
    // Whoever can write a service file can run code as the supervisor's user (often root): the
    // files, their directory and the directories above it must be writable by root (or that
    // user) alone (trust.hpp). A refused directory is not read at all.
    if (Distrust d = untrusted_path(dir)) {
        result.errors.push_back({dir, 0, 0, refusal("directory", d, "there")});
        return;
    }
    std::vector<std::string> files;
    if (!list_service_files(dir, files, result.warnings)) {
        result.errors.push_back({dir, 0, 0, "cannot read directory: " + std::string(std::strerror(errno))});
        return;
    }
    for (const std::string& path : files) {
        size_t slash = path.rfind('/');
        std::string name = path.substr(slash == std::string::npos ? 0 : slash + 1);
        name.resize(name.size() - 5);  // the ".toml"
        if (!valid_service_name(name)) {
            result.errors.push_back({path, 0, 0, "\"" + name + "\" is not a valid service name (letters, digits, _ . - only)"});
            continue;
        }
        known.push_back(name);
        // A symlink is followed (Kubernetes mounts ConfigMap keys as links); what it reaches
        // must be a small regular file (checked on the opened file) that only root can change.
        std::string text, why;
        if (!read_file(path, text, &why)) {
            result.errors.push_back({path, 0, 0, "cannot read: " + why});
            continue;
        }
        if (Distrust d = untrusted_path(path)) {
            result.errors.push_back({path, 0, 0, refusal("file", d, "it")});
            continue;
        }
        result.services.push_back(parse_service(text, path, name, result.errors, &result.positions[name]));
    }
}

}  // namespace

LoadResult load_directory(const std::string& dir, bool single_command) {
    LoadResult result;
    std::vector<std::string> known;
    load_files(dir, single_command, result, known);
    check_dependencies(result, known);
    if (single_command)
        for (auto& spec : result.services)
            if (spec.name == kCommandServiceName)
                result.errors.push_back({spec.file, 0, 0, std::string("\"") + kCommandServiceName +
                                                              "\" is the name of the command given after --; rename this service"});
    // File by file, top to bottom, whichever check found the problem.
    std::stable_sort(result.errors.begin(), result.errors.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
    });
    return result;
}
}  // namespace sv
