#include "socket_path.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace sv {

namespace {

std::string private_directory(uid_t uid) { return "/tmp/supervisor-" + std::to_string(uid); }

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// 0 if a supervisor answers on `path`, else the errno of the attempt.
int try_connect(const std::string& path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) return ENAMETOOLONG;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 ? 0 : errno;
    ::close(fd);
    return rc;
}

}  // namespace

std::vector<std::string> default_socket_paths(uid_t uid, const char* xdg_runtime_dir) {
    std::vector<std::string> paths = {"/run/supervisor.sock"};
    if (xdg_runtime_dir && xdg_runtime_dir[0] == '/') paths.push_back(std::string(xdg_runtime_dir) + "/supervisor.sock");
    paths.push_back(private_directory(uid) + "/supervisor.sock");
    return paths;
}

bool prepare_socket_directory(const std::string& path, std::string& error) {
    std::string dir = parent_of(path);
    struct stat st {};
    if (dir == private_directory(::geteuid())) {
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            return error = "cannot make " + dir + ": " + std::strerror(errno), false;
        if (::lstat(dir.c_str(), &st) != 0) return error = "cannot use " + dir + ": " + std::strerror(errno), false;
        if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)
            return error = dir + " is not a directory of uid " + std::to_string(::geteuid()) + " closed to others (someone else made it?)", false;
        return true;
    }
    if (::stat(dir.c_str(), &st) != 0) return error = "cannot use " + dir + " for " + path + ": " + std::strerror(errno), false;
    if (!S_ISDIR(st.st_mode)) return error = dir + " (for " + path + ") is not a directory", false;
    return true;
}

std::string locate_socket(bool wait, std::chrono::steady_clock::time_point deadline, std::string& error) {
    std::vector<std::string> paths = default_socket_paths(::geteuid(), std::getenv("XDG_RUNTIME_DIR"));
    // A client run as another uid (root in `docker exec`) finds a non-root PID 1's own directory.
    struct stat init {};
    if (::stat("/proc/1", &init) == 0 && init.st_uid != ::geteuid()) paths.push_back(private_directory(init.st_uid) + "/supervisor.sock");
    for (;;) {
        error.clear();
        for (const std::string& path : paths) {
            int rc = try_connect(path);
            if (rc == 0) return path;
            error += (error.empty() ? "" : ", ") + path + " (" + std::strerror(rc) + ")";
        }
        if (!wait || std::chrono::steady_clock::now() >= deadline) return {};
        ::poll(nullptr, 0, 50);
    }
}

}  // namespace sv
