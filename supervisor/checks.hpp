// Checks of a service's readiness and health, on the loop and never blocking it: one attempt
// of a TCP connect, an HTTP request (2xx/3xx passes) or a command (exit 0 passes), each with
// a timeout; and the sd_notify socket a service reports READY=1 on.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model.hpp"

namespace sv {

using ProbeDone = std::function<void(bool ok, const std::string& message)>;
// Runs a command as a supervised helper with a timeout (Tasks::run, tasks.hpp).
using CommandRunner =
    std::function<void(const std::vector<std::string>& argv, Duration timeout, std::function<void(int status, const std::string& output)>)>;

// Starts one attempt of `probe`. `done` is called once, on the loop, unless the attempt is
// cancelled first by resetting the returned token to false.
std::shared_ptr<bool> run_probe(uv_loop_t* loop, const Probe& probe, Duration timeout, const CommandRunner& run_command,
                                ProbeDone done);

// A check's captured output as it goes into the supervisor's own messages, so that it cannot
// pass for one of them: control characters (but newline) as \xNN, and output of several lines
// as one quoted line each ("\n  > line"), so every line after the message's first is marked
// as the check's words, never a supervisor line. One line stays as it is (escaped).
std::string quoted_output(std::string_view output);

// Describes a probe for messages: "tcp 127.0.0.1:3000", "http://...", "command pg_isready".
std::string describe(const Probe& probe);

// A unix datagram socket (in the abstract namespace, under a name with 128 random bits, so no
// one can guess it to pre-bind it) for one run of one service; the service finds it in
// $NOTIFY_SOCKET and sends sd_notify messages ("READY=1\nSTATUS=..."). Only its own processes
// are heard.
class NotifySocket {
   public:
    using OnMessage = std::function<void(const std::string& key, const std::string& value)>;
    ~NotifySocket();
    // Returns false (with errno) when the socket cannot be made.
    bool open(uv_loop_t* loop, const std::string& name, OnMessage on_message);
    const std::string& address() const { return address_; }  // the value for NOTIFY_SOCKET
    // Messages are taken only from processes of this process group (the service's), checked
    // by the sender's credentials (SO_PASSCRED); others are dropped. A sender that is gone by
    // the time the message is read (a `systemd-notify` reaped at once) is taken if it had the
    // service's uid.
    void set_sender(pid_t pgid, uid_t uid) { pgid_ = pgid, uid_ = uid; }

   private:
    pid_t pgid_ = 0;
    uid_t uid_ = 0;
    int fd_ = -1;
    uv_poll_t* poll_ = nullptr;
    std::string address_;
    OnMessage on_message_;
};

}  // namespace sv
