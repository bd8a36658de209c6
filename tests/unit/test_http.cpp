// The HTTP server's request parser (every refusal and its status) and the server itself over a
// real loop, with a blocking client in a thread.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "http.hpp"

using namespace sv;

namespace {

HttpParse parse(std::string_view data, HttpRequest& r) { return parse_http_head(data, r); }

int status_of(std::string_view data) {
    HttpRequest r;
    HttpParse p = parse(data, r);
    return p.state == HttpParse::bad ? p.status : p.state == HttpParse::complete ? 200 : 0;
}

}  // namespace

TEST_CASE("http: a whole GET head is read, with its path, query and length") {
    HttpRequest r;
    std::string req = "GET /readyz?service=web HTTP/1.1\r\nHost: x\r\n\r\nGET /next";
    HttpParse p = parse(req, r);
    REQUIRE(p.state == HttpParse::complete);
    CHECK(p.consumed == req.find("GET /next"));
    CHECK(r.path == "/readyz");
    CHECK(r.query == "service=web");
    CHECK(r.keep_alive);
    CHECK_FALSE(r.head);
}

TEST_CASE("http: keep-alive follows the version and the Connection header") {
    HttpRequest r;
    REQUIRE(parse("GET / HTTP/1.0\r\n\r\n", r).state == HttpParse::complete);
    CHECK_FALSE(r.keep_alive);
    REQUIRE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", r).state == HttpParse::complete);
    CHECK(r.keep_alive);
    REQUIRE(parse("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", r).state == HttpParse::complete);
    CHECK_FALSE(r.keep_alive);
    REQUIRE(parse("HEAD /metrics HTTP/1.1\n\n", r).state == HttpParse::complete);  // bare LF
    CHECK(r.head);
    REQUIRE(parse("\r\n\r\nGET /x HTTP/1.1\r\n\r\n", r).state == HttpParse::complete);  // empty lines first
    CHECK(r.path == "/x");
}

TEST_CASE("http: a head not yet whole waits for more") {
    CHECK(status_of("") == 0);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: x\r\n") == 0);
    CHECK(status_of("GET / HTT") == 0);
}

TEST_CASE("http: every malformed or unwanted request gets its status") {
    CHECK(status_of("POST /x HTTP/1.1\r\n\r\n") == 405);
    CHECK(status_of("DELETE / HTTP/1.1\r\n\r\n") == 405);
    CHECK(status_of("GET / HTTP/2.0\r\n\r\n") == 505);
    CHECK(status_of("GET / FOO/1.1\r\n\r\n") == 400);
    CHECK(status_of("hello\r\n\r\n") == 400);
    CHECK(status_of("GET  / HTTP/1.1\r\n\r\n") == 400);
    CHECK(status_of("GET http://x/ HTTP/1.1\r\n\r\n") == 400);
    CHECK(status_of("GET /\x80 HTTP/1.1\r\n\r\n") == 400);
    CHECK(status_of("G(T / HTTP/1.1\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nNoColon\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\rX\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n") == 413);
    CHECK(status_of("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n") == 200);
    CHECK(status_of("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") == 501);
    CHECK(status_of("GET /" + std::string(kMaxHttpTarget, 'a') + " HTTP/1.1\r\n\r\n") == 414);
    std::string many = "GET / HTTP/1.1\r\n";
    for (int i = 0; i <= kMaxHttpHeaders; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
    CHECK(status_of(many + "\r\n") == 431);
    CHECK(status_of("GET / HTTP/1.1\r\nX: " + std::string(kMaxHttpHead, 'a')) == 431);
}

TEST_CASE("http: query values are percent-decoded") {
    CHECK(query_value("service=web", "service") == "web");
    CHECK(query_value("a=1&service=my%2Dapp+x", "service") == "my-app x");
    CHECK(query_value("a=1", "service") == std::nullopt);
    CHECK(query_value("service", "service") == "");
    CHECK(query_value("service=%zz", "service") == std::nullopt);
    CHECK(query_value("service=%4", "service") == std::nullopt);
}

TEST_CASE("http: a response says its length and, for HEAD, has no body") {
    std::string full = format_http_response({200, "text/plain", "hello"}, true, false);
    CHECK(full.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(full.find("Content-Length: 5\r\n") != std::string::npos);
    CHECK(full.find("Connection: keep-alive\r\n\r\nhello") != std::string::npos);
    std::string head = format_http_response({503, "text/plain", "hello"}, false, true);
    CHECK(head.find("Content-Length: 5\r\n") != std::string::npos);
    CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
    CHECK(head.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0) == 0);
}

namespace {

// Runs the server on a loop while `client` runs in a thread; returns when the client is done.
void with_server(const std::function<void(int port)>& client, HttpServer::Handler handler) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    HttpServer server;
    server.open(&loop, "127.0.0.1:0", std::move(handler));
    int port = std::stoi(server.address().substr(server.address().rfind(':') + 1));
    std::atomic<bool> done{false};
    std::thread thread([&] {
        client(port);
        done = true;
    });
    uv_timer_t poll;
    uv_timer_init(&loop, &poll);
    struct Ctx {
        std::atomic<bool>* done;
        HttpServer* server;
    } ctx{&done, &server};
    poll.data = &ctx;
    uv_timer_start(&poll, [](uv_timer_t* t) noexcept {
        auto* c = static_cast<Ctx*>(t->data);
        if (!*c->done) return;
        c->server->close();
        uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
    }, 5, 5);
    uv_run(&loop, UV_RUN_DEFAULT);
    thread.join();
    uv_loop_close(&loop);
}

int connect_to(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

// Everything the server sends until it closes the connection.
std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
}

}  // namespace

TEST_CASE("http server: pipelined requests on one connection are answered in order, then it closes on request") {
    std::string got;
    with_server([&](int port) {
        int fd = connect_to(port);
        std::string reqs = "GET /a HTTP/1.1\r\n\r\nGET /b?service=x HTTP/1.1\r\n\r\nHEAD /c HTTP/1.1\r\nConnection: close\r\n\r\n";
        REQUIRE(::write(fd, reqs.data(), reqs.size()) == static_cast<ssize_t>(reqs.size()));
        got = read_all(fd);
        ::close(fd);
    }, [](const HttpRequest& r) { return HttpResponse{r.path == "/c" ? 503 : 200, "text/plain", r.path + ":" + r.query.substr(0, 20) + "\n"}; });
    size_t a = got.find("/a:\n"), b = got.find("/b:service=x\n"), c = got.find("HTTP/1.1 503");
    CHECK(a != std::string::npos);
    CHECK(b != std::string::npos);
    CHECK(c != std::string::npos);
    CHECK(a < b);
    CHECK(b < c);
    CHECK(got.find("/c:") == std::string::npos);  // HEAD: no body
}

TEST_CASE("http server: garbage gets 400 and the connection is closed") {
    std::string got;
    with_server([&](int port) {
        int fd = connect_to(port);
        std::string junk = "\x16\x03\x01 not http at all\r\n\r\n";
        REQUIRE(::write(fd, junk.data(), junk.size()) > 0);
        got = read_all(fd);
        ::close(fd);
    }, [](const HttpRequest&) { return HttpResponse{}; });
    CHECK(got.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
    CHECK(got.find("Connection: close") != std::string::npos);
}

TEST_CASE("http server: a handler that throws answers 500 and the server goes on") {
    std::string first, second;
    with_server([&](int port) {
        for (std::string* out : {&first, &second}) {
            int fd = connect_to(port);
            std::string req = "GET /x HTTP/1.0\r\n\r\n";
            REQUIRE(::write(fd, req.data(), req.size()) > 0);
            *out = read_all(fd);
            ::close(fd);
        }
    }, [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    CHECK(first.rfind("HTTP/1.1 500", 0) == 0);
    CHECK(second.rfind("HTTP/1.1 500", 0) == 0);
}

TEST_CASE("http server: connections past the limit get 503 at once") {
    std::string refused;
    with_server([&](int port) {
        std::vector<int> held;
        for (int i = 0; i < kMaxHttpConnections; ++i) held.push_back(connect_to(port));
        int extra = connect_to(port);
        refused = read_all(extra);
        ::close(extra);
        for (int fd : held) ::close(fd);
    }, [](const HttpRequest&) { return HttpResponse{}; });
    CHECK(refused.rfind("HTTP/1.1 503", 0) == 0);
}

TEST_CASE("http server: bind errors name the address and the cause") {
    uv_loop_t loop;
    uv_loop_init(&loop);
    HttpServer a, b;
    a.open(&loop, "127.0.0.1:0", [](const HttpRequest&) { return HttpResponse{}; });
    std::string taken = a.address();
    std::string error;
    try {
        b.open(&loop, taken, [](const HttpRequest&) { return HttpResponse{}; });
    } catch (const std::runtime_error& e) {
        error = e.what();
    }
    CHECK(error == "cannot listen on " + taken + " (--http): address already in use");
    for (const char* bad : {"nonsense", "1.2.3.4:99999", "example.com:80", "[::1:80"}) {
        std::string message;
        try {
            HttpServer c;
            c.open(&loop, bad, [](const HttpRequest&) { return HttpResponse{}; });
        } catch (const std::runtime_error& e) {
            message = e.what();
        }
        CHECK_MESSAGE(message.rfind(std::string("--http ") + bad + ": ", 0) == 0, message);
    }
    a.close();
    b.close();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}
