#include "file_sink.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <spdlog/spdlog.h>

#include "trust.hpp"

namespace sv {

FileSink::FileSink(std::string path, unsigned long long max_size, int max_files, uint64_t& dropped_total)
    : path_(std::move(path)), max_size_(max_size), max_files_(max_files), dropped_total_(dropped_total) {
    size_t slash = path_.rfind('/');  // config made it absolute
    dir_ = slash == 0 ? "/" : path_.substr(0, slash);
    name_ = path_.substr(slash + 1);
}

FileSink::~FileSink() {
    flush("");
    if (fd_ >= 0) ::close(fd_);
    if (dir_fd_ >= 0) ::close(dir_fd_);
}

bool FileSink::refuse(const std::string& source, const std::string& why) {
    last_error_ = why;
    if (why != refused_ && !source.empty()) spdlog::warn("{}: refusing to write {}: {}; dropping its lines until fixed", source, path_, why);
    refused_ = why;
    return false;
}

bool FileSink::open_file(const std::string& source) {
    if (dir_fd_ < 0) {
        if (Distrust d = untrusted_path(dir_, true))
            return refuse(source, "its directory " + dir_ + (d.why.rfind('/', 0) == 0 ? ": " : " ") + d.why +
                                      ", so another user could redirect what PID 1 writes (fix: " + d.fix + ")");
        dir_fd_ = ::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd_ < 0) return refuse(source, std::strerror(errno));
    }
    // No symbolic link, no blocking on a FIFO, no controlling terminal.
    fd_ = ::openat(dir_fd_, name_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0640);
    if (fd_ < 0) {
        int error = errno;
        // ELOOP or ENXIO, or EACCES where fs.protected_symlinks or protected_fifos stops it first.
        struct stat there {};
        bool found = ::fstatat(dir_fd_, name_.c_str(), &there, AT_SYMLINK_NOFOLLOW) == 0;
        return refuse(source, found && S_ISLNK(there.st_mode)    ? "it is a symbolic link"
                              : found && S_ISFIFO(there.st_mode) ? "it is a FIFO"
                                                                 : std::strerror(error));
    }
    struct stat st {};
    std::string why = ::fstat(fd_, &st) != 0   ? std::strerror(errno)
                      : S_ISFIFO(st.st_mode)   ? "it is a FIFO"
                      : !S_ISREG(st.st_mode)   ? "it is not a regular file"
                      : st.st_uid != ::geteuid() && st.st_uid != 0 ? "it belongs to uid " + std::to_string(st.st_uid) + ", not to the supervisor"
                      : st.st_nlink != 1       ? "it has " + std::to_string(st.st_nlink) + " hard links"
                                               : "";
    if (!why.empty()) {
        ::close(fd_);
        fd_ = -1;
        return refuse(source, why);
    }
    if (!refused_.empty() && !source.empty()) spdlog::info("{}: writing {} again", source, path_);
    refused_.clear();
    size_ = static_cast<unsigned long long>(st.st_size);
    return true;
}

void FileSink::rotate() {
    ::close(fd_);
    fd_ = -1;
    // Within the directory descriptor: renameat never follows a link, and no path is looked up again.
    for (int i = max_files_ - 1; i >= 1; --i)
        ::renameat(dir_fd_, (name_ + "." + std::to_string(i)).c_str(), dir_fd_, (name_ + "." + std::to_string(i + 1)).c_str());
    ::renameat(dir_fd_, name_.c_str(), dir_fd_, (name_ + ".1").c_str());
}

void FileSink::flush(const std::string& source) {
    if (pending_.empty()) return;
    if (fd_ < 0 && !open_file(source)) {
        drop(std::count(pending_.begin(), pending_.end(), '\n'));
        pending_.clear();
        return;
    }
    std::string_view rest = pending_;
    while (!rest.empty()) {
        // As many whole lines as fit under max_size; when not one fits, a fresh file (where a
        // line longer than max_size goes alone).
        size_t room = size_ < max_size_ ? static_cast<size_t>(max_size_ - size_) : 0;
        size_t take = rest.size();
        if (rest.size() > room) {
            size_t newline = room > 0 ? rest.rfind('\n', room - 1) : std::string_view::npos;
            if (newline != std::string_view::npos) {
                take = newline + 1;
            } else if (size_ > 0) {
                rotate();
                if (!open_file(source)) break;
                continue;
            } else {
                size_t first = rest.find('\n');
                take = first == std::string_view::npos ? rest.size() : first + 1;
            }
        }
        if (!write_all(rest.substr(0, take), source)) break;
        rest.remove_prefix(take);
    }
    drop(std::count(rest.begin(), rest.end(), '\n'));
    if (rest.empty() && dropped_ > 0) {
        spdlog::warn("{}: {} line{} dropped while {} could not be written ({})", source, dropped_, dropped_ == 1 ? "" : "s", path_, last_error_);
        dropped_ = 0;
    }
    pending_.clear();
}

bool FileSink::write_all(std::string_view chunk, const std::string& source) {
    bool torn = false;
    while (!chunk.empty()) {
        ssize_t n = ::write(fd_, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            // Disk full or the like: the caller drops what is left, and the next flush tries again.
            last_error_ = std::strerror(n < 0 ? errno : ENOSPC);
            if (dropped_ == 0) spdlog::warn("{}: cannot write {} ({}); dropping its lines until it can", source, path_, last_error_);
            if (torn && ::write(fd_, "\n", 1) == 1) ++size_;  // end the torn line so the next starts clean
            return false;
        }
        size_ += static_cast<unsigned long long>(n);
        torn = chunk[static_cast<size_t>(n) - 1] != '\n';
        chunk.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

}  // namespace sv
