// A syslog destination (unix://PATH, udp://HOST:PORT, tcp://HOST:PORT) on the loop: a
// non-blocking socket with a bounded queue. While the destination is down, lines queue up to
// the bound, then are dropped and counted per service; it reconnects with backoff and, once
// it has caught up, logs how many lines each service lost.
//
// Formats: unix sockets get the local syslog format ("<PRI>Mmm dd hh:mm:ss APP: MSG", what
// glibc's syslog() writes to /dev/log); udp gets RFC 5424; tcp gets RFC 5424 with octet
// counting (RFC 6587), as rsyslog's imtcp and imptcp expect.
#pragma once

#include <uv.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace sv {

class SyslogDestination {
   public:
    using Resolver = std::function<void(const std::string& host, std::function<void(const std::string& address)>)>;
    SyslogDestination(uv_loop_t* loop, std::string url, std::string hostname, Resolver resolver);
    ~SyslogDestination();
    SyslogDestination(const SyslogDestination&) = delete;
    SyslogDestination& operator=(const SyslogDestination&) = delete;

    // Queues one message (severity: 6 info for stdout, 3 err for stderr); counts a drop
    // against `app` (and returns false) when the queue is full.
    bool send(int facility, int severity, std::string_view app, std::string_view message, std::chrono::system_clock::time_point now);
    // How messages travel: a unix datagram socket (/dev/log: RFC 3164, as syslog(3) writes),
    // UDP (RFC 5424) or TCP (RFC 5424, octet-counted).
    enum class Transport { unix_socket, udp, tcp };

    // Builds one message as it goes on the wire (exposed for tests).
    static std::string frame(Transport transport, int facility, int severity, std::string_view hostname, std::string_view app,
                             std::string_view message, long long unix_ms);

   private:
    enum class Link { down, resolving, connecting, up };
    void connect();
    void connect_to(const std::string& address);
    void on_poll(int status, int events);
    void pump();
    void fail(const char* what, int error);
    void schedule_reconnect();
    void report_drops();
    void watch(int events);

    uv_loop_t* loop_;
    std::string url_;
    Transport transport_;
    std::string path_, host_;
    int port_ = 0;
    std::string hostname_;
    Resolver resolver_;

    Link link_ = Link::down;
    int fd_ = -1;
    uv_poll_t* poll_ = nullptr;
    uv_timer_t* retry_timer_ = nullptr;
    uint64_t retry_delay_ms_ = 100;
    std::deque<std::string> queue_;
    size_t queued_bytes_ = 0;
    size_t offset_ = 0;  // of queue_.front() already sent (tcp)
    std::map<std::string, unsigned long> drops_;
    std::string last_error_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for the resolver's callback
};

}  // namespace sv
