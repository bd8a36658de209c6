// libFuzzer target: whatever bytes go into the JSON escaper, a strict decoder (strict UTF-8,
// RFC 8259 escapes) accepts what comes out, and well-formed UTF-8 comes back unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include "../common/strict_json.hpp"
#include "json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto decoded = strict_json::decode_string(sv::json_string(text));
    if (!decoded) __builtin_trap();
    if (strict_json::valid_utf8(text) && *decoded != text) __builtin_trap();
    return 0;
}
