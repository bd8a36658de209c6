// libFuzzer target: the service-file loader must turn any bytes into a spec or diagnostics,
// never a crash, a hang or a leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<sv::Diagnostic> errors;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    sv::ServiceSpec spec = sv::parse_service(text, "fuzz.toml", "fuzz", errors);
    for (auto& e : errors) (void)e.str();
    return 0;
}
