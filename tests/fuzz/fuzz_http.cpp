// libFuzzer target: the HTTP request-head parser reads any bytes as a whole request, a request
// not yet whole, or a refusal with a status and a reason; never a crash, never past its input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    sv::HttpRequest request;
    sv::HttpParse parsed = sv::parse_http_head(bytes, request);
    switch (parsed.state) {
        case sv::HttpParse::incomplete:
            if (size >= sv::kMaxHttpHead) __builtin_trap();  // a head that cannot fit is refused, not awaited
            break;
        case sv::HttpParse::bad:
            if (parsed.error.empty() || parsed.status < 400 || parsed.status > 505) __builtin_trap();
            break;
        case sv::HttpParse::complete: {
            if (parsed.consumed == 0 || parsed.consumed > size || request.path.empty() || request.path[0] != '/') __builtin_trap();
            // The same head alone reads the same.
            sv::HttpRequest again;
            sv::HttpParse alone = sv::parse_http_head(bytes.substr(0, parsed.consumed), again);
            if (alone.state != sv::HttpParse::complete || alone.consumed != parsed.consumed || again.path != request.path ||
                again.query != request.query || again.keep_alive != request.keep_alive || again.head != request.head)
                __builtin_trap();
            (void)sv::query_value(request.query, "service");
            break;
        }
    }
    return 0;
}
