#include "http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <set>
#include <stdexcept>

#include "boundary.hpp"

namespace sv {

namespace {

bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y)); });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

HttpParse bad(int status, std::string error) {
    HttpParse p;
    p.state = HttpParse::bad;
    p.status = status;
    p.error = std::move(error);
    return p;
}

// The head's lines, without their ends ("\r\n" or "\n"); a lone '\r' inside a line is refused.
bool split_lines(std::string_view head, std::vector<std::string_view>& lines) {
    while (!head.empty()) {
        size_t nl = head.find('\n');
        std::string_view line = head.substr(0, nl);
        head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find('\r') != std::string_view::npos) return false;
        lines.push_back(line);
    }
    return true;
}

HttpParse parse_request_line(std::string_view line, HttpRequest& request, int& minor) {
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return bad(400, "the request line is not METHOD TARGET VERSION");
    std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1), version = line.substr(sp2 + 1);
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !std::isdigit(static_cast<unsigned char>(version[5])) ||
        version[6] != '.' || !std::isdigit(static_cast<unsigned char>(version[7])))
        return bad(400, "not an HTTP request");
    if (version[5] != '1') return bad(505, "only HTTP/1.0 and HTTP/1.1 are spoken here");
    minor = version[7] - '0';
    if (!is_token(method)) return bad(400, "the method is not a token");
    if (method != "GET" && method != "HEAD") return bad(405, "only GET and HEAD: this server is read-only");
    if (target.size() > kMaxHttpTarget) return bad(414, "the target is longer than " + std::to_string(kMaxHttpTarget) + " bytes");
    if (target.empty() || target[0] != '/') return bad(400, "the target must be a path (such as /readyz)");
    for (char c : target)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F)
            return bad(400, "the target has a byte that is not printable ASCII");
    size_t q = target.find('?');
    request.head = method == "HEAD";
    request.path = std::string(target.substr(0, q));
    request.query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
    return {};
}

HttpParse parse_header(std::string_view line, bool& connection_keep, bool& connection_close) {
    if (line[0] == ' ' || line[0] == '\t') return bad(400, "folded header lines are not accepted");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return bad(400, "a header line is not NAME: VALUE");
    std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    for (char c : value)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) return bad(400, "a header value has a control character");
    if (iequals(name, "Transfer-Encoding")) return bad(501, "request bodies are not accepted");
    if (iequals(name, "Content-Length")) {
        unsigned long long length = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (ec != std::errc() || end != value.data() + value.size()) return bad(400, "Content-Length is not a number");
        if (length > 0) return bad(413, "request bodies are not accepted");
    }
    if (iequals(name, "Connection")) {
        while (!value.empty()) {
            size_t comma = value.find(',');
            std::string_view option = trim(value.substr(0, comma));
            if (iequals(option, "close")) connection_close = true;
            if (iequals(option, "keep-alive")) connection_keep = true;
            value.remove_prefix(comma == std::string_view::npos ? value.size() : comma + 1);
        }
    }
    return {};
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

HttpParse parse_http_head(std::string_view data, HttpRequest& request) {
    // Empty lines before a request are skipped (RFC 9112, 2.2); they count against the head's size.
    size_t start = 0;
    while (start < data.size() && (data[start] == '\r' || data[start] == '\n')) ++start;
    std::string_view window = data.substr(0, std::min(data.size(), kMaxHttpHead));
    size_t end = std::string_view::npos, end_len = 0;
    for (size_t i = start; i < window.size(); ++i) {
        if (window[i] != '\n') continue;
        if (i + 1 < window.size() && window[i + 1] == '\n') end = i + 1, end_len = 1;
        else if (i + 2 < window.size() && window[i + 1] == '\r' && window[i + 2] == '\n') end = i + 1, end_len = 2;
        if (end != std::string_view::npos) break;
    }
    if (end == std::string_view::npos) {
        if (data.size() >= kMaxHttpHead) return bad(431, "the request head is longer than " + std::to_string(kMaxHttpHead) + " bytes");
        return {};
    }
    std::vector<std::string_view> lines;
    if (!split_lines(data.substr(start, end - start), lines)) return bad(400, "a bare carriage return in the head");
    // The last element is the empty remainder after the final line's end.
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    if (lines.empty()) return bad(400, "no request line");
    if (static_cast<int>(lines.size()) - 1 > kMaxHttpHeaders)
        return bad(431, "more than " + std::to_string(kMaxHttpHeaders) + " header lines");
    int minor = 1;
    HttpRequest parsed;
    if (HttpParse p = parse_request_line(lines[0], parsed, minor); p.state == HttpParse::bad) return p;
    bool keep = false, close = false;
    for (size_t i = 1; i < lines.size(); ++i)
        if (HttpParse p = parse_header(lines[i], keep, close); p.state == HttpParse::bad) return p;
    parsed.keep_alive = !close && (minor >= 1 || keep);
    request = std::move(parsed);
    HttpParse done;
    done.state = HttpParse::complete;
    done.consumed = end + end_len;
    return done;
}

std::optional<std::string> query_value(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
        size_t eq = pair.find('=');
        auto name = percent_decode(pair.substr(0, eq));
        if (!name || *name != key) continue;
        return percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    }
    return std::nullopt;
}

const char* http_reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

std::string format_http_response(const HttpResponse& response, bool keep_alive, bool head_only) {
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + http_reason(response.status) + "\r\n";
    out += "Content-Type: " + response.content_type + "\r\n";
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    out += "Cache-Control: no-store\r\n";
    if (response.status == 405) out += "Allow: GET, HEAD\r\n";
    out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (!head_only) out += response.body;
    return out;
}

namespace {

class HttpConnection;
std::set<HttpConnection*> live;  // open connections, counted against kMaxHttpConnections

// One accepted connection; it owns itself and is deleted once both its handles are closed.
class HttpConnection {
   public:
    HttpConnection(uv_loop_t* loop, const HttpServer::Handler* handler) : handler_(handler) {
        uv_tcp_init(loop, &tcp_);
        tcp_.data = this;
        uv_timer_init(loop, &timer_);
        timer_.data = this;
        live.insert(this);
    }

    void begin(uv_stream_t* server) {
        if (uv_accept(server, stream()) != 0) return close();
        if (live.size() > static_cast<size_t>(kMaxHttpConnections))
            return answer({503, "text/plain; charset=utf-8", "too many connections; try again\n"}, false, false);
        uv_tcp_nodelay(&tcp_, 1);
        await_request();
    }

    void close() {
        if (closing_) return;
        closing_ = true;
        live.erase(this);
        uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) noexcept {
            auto* c = static_cast<HttpConnection*>(h->data);
            uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp_), [](uv_handle_t* t) noexcept { delete static_cast<HttpConnection*>(t->data); });
        });
    }

   private:
    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }

    // The whole head of the next request must arrive within kHttpHeadTimeoutMs from now, however
    // steadily its bytes trickle in.
    void await_request() {
        uv_timer_start(&timer_, [](uv_timer_t* t) noexcept {
            at_boundary("http request deadline", [&] { static_cast<HttpConnection*>(t->data)->close(); });
        }, kHttpHeadTimeoutMs, 0);
        if (next_request()) return;
        uv_read_start(stream(), [](uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
            auto* c = static_cast<HttpConnection*>(h->data);
            *buf = uv_buf_init(c->chunk_, sizeof c->chunk_);
        }, [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) noexcept {
            at_boundary("http read", [&] { static_cast<HttpConnection*>(s->data)->on_read(n, buf); });
        });
    }

    void on_read(ssize_t n, const uv_buf_t* buf) {
        if (n < 0) return close();  // EOF before a whole request, or an error: nobody to answer
        in_.append(buf->base, static_cast<size_t>(n));
        next_request();
    }

    // Answers the request at the head of `in_` if it is whole. Returns true when it did.
    bool next_request() {
        if (closing_ || writing_ || in_.empty()) return false;
        HttpRequest request;
        HttpParse parsed = parse_http_head(in_, request);
        if (parsed.state == HttpParse::incomplete) return false;
        uv_read_stop(stream());  // one request at a time: the next is read after this answer
        if (parsed.state == HttpParse::bad) {
            answer({parsed.status, "text/plain; charset=utf-8", parsed.error + "\n"}, false, false);
            return true;
        }
        in_.erase(0, parsed.consumed);
        HttpResponse response{500, "text/plain; charset=utf-8", "internal error\n"};
        at_boundary("http handler", [&] { response = (*handler_)(request); });
        answer(response, request.keep_alive, request.head);
        return true;
    }

    void answer(const HttpResponse& response, bool keep_alive, bool head_only) {
        keep_alive_ = keep_alive;
        writing_ = true;
        out_ = format_http_response(response, keep_alive, head_only);
        write_.data = this;
        uv_buf_t buf = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
        if (uv_write(&write_, stream(), &buf, 1, [](uv_write_t* w, int status) noexcept {
                at_boundary("http write", [&] { static_cast<HttpConnection*>(w->data)->written(status); });
            }) != 0) {
            writing_ = false;
            return close();
        }
        uv_timer_start(&timer_, [](uv_timer_t* t) noexcept {
            at_boundary("http write deadline", [&] { static_cast<HttpConnection*>(t->data)->close(); });
        }, kHttpWriteTimeoutMs, 0);
    }

    void written(int status) {
        writing_ = false;
        out_.clear();
        out_.shrink_to_fit();
        if (closing_) return;
        if (status < 0 || !keep_alive_) return close();
        await_request();
    }

    uv_tcp_t tcp_;
    uv_timer_t timer_;
    uv_write_t write_;
    const HttpServer::Handler* handler_;
    std::string in_;
    std::string out_;
    char chunk_[4096];
    bool writing_ = false;
    bool keep_alive_ = true;
    bool closing_ = false;
};

// "HOST:PORT" with an IP literal ("[v6]" in brackets), or ":PORT" for every address.
bool parse_listen_address(const std::string& address, sockaddr_storage& out, std::string& error) {
    size_t colon = address.rfind(':');
    if (colon == std::string::npos) return error = "not ADDRESS:PORT (such as 0.0.0.0:9090, [::]:9090 or :9090)", false;
    std::string host = address.substr(0, colon), port_text = address.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
        return error = "the port \"" + port_text + "\" is not a number from 0 to 65535", false;
    if (host.empty()) host = "[::]";
    if (host == "localhost") host = "127.0.0.1";
    out = {};
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        if (uv_ip6_addr(host.substr(1, host.size() - 2).c_str(), static_cast<int>(port), reinterpret_cast<sockaddr_in6*>(&out)) == 0) return true;
    } else if (uv_ip4_addr(host.c_str(), static_cast<int>(port), reinterpret_cast<sockaddr_in*>(&out)) == 0) {
        return true;
    }
    return error = "\"" + host + "\" is not an IP address (write IPv6 in brackets: [::1]:9090)", false;
}

std::string format_address(const sockaddr_storage& addr) {
    char ip[64] = "?";
    int port = 0;
    if (addr.ss_family == AF_INET6) {
        auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
        uv_ip6_name(a, ip, sizeof ip);
        port = ntohs(a->sin6_port);
        return "[" + std::string(ip) + "]:" + std::to_string(port);
    }
    auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    uv_ip4_name(a, ip, sizeof ip);
    port = ntohs(a->sin_port);
    return std::string(ip) + ":" + std::to_string(port);
}

}  // namespace

void HttpServer::open(uv_loop_t* loop, const std::string& address, Handler handler) {
    sockaddr_storage addr{};
    std::string error;
    if (!parse_listen_address(address, addr, error)) throw std::runtime_error("--http " + address + ": " + error);
    handler_ = std::move(handler);
    server_ = new uv_tcp_t;
    uv_tcp_init(loop, server_);
    server_->data = this;
    int rc = uv_tcp_bind(server_, reinterpret_cast<sockaddr*>(&addr), 0);
    if (rc == UV_EAFNOSUPPORT && address.starts_with(":")) {
        // ":PORT" on a kernel without IPv6: every IPv4 address, then.
        uv_ip4_addr("0.0.0.0", ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port), reinterpret_cast<sockaddr_in*>(&addr));
        rc = uv_tcp_bind(server_, reinterpret_cast<sockaddr*>(&addr), 0);
    }
    if (rc == 0)
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(server_), 128, [](uv_stream_t* s, int status) noexcept {
            at_boundary("http accept", [&] {
                if (status < 0) return;
                auto* self = static_cast<HttpServer*>(s->data);
                (new HttpConnection(s->loop, &self->handler_))->begin(s);
            });
        });
    if (rc != 0) {
        close();
        throw std::runtime_error("cannot listen on " + address + " (--http): " + uv_strerror(rc));
    }
    sockaddr_storage bound{};
    int len = sizeof bound;
    uv_tcp_getsockname(server_, reinterpret_cast<sockaddr*>(&bound), &len);
    bound_ = format_address(bound);
}

void HttpServer::close() {
    if (server_) uv_close(reinterpret_cast<uv_handle_t*>(server_), [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_tcp_t*>(h); });
    server_ = nullptr;
    std::vector<HttpConnection*> open(live.begin(), live.end());
    for (auto* c : open) c->close();
}

HttpServer::~HttpServer() { close(); }

}  // namespace sv
