// The control socket: a unix socket on the loop that takes one request line per connection
// from root (or the supervisor's own uid) and writes one response, and the command-line
// client that speaks to it. The supervisor decides what a request does; this module only
// parses, checks the peer and carries bytes.
//
// Wire format. Request: one line of space-separated words, at most kMaxRequest bytes:
//   status [--json] [--wait-ready] [NAME...] | start NAME... | stop NAME... | restart NAME...
//   signal NAME SIGNAL | reload [NAME] | shutdown
//   logs [-n N|all] [-f] [--since DURATION|TIME] [--json] [NAME...]
// each optionally with --timeout DURATION: the client's deadline, when a waiting request is
// answered at the latest ("not ready within ...").
// Response: a first line "OK" or "ERR", then text for a person (or JSON); then the server
// closes the connection. `logs -f` is answered "OK" and then its lines as they come, until the
// supervisor ends it (at shutdown) or the client goes.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

#include "model.hpp"

namespace sv {

constexpr size_t kMaxRequest = 4096;
constexpr size_t kDefaultLogLines = 30;  // `logs` without -n

struct Request {
    enum Verb { status, start, stop, restart, signal, reload, shutdown, logs } verb = status;
    bool json = false;
    // logs: -n (unset: all), -f, --since (a duration is counted back from when it was parsed)
    std::optional<size_t> lines = kDefaultLogLines;
    bool follow = false;
    std::optional<std::chrono::system_clock::time_point> since;
    bool wait_ready = false;  // status --wait-ready: answer once every enabled service is ready
    std::vector<std::string> names;
    int signal_number = 0;  // for `signal`
    // --timeout DURATION (any verb): a request that waits is answered by then at the latest.
    std::optional<Duration> timeout;
    // --settle DURATION (start, restart): a service without a readiness check counts as started
    // once it has stayed up this long (unset: kDefaultSettle).
    std::optional<Duration> settle;
};

constexpr Duration kDefaultSettle{1000};

// Parses one request line (without the newline). On error returns false with `error` set.
bool parse_request(std::string_view line, Request& request, std::string& error);

// The words of a request as the client sends them (inverse of parse_request for valid input).
std::string format_request(const std::vector<std::string>& words);

// The server's side of one connection: the supervisor answers through it, at once or later
// (start/stop/restart answer when the services got there). Answering twice is ignored, and
// answering after the client went away is harmless.
class Reply {
   public:
    virtual ~Reply() = default;
    virtual void send(bool ok, const std::string& body) = 0;
    virtual bool done() const = 0;
    // A streamed answer (logs -f): the first call sends "OK" and `data`, later ones more data;
    // send() then ends it (its `ok` is not sent again), and the connection closes.
    virtual void stream(std::string data) = 0;
    virtual size_t backlog() const = 0;  // bytes written that the client has not read yet
};

// Thrown by ControlServer::open when another supervisor answers on the path.
struct SocketInUse : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class ControlServer {
   public:
    using Handler = std::function<void(const Request&, std::shared_ptr<Reply>)>;
    // Binds `path` (replacing a stale socket file), mode 0600. Throws std::runtime_error.
    void open(uv_loop_t* loop, const std::string& path, Handler handler);
    void close();
    ~ControlServer();

   private:
    static void on_connection(uv_stream_t* server, int status) noexcept;
    uv_pipe_t* server_ = nullptr;
    std::string path_;
    Handler handler_;
};

// The client: sends `words` to the socket at `path`, prints the answer, and returns the exit
// status for the command line (0 ok, 1 refused or failed, 3 cannot reach the supervisor).
int run_client(const std::string& path, const std::vector<std::string>& words, double timeout_seconds);

}  // namespace sv
