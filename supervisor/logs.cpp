#include "logs.hpp"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "boundary.hpp"
#include "syslog.hpp"
#include "uv_handles.hpp"

namespace sv {

namespace {

constexpr size_t kConsoleLimit = 8 << 20;  // bytes waiting for a slow console reader
constexpr size_t kReadChunk = 256 * 1024;
// Every read of every pipe lands in one of these (one thread, and each read is consumed before
// the next), the one the newest read kept for a ring does not hold (LogHub::read_buffer).
char read_buffers[2][kReadChunk];
// A busy service's output pipe is enlarged to this (Linux's default is 64 KiB): the writer
// then wakes the loop sixteen times less often, and a burst of small writes fits while the
// reader rests (Pipe::on_read). Only busy pipes, and at most kMaxEnlargedPipes at once: the
// kernel counts pipe capacity per user (pipe-user-pages-soft, 64 MiB by default), and a user
// past it gets 8 KiB pipes everywhere, in other containers of the same uid too. The pages
// themselves are taken only while data waits. Best effort: the kernel may refuse.
constexpr int kPipeSize = 1024 * 1024;
constexpr int kMaxEnlargedPipes = 16;
constexpr size_t kBusyRead = 64 * 1024;  // a read this big found the default pipe full
constexpr uint64_t kRestMs = 1;  // see Pipe::on_read
constexpr size_t kSmallRead = 4096;

void append_time(std::string& out, std::chrono::system_clock::time_point now) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    time_t seconds = static_cast<time_t>(ms / 1000);
    struct tm tm {};
    ::gmtime_r(&seconds, &tm);
    char stamp[40];
    size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", static_cast<int>(ms % 1000));
    out += stamp;
}

}  // namespace

// ---- lines ------------------------------------------------------------------------------

void format_line(std::string& out, LogFormat format, std::string_view service, Stream stream, std::string_view line,
                 bool continued, std::chrono::system_clock::time_point now, std::string_view level) {
    switch (format) {
        case LogFormat::plain:
            out.append(line);
            break;
        case LogFormat::prefix:
            if (stream == Stream::supervisor) {
                append_time(out, now);
                out += " supervisor ";
                out.append(level);
                out += ": ";
            } else {
                out.append(service);
                if (stream == Stream::err) out += ":err";
                out += continued ? " + " : " | ";
            }
            out.append(line);
            break;
        case LogFormat::json:
            out += "{\"time\":\"";
            append_time(out, now);
            out += "\",\"service\":";
            append_json_string(out, service);
            out += stream == Stream::out ? ",\"stream\":\"stdout\"" : stream == Stream::err ? ",\"stream\":\"stderr\"" : ",\"stream\":\"supervisor\"";
            if (!level.empty()) {
                out += ",\"level\":";
                append_json_string(out, level);
            }
            out += ",\"line\":";
            append_json_string(out, line);
            if (continued) out += ",\"continued\":true";
            out += '}';
            break;
    }
    out += '\n';
}

// ---- the console --------------------------------------------------------------------------

OutputQueue::~OutputQueue() { close(); }

void OutputQueue::open(uv_loop_t* loop, int fd) {
    // A file description of our own (reopening the pipe or terminal through /proc) can be made
    // non-blocking without surprising a service that inherited PID 1's stdout.
    char path[64];
    std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct stat st {};
    bool known = ::fstat(fd, &st) == 0;
    int own = -1;
    if (known && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
        own = ::open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (own >= 0) {
        fd_ = own;
        mode_ = Mode::own;
        // A pipe (docker's, or `| cat`): as roomy as a busy service's pipe, so a burst passes
        // through without a wakeup per 64 KiB. Best effort, like theirs.
        if (S_ISFIFO(st.st_mode) && ::fcntl(own, F_GETPIPE_SZ) < kPipeSize) ::fcntl(own, F_SETPIPE_SZ, kPipeSize);
    } else {
        // Shared with the services that inherit it: uv_poll_init would make it non-blocking for
        // them too (a Python service then fails with BlockingIOError), so libuv watches an epoll
        // descriptor of ours that is readable while `fd` is writable.
        fd_ = fd;
        mode_ = known && S_ISSOCK(st.st_mode) ? Mode::socket : known && S_ISREG(st.st_mode) ? Mode::file : Mode::shared;
        if (mode_ == Mode::file) return;  // always writable; nothing to watch
        epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
        epoll_event ev{};
        ev.events = EPOLLOUT;
        if (epoll_fd_ >= 0 && ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
            ::close(epoll_fd_);
            epoll_fd_ = -1;
        }
        if (epoll_fd_ < 0) return;  // written as it is, without waiting for room
    }
    poll_ = new_handle<uv_poll_t>(this);
    if (uv_poll_init(loop, poll_, mode_ == Mode::own ? fd_ : epoll_fd_) != 0) {
        delete poll_;  // never initialised, so never closed: free it here
        poll_ = nullptr;
    }
}

bool OutputQueue::reserve(size_t size, const std::string& source) {
    if (pending_.size() - offset_ + size <= limit_) return true;
    ++drops_[source];
    return false;
}

void OutputQueue::flush() {
    if (fd_ < 0) return;
    while (offset_ < pending_.size()) {
        size_t size = pending_.size() - offset_;
        if (mode_ == Mode::shared) size = std::min<size_t>(size, PIPE_BUF);
        ssize_t n = mode_ == Mode::socket ? ::send(fd_, pending_.data() + offset_, size, MSG_DONTWAIT | MSG_NOSIGNAL)
                                          : ::write(fd_, pending_.data() + offset_, size);
        if (n > 0) {
            offset_ += static_cast<size_t>(n);
            if (mode_ == Mode::shared) break;  // a blocking fd: one small write per readiness
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {  // the reader is gone for good
            pending_.clear();
            offset_ = 0;
            return;
        }
        break;
    }
    if (offset_ == pending_.size()) {
        pending_.clear();
        offset_ = 0;
        if (poll_) uv_poll_stop(poll_);
        if (!drops_.empty()) report_drops();
        return;
    }
    if (offset_ > (1 << 20)) {  // keep the buffer from growing at the front
        pending_.erase(0, offset_);
        offset_ = 0;
    }
    // Our own description is watched itself; a shared one through our epoll descriptor.
    if (poll_) uv_poll_start(poll_, mode_ == Mode::own ? UV_WRITABLE : UV_READABLE, [](uv_poll_t* h, int, int) noexcept { at_boundary("the console", [&] { static_cast<OutputQueue*>(h->data)->flush(); }); });
}

void OutputQueue::report_drops() {
    auto drops = std::move(drops_);
    drops_.clear();
    if (on_drops_reported)
        for (auto& [source, count] : drops) on_drops_reported(source, count, what_);
}

void OutputQueue::close() {
    if (fd_ < 0) return;
    // The loop is over: give a slow reader a little time for the last lines, never forever.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (flush(); offset_ < pending_.size(); flush()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        pollfd p{fd_, POLLOUT, 0};
        if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    }
    close_handle(poll_);
    if (mode_ == Mode::own) ::close(fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    epoll_fd_ = -1;
    fd_ = -1;
}

// ---- one service ------------------------------------------------------------------------

ServiceLog::ServiceLog(const ServiceSpec& spec, LogHub& hub, OutputQueue& console, std::shared_ptr<SyslogDestination> syslog,
                       std::shared_ptr<LogRing> ring, std::shared_ptr<LogCounters> counters)
    : name_(spec.name), spec_(spec.log), hub_(hub), console_(console), ring_(std::move(ring)), counters_(std::move(counters)),
      syslog_(std::move(syslog)) {
    if (spec_.stdout_mode == LogMode::file || spec_.stderr_mode == LogMode::file)
        file_ = std::make_unique<FileSink>(spec_.file, spec_.max_size, spec_.max_files,
                                           counters_->dropped[static_cast<int>(LogDestination::file)]);
}

void ServiceLog::line(Stream stream, std::string_view text, bool continued, std::chrono::system_clock::time_point now) {
    LogMode mode = stream == Stream::err ? spec_.stderr_mode : spec_.stdout_mode;
    if (!continued) ++counters_->lines[stream == Stream::err ? 1 : 0];
    if (mode == LogMode::console) {
        // name + marks + json overhead is well under 256 bytes; json escapes may grow the line 6x.
        size_t worst = text.size() * (spec_.format == LogFormat::json ? 6 : 1) + name_.size() + 256;
        if (console_.reserve(worst, name_)) format_line(console_.buffer(), spec_.format, name_, stream, text, continued, now);
        else ++counters_->dropped[static_cast<int>(LogDestination::console)];
    } else if (mode == LogMode::file) {
        format_line(file_->buffer(), spec_.format, name_, stream, text, continued, now);
    }
    if (syslog_ && !syslog_->send(spec_.facility, stream == Stream::err ? 3 : 6, name_, text, now))
        ++counters_->dropped[static_cast<int>(LogDestination::syslog)];
    // The ring takes the lines of a read at once, after it (keep); a follower takes each.
    if (!hub_.followers_.empty()) hub_.publish(name_, LogRecord{.time = now, .stream = stream, .continued = continued, .text = text});
}

void ServiceLog::keep(Stream stream, bool continued, std::string_view head, std::string_view body, std::chrono::system_clock::time_point now) {
    if (ring_->capacity() > 0 && head.size() + body.size() > 0) hub_.keep_read(ring_, stream, continued, head, body, now);
}

void ServiceLog::flush() {
    console_.flush();
    if (file_) file_->flush(name_);
    if (!hub_.followers_.empty()) hub_.flush_followers();
}

// ---- the pipes of running services -------------------------------------------------------

class LogHub::Pipe {
   public:
    Pipe(LogHub& hub, std::shared_ptr<ServiceLog> log, Stream stream, int fd) : hub_(hub), log_(std::move(log)), stream_(stream) {
        handle_ = new_handle<uv_pipe_t>(this);
        uv_pipe_init(hub.loop_, handle_, 0);
        uv_pipe_open(handle_, fd);
        rest_ = new_handle<uv_timer_t>(this);
        uv_timer_init(hub.loop_, rest_);
        resume();
    }
    ~Pipe() {
        if (enlarged_) --hub_.enlarged_pipes_;
        close_handle(rest_);
        close_handle(handle_);
    }

    // Every pipe ends with its last line flushed; called at EOF and at shutdown (after reading
    // what the ended service left in the pipe).
    void finish(bool drain = false) {
        uv_os_fd_t fd;
        ssize_t n;
        char* buffer;
        while (drain && uv_fileno(reinterpret_cast<uv_handle_t*>(handle_), &fd) == 0 && (n = ::read(fd, buffer = hub_.read_buffer(), kReadChunk)) > 0)
            take(buffer, static_cast<size_t>(n));
        auto now = std::chrono::system_clock::now();
        log_->keep(stream_, splitter_.continuing(), splitter_.partial(), {}, now);
        splitter_.finish([&](std::string_view line, bool continued) { log_->line(stream_, line, continued, now); });
        log_->flush();
    }

   private:
    void on_read(ssize_t n, const uv_buf_t* buf) {
        if (n < 0) {  // EOF (every writer closed it) or an error: this pipe is done
            finish();
            hub_.pipes_.erase(this);
            delete this;
            return;
        }
        take(buf->base, static_cast<size_t>(n));
        log_->flush();
        // A second small read within the same millisecond means a burst of small writes: let the
        // pipe fill for a millisecond instead of being woken for every line (which slows the
        // writer more than the reading costs us). A trickle of lines is still read as each
        // comes, and big writes are read as fast as they come.
        uint64_t now = uv_now(hub_.loop_);
        if (static_cast<size_t>(n) >= kBusyRead) enlarge();
        if (now - last_read_ < kRestMs && static_cast<size_t>(n) < kSmallRead) {
            enlarge();
            uv_read_stop(reinterpret_cast<uv_stream_t*>(handle_));
            uv_timer_start(rest_, [](uv_timer_t* t) noexcept { at_boundary("a log pipe's rest", [&] { static_cast<Pipe*>(t->data)->resume(); }); }, kRestMs, 0);
        }
        last_read_ = now;
    }

    void enlarge() {
        if (enlarge_tried_ || hub_.enlarged_pipes_ >= kMaxEnlargedPipes) return;
        enlarge_tried_ = true;
        uv_os_fd_t fd;
        if (uv_fileno(reinterpret_cast<uv_handle_t*>(handle_), &fd) == 0 && ::fcntl(fd, F_SETPIPE_SZ, kPipeSize) > 0) {
            enlarged_ = true;
            ++hub_.enlarged_pipes_;
        }
    }

    void resume() {
        uv_read_start(reinterpret_cast<uv_stream_t*>(handle_), [](uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
            *buf = uv_buf_init(static_cast<Pipe*>(h->data)->hub_.read_buffer(), kReadChunk);
        }, [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) noexcept { at_boundary("a log pipe", [&] { static_cast<Pipe*>(s->data)->on_read(n, buf); }); });
    }

    // The lines of one read share one time stamp. The ring keeps the bytes of the lines the
    // read completed, as one chunk: what the splitter held from before (a copy, as the splitter
    // changes it) and the read up to what it holds after.
    void take(const char* data, size_t size) {
        auto now = std::chrono::system_clock::now();
        log_->count_bytes(stream_, size);
        bool first_continued = splitter_.continuing();
        std::string& head = hub_.read_head_;
        head.assign(splitter_.partial());
        splitter_.feed(data, size, [&](std::string_view line, bool continued) { log_->line(stream_, line, continued, now); });
        size_t held = splitter_.partial().size();
        if (head.size() + size > held) log_->keep(stream_, first_continued, head, std::string_view(data, size - held), now);
    }

    LogHub& hub_;
    std::shared_ptr<ServiceLog> log_;
    Stream stream_;
    LineSplitter splitter_;
    uv_pipe_t* handle_ = nullptr;
    uv_timer_t* rest_ = nullptr;
    uint64_t last_read_ = 0;
    bool enlarge_tried_ = false;
    bool enlarged_ = false;
};

// ---- the supervisor's own messages -------------------------------------------------------

namespace {

class QueueSink : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
   public:
    // The logger passes info and above even when the console shows less (--log-level warn,
    // single-command mode's default): the services' buffers keep the supervisor's messages
    // about them (started, exited, restarting in ...) whatever the console shows; they take
    // no debug message (those repeat: the code that wants one kept notes it itself).
    QueueSink(OutputQueue& queue, LogFormat format, LogHub& hub, spdlog::level::level_enum console)
        : queue_(queue), format_(format), hub_(hub), console_(console) {}

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        std::string_view text(msg.payload.data(), msg.payload.size());
        auto level = spdlog::level::to_string_view(msg.level);
        bool kept = msg.level >= spdlog::level::info, shown = msg.level >= console_;
        // A message of several lines (a check's output) stays one line per line, each tagged.
        for (size_t start = 0; start <= text.size();) {
            size_t end = std::min(text.find('\n', start), text.size());
            std::string_view line = text.substr(start, end - start);
            if (kept) hub_.note_message(line, start == 0, msg.level, msg.time);
            if (shown && queue_.reserve(line.size() * 6 + 256, "supervisor"))
                format_line(queue_.buffer(), format_, "supervisor", Stream::supervisor, line, start > 0, msg.time,
                            std::string_view(level.data(), level.size()));
            start = end + 1;
        }
        queue_.flush();
    }
    void flush_() override { queue_.flush(); }

   private:
    OutputQueue& queue_;
    LogFormat format_;
    LogHub& hub_;
    spdlog::level::level_enum console_;
};

}  // namespace

LogHub::LogHub() = default;

LogHub::~LogHub() { close(); }

void LogHub::open(uv_loop_t* loop, LogFormat own_format, Resolver resolver) {
    loop_ = loop;
    resolver_ = std::move(resolver);
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) hostname_ = host;
    stdout_ = std::make_unique<OutputQueue>("the console (stdout)", kConsoleLimit);
    stdout_->open(loop, STDOUT_FILENO);
    OutputQueue* own = stdout_.get();
    struct stat out {}, err {};
    bool same = ::fstat(STDOUT_FILENO, &out) == 0 && ::fstat(STDERR_FILENO, &err) == 0 && out.st_dev == err.st_dev && out.st_ino == err.st_ino;
    if (!same) {
        stderr_ = std::make_unique<OutputQueue>("the console (stderr)", kConsoleLimit);
        stderr_->open(loop, STDERR_FILENO);
        own = stderr_.get();
    }
    auto report = [](const std::string& source, unsigned long count, const std::string& what) {
        spdlog::warn("{}: {} line{} dropped while {} was not keeping up", source, count, count == 1 ? "" : "s", what);
    };
    stdout_->on_drops_reported = report;
    if (stderr_) stderr_->on_drops_reported = report;
    auto console = spdlog::default_logger()->level();
    auto logger = std::make_shared<spdlog::logger>("supervisor", std::make_shared<QueueSink>(*own, own_format, *this, console));
    logger->set_level(std::min(console, spdlog::level::info));
    before_ = spdlog::default_logger();
    spdlog::set_default_logger(logger);
}

void LogHub::drain() {
    for (Pipe* pipe : std::set<Pipe*>(pipes_)) {
        pipe->finish(true);
        delete pipe;
    }
    pipes_.clear();
}

void LogHub::close() {
    drain();
    end_followers();
    if (!stdout_ || closed_) return;
    closed_ = true;
    // From here on the supervisor's last words (a failed start-up's "cannot start" too, the exit
    // status) go straight to stderr, blocking, through the logger open() replaced: the loop is over.
    auto logger = spdlog::default_logger();
    logger->sinks().clear();
    stdout_->close();
    if (stderr_) stderr_->close();
    if (before_) {
        spdlog::set_default_logger(std::move(before_));
    } else {  // open() replaced no logger (tests): a plain one to stderr
        logger->sinks().push_back(std::make_shared<spdlog::sinks::stderr_sink_st>());
        logger->set_pattern(kStderrPattern, spdlog::pattern_time_type::utc);
    }
}

char* LogHub::read_buffer() {
    auto at = reinterpret_cast<uintptr_t>(pending_.body.data()), first = reinterpret_cast<uintptr_t>(read_buffers[0]);
    bool in_first = pending_.ring && !pending_.body.empty() && at >= first && at < first + kReadChunk;
    return read_buffers[in_first ? 1 : 0];
}

std::shared_ptr<ServiceLog> LogHub::service_log(const ServiceSpec& spec) {
    std::shared_ptr<SyslogDestination> syslog;
    if (!spec.log.syslog.empty()) {
        auto& slot = syslogs_[spec.log.syslog];
        syslog = slot.lock();
        if (!syslog) {
            syslog = std::make_shared<SyslogDestination>(loop_, spec.log.syslog, hostname_, resolver_);
            slot = syslog;
        }
    }
    keep_pending();  // (before a ring changes size)
    auto& ring = rings_[spec.name];
    if (!ring) ring = std::make_shared<LogRing>();
    ring->set_capacity(static_cast<size_t>(spec.log.buffer));
    auto& counters = counters_[spec.name];
    if (!counters) counters = std::make_shared<LogCounters>();
    return std::make_shared<ServiceLog>(spec, *this, *stdout_, std::move(syslog), ring, counters);
}

void LogHub::counters(const std::string& service, ServiceMetrics& into) const {
    auto found = counters_.find(service);
    if (found == counters_.end()) return;
    const LogCounters& c = *found->second;
    for (int i = 0; i < 2; ++i) into.log_lines[i] += c.lines[i], into.log_bytes[i] += c.bytes[i];
    for (int d = 0; d < kLogDestinations; ++d) into.log_dropped[d] += c.dropped[d];
}

std::variant<ChildOutput, std::string> LogHub::output_for(const std::shared_ptr<ServiceLog>& log) {
    const LogSpec& spec = log->spec();
    int ends[2] = {-1, -1};  // the child's stdout, stderr
    auto fail = [&](const char* what) {
        std::string why = what + std::string(std::strerror(errno));
        ChildOutput made(ends[0], ends[1]);  // closes what was made; a pipe's reader then sees EOF
        return why;
    };
    for (Stream stream : {Stream::out, Stream::err}) {
        LogMode mode = stream == Stream::out ? spec.stdout_mode : spec.stderr_mode;
        int& end = ends[stream == Stream::out ? 0 : 1];
        if (mode == LogMode::inherit) continue;
        if (mode == LogMode::null && spec.syslog.empty()) {
            end = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
            if (end < 0) return fail("cannot open /dev/null: ");
            continue;
        }
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) < 0) return fail("cannot make a pipe for its output: ");
        end = fds[1];
        pipes_.insert(new Pipe(*this, log, stream, fds[0]));
    }
    return ChildOutput(ends[0], ends[1]);
}

}  // namespace sv
