#include "syslog.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <spdlog/spdlog.h>

#include "boundary.hpp"
#include "parse.hpp"
#include "uv_handles.hpp"

namespace sv {

namespace {

constexpr size_t kQueueLimit = 4 << 20;  // bytes waiting per destination
constexpr uint64_t kMaxRetryMs = 10'000;

}  // namespace

SyslogDestination::SyslogDestination(uv_loop_t* loop, std::string url, std::string hostname, Resolver resolver)
    : loop_(loop), url_(std::move(url)), hostname_(std::move(hostname)), resolver_(std::move(resolver)) {
    std::string rest = url_.substr(url_.find("://") + 3);
    transport_ = url_[0] == 'u' && url_[1] == 'n' ? Transport::unix_socket : url_[0] == 'u' ? Transport::udp : Transport::tcp;
    if (transport_ == Transport::unix_socket) {
        path_ = rest;
    } else {
        size_t colon = rest.rfind(':');
        host_ = rest.substr(0, colon);
        if (host_.size() > 1 && host_.front() == '[' && host_.back() == ']') host_ = host_.substr(1, host_.size() - 2);
        port_ = parse_number<int>(std::string_view(rest).substr(colon + 1)).value_or(0);  // checked by config
    }
    retry_timer_ = new_handle<uv_timer_t>(this);
    uv_timer_init(loop_, retry_timer_);
    connect();
}

SyslogDestination::~SyslogDestination() {
    *alive_ = false;
    close_handle(poll_);
    close_handle(retry_timer_);
    if (fd_ >= 0) ::close(fd_);
}

std::string SyslogDestination::frame(Transport transport, int facility, int severity, std::string_view hostname, std::string_view app,
                                     std::string_view message, long long unix_ms) {
    int pri = facility * 8 + severity;
    time_t seconds = static_cast<time_t>(unix_ms / 1000);
    struct tm tm {};
    ::gmtime_r(&seconds, &tm);
    char stamp[64];
    std::string out;
    if (transport == Transport::unix_socket) {
        std::strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
        out += '<';
        out += std::to_string(pri);
        out += '>';
        out += stamp;
        out += ' ';
        out.append(app);
        out += ": ";
        out.append(message);
        return out;
    }
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    char millis[8];
    std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(unix_ms % 1000));
    out += '<';
    out += std::to_string(pri);
    out += ">1 ";
    out += stamp;
    out += millis;
    out += ' ';
    out.append(hostname.empty() ? std::string_view("-") : hostname);
    out += " ";
    out.append(app.empty() ? std::string_view("-") : app.substr(0, 48));
    out += " - - - ";
    out.append(message);
    if (transport != Transport::tcp) return out;
    std::string counted = std::to_string(out.size());
    counted += ' ';
    counted += out;
    return counted;
}

bool SyslogDestination::send(int facility, int severity, std::string_view app, std::string_view message,
                             std::chrono::system_clock::time_point now) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::string framed = frame(transport_, facility, severity, hostname_, app, message, ms);
    if (queued_bytes_ + framed.size() > kQueueLimit) {
        ++drops_[std::string(app)];
        return false;
    }
    queued_bytes_ += framed.size();
    queue_.push_back(std::move(framed));
    if (link_ == Link::up) pump();
    return true;
}

void SyslogDestination::connect() {
    link_ = Link::resolving;
    if (transport_ == Transport::unix_socket) return connect_to(path_);
    in_addr v4{};
    in6_addr v6{};
    if (::inet_pton(AF_INET, host_.c_str(), &v4) == 1 || ::inet_pton(AF_INET6, host_.c_str(), &v6) == 1)
        return connect_to(host_);
    // A name: resolved outside the loop (a helper process), never by a blocking lookup here.
    std::weak_ptr<bool> alive = alive_;
    resolver_(host_, [this, alive](const std::string& address) {
        if (alive.expired()) return;
        if (address.empty()) return fail("cannot resolve host", ENOENT);
        connect_to(address);
    });
}

void SyslogDestination::connect_to(const std::string& address) {
    sockaddr_storage storage{};
    socklen_t len = 0;
    int family = AF_UNIX;
    if (transport_ == Transport::unix_socket) {
        auto* un = reinterpret_cast<sockaddr_un*>(&storage);
        un->sun_family = AF_UNIX;
        std::strncpy(un->sun_path, address.c_str(), sizeof un->sun_path - 1);
        len = sizeof *un;
    } else if (auto* in = reinterpret_cast<sockaddr_in*>(&storage); ::inet_pton(AF_INET, address.c_str(), &in->sin_addr) == 1) {
        family = in->sin_family = AF_INET;
        in->sin_port = htons(static_cast<uint16_t>(port_));
        len = sizeof *in;
    } else {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
        ::inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr);
        family = in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<uint16_t>(port_));
        len = sizeof *in6;
    }
    int type = transport_ == Transport::tcp ? SOCK_STREAM : SOCK_DGRAM;
    fd_ = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return fail("cannot make a socket", errno);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&storage), len) < 0 && errno != EINPROGRESS) return fail("cannot connect", errno);
    poll_ = new_handle<uv_poll_t>(this);
    uv_poll_init(loop_, poll_, fd_);
    link_ = transport_ == Transport::tcp ? Link::connecting : Link::up;
    if (link_ == Link::connecting) return watch(UV_WRITABLE);
    retry_delay_ms_ = 100;
    pump();
}

void SyslogDestination::watch(int events) {
    uv_poll_start(poll_, events, [](uv_poll_t* h, int status, int ev) noexcept { at_boundary("a syslog socket", [&] { static_cast<SyslogDestination*>(h->data)->on_poll(status, ev); }); });
}

void SyslogDestination::on_poll(int status, int events) {
    int error = 0;
    socklen_t len = sizeof error;
    if (status < 0 || link_ == Link::connecting) ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len);
    // libuv reports any POLLERR as EBADF; the socket's own error says what happened (ECONNREFUSED).
    if (status < 0) return fail(link_ == Link::connecting ? "cannot connect" : "socket error", error ? error : -status);
    if (link_ == Link::connecting) {
        if (error) return fail("cannot connect", error);
        link_ = Link::up;
        retry_delay_ms_ = 100;
    }
    if (transport_ == Transport::tcp && (events & UV_READABLE)) {
        char buf[256];
        ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0) return fail("connection closed by the peer", ECONNRESET);
        if (n < 0 && errno != EAGAIN) return fail("connection lost", errno);
    }
    pump();
}

void SyslogDestination::pump() {
    while (link_ == Link::up && !queue_.empty()) {
        const std::string& message = queue_.front();
        ssize_t n = ::send(fd_, message.data() + offset_, message.size() - offset_, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) return watch(UV_WRITABLE | (transport_ == Transport::tcp ? UV_READABLE : 0));
            if (errno == EINTR) continue;
            if (transport_ == Transport::udp && errno == ECONNREFUSED) continue;  // an ICMP echo of an earlier datagram: try again
            return fail("cannot send", errno);
        }
        offset_ += static_cast<size_t>(n);
        if (offset_ < message.size()) continue;  // a partial stream write
        queued_bytes_ -= message.size();
        offset_ = 0;
        queue_.pop_front();
    }
    if (link_ != Link::up) return;
    if (transport_ == Transport::tcp) watch(UV_READABLE);  // to notice the peer going away
    else uv_poll_stop(poll_);
    if (!drops_.empty()) report_drops();
}

void SyslogDestination::fail(const char* what, int error) {
    std::string message = std::string(what) + ": " + std::strerror(error);
    if (message != last_error_) spdlog::warn("syslog {}: {}; retrying", url_, message);
    last_error_ = message;
    close_handle(poll_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    offset_ = 0;  // a partly sent stream message is sent again whole on the next connection
    link_ = Link::down;
    schedule_reconnect();
}

void SyslogDestination::schedule_reconnect() {
    uv_timer_start(retry_timer_, [](uv_timer_t* t) noexcept { at_boundary("a syslog reconnect", [&] { static_cast<SyslogDestination*>(t->data)->connect(); }); }, retry_delay_ms_, 0);
    retry_delay_ms_ = std::min(retry_delay_ms_ * 2, kMaxRetryMs);
}

void SyslogDestination::report_drops() {
    for (auto& [app, count] : drops_)
        spdlog::warn("{}: {} line{} dropped while {} was unreachable or slow", app, count, count == 1 ? "" : "s", url_);
    drops_.clear();
    if (!last_error_.empty()) spdlog::info("syslog {}: delivering again", url_);
    last_error_.clear();
}

}  // namespace sv
