// Logs: where a line of a service's output goes.
//
//   service stdout/stderr ──pipe──> LogHub::Pipe (LineSplitter) ──> ServiceLog ──┬─> console (OutputQueue, PID 1's stdout)
//                                                                               ├─> FileSink (file_sink.hpp, rotated by size)
//                                                                               ├─> SyslogDestination (syslog.hpp)
//                                                                               └─> LogRing (log_ring.hpp) ──> followers
//                                                                                   (`supervisor logs`, log_readers.cpp)
//
// Nothing here ever blocks the loop: the console and syslog have bounded queues, and a line
// that does not fit is dropped and counted; the count is logged once the destination drains.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "child_output.hpp"
#include "file_sink.hpp"
#include "json.hpp"
#include "log_ring.hpp"
#include "metrics.hpp"
#include "model.hpp"

namespace spdlog {
class logger;
}

namespace sv {

class SyslogDestination;
class LogHub;

// The supervisor's own messages before the loop runs and after it ended: straight to stderr.
constexpr const char* kStderrPattern = "%Y-%m-%dT%H:%M:%S.%eZ supervisor %l: %v";

// Splits a byte stream into lines without ever losing a byte: a line longer than kMaxLine
// comes out in pieces (continued = true for every piece after the first), and finish()
// flushes a last line that had no newline.
class LineSplitter {
   public:
    using Emit = std::function<void(std::string_view line, bool continued)>;
    // `emit(line, continued)` is called once per line; a template so that the hot path of the
    // log pipes (two million lines a second) pays no indirect call per line.
    template <class F>
    void feed(const char* data, size_t size, F&& emit);
    template <class F>
    void finish(F&& emit) {
        if (!partial_.empty()) emit(std::string_view(partial_), continuing_);
        partial_.clear();
        continuing_ = false;
    }
    // What the next feed starts from: the bytes of a line not ended yet, and whether that line
    // is a piece after the first.
    std::string_view partial() const { return partial_; }
    bool continuing() const { return continuing_; }

   private:
    std::string partial_;
    bool continuing_ = false;
};

template <class F>
void LineSplitter::feed(const char* data, size_t size, F&& emit) {
    std::string_view rest(data, size);
    while (!rest.empty()) {
        size_t newline = rest.find('\n');
        size_t room = kMaxLine - partial_.size();
        if (newline == std::string_view::npos || newline > room) {
            // No end of line yet: keep it for the next read, even when it fills the piece exactly
            // (the newline may come next, and then it is one whole line, not a piece and an empty one).
            if (rest.size() <= room) {
                partial_.append(rest);
                return;
            }
            partial_.append(rest.substr(0, room));
            rest.remove_prefix(room);
            emit(std::string_view(partial_), continuing_);
            partial_.clear();
            continuing_ = true;
            continue;
        }
        if (partial_.empty()) {
            emit(rest.substr(0, newline), continuing_);  // the common case: no copy
        } else {
            partial_.append(rest.substr(0, newline));
            emit(std::string_view(partial_), continuing_);
            partial_.clear();
        }
        continuing_ = false;
        rest.remove_prefix(newline + 1);
    }
}

// Appends one line in `format` to `out`, with its newline:
//   prefix: "web | line"   (stderr: "web:err | line"; a continued piece: "web + line")
//   plain:  "line"
//   json:   {"time":"...","service":"web","stream":"stdout","line":"..."} (+ "continued":true)
// The supervisor's own messages use stream `supervisor` and carry their level.
void format_line(std::string& out, LogFormat format, std::string_view service, Stream stream, std::string_view line,
                 bool continued, std::chrono::system_clock::time_point now, std::string_view level = {});

// A bounded, non-blocking writer to one file descriptor (PID 1's stdout or stderr).
class OutputQueue {
   public:
    OutputQueue(std::string what, size_t limit) : what_(std::move(what)), limit_(limit) {}
    ~OutputQueue();
    // Writes go to `fd` through a file description of our own where possible (a pipe or a
    // terminal reopened through /proc), made non-blocking. The flags of a description shared
    // with services (a socket, or no /proc) are never changed: a socket is written with
    // MSG_DONTWAIT, and its writability is watched through an epoll descriptor of our own.
    void open(uv_loop_t* loop, int fd);
    // Reserves room for one line of `size` bytes; false (and a drop counted against `source`)
    // when the queue is full.
    bool reserve(size_t size, const std::string& source);
    std::string& buffer() { return pending_; }
    void flush();  // writes what it can now; the rest when the fd is writable
    void close();  // one last try, then gives up the fd
    // Called with (source, count, destination) when dropped lines are behind us.
    std::function<void(const std::string&, unsigned long, const std::string&)> on_drops_reported;

   private:
    void report_drops();
    std::string what_;
    size_t limit_;
    // own: our description, non-blocking; socket: shared, send(MSG_DONTWAIT); file: a regular
    // file, written as it is; shared: a pipe or terminal we could not reopen, one write of at
    // most PIPE_BUF bytes each time it is writable (which then cannot block).
    enum class Mode { own, socket, file, shared };
    int fd_ = -1;
    Mode mode_ = Mode::file;
    int epoll_fd_ = -1;  // watches a shared fd for writability, so libuv never touches its flags
    std::string pending_;
    size_t offset_ = 0;
    uv_poll_t* poll_ = nullptr;
    std::map<std::string, unsigned long> drops_;
};

// What a service's output came to, for /metrics: kept across its runs and reloads, like its ring.
struct LogCounters {
    uint64_t lines[2] = {0, 0};  // stdout, stderr (a line cut into pieces counts once)
    uint64_t bytes[2] = {0, 0};  // as read from its pipes
    uint64_t dropped[kLogDestinations] = {0, 0, 0};
};

// Where one service's lines go, made from its [log] section. Shared by the pipes of every
// run of the service until a reload replaces the spec.
class ServiceLog {
   public:
    ServiceLog(const ServiceSpec& spec, LogHub& hub, OutputQueue& console, std::shared_ptr<SyslogDestination> syslog,
               std::shared_ptr<LogRing> ring, std::shared_ptr<LogCounters> counters);
    ServiceLog(const ServiceLog&) = delete;
    ServiceLog& operator=(const ServiceLog&) = delete;
    // One line; `now` is read once per batch by the caller (a clock read per line was a
    // quarter of the log path's time).
    void line(Stream stream, std::string_view text, bool continued, std::chrono::system_clock::time_point now);
    void flush();  // after a batch of lines
    void count_bytes(Stream stream, size_t size) { counters_->bytes[stream == Stream::err ? 1 : 0] += size; }
    // Keeps the lines of a read in the ring (LogRing::append_read), if it has one.
    void keep(Stream stream, bool continued, std::string_view head, std::string_view body, std::chrono::system_clock::time_point now);
    const LogSpec& spec() const { return spec_; }

   private:
    std::string name_;
    LogSpec spec_;
    LogHub& hub_;
    OutputQueue& console_;
    std::shared_ptr<LogRing> ring_;  // the service's recent lines, kept across runs and reloads
    std::shared_ptr<LogCounters> counters_;  // kept the same way
    std::unique_ptr<FileSink> file_;
    std::shared_ptr<SyslogDestination> syslog_;
};

// The logging side of the supervisor: the console queues, the syslog destinations, the
// pipes of every running service, and the supervisor's own messages (through spdlog).
class LogHub {
   public:
    using Resolver = std::function<void(const std::string& host, std::function<void(const std::string& address)>)>;
    LogHub();
    ~LogHub();
    // Takes over PID 1's stdout/stderr and routes spdlog's messages through `own_format`.
    void open(uv_loop_t* loop, LogFormat own_format, Resolver resolver);
    // Reads what ended services left in their pipes and writes it out (at shutdown, before
    // the supervisor's last words).
    void drain();
    // Writes out what waits for the console, then sends the supervisor's messages straight to
    // stderr (blocking: the loop is over). Once only; also on destruction.
    void close();

    std::shared_ptr<ServiceLog> service_log(const ServiceSpec& spec);
    // Where a run of the service writes, per its [log]: each stream a pipe read by the loop
    // (into `log`), /dev/null, or (inherit) the supervisor's own. The ends go to launch(),
    // which closes them once the child has its copies. Returns the message when it cannot.
    std::variant<ChildOutput, std::string> output_for(const std::shared_ptr<ServiceLog>& log);

    // ---- recent lines and their readers (log_readers.cpp) ----

    // Where a follower's bytes go: the control connection of a `supervisor logs -f`.
    class Reader {
       public:
        virtual ~Reader() = default;
        virtual void write(std::string data) = 0;
        virtual size_t backlog() const = 0;  // bytes written that the reader has not taken yet
        virtual bool gone() const = 0;
        virtual void end() = 0;  // the last write: then the connection closes
    };
    struct Query {
        std::vector<std::string> names;  // empty: every service
        std::optional<size_t> lines;     // the last N per service; unset: all
        std::optional<std::chrono::system_clock::time_point> since;
        bool json = false;
    };
    // The recent lines of the services, oldest first, interleaved in the order they came:
    // "web | line", "web:err | line", "supervisor | web: started (pid 7)", or JSON lines.
    std::string recent(const Query& query);
    // Sends `reader` every new line of the services of `query` (names and json) until the
    // reader goes or end_followers(). False (and nothing kept) when kMaxFollowers follow already.
    bool follow(const Query& query, std::unique_ptr<Reader> reader);
    static constexpr size_t kMaxFollowers = 16;
    // Bytes a follower may have waiting (here and in its socket) before its lines are dropped.
    static constexpr size_t kFollowerQueue = 1 << 20;
    // At shutdown: what is queued is sent, and every follower is told the end.
    void end_followers();
    // The supervisor's own message about `service`, kept with its lines (spdlog's level);
    // `continued`: a further line of a message of several.
    void note(const std::string& service, int level, std::string_view text, std::chrono::system_clock::time_point now,
              bool continued = false);
    // The supervisor's message (one line of it, as spdlog gives it) goes with the lines of the
    // service it names ("web: started (pid 7)"); `first`: the line that names it.
    void note_message(std::string_view line, bool first, int level, std::chrono::system_clock::time_point now);
    // A removed service's lines and figures are forgotten.
    void forget(const std::string& service) {
        keep_pending();
        rings_.erase(service);
        counters_.erase(service);
    }
    // The service's log figures (lines, bytes, drops), added to `into`.
    void counters(const std::string& service, ServiceMetrics& into) const;

   private:
    friend class ServiceLog;
    class Pipe;
    struct Follower {
        std::unique_ptr<Reader> reader;
        std::vector<std::string> names;  // empty: every service
        bool json = false;
        std::string pending;  // formatted, not yet handed to the reader (one write per batch)
        unsigned long dropped = 0;  // lines not sent since the last report
    };
    void publish(const std::string& service, const LogRecord& record);
    void flush_followers();
    std::map<std::string, std::shared_ptr<LogRing>> rings_;
    std::map<std::string, std::shared_ptr<LogCounters>> counters_;
    std::vector<std::unique_ptr<Follower>> followers_;
    uint64_t seq_ = 0;  // orders the reads (and messages) of every service
    std::string noted_name_;  // the service the supervisor's message being written is about
    std::string read_head_;   // Pipe::take: what a pipe's splitter held before the read
    // The newest read is stored in its ring only once it has to be: most reads of a busy pipe
    // are pushed out whole by its next read before anyone asks, and are then never copied. Its
    // bytes wait in the read buffer they came in (there are two: the next read goes to the
    // other one), what the splitter held before in a copy.
    struct PendingRead {
        // Shared: a removed service's ring lives only as long as its pipes, and the read that
        // waits must not outlive it.
        std::shared_ptr<LogRing> ring;
        uint64_t seq = 0;
        std::chrono::system_clock::time_point time{};
        Stream stream = Stream::out;
        bool continued = false;
        std::string head;
        std::string_view body;
    } pending_;
    // A read for `ring` (ServiceLog::keep): the pending one is stored first unless this one
    // pushes it out.
    void keep_read(const std::shared_ptr<LogRing>& ring, Stream stream, bool continued, std::string_view head, std::string_view body,
                   std::chrono::system_clock::time_point now);
    void keep_pending();  // stores the pending read now: before the rings are read or changed
    char* read_buffer();  // where the next read goes: not where the pending read's bytes are
    uv_timer_t* drops_timer_ = nullptr;  // tells followers their dropped lines once they have room
    uv_loop_t* loop_ = nullptr;
    std::unique_ptr<OutputQueue> stdout_;
    std::unique_ptr<OutputQueue> stderr_;  // null when stderr is the same file as stdout
    std::map<std::string, std::weak_ptr<SyslogDestination>> syslogs_;
    std::set<Pipe*> pipes_;
    bool closed_ = false;
    int enlarged_pipes_ = 0;  // pipes of busy services given more room (Pipe::enlarge)
    Resolver resolver_;
    std::string hostname_;
    std::shared_ptr<spdlog::logger> before_;  // the logger open() replaced; close() puts it back
};

}  // namespace sv
