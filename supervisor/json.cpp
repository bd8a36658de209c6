#include "json.hpp"

#include <cstdio>

namespace sv {

size_t utf8_sequence(std::string_view s) {
    if (s.empty()) return 0;
    auto at = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char c = at(0);
    if (c < 0x80) return 1;
    // The lead byte gives the length and the range the second byte must be in; that range is
    // what rules out overlong forms (E0, F0), surrogates (ED) and code points past U+10FFFF (F4).
    size_t len = 0;
    unsigned char low = 0x80, high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, low = 0xA0;
    else if (c == 0xED) len = 3, high = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, low = 0x90;
    else if (c == 0xF4) len = 4, high = 0x8F;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else return 0;  // 80-C1 (continuation or overlong lead), F5-FF
    if (s.size() < len || at(1) < low || at(1) > high) return 0;
    for (size_t i = 2; i < len; ++i)
        if ((at(i) & 0xC0) != 0x80) return 0;
    return len;
}

char32_t decode_utf8(std::string_view s, size_t& len) {
    len = utf8_sequence(s);
    if (len == 0) {
        len = s.empty() ? 0 : 1;
        return kNotUtf8;
    }
    auto lead = static_cast<unsigned char>(s[0]);
    char32_t code = len == 1 ? lead : lead & (0x7F >> len);
    for (size_t i = 1; i < len; ++i) code = (code << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
    return code;
}

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    while (!text.empty()) {
        auto c = static_cast<unsigned char>(text[0]);
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {  // the common case, a byte at a time
            out += static_cast<char>(c);
            text.remove_prefix(1);
            continue;
        }
        switch (c) {
            case '"': out += "\\\""; text.remove_prefix(1); continue;
            case '\\': out += "\\\\"; text.remove_prefix(1); continue;
            case '\n': out += "\\n"; text.remove_prefix(1); continue;
            case '\r': out += "\\r"; text.remove_prefix(1); continue;
            case '\t': out += "\\t"; text.remove_prefix(1); continue;
            default: break;
        }
        if (c < 0x20 || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
            text.remove_prefix(1);
            continue;
        }
        size_t len = utf8_sequence(text);
        if (len == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD for a byte that does not start a well-formed sequence
            text.remove_prefix(1);
        } else {
            out.append(text.substr(0, len));
            text.remove_prefix(len);
        }
    }
    out += '"';
}

std::string json_string(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    append_json_string(out, text);
    return out;
}

}  // namespace sv
