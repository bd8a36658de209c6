#include <doctest/doctest.h>

#include <string>

#include "../common/strict_json.hpp"
#include "json.hpp"

using namespace sv;

namespace {

// The escaper's output for `text`, decoded by the strict decoder (which must accept it).
std::string round_trip(const std::string& text) {
    std::string literal = json_string(text);
    auto decoded = strict_json::decode_string(literal);
    REQUIRE_MESSAGE(decoded, "not strict JSON: " << literal);
    return *decoded;
}

const std::string kFFFD = "\xEF\xBF\xBD";

}  // namespace

TEST_CASE("the JSON escaper: well-formed UTF-8 and escapes come back unchanged") {
    for (std::string text : {std::string(""), std::string("plain"), std::string("\"quoted\" \\ back"),
                             std::string("tab\tnew\nline\rcr"), std::string("\x01\x1f\x7f", 3), std::string("nul\0in", 6),
                             std::string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),  // é € 😀
                             std::string("\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xEF\xBF\xBF"),
                             std::string("\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF")})  // the edges of each range
        CHECK(round_trip(text) == text);
    CHECK(json_string("a\"b") == "\"a\\\"b\"");
    CHECK(json_string(std::string("\x1b[31m", 5)) == "\"\\u001b[31m\"");
    CHECK(json_string("\r\x7f") == "\"\\r\\u007f\"");  // CR by its short escape, DEL as \u
}

TEST_CASE("decode_utf8: the code point of a well-formed sequence, else one byte and kNotUtf8") {
    size_t len = 0;
    CHECK(decode_utf8("a", len) == U'a');
    CHECK(len == 1);
    CHECK(decode_utf8("\xC3\xA9!", len) == U'\u00E9');
    CHECK(len == 2);
    CHECK(decode_utf8("\xE2\x82\xAC", len) == U'\u20AC');
    CHECK(len == 3);
    CHECK(decode_utf8("\xF3\xB0\x80\x80", len) == U'\U000F0000');
    CHECK(len == 4);
    for (const char* bad : {"\x80", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xC3"}) {
        CHECK(decode_utf8(bad, len) == kNotUtf8);
        CHECK(len == 1);
    }
}

TEST_CASE("the JSON escaper: every ill-formed class becomes U+FFFD, one per byte") {
    struct Case {
        const char* what;
        std::string bytes;
        int replaced;  // bytes that become U+FFFD
    };
    for (const Case& c : std::initializer_list<Case>{
             {"a lone continuation byte", "\x80", 1},
             {"a lone continuation byte (BF)", "\xBF", 1},
             {"an overlong 2-byte form (C0 AF)", "\xC0\xAF", 2},
             {"an overlong 2-byte form (C1 BF)", "\xC1\xBF", 2},
             {"an overlong 3-byte form (E0 80 80)", "\xE0\x80\x80", 3},
             {"an overlong 3-byte form (E0 9F BF)", "\xE0\x9F\xBF", 3},
             {"an overlong 4-byte form (F0 80 80 80)", "\xF0\x80\x80\x80", 4},
             {"an overlong 4-byte form (F0 8F BF BF)", "\xF0\x8F\xBF\xBF", 4},
             {"a high surrogate (ED A0 80)", "\xED\xA0\x80", 3},
             {"a low surrogate (ED BF BF)", "\xED\xBF\xBF", 3},
             {"past U+10FFFF (F4 90 80 80)", "\xF4\x90\x80\x80", 4},
             {"an F5 lead byte", "\xF5\x80\x80\x80", 4},
             {"an F8 lead byte", "\xF8\x88\x80\x80\x80", 5},
             {"an FF byte", "\xFF", 1},
             {"a truncated 3-byte sequence", "\xE2\x82", 2},
             {"a truncated 4-byte sequence", "\xF0\x9F\x98", 3},
             {"a lead byte followed by ASCII", "\xC3" "A", 1},
         }) {
        CAPTURE(c.what);
        std::string expected;
        for (int i = 0; i < c.replaced; ++i) expected += kFFFD;
        expected += c.bytes.substr(static_cast<size_t>(c.replaced));
        CHECK(round_trip(c.bytes) == expected);
        CHECK(utf8_sequence(c.bytes) == 0);
    }
}

TEST_CASE("the JSON escaper: every two- and three-byte input decodes strictly") {
    // Exhaustive over two bytes and over three bytes with a high lead byte: each output must
    // pass the strict decoder, and well-formed input must come back unchanged.
    for (int a = 0; a < 256; ++a)
        for (int b = 0; b < 256; ++b) {
            std::string text{static_cast<char>(a), static_cast<char>(b)};
            std::string back = round_trip(text);
            if (strict_json::valid_utf8(text)) CHECK(back == text);
            CHECK(strict_json::valid_utf8(back));
        }
    for (int a = 0xE0; a < 256; ++a)
        for (int b = 0x80; b < 0xC0; ++b)
            for (int c = 0x7F; c < 0xC1; ++c) {
                std::string text{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)};
                std::string back = round_trip(text);
                if (strict_json::valid_utf8(text)) CHECK(back == text);
            }
}

TEST_CASE("the strict decoder refuses what strict decoders refuse") {
    CHECK_FALSE(strict_json::decode_string("\"\xED\xA0\x80\""));
    CHECK_FALSE(strict_json::decode_string("\"\xE0\x80\x80\""));
    CHECK_FALSE(strict_json::decode_string("\"\xF5\x80\x80\x80\""));
    CHECK_FALSE(strict_json::decode_string("\"\xFF\""));
    CHECK_FALSE(strict_json::decode_string("\"a\nb\""));
    CHECK_FALSE(strict_json::decode_string("\"\\ud800\""));
    CHECK(strict_json::decode_string("\"\\ud83d\\ude00\"") == std::string("\xF0\x9F\x98\x80"));
}
