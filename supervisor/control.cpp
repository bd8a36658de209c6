#include "control.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>
#include <stdexcept>

#include "boundary.hpp"
#include "options.hpp"
#include "parse.hpp"

namespace sv {

namespace {

constexpr int kMaxConnections = 64;
constexpr uint64_t kRequestTimeoutMs = 10'000;
// The client waits this much longer than the deadline it sends, so that the supervisor's own
// answer at the deadline ("not ready within ...") arrives before the client gives up.
constexpr int kAnswerGraceMs = 1000;
// At the end of a streamed answer, how long a client that does not read may keep its connection.
constexpr uint64_t kStreamEndGraceMs = 1000;
// An answer (a `logs -n all` can be megabytes) must be read within this: a client that never
// reads does not keep its copy in PID 1's memory.
constexpr uint64_t kAnswerWriteMs = 10000;
// The socket buffer of a streamed answer (the kernel doubles it for its bookkeeping).
constexpr int kStreamSocketBuffer = 1 << 20;

std::vector<std::string> split_words(std::string_view line) {
    std::vector<std::string> words;
    std::string word;
    for (char c : line) {
        if (c == ' ' || c == '\t') {
            if (!word.empty()) words.push_back(std::move(word)), word.clear();
        } else {
            word += c;
        }
    }
    if (!word.empty()) words.push_back(std::move(word));
    return words;
}

int live_connections = 0;
class Connection;
// The open connections, so that closing the server answers those still waiting: a connection
// reads until it is answered (to notice its client leave), and an open one keeps the loop alive.
std::set<Connection*> open_connections;

// One accepted connection. It owns itself (self_) from accept until its handle is closed;
// the supervisor may hold it longer, as a Reply, and answer later.
class Connection : public Reply, public std::enable_shared_from_this<Connection> {
   public:
    Connection(uv_loop_t* loop, ControlServer::Handler* handler) : handler_(handler) {
        uv_pipe_init(loop, &pipe_, 0);
        pipe_.data = this;
        uv_timer_init(loop, &timer_);
        timer_.data = this;
        ++live_connections;
        open_connections.insert(this);
    }
    ~Connection() override { uncount(); }

    void begin(uv_stream_t* server, std::shared_ptr<Connection> self) {
        self_ = std::move(self);
        if (uv_accept(server, stream()) != 0) return close();
        if (live_connections > kMaxConnections) return send(false, "too many connections; try again");
        uv_os_fd_t fd;
        struct ucred peer {};
        socklen_t len = sizeof peer;
        if (uv_fileno(handle(), &fd) != 0 || ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0)
            return send(false, "cannot identify the client");
        if (peer.uid != 0 && peer.uid != ::getuid())
            return send(false, "permission denied: uid " + std::to_string(peer.uid) +
                                   " may not control the supervisor (only root or uid " + std::to_string(::getuid()) + ")");
        uv_timer_start(&timer_, [](uv_timer_t* t) noexcept { at_boundary("a control connection's deadline", [&] { static_cast<Connection*>(t->data)->send(false, "no request received in time"); }); },
                       kRequestTimeoutMs, 0);
        uv_read_start(stream(), [](uv_handle_t*, size_t, uv_buf_t* buf) noexcept {
            static char chunk[1024];
            *buf = uv_buf_init(chunk, sizeof chunk);
        }, [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) noexcept { at_boundary("a control request", [&] { static_cast<Connection*>(s->data)->on_read(n, buf); }); });
    }

    void send(bool ok, const std::string& body) override {
        if (answered_ || closing_) return;
        answered_ = true;
        if (!dispatched_) uv_read_stop(stream());  // after a request: still reading, to notice the client leave
        uv_timer_stop(&timer_);
        std::string out = streaming_ ? body : (ok ? "OK\n" : "ERR\n") + body;
        if (!out.empty() && out.back() != '\n') out += '\n';
        if (streaming_) {
            // The end of a stream: what is queued goes first, but a client that stopped reading
            // does not keep the connection (or the supervisor's exit) waiting.
            uv_timer_start(&timer_, [](uv_timer_t* t) noexcept { at_boundary("a control connection's end", [&] { static_cast<Connection*>(t->data)->close(); }); }, kStreamEndGraceMs, 0);
            if (out.empty()) return uv_stream_get_write_queue_size(stream()) == 0 ? close() : void();
        }
        write(std::move(out));
        if (!streaming_ && !closing_ && uv_stream_get_write_queue_size(stream()) > 0)
            uv_timer_start(&timer_, [](uv_timer_t* t) noexcept { at_boundary("a control connection's end", [&] { static_cast<Connection*>(t->data)->close(); }); }, kAnswerWriteMs, 0);
    }
    void stream(std::string data) override {
        if (answered_ || closing_) return;
        if (!streaming_) {
            streaming_ = true;
            uv_timer_stop(&timer_);
            // The kernel's default (about 200 KiB) is less than the loop writes in one turn while
            // a service floods: a reader that keeps up would lose lines for want of room there.
            uv_os_fd_t fd;
            int size = kStreamSocketBuffer;
            if (uv_fileno(handle(), &fd) == 0 && ::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
                ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
            data.insert(0, "OK\n");
        }
        if (!data.empty()) write(std::move(data));
    }
    size_t backlog() const override { return uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&pipe_)); }
    bool done() const override { return answered_ || closing_; }

   private:
    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&pipe_); }

    // Once answered, the connection closes after its last write went out.
    void write(std::string data) {
        struct Write {
            uv_write_t req;
            std::string data;
            Connection* connection;
        };
        auto* w = new Write{{}, std::move(data), this};
        w->req.data = w;
        uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
        if (uv_write(&w->req, stream(), &buf, 1, [](uv_write_t* r, int status) noexcept { at_boundary("a control answer's write", [&] {
                auto* w = static_cast<Write*>(r->data);
                Connection* c = w->connection;
                delete w;
                if (status < 0 || (c->answered_ && uv_stream_get_write_queue_size(c->stream()) == 0)) c->close();
            }); }) != 0) {
            delete w;
            close();
        }
    }

    uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&pipe_); }

    void on_read(ssize_t n, const uv_buf_t* buf) {
        if (dispatched_) {
            // The client waits for its answer; EOF or an error means it went away. Its slot and
            // descriptor are freed now, and the supervisor drops its waiter (Reply::done).
            if (n < 0) close();
            return;
        }
        if (n < 0) {
            if (n == UV_EOF && !line_.empty()) {  // half-closed after its request: nothing more to read
                uv_read_stop(stream());
                return dispatch();
            }
            return close();  // the client went away without a request
        }
        line_.append(buf->base, static_cast<size_t>(n));
        size_t newline = line_.find('\n');
        if (newline != std::string::npos) {
            line_.resize(newline);
            return dispatch();
        }
        if (line_.size() > kMaxRequest) send(false, "request too long (at most " + std::to_string(kMaxRequest) + " bytes)");
    }

    void dispatch() {
        dispatched_ = true;
        uv_timer_stop(&timer_);
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        Request request;
        std::string error;
        if (!parse_request(line_, request, error)) return send(false, error);
        (*handler_)(request, shared_from_this());
    }

    void close() {
        if (closing_) return;
        closing_ = true;
        uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) noexcept {
            auto* c = static_cast<Connection*>(h->data);
            uv_close(c->handle(), [](uv_handle_t* p) noexcept {
                at_boundary("a control connection's end", [&] {
                    auto* connection = static_cast<Connection*>(p->data);
                    connection->uncount();
                    connection->self_.reset();
                });
            });
        });
    }

    // A connection counts against kMaxConnections until its descriptor is closed, not until the
    // last reference to it (a waiter of the supervisor's) is dropped.
    void uncount() {
        if (counted_) --live_connections;
        counted_ = false;
        open_connections.erase(this);
    }

    uv_pipe_t pipe_;
    uv_timer_t timer_;
    ControlServer::Handler* handler_;
    std::shared_ptr<Connection> self_;
    std::string line_;
    bool answered_ = false;
    bool streaming_ = false;
    bool closing_ = false;
    bool dispatched_ = false;
    bool counted_ = true;
};

// --timeout DURATION (every verb) and --settle DURATION (start, restart) into `request`,
// taken out of `args`.
bool read_durations(const std::string& verb, std::vector<std::string>& args, Request& request, std::string& error) {
    for (size_t i = 0; i < args.size();) {  // --timeout DURATION goes with every verb, --settle with start and restart
        if (args[i] != "--timeout" && args[i] != "--settle") {
            ++i;
            continue;
        }
        const std::string& option = args[i];
        if (option == "--settle" && verb != "start" && verb != "restart") return error = "--settle goes with start and restart", false;
        if (i + 1 >= args.size()) return error = option + " needs a value", false;
        auto value = parse_duration(args[i + 1]);
        if (!value) return error = option + ": \"" + args[i + 1] + "\" is not a duration (such as 30s)", false;
        (option == "--timeout" ? request.timeout : request.settle) = *value;
        args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
    }
    return true;
}

// The options of `logs` (-f, --json, -n N|all, --since DURATION|TIME) into `request`; what is
// left in `args` are the names.
bool read_logs_options(std::vector<std::string>& args, Request& request, std::string& error) {
    std::vector<std::string> rest;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-f" || a == "--follow") request.follow = true;
        else if (a == "--json") request.json = true;
        else if (a == "-n" || a == "--since") {
            if (i + 1 >= args.size()) return error = "logs: " + a + " needs a value", false;
            const std::string& value = args[++i];
            if (a == "-n") {
                auto lines = parse_number<size_t>(value);
                if (value == "all") request.lines.reset();
                else if (!lines) return error = "logs: -n: \"" + value + "\" is not a number of lines (or all)", false;
                else request.lines = *lines;
            } else if (auto ago = parse_duration(value)) {
                request.since = std::chrono::system_clock::now() - *ago;
            } else if (auto time = parse_time(value)) {
                request.since = *time;
            } else {
                return error = "logs: --since: \"" + value + "\" is neither a duration (such as 10m) nor a time (such as 2026-12-02T14:05:00Z)", false;
            }
        } else rest.push_back(a);
    }
    args = rest;
    return true;
}

}  // namespace

bool parse_request(std::string_view line, Request& request, std::string& error) {
    if (line.size() > kMaxRequest) return error = "request too long", false;
    for (char c : line)
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return error = "request has control characters", false;
    std::vector<std::string> words = split_words(line);
    if (words.empty()) return error = "empty request", false;
    const std::string verb = words[0];
    std::vector<std::string> args(words.begin() + 1, words.end());
    request = Request{};
    if (!read_durations(verb, args, request, error)) return false;
    auto names_only = [&](bool at_least_one) {
        for (auto& a : args) {
            if (a.rfind("-", 0) == 0) return error = verb + ": unknown option " + a, false;
        }
        if (at_least_one && args.empty()) return error = verb + " needs at least one service name", false;
        request.names = args;
        return true;
    };
    if (verb == "status") {
        request.verb = Request::status;
        std::vector<std::string> rest;
        for (auto& a : args) {
            if (a == "--json") request.json = true;
            else if (a == "--wait-ready") request.wait_ready = true;
            else rest.push_back(a);
        }
        args = rest;
        return names_only(false);
    }
    if (verb == "logs") {
        request.verb = Request::logs;
        return read_logs_options(args, request, error) && names_only(false);
    }
    if (verb == "start") return request.verb = Request::start, names_only(true);
    if (verb == "stop") return request.verb = Request::stop, names_only(true);
    if (verb == "restart") return request.verb = Request::restart, names_only(true);
    if (verb == "reload") {
        request.verb = Request::reload;
        if (args.size() > 1) return error = "reload takes at most one service name", false;
        return names_only(false);
    }
    if (verb == "shutdown") {
        request.verb = Request::shutdown;
        if (!args.empty()) return error = "shutdown takes no arguments", false;
        return true;
    }
    if (verb == "signal") {
        request.verb = Request::signal;
        if (args.size() != 2) return error = "usage: signal NAME SIGNAL", false;
        auto sig = parse_signal(args[1]);
        if (!sig) return error = "\"" + args[1] + "\" is not a signal (use a name such as SIGUSR1, or a number)", false;
        request.names = {args[0]};
        request.signal_number = *sig;
        return true;
    }
    return error = "unknown command \"" + verb + "\"", false;
}

std::string format_request(const std::vector<std::string>& words) {
    std::string line;
    for (auto& w : words) line += (line.empty() ? "" : " ") + w;
    return line + "\n";
}

void ControlServer::open(uv_loop_t* loop, const std::string& path, Handler handler) {
    handler_ = std::move(handler);
    path_ = path;
    if (path.size() >= sizeof(sockaddr_un{}.sun_path)) throw std::runtime_error("socket path too long: " + path);
    // A socket file left by an earlier run is stale if nobody answers on it.
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(path + " exists and is not a socket");
        // Non-blocking, with a deadline: a listener whose backlog is full (or one that never
        // answers) must not hold PID 1's start-up. A full backlog (EAGAIN) is someone listening.
        int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        int rc = ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        int error = rc == 0 ? 0 : errno;
        if (error == EINPROGRESS) {
            pollfd p{probe, POLLOUT, 0};
            socklen_t len = sizeof error;
            if (::poll(&p, 1, 1000) == 1) ::getsockopt(probe, SOL_SOCKET, SO_ERROR, &error, &len);
            else error = EAGAIN;  // no answer within the deadline: someone holds it
        }
        ::close(probe);
        if (error == 0) throw SocketInUse("another supervisor is listening on " + path + "; give this one its own --socket");
        if (error == EAGAIN) throw SocketInUse("another process is listening on " + path + " (and not accepting)");
        ::unlink(path.c_str());
    }
    server_ = new uv_pipe_t;
    uv_pipe_init(loop, server_, 0);
    server_->data = this;
    mode_t old = ::umask(0177);  // the socket file is born 0600
    int rc = uv_pipe_bind(server_, path.c_str());
    ::umask(old);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(server_), 64, &ControlServer::on_connection);
    if (rc != 0) {
        close();
        throw std::runtime_error("cannot listen on " + path + ": " + uv_strerror(rc));
    }
    // No chmod after the bind: it would follow a symbolic link put at the path meanwhile. The
    // umask above gave the socket its mode.
}

void ControlServer::on_connection(uv_stream_t* server, int status) noexcept {
    if (status < 0) return;
    at_boundary("a control connection", [&] {
        auto* self = static_cast<ControlServer*>(server->data);
        auto connection = std::make_shared<Connection>(server->loop, &self->handler_);
        connection->begin(server, connection);
    });
}

void ControlServer::close() {
    for (Connection* connection : std::set<Connection*>(open_connections)) connection->send(false, "the supervisor shut down");
    if (!server_) return;
    // libuv removes the socket file it bound as it closes the handle.
    uv_close(reinterpret_cast<uv_handle_t*>(server_), [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_pipe_t*>(h); });
    server_ = nullptr;
}

ControlServer::~ControlServer() { close(); }

namespace {

using Deadline = std::chrono::time_point<std::chrono::steady_clock, std::chrono::duration<double>>;

// Connects to the supervisor's socket; with `wait_for_socket`, until `deadline` while it is not
// there yet (it may be starting). Returns the socket, or -1 after saying why; `waited` tells
// whether it had to wait.
int connect_to_supervisor(const std::string& path, bool wait_for_socket, Deadline deadline,
                          bool& waited) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        std::fprintf(stderr, "supervisor: socket path too long: %s\n", path.c_str());
        return -1;
    }
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    while (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
        int e = errno;
        if (wait_for_socket && (e == ENOENT || e == ECONNREFUSED) && std::chrono::steady_clock::now() < deadline) {
            ::poll(nullptr, 0, 50);
            waited = true;
            continue;
        }
        std::fprintf(stderr, "supervisor: cannot reach the supervisor at %s: %s%s\n", path.c_str(), std::strerror(e),
                     e == ENOENT || e == ECONNREFUSED ? " (is it running? the socket is set by --socket or SUPERVISOR_SOCKET)"
                     : e == EACCES                    ? " (only root or the supervisor's own user may use it)"
                                                      : "");
        ::close(fd);
        return -1;
    }
    return fd;
}

// Writes the answer out as it comes (`logs -f` goes on until the supervisor ends it, with no
// deadline once it began); its first line says OK or ERR. Returns the client's exit status.
int relay_answer(int fd, Deadline deadline, bool follow, double timeout_seconds) {
    std::string head;
    FILE* out = nullptr;
    bool ok = false;
    static char buf[65536];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        bool waiting = !(out && follow);
        pollfd p{fd, POLLIN, 0};
        if (waiting && (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) == 0)) {
            std::fprintf(stderr, "supervisor: no answer within %gs\n", timeout_seconds);
            return exit_status::unreachable;
        }
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        std::string_view chunk(buf, static_cast<size_t>(n));
        if (!out) {
            head.append(chunk);
            size_t newline = head.find('\n');
            if (newline == std::string::npos) {
                if (head.size() < 4) continue;
                break;
            }
            ok = head.compare(0, newline, "OK") == 0;
            if (!ok && head.compare(0, newline, "ERR") != 0) break;
            out = ok ? stdout : stderr;
            chunk = std::string_view(head).substr(newline + 1);
        }
        if (!chunk.empty() && (std::fwrite(chunk.data(), 1, chunk.size(), out) != chunk.size() || std::fflush(out) != 0)) break;
    }
    if (!out) {
        std::fprintf(stderr, "supervisor: the connection closed without an answer\n");
        return exit_status::unreachable;
    }
    return ok ? exit_status::ok : exit_status::failed;
}

bool has_word(const std::vector<std::string>& words, const char* word) {
    return std::find(words.begin(), words.end(), word) != words.end();
}

}  // namespace

int run_client(const std::string& path, const std::vector<std::string>& words, double timeout_seconds) {
    Deadline deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    // Waiting for readiness includes waiting for the supervisor to come up (a HEALTHCHECK or a
    // script may ask right after the container started).
    bool waited = false;
    int fd = connect_to_supervisor(path, has_word(words, "--wait-ready"), deadline, waited);
    if (fd < 0) return exit_status::unreachable;
    // The time left is the deadline the supervisor answers by; we wait a little longer for it.
    std::chrono::duration<double> left = deadline - std::chrono::steady_clock::now();
    if (!waited) left = std::chrono::duration<double>(timeout_seconds);  // not the microseconds connect took
    auto left_ms = std::chrono::round<std::chrono::milliseconds>(left).count();
    std::vector<std::string> sent = words;
    sent.push_back("--timeout");
    sent.push_back(std::to_string(std::max<long long>(left_ms, 0)) + "ms");
    deadline += std::chrono::milliseconds(kAnswerGraceMs);
    std::string request = format_request(sent);
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()) &&
        errno != EPIPE && errno != ECONNRESET) {  // those: it answered (refused us) before reading: read why
        std::fprintf(stderr, "supervisor: cannot send the request: %s\n", std::strerror(errno));
        ::close(fd);
        return exit_status::unreachable;
    }
    bool follow = !words.empty() && words[0] == "logs" && (has_word(words, "-f") || has_word(words, "--follow"));
    int status = relay_answer(fd, deadline, follow, timeout_seconds);
    ::close(fd);
    return status;
}

}  // namespace sv
