// libFuzzer target: the duration and size parsers take any text without overflow (UBSan) and
// never return more than their documented maximum; a duration read back from its own spelling
// is the same duration.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "units.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    bool over = false;
    if (auto d = sv::parse_duration(text, &over)) {
        if (over || d->count() < 0 || *d > sv::kMaxDuration) __builtin_trap();
        if (sv::parse_duration(sv::format_duration(*d)) != d) __builtin_trap();
    }
    if (auto n = sv::parse_size(text, &over))
        if (over || *n > sv::kMaxSize) __builtin_trap();
    return 0;
}
