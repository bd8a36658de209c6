#include "checks.hpp"

#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "boundary.hpp"
#include "parse.hpp"
#include "uv_handles.hpp"

namespace sv {

namespace {

// One TCP or HTTP attempt. It owns itself: it deletes itself once its handles are closed,
// whether it finished, timed out, or was cancelled.
class NetProbe {
   public:
    NetProbe(uv_loop_t* loop, Endpoint endpoint, std::optional<HttpUrl> http, Duration timeout, ProbeDone done,
             std::shared_ptr<bool> token)
        : endpoint_(std::move(endpoint)), http_(std::move(http)), done_(std::move(done)), token_(std::move(token)) {
        uv_tcp_init(loop, &tcp_);
        tcp_.data = this;
        uv_timer_init(loop, &timer_);
        timer_.data = this;
        uv_timer_start(&timer_, [](uv_timer_t* t) noexcept { at_boundary("a check's timeout", [&] {
            auto* self = static_cast<NetProbe*>(t->data);
            self->finish(false, "no answer within " + format_duration(self->timeout_));
        }); }, static_cast<uint64_t>(timeout.count()), 0);
        timeout_ = timeout;
        sockaddr_storage addr{};
        if (uv_ip4_addr(endpoint_.ip.c_str(), endpoint_.port, reinterpret_cast<sockaddr_in*>(&addr)) != 0)
            uv_ip6_addr(endpoint_.ip.c_str(), endpoint_.port, reinterpret_cast<sockaddr_in6*>(&addr));
        connect_.data = this;
        int rc = uv_tcp_connect(&connect_, &tcp_, reinterpret_cast<sockaddr*>(&addr), [](uv_connect_t* req, int status) noexcept { at_boundary("a check's connection", [&] {
            static_cast<NetProbe*>(req->data)->on_connect(status);
        }); });
        if (rc != 0) {
            connect_pending_ = false;
            finish(false, std::string("cannot connect: ") + uv_strerror(rc));
        }
    }

   private:
    std::string where() const { return endpoint_.ip + ":" + std::to_string(endpoint_.port); }

    void on_connect(int status) {
        connect_pending_ = false;
        if (closing_) return maybe_delete();
        if (status < 0) return finish(false, "cannot connect to " + where() + ": " + uv_strerror(status));
        // With nobody listening on a local port of the ephemeral range, TCP can connect a socket
        // to itself (simultaneous open): that is no service answering.
        sockaddr_storage self{}, peer{};
        int self_len = sizeof self, peer_len = sizeof peer;
        if (uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&self), &self_len) == 0 &&
            uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0 && self_len == peer_len &&
            std::memcmp(&self, &peer, static_cast<size_t>(self_len)) == 0)
            return finish(false, "nothing listens on " + where());
        if (!http_) return finish(true, "connected to " + where());
        request_ = "GET " + http_->path + " HTTP/1.0\r\nHost: " + http_->host + "\r\nUser-Agent: supervisor-check\r\nConnection: close\r\n\r\n";
        uv_buf_t buf = uv_buf_init(request_.data(), static_cast<unsigned>(request_.size()));
        write_.data = this;
        write_pending_ = true;
        uv_write(&write_, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, [](uv_write_t* req, int status) noexcept { at_boundary("a check's request", [&] {
            auto* self = static_cast<NetProbe*>(req->data);
            self->write_pending_ = false;
            if (self->closing_) return self->maybe_delete();
            if (status < 0) self->finish(false, std::string("cannot send the request: ") + uv_strerror(status));
        }); });
        uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), [](uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
            auto* self = static_cast<NetProbe*>(h->data);
            *buf = uv_buf_init(self->chunk_, sizeof self->chunk_);
        }, [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) noexcept { at_boundary("a check's answer", [&] { static_cast<NetProbe*>(s->data)->on_read(n, buf); }); });
    }

    void on_read(ssize_t n, const uv_buf_t* buf) {
        if (n > 0 && answer_.size() < 1024) answer_.append(buf->base, static_cast<size_t>(n));
        size_t eol = answer_.find("\r\n");
        if (eol == std::string::npos && n >= 0 && answer_.size() < 1024) return;
        std::string status_line = answer_.substr(0, eol == std::string::npos ? std::min<size_t>(answer_.size(), 200) : eol);
        // "HTTP/1.1 200 OK". atoi, not parse_number: the code is the number at the start of the
        // rest of the line, not the whole of it.
        size_t space = status_line.find(' ');
        int code = space == std::string::npos ? 0 : std::atoi(status_line.c_str() + space + 1);
        if (status_line.rfind("HTTP/", 0) != 0 || code < 100)
            return finish(false, status_line.empty() ? "connection closed without an answer" : "not an HTTP answer: " + status_line);
        finish(code >= 200 && code < 400, "HTTP " + status_line.substr(space + 1));
    }

    void finish(bool ok, const std::string& message) {
        if (closing_) return;
        closing_ = true;
        if (*token_ && done_) done_(ok, message);
        done_ = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) noexcept {
            at_boundary("a check's end", [&] {
                auto* self = static_cast<NetProbe*>(h->data);
                self->timer_closed_ = true;
                self->maybe_delete();
            });
        });
        uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* h) noexcept {
            at_boundary("a check's end", [&] {
                auto* self = static_cast<NetProbe*>(h->data);
                self->tcp_closed_ = true;
                self->maybe_delete();
            });
        });
    }

    void maybe_delete() {
        if (timer_closed_ && tcp_closed_ && !connect_pending_ && !write_pending_) delete this;
    }

    Endpoint endpoint_;
    std::optional<HttpUrl> http_;
    ProbeDone done_;
    std::shared_ptr<bool> token_;
    Duration timeout_{0};
    uv_tcp_t tcp_;
    uv_timer_t timer_;
    uv_connect_t connect_;
    uv_write_t write_;
    std::string request_, answer_;
    char chunk_[1024];
    bool closing_ = false, connect_pending_ = true, write_pending_ = false, timer_closed_ = false, tcp_closed_ = false;
};

}  // namespace

std::string quoted_output(std::string_view output) {
    while (!output.empty() && output.back() == '\n') output.remove_suffix(1);
    bool several = output.find('\n') != std::string_view::npos;
    std::string out = several ? "\n  > " : "";
    for (char ch : output) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '\n') {
            out += "\n  > ";
        } else if ((c < 0x20 && c != '\t') || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    return out;
}

std::string describe(const Probe& probe) {
    if (!probe.tcp.empty()) return "tcp " + probe.tcp;
    if (!probe.http.empty()) return probe.http;
    std::string out = "command";
    for (auto& word : probe.command) out += " " + word;
    return out;
}

std::shared_ptr<bool> run_probe(uv_loop_t* loop, const Probe& probe, Duration timeout, const CommandRunner& run_command,
                                ProbeDone done) {
    auto token = std::make_shared<bool>(true);
    if (!probe.command.empty()) {
        run_command(probe.command, timeout, [token, done](int status, const std::string& output) {
            if (!*token) return;
            std::string message = output.empty() ? describe_status(status) : quoted_output(output);
            done(status == 0, message);
        });
    } else if (!probe.tcp.empty()) {
        new NetProbe(loop, *parse_endpoint(probe.tcp), std::nullopt, timeout, std::move(done), token);
    } else {
        auto url = *parse_http_url(probe.http);
        new NetProbe(loop, url.endpoint, url, timeout, std::move(done), token);
    }
    return token;
}

NotifySocket::~NotifySocket() {
    close_handle(poll_);
    if (fd_ >= 0) ::close(fd_);
}

bool NotifySocket::open(uv_loop_t* loop, const std::string& name, OnMessage on_message) {
    on_message_ = std::move(on_message);
    // Abstract: nothing on disk to clean up, and it vanishes with the socket. The random part
    // keeps another process of the network namespace from binding it first.
    unsigned char random[16];
    if (::getrandom(random, sizeof random, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof random)) return false;
    std::string abstract = "supervisor/" + name + "/";
    for (unsigned char b : random) abstract += "0123456789abcdef"[b >> 4], abstract += "0123456789abcdef"[b & 15];
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    int on = 1;
    if (::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    abstract = abstract.substr(0, sizeof addr.sun_path - 2);
    std::memcpy(addr.sun_path + 1, abstract.data(), abstract.size());
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + abstract.size());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) < 0) return false;
    address_ = "@" + abstract;
    poll_ = new_handle<uv_poll_t>(this);
    uv_poll_init(loop, poll_, fd_);
    uv_poll_start(poll_, UV_READABLE, [](uv_poll_t* h, int, int) noexcept { at_boundary("the notify socket", [&] {
        auto* self = static_cast<NotifySocket*>(h->data);
        char buf[4096];
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
        for (;;) {
            iovec iov{buf, sizeof buf};
            msghdr msg{};
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            ssize_t n = ::recvmsg(self->fd_, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
            if (n <= 0) break;
            const ucred* sender = nullptr;
            for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) sender = reinterpret_cast<const ucred*>(CMSG_DATA(c));
            // Only the service's own processes speak for it.
            if (!sender || self->pgid_ <= 0) continue;
            pid_t group = ::getpgid(sender->pid);
            if (group != self->pgid_ && !(group < 0 && errno == ESRCH && sender->uid == self->uid_)) continue;
            std::string message(buf, static_cast<size_t>(n));
            size_t start = 0;
            while (start < message.size()) {
                size_t end = message.find('\n', start);
                if (end == std::string::npos) end = message.size();
                std::string line = message.substr(start, end - start);
                size_t eq = line.find('=');
                if (eq != std::string::npos) self->on_message_(line.substr(0, eq), line.substr(eq + 1));
                start = end + 1;
            }
        }
    }); });
    return true;
}

}  // namespace sv
