// A strict decoder of one JSON string literal, written apart from the escaper it checks (for the
// unit tests and the fuzz target): RFC 8259 escapes, no raw control characters, and raw bytes
// that must be well-formed UTF-8 (no overlong form, no surrogate, nothing past U+10FFFF).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace strict_json {

inline void put_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

// Decodes one code point of strict UTF-8 at `s[i]`, advancing `i`; nullopt if ill-formed.
inline std::optional<char32_t> decode_utf8(std::string_view s, size_t& i) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return std::nullopt;
    char32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
    for (size_t k = 1; k < n; ++k) {
        auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return std::nullopt;
        cp = (cp << 6) | (b & 0x3F);
    }
    static const char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += n;
    return cp;
}

inline std::optional<unsigned> hex4(std::string_view s, size_t i) {
    if (i + 4 > s.size()) return std::nullopt;
    unsigned v = 0;
    for (size_t k = i; k < i + 4; ++k) {
        char h = s[k];
        v <<= 4;
        if (h >= '0' && h <= '9') v |= static_cast<unsigned>(h - '0');
        else if (h >= 'a' && h <= 'f') v |= static_cast<unsigned>(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F') v |= static_cast<unsigned>(h - 'A' + 10);
        else return std::nullopt;
    }
    return v;
}

// The text a JSON string literal stands for (as UTF-8), or nullopt if a strict decoder would
// refuse it. The literal must be the whole of `s`.
inline std::optional<std::string> decode_string(std::string_view s) {
    if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::nullopt;
    std::string out;
    size_t i = 1, end = s.size() - 1;
    while (i < end) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c < 0x20) return std::nullopt;
        if (c != '\\') {
            auto cp = decode_utf8(s.substr(0, end), i);
            if (!cp) return std::nullopt;
            put_utf8(out, *cp);
            continue;
        }
        if (++i >= end) return std::nullopt;
        char e = s[i++];
        switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                auto u = hex4(s.substr(0, end), i);
                if (!u) return std::nullopt;
                i += 4;
                char32_t cp = *u;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return std::nullopt;  // a lone low surrogate
                if (cp >= 0xD800 && cp <= 0xDBFF) {  // must be followed by its low half
                    if (i + 6 > end || s[i] != '\\' || s[i + 1] != 'u') return std::nullopt;
                    auto low = hex4(s.substr(0, end), i + 2);
                    if (!low || *low < 0xDC00 || *low > 0xDFFF) return std::nullopt;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (*low - 0xDC00);
                    i += 6;
                }
                put_utf8(out, cp);
                break;
            }
            default: return std::nullopt;
        }
    }
    return out;
}

// True if all of `s` is well-formed UTF-8.
inline bool valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();)
        if (!decode_utf8(s, i)) return false;
    return true;
}

}  // namespace strict_json
