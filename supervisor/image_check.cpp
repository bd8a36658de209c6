#include "image_check.hpp"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "environment.hpp"
#include "trust.hpp"
#include "parse.hpp"
#include "users.hpp"

namespace sv {

namespace {

std::vector<std::string> components(const std::string& path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = std::min(path.find('/', start), path.size());
        if (end > start) parts.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

// a + "/" + b, spelled so that GCC 12's -Wrestrict does not misfire.
std::string join(std::string a, const std::string& b) {
    a.push_back('/');
    return a.append(b);
}

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// Checks one service, its problems appended to `out` at the keys' positions.
class ServiceCheck {
   public:
    ServiceCheck(const LoadResult& loaded, const ServiceSpec& spec, const std::string& root, std::vector<Diagnostic>& out)
        : loaded_(loaded), spec_(spec), root_(root), out_(out), inside_(root.empty() || root == "/") {
        // As at run time (plan_launch): what runs with the supervisor's privileges must be root's.
        auto user = spec.user.empty() || is_number(spec.user) ? std::nullopt : find_user(spec.user, path_in_root(root, "/etc/passwd"));
        privileged_ = spec.user.empty() || parse_id(spec.user) == 0u || (user && user->uid == 0);
    }

    // Inside the image (not --root: an unpacked tree's owners are not the image's), what the
    // supervisor would refuse at run time: a program it runs as root, or an environment file,
    // that someone else could change (trust.hpp).
    void trust(const std::string& key, const std::string& path, bool program) {
        if (!inside_ || path.empty() || (program && !privileged_)) return;
        if (Distrust d = untrusted_path(path))
            problem(key, "refused at run time: " + path + " " + d.why + "; only root may be able to change it (fix: " + d.fix + ")");
    }

    void problem(const std::string& key, const std::string& message) {
        std::string text = "`";
        text.append(key, 0, key.find('[')).append("`: ").append(message);
        out_.push_back(loaded_.at(spec_, key, std::move(text)));
    }

    bool stat_in_root(const std::string& path, struct stat& st) { return ::stat(path_in_root(root_, path).c_str(), &st) == 0; }

    bool is_directory(const std::string& path) {
        struct stat st {};
        return stat_in_root(path, st) && S_ISDIR(st.st_mode);
    }

    // "" if `program` resolves to an executable regular file (then in `found_`), else why not.
    std::string resolve(const std::string& program, const std::string& search) {
        found_.clear();
        auto executable = [&](const std::string& path) {
            struct stat st {};
            return stat_in_root(path, st) && S_ISREG(st.st_mode) && (st.st_mode & 0111);
        };
        if (program.find('/') != std::string::npos) {
            std::string full = program;
            if (full[0] != '/') {
                if (spec_.directory.empty()) return {};  // relative to wherever the supervisor runs: unknown here
                full = join(spec_.directory, program);
            }
            struct stat st {};
            if (!stat_in_root(full, st)) return full + " does not exist";
            if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) return full + " is not an executable file";
            found_ = full;
            return {};
        }
        size_t start = 0;
        while (start <= search.size()) {
            size_t end = std::min(search.find(':', start), search.size());
            std::string dir = search.substr(start, end - start);
            if (!dir.empty() && dir[0] == '/' && executable(join(dir, program))) return found_ = join(dir, program), std::string();
            start = end + 1;
        }
        return "cannot find '" + program + "' in PATH (" + (path_from_file_ ? "as an environment_file sets it" : search) + ")";
    }

    void run(const std::string& base_path) {
        std::string search = base_path;
        if (auto path = spec_.environment.find("PATH"); path != spec_.environment.end()) search = path->second;
        check_environment_files(search);
        auto check_program = [&](const std::vector<std::string>& argv, const std::string& key) {
            if (argv.empty()) return;
            if (auto why = resolve(argv[0], search); !why.empty()) problem(key, why);
            else trust(key, found_, true);
        };
        check_program(spec_.shell ? std::vector<std::string>{"/bin/sh"} : spec_.command, "command");
        check_program(spec_.ready.probe.command, "ready.command");
        check_program(spec_.health.probe.command, "health.command");
        check_program(spec_.reload.check, "reload.check");

        std::string passwd = path_in_root(root_, "/etc/passwd"), group = path_in_root(root_, "/etc/group");
        if (!spec_.user.empty() && !is_number(spec_.user) && !find_user(spec_.user, passwd))
            problem("user", "no user '" + spec_.user + "' in /etc/passwd");
        if (!spec_.group.empty() && !is_number(spec_.group) && !find_group(spec_.group, group))
            problem("group", "no group '" + spec_.group + "' in /etc/group");
        if (!spec_.directory.empty() && !is_directory(spec_.directory))
            problem("directory", spec_.directory + (stat_exists(spec_.directory) ? " is not a directory" : " does not exist"));
        for (size_t i = 0; i < spec_.reload.watch.size(); ++i) {
            std::string dir = parent_of(spec_.reload.watch[i]);
            if (!is_directory(dir)) problem("reload.watch[" + std::to_string(i) + "]", "the directory " + dir + " does not exist");
        }
        if (!spec_.log.file.empty()) {
            // The supervisor makes missing directories; the nearest one that exists must be one.
            std::string dir = parent_of(spec_.log.file);
            while (dir != "/" && !stat_exists(dir)) dir = parent_of(dir);
            if (!is_directory(dir)) problem("log.file", dir + " is not a directory, so " + parent_of(spec_.log.file) + " cannot be made");
        }
    }

   private:
    bool stat_exists(const std::string& path) {
        struct stat st {};
        return stat_in_root(path, st);
    }

    void check_environment_files(std::string& search) {
        for (size_t i = 0; i < spec_.environment_files.size(); ++i) {
            const std::string& entry = spec_.environment_files[i];
            bool optional = entry[0] == '-';
            std::string path = entry.substr(optional ? 1 : 0), text, why;
            std::string key = "environment_file[" + std::to_string(i) + "]";
            bool missing = false;
            if (inside_) why = read_env_source(path, "", text, missing);
            else if (!read_file(path_in_root(root_, path), text, &why, kMaxEnvFile)) missing = errno == ENOENT, why = path + ": " + why;
            if (!why.empty()) {
                if (!(optional && missing)) problem(key, why);
                continue;
            }
            EnvVars vars;
            if (why = parse_env_file(text, vars); !why.empty()) problem(key, path + ": " + why);
            for (auto& [name, value] : vars)
                if (name == "PATH") search = value, path_from_file_ = true;  // as at run time: the files come after `environment`
        }
    }

    const LoadResult& loaded_;
    const ServiceSpec& spec_;
    const std::string& root_;
    std::vector<Diagnostic>& out_;
    bool inside_;             // checking the image from inside it
    bool privileged_ = true;  // runs with the supervisor's privileges
    std::string found_;       // what the last resolve() found
    bool path_from_file_ = false;  // PATH comes from an environment file: its value is not shown
};

}  // namespace

std::string path_in_root(const std::string& root, const std::string& path) {
    if (root.empty() || root == "/") return path;
    std::vector<std::string> todo = components(path), done;
    std::reverse(todo.begin(), todo.end());
    int links = 0;
    auto joined = [&] {
        std::string out = root;
        for (auto& part : done) out = join(std::move(out), part);
        return out;
    };
    while (!todo.empty()) {
        std::string part = todo.back();
        todo.pop_back();
        if (part == ".") continue;
        if (part == "..") {
            if (!done.empty()) done.pop_back();
            continue;
        }
        done.push_back(part);
        char target[PATH_MAX];
        ssize_t n = ::readlink(joined().c_str(), target, sizeof target - 1);
        if (n < 0) {
            if (errno == EINVAL) continue;  // not a link
            while (!todo.empty()) done.push_back(todo.back()), todo.pop_back();  // missing: the rest as is
            break;
        }
        done.pop_back();
        if (++links > 40) return join(joined(), part);  // a loop: let stat report it
        std::string link(target, static_cast<size_t>(n));
        if (link[0] == '/') done.clear();
        auto parts = components(link);
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_back(*it);
    }
    return joined();
}

std::vector<Diagnostic> verify_image(const LoadResult& loaded, const std::string& root, const std::string& base_path) {
    std::vector<Diagnostic> out;
    for (const ServiceSpec& spec : loaded.services) {
        bool has_errors = std::any_of(loaded.errors.begin(), loaded.errors.end(), [&](const Diagnostic& d) { return d.file == spec.file; });
        if (!has_errors) ServiceCheck(loaded, spec, root, out).run(base_path);
    }
    return out;
}

}  // namespace sv
