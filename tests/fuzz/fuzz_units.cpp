// libFuzzer target: the duration and size parsers take any text without overflow (UBSan) and
// never return more than their documented maximum; a duration read back from its own spelling
// (in whole units) is the same duration.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    bool over = false;
    if (auto d = sv::parse_duration(text, &over)) {
        if (over || d->count() < 0 || *d > sv::kMaxDuration) __builtin_trap();
        // "1.5s" is how logs show 1500ms; the parser takes whole units only, so only those
        // spellings are read back.
        std::string shown = sv::format_duration(*d);
        if (shown.find('.') == std::string::npos && sv::parse_duration(shown) != d) __builtin_trap();
    }
    if (auto n = sv::parse_size(text, &over))
        if (over || *n > sv::kMaxSize) __builtin_trap();
    return 0;
}
