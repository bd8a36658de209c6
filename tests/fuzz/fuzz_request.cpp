// libFuzzer target: the control-socket request parser must answer any line with a request or
// an error message, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "control.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    sv::Request request;
    std::string error;
    std::string_view line(reinterpret_cast<const char*>(data), size);
    if (!sv::parse_request(line, request, error) && error.empty()) __builtin_trap();  // an error must say why
    return 0;
}
