// A small read-only HTTP/1.1 server on the loop, for what orchestrators ask of a container:
// liveness and readiness probes, metrics scrapes, a status page. It carries bytes and checks
// them; the supervisor decides what each path answers (a handler that returns at once: no
// request waits for anything).
//
// Safe as PID 1: GET and HEAD only, no request body; the head of a request is at most
// kMaxHttpHead bytes and kMaxHttpHeaders lines; a connection must send a whole head within
// kHttpHeadTimeout of connecting or of its previous answer (a slow sender is closed, however
// steadily it trickles); an answer not taken by the client within kHttpWriteTimeout is dropped
// with its connection; at most kMaxHttpConnections at once; one request at a time per connection
// (pipelined requests are read only once the answer before them is written), so a connection
// costs at most one head and one answer of memory.
#pragma once

#include <uv.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sv {

constexpr size_t kMaxHttpHead = 8192;
constexpr size_t kMaxHttpTarget = 2048;
constexpr int kMaxHttpHeaders = 64;
constexpr int kMaxHttpConnections = 64;
constexpr uint64_t kHttpHeadTimeoutMs = 5000;
constexpr uint64_t kHttpWriteTimeoutMs = 10000;

struct HttpRequest {
    bool head = false;        // HEAD: the answer's headers without its body
    std::string path;         // the target before '?', as sent (origin form: starts with '/')
    std::string query;        // after '?', still percent-encoded
    bool keep_alive = true;   // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "keep-alive"
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

// The outcome of reading the bytes received so far on a connection.
struct HttpParse {
    enum State { incomplete, complete, bad } state = incomplete;
    size_t consumed = 0;  // complete: the length of the head, which the next request follows
    int status = 0;       // bad: the answer's status (400, 405, 413, 414, 431, 505)
    std::string error;    // bad: why, for the answer's body
};

// Reads one request head from the start of `data`. Never reads past `data`, never throws.
HttpParse parse_http_head(std::string_view data, HttpRequest& request);

// The value of `key` in a query string ("service=web&x=1"), percent-decoded; unset when absent
// or when its encoding is broken.
std::optional<std::string> query_value(std::string_view query, std::string_view key);

// The status line's words for the codes this server sends ("Not Found").
const char* http_reason(int status);

// The whole answer as bytes: status line, headers (Content-Length, Content-Type,
// Cache-Control: no-store, Connection), then the body unless `head_only`.
std::string format_http_response(const HttpResponse& response, bool keep_alive, bool head_only);

class HttpServer {
   public:
    using Handler = std::function<HttpResponse(const HttpRequest&)>;
    HttpServer() = default;
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    ~HttpServer();

    // Listens on `address` ("127.0.0.1:8080", "0.0.0.0:0", "[::1]:9000", ":8080" for every
    // IPv4 and IPv6 address). Throws std::runtime_error naming the address and the cause
    // ("cannot listen on 127.0.0.1:80: address already in use").
    void open(uv_loop_t* loop, const std::string& address, Handler handler);
    // Stops listening and closes every open connection.
    void close();
    // Where it listens, with the port the kernel chose for port 0 ("127.0.0.1:41235").
    const std::string& address() const { return bound_; }

   private:
    uv_tcp_t* server_ = nullptr;
    Handler handler_;
    std::string bound_;
};

}  // namespace sv
