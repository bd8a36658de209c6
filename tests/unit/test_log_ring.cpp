#include <doctest/doctest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

#include "log_ring.hpp"

using namespace sv;

namespace {

struct Kept {
    uint64_t seq;
    std::string text;
    Stream stream;
    uint32_t cut;
};

std::vector<Kept> contents(const LogRing& ring) {
    std::vector<Kept> out;
    ring.for_each([&](const LogRecord& r) { out.push_back({r.seq, std::string(r.text), r.stream, r.cut}); });
    return out;
}

LogRecord record(uint64_t seq, std::string_view text, Stream stream = Stream::out) {
    LogRecord r;
    r.seq = seq;
    r.text = text;
    r.stream = stream;
    r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(seq));
    return r;
}

size_t footprint(size_t text) { return (LogRing::kOverhead + text + 7) / 8 * 8; }

}  // namespace

TEST_CASE("log ring: lines come back oldest first, with stream, time and sequence") {
    LogRing ring(4096);
    ring.append(record(1, "one"));
    ring.append(record(2, "two", Stream::err));
    ring.append(record(3, "web: started", Stream::supervisor));
    auto kept = contents(ring);
    REQUIRE(kept.size() == 3);
    CHECK(kept[0].text == "one");
    CHECK(kept[1].stream == Stream::err);
    CHECK(kept[2].stream == Stream::supervisor);
    CHECK(kept[2].seq == 3);
    ring.for_each([](const LogRecord& r) { CHECK(r.time == std::chrono::system_clock::time_point(std::chrono::milliseconds(r.seq))); });
}

TEST_CASE("log ring: bounded in bytes; the oldest lines go first, the newest stay") {
    LogRing ring(1024);
    for (uint64_t i = 1; i <= 1000; ++i) {
        ring.append(record(i, "line " + std::to_string(i)));
        CHECK(ring.bytes() <= 1024);
    }
    auto kept = contents(ring);
    REQUIRE(!kept.empty());
    CHECK(kept.back().text == "line 1000");
    for (size_t i = 1; i < kept.size(); ++i) CHECK(kept[i].seq == kept[i - 1].seq + 1);
    // As many as fit: one more would not have.
    CHECK((kept.size() + 1) * footprint(9) > 1024);
}

TEST_CASE("log ring: random line sizes agree with a simple model that evicts from the front") {
    std::mt19937 random(13);
    for (size_t capacity : {64, 100, 1000, 4096, 65536}) {
        LogRing ring(capacity);
        std::deque<Kept> model;
        size_t model_bytes = 0;
        for (uint64_t i = 1; i <= 5000; ++i) {
            size_t size = random() % 3 == 0 ? random() % 2000 : random() % 80;
            std::string text(size, static_cast<char>('a' + i % 26));
            ring.append(record(i, text));
            size_t keep = std::min(size, (capacity & ~size_t{7}) - LogRing::kOverhead);
            model.push_back({i, text.substr(0, keep), Stream::out, static_cast<uint32_t>(size - keep)});
            model_bytes += footprint(keep);
            // The ring may hold less than the model (a line never wraps around the end), never more.
            while (model_bytes > capacity) model_bytes -= footprint(model.front().text.size()), model.pop_front();
            auto kept = contents(ring);
            REQUIRE(kept.size() <= model.size());
            REQUIRE(!kept.empty());
            size_t offset = model.size() - kept.size();
            for (size_t k = 0; k < kept.size(); ++k) {
                REQUIRE(kept[k].seq == model[offset + k].seq);
                REQUIRE(kept[k].text == model[offset + k].text);
                REQUIRE(kept[k].cut == model[offset + k].cut);
            }
            REQUIRE(ring.bytes() <= capacity);
            REQUIRE(ring.lines() == kept.size());
        }
    }
}

TEST_CASE("log ring: a line longer than the whole buffer is kept cut, and says how much was cut") {
    LogRing ring(1024);
    ring.append(record(1, "before"));
    std::string huge(5000, 'x');
    ring.append(record(2, huge));
    auto kept = contents(ring);
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].text.size() == 1024 - LogRing::kOverhead);
    CHECK(kept[0].cut == 5000 - (1024 - LogRing::kOverhead));
    ring.append(record(3, "after"));
    kept = contents(ring);
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].text == "after");
}

TEST_CASE("log ring: off (0) keeps nothing and takes no memory; resizing keeps the newest") {
    LogRing off(0);
    off.append(record(1, "nothing"));
    CHECK(off.lines() == 0);
    CHECK(off.bytes() == 0);
    LogRing ring(4096);
    for (uint64_t i = 1; i <= 50; ++i) ring.append(record(i, "line " + std::to_string(i)));
    ring.set_capacity(256);
    auto kept = contents(ring);
    REQUIRE(!kept.empty());
    CHECK(kept.back().text == "line 50");
    CHECK(ring.bytes() <= 256);
    ring.set_capacity(0);
    CHECK(ring.lines() == 0);
    ring.set_capacity(1024);
    ring.append(record(51, "again"));
    CHECK(contents(ring).size() == 1);
}

TEST_CASE("log ring: a read's lines at once keep what appending each keeps: the newest that fit, in order") {
    std::mt19937 random(7);
    for (size_t capacity : {64, 1000, 4096, 65536}) {
        LogRing ring(capacity);
        uint64_t seq = 1;
        std::vector<std::string> all;  // every line so far, by seq - 1
        for (int read = 0; read < 400; ++read) {
            size_t n = random() % 3 == 0 ? random() % 3000 : random() % 20;
            std::vector<std::string> texts;
            for (size_t i = 0; i < n; ++i) texts.push_back(std::string(random() % 3 == 0 ? random() % 300 : random() % 60, 'a' + static_cast<char>(i % 26)));
            std::vector<LogLine> lines;
            for (auto& t : texts) lines.push_back({t, false});
            ring.append_lines(lines.data(), lines.size(), seq, std::chrono::system_clock::time_point(std::chrono::seconds(read)), Stream::err);
            for (auto& t : texts) all.push_back(t);
            seq += n;
            auto kept = contents(ring);
            REQUIRE(ring.bytes() <= capacity);
            REQUIRE(ring.lines() == kept.size());
            if (all.empty()) continue;
            REQUIRE(!kept.empty());
            CHECK(kept.back().seq == seq - 1);  // the newest line is always there
            for (size_t k = 0; k < kept.size(); ++k) {
                if (k > 0) REQUIRE(kept[k].seq == kept[k - 1].seq + 1);  // no gap: a suffix of all lines
                const std::string& text = all[kept[k].seq - 1];
                REQUIRE(kept[k].text == text.substr(0, kept[k].text.size()));
                REQUIRE(kept[k].text.size() + kept[k].cut == text.size());
                REQUIRE(kept[k].stream == Stream::err);
            }
            // Of this read, every line that fits with the newer ones of it is there.
            size_t room = capacity, fit = 0;
            for (size_t i = n; i > 0 && footprint(texts[i - 1].size()) <= room; --i) room -= footprint(texts[i - 1].size()), ++fit;
            CHECK(kept.size() >= std::min(fit, n));
        }
    }
}
