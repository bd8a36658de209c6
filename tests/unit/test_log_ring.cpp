#include <doctest/doctest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

#include "log_ring.hpp"
#include "logs.hpp"

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

namespace {

// What LogHub::Pipe::take and finish do: the lines the splitter completes, kept as one chunk.
struct Reader {
    LineSplitter splitter;
    Stream stream;
    std::vector<std::pair<std::string, bool>> emitted;  // by this read (or finish)
    void read(LogRing& ring, uint64_t seq, std::string_view data) {
        emitted.clear();
        bool continued = splitter.continuing();
        std::string head(splitter.partial());
        splitter.feed(data.data(), data.size(), [&](std::string_view line, bool c) { emitted.emplace_back(std::string(line), c); });
        size_t held = splitter.partial().size();
        if (head.size() + data.size() > held) ring.append_read(seq, std::chrono::system_clock::time_point(std::chrono::seconds(seq)), stream, continued, head, data.substr(0, data.size() - held));
    }
    void finish(LogRing& ring, uint64_t seq) {
        emitted.clear();
        ring.append_read(seq, std::chrono::system_clock::time_point(std::chrono::seconds(seq)), stream, splitter.continuing(), splitter.partial(), {});
        splitter.finish([&](std::string_view line, bool c) { emitted.emplace_back(std::string(line), c); });
    }
};

struct Line {
    std::string text;
    bool continued;
    uint32_t cut;
    Stream stream;
    uint64_t seq;
};

std::vector<Line> lines_of(const LogRing& ring) {
    std::vector<Line> out;
    ring.for_each([&](const LogRecord& r) { out.push_back({std::string(r.text), r.continued, r.cut, r.stream, r.seq}); });
    return out;
}

}  // namespace

TEST_CASE("log ring: a read is split into lines when read, as the splitter split it, across reads") {
    LogRing ring(4096);
    Reader out{{}, Stream::out, {}};
    out.read(ring, 1, "one\ntw");
    CHECK(ring.lines() == 1);
    out.read(ring, 2, "o\n\nthree");
    out.finish(ring, 3);
    auto kept = lines_of(ring);
    REQUIRE(kept.size() == 4);
    CHECK(kept[0].text == "one");
    CHECK(kept[1].text == "two");
    CHECK(kept[2].text == "");
    CHECK(kept[3].text == "three");
    CHECK(kept[1].seq == 2);  // a line belongs to the read that completed it
    CHECK(kept[3].seq == 3);
    CHECK(ring.chunks() == 3);
}

TEST_CASE("log ring: a line longer than the whole buffer, in several reads, is kept cut") {
    LogRing ring(1024);
    Reader out{{}, Stream::out, {}};
    out.read(ring, 1, "before\n");
    std::string line(5000, 'x');
    out.read(ring, 2, std::string_view(line).substr(0, 4096));
    out.read(ring, 3, line.substr(4096) + "\n");
    auto kept = lines_of(ring);
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].text == std::string(1024 - LogRing::kOverhead, 'x'));
    CHECK(kept[0].cut == 5000 - (1024 - LogRing::kOverhead));
    out.read(ring, 4, "after\n");  // (the cut line took the whole ring)
    kept = lines_of(ring);
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].text == "after");
}

TEST_CASE("log ring: reads of both streams and messages agree with every line split: the newest ones, in order") {
    std::mt19937 random(7);
    for (size_t capacity : {64, 1000, 4096, 20000, 65536, 300000}) {
        LogRing ring(capacity);
        Reader readers[2] = {{{}, Stream::out, {}}, {{}, Stream::err, {}}};
        std::vector<Line> all;  // every line so far, in the order they were kept
        uint64_t seq = 0;
        for (int read = 0; read < 600; ++read) {
            Reader& reader = readers[random() % 2];
            ++seq;
            size_t read_start = all.size();
            if (random() % 50 == 0) {  // a message of the supervisor
                std::string text = "service: message " + std::to_string(seq);
                ring.append({.seq = seq, .stream = Stream::supervisor, .level = 2, .text = text});
                all.push_back({text, false, 0, Stream::supervisor, seq});
            } else if (random() % 40 == 0) {  // the end of the stream
                reader.finish(ring, seq);
            } else {
                std::string data;
                size_t n = random() % 4 == 0 ? random() % 2000 : random() % 20;
                for (size_t i = 0; i < n; ++i) {
                    size_t size = random() % 200 == 0 ? random() % 50000 : random() % 3 == 0 ? random() % 300 : random() % 60;
                    data += std::string(size, static_cast<char>('a' + i % 26));
                    if (random() % 30 != 0) data += '\n';
                }
                reader.read(ring, seq, data);
            }
            for (auto& [text, c] : reader.emitted) all.push_back({text, c, 0, reader.stream, seq});
            reader.emitted.clear();
            auto kept = lines_of(ring);
            REQUIRE(ring.bytes() <= capacity);
            REQUIRE(ring.lines() == kept.size());
            if (all.empty()) continue;
            REQUIRE(!kept.empty());
            if (kept.back().cut > 0) {  // the newest line alone did not fit: kept cut
                REQUIRE(kept.size() == 1);
                REQUIRE(kept[0].text.size() + kept[0].cut == all.back().text.size());
                REQUIRE(all.back().text.substr(0, kept[0].text.size()) == kept[0].text);
                REQUIRE(kept[0].continued == all.back().continued);
                continue;
            }
            // A suffix of every line: none missing in between, none changed.
            REQUIRE(kept.size() <= all.size());
            size_t offset = all.size() - kept.size();
            for (size_t k = 0; k < kept.size(); ++k) {
                const Line& want = all[offset + k];
                REQUIRE(kept[k].text == want.text);
                REQUIRE(kept[k].continued == want.continued);
                REQUIRE(kept[k].stream == want.stream);
                REQUIRE(kept[k].seq == want.seq);
                REQUIRE(kept[k].cut == 0);
            }
            // Every line of this read is there when they fit together.
            size_t bytes = 0;
            for (size_t i = read_start; i < all.size(); ++i) bytes += all[i].text.size() + 1;
            if (LogRing::footprint(bytes) <= capacity) CHECK(kept.size() >= all.size() - read_start);
        }
        // A smaller buffer keeps the newest lines that fit.
        auto before = lines_of(ring);
        ring.set_capacity(capacity / 3);
        auto after = lines_of(ring);
        REQUIRE(ring.bytes() <= capacity / 3);
        if (after.empty() || after.back().cut > 0) continue;
        REQUIRE(after.size() <= before.size());
        for (size_t k = 0; k < after.size(); ++k) REQUIRE(after[k].text == before[before.size() - after.size() + k].text);
    }
}

TEST_CASE("log ring: a read that pushes out the one before it leaves nothing older either") {
    std::mt19937 random(16);
    for (size_t capacity : {1024, 4096, 65536}) {
        for (int round = 0; round < 2000; ++round) {
            LogRing ring(capacity);
            for (int i = random() % 5; i > 0; --i) ring.append_read(1, {}, Stream::out, false, std::string(random() % 300, 'o') + "\n", {});
            auto read = [&] {
                size_t size = random() % 2 ? random() % (capacity + capacity / 2) : random() % (capacity / 2);
                std::string text(size, 'x');
                for (size_t at = random() % 200; at < size; at += 1 + random() % 200) text[at] = '\n';
                return text + "\n";
            };
            std::string older = read(), newer = read();
            bool out = ring.pushes_out(newer.size());
            ring.append_read(2, {}, Stream::out, false, older, {});
            ring.append_read(3, {}, Stream::out, false, newer, {});
            bool only_newer = true;
            ring.for_each([&](const LogRecord& r) { only_newer = only_newer && r.seq == 3; });
            if (out) REQUIRE(only_newer);
        }
    }
}
