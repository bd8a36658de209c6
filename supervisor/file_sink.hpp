// A service's log file ([log] file), written without blocking and rotated by size.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sv {

// A file log with size-based rotation (file, file.1 ... file.N). A write that fails (disk
// full) drops the lines, counts them, and the next write tries again.
//
// PID 1 is often root and the file's directory may be one a service can write: the directory
// (and every one above it) must be root's (or ours) and writable by nobody else, unless it is
// sticky (/tmp); the file is opened relative to a descriptor of that directory held open,
// without following a symbolic link and without blocking on a FIFO, and must be a regular file
// of ours with one link; rotation renames within that directory descriptor.
class FileSink {
   public:
    // `dropped_total`: where the lines it drops are counted for good (the service's LogCounters).
    FileSink(std::string path, unsigned long long max_size, int max_files, uint64_t& dropped_total);
    ~FileSink();
    std::string& buffer() { return pending_; }
    void flush(const std::string& source);

   private:
    bool open_file(const std::string& source);
    bool refuse(const std::string& source, const std::string& why);
    void rotate();
    void drop(long lines) {
        dropped_ += static_cast<unsigned long>(lines);
        dropped_total_ += static_cast<uint64_t>(lines);
    }
    bool write_all(std::string_view chunk, const std::string& source);
    std::string path_;
    std::string dir_;   // the directory of path_
    std::string name_;  // the file's name in it
    unsigned long long max_size_;
    int max_files_;
    int dir_fd_ = -1;
    int fd_ = -1;
    unsigned long long size_ = 0;
    std::string pending_;
    unsigned long dropped_ = 0;  // since the last report
    uint64_t& dropped_total_;
    std::string last_error_;
    std::string refused_;  // why the file was last refused (warned once per reason)
};

}  // namespace sv
