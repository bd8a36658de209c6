// The one JSON string escaper, shared by the log path (json log lines) and `status --json`,
// and the one UTF-8 decoder (the escaper's, and the service-file loader's, config.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sv {

// Length of the well-formed UTF-8 sequence at the start of `s` (Unicode's Table 3-7: no
// overlong forms, no surrogates D800-DFFF, nothing above U+10FFFF), or 0 if there is none.
size_t utf8_sequence(std::string_view s);

// The code point of the well-formed UTF-8 sequence at the start of `s` (utf8_sequence), with
// its length in `len`; for anything else (an empty `s` too) kNotUtf8, with `len` 1 (0 if empty).
constexpr char32_t kNotUtf8 = 0xFFFFFFFF;
char32_t decode_utf8(std::string_view s, size_t& len);

// Appends `text` as a JSON string literal that every strict decoder accepts: `"` and `\`
// escaped, control characters (and DEL) as \n, \r, \t or \u00XX, and every byte that does not
// start a well-formed UTF-8 sequence replaced by U+FFFD (one per byte).
void append_json_string(std::string& out, std::string_view text);

// `text` as a JSON string literal (append_json_string into a new string).
std::string json_string(std::string_view text);

}  // namespace sv
