#include "log_ring.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace sv {

namespace {

// The bytes of a read as one sequence, though they come in two parts (what the line splitter
// held, then the read): only a read longer than the ring looks into them.
struct Parts {
    std::string_view a, b;
    size_t size() const { return a.size() + b.size(); }
    char at(size_t i) const { return i < a.size() ? a[i] : b[i - a.size()]; }
    // The first newline in [from, to), or `to`.
    size_t find_newline(size_t from, size_t to) const {
        for (size_t i = from; i < to && i < a.size(); ++i)
            if (a[i] == '\n') return i;
        from = std::max(from, a.size());
        if (from >= to) return to;
        const void* hit = std::memchr(b.data() + (from - a.size()), '\n', to - from);
        return hit ? static_cast<size_t>(static_cast<const char*>(hit) - b.data()) + a.size() : to;
    }
    // Where the line that holds byte `i` starts (after the last newline before it, or 0).
    size_t line_start(size_t i) const {
        while (i > 0 && at(i - 1) != '\n') --i;
        return i;
    }
    Parts from(size_t start) const {
        if (start >= a.size()) return {b.substr(start - a.size()), {}};
        return {a.substr(start), b};
    }
};

}  // namespace

LogRecord LogRing::record_of(const Header& h) {
    LogRecord r;
    r.seq = h.seq;
    r.time = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(h.time_ns)));
    r.stream = static_cast<Stream>(h.stream);
    r.continued = h.continued != 0;
    r.level = h.level;
    r.cut = h.cut;
    return r;
}

void LogRing::drop_oldest() {
    Header h;
    std::memcpy(&h, block_.data() + tail_, sizeof h);
    size_t gone = footprint(h.skip + h.size);
    used_ -= gone;
    tail_ += gone;
    if (--count_ == 0) {
        head_ = tail_ = wrap_at_ = 0;
        wrapped_ = false;
    } else if (wrapped_ && tail_ == wrap_at_) {
        tail_ = 0;
        wrapped_ = false;
    }
}

bool LogRing::trim_oldest(size_t from) {
    Header h;
    std::memcpy(&h, block_.data() + tail_, sizeof h);
    if (h.whole) return false;
    // The header moves to `at` (a multiple of 8, as every chunk starts at one), right before
    // the first line that starts after it; the chunk still ends where it did.
    size_t start = tail_ + sizeof h + h.skip, end = start + h.size, first = ((from + 7) & ~size_t{7}) + sizeof h;
    if (first >= end) return false;
    const void* newline = std::memchr(block_.data() + first - 1, '\n', end - first);
    if (!newline) return false;
    size_t keep = static_cast<size_t>(static_cast<const char*>(newline) - block_.data()) + 1, at = (keep - sizeof h) & ~size_t{7};
    if (keep == end) return false;
    h.skip = static_cast<uint8_t>(keep - at - sizeof h);
    h.size = static_cast<uint32_t>(end - keep);
    h.continued = 0;
    std::memcpy(block_.data() + at, &h, sizeof h);
    used_ -= at - tail_;
    tail_ = at;
    return true;
}

char* LogRing::make_room(size_t need) {
    if (block_.size() != capacity_) block_.assign(capacity_, 0);
    for (;;) {
        if (count_ == 0) head_ = tail_ = 0, wrapped_ = false;
        if (!wrapped_) {
            if (capacity_ - head_ >= need) break;
            wrap_at_ = head_;  // no room left at the end: go on from the start
            wrapped_ = true;
            head_ = 0;
            continue;
        }
        if (tail_ - head_ >= need) break;
        if (!trim_oldest(head_ + need)) drop_oldest();
    }
    char* at = block_.data() + head_;
    head_ += need;
    used_ += need;
    return at;
}

void LogRing::store(Header header, std::string_view a, std::string_view b) {
    header.size = static_cast<uint32_t>(a.size() + b.size());
    char* at = make_room(footprint(header.size));
    std::memcpy(at, &header, sizeof header);
    std::memcpy(at + sizeof header, a.data(), a.size());
    if (!b.empty()) std::memcpy(at + sizeof header + a.size(), b.data(), b.size());
    ++count_;
}

void LogRing::append(const LogRecord& record) {
    if (capacity_ < footprint(1)) return;
    std::string_view text = record.text;
    Header h{};
    h.seq = record.seq;
    h.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(record.time.time_since_epoch()).count();
    h.cut = record.cut;
    h.stream = static_cast<uint8_t>(record.stream);
    h.continued = record.continued;
    h.level = static_cast<uint8_t>(record.level);
    h.whole = 1;
    if (text.size() > room()) {
        h.cut += static_cast<uint32_t>(text.size() - room());
        text = text.substr(0, room());
    }
    store(h, text, {});
}

void LogRing::append_read(uint64_t seq, std::chrono::system_clock::time_point time, Stream stream, bool continued,
                          std::string_view head, std::string_view body) {
    Parts bytes{head, body};
    size_t total = bytes.size();
    if (total == 0 || capacity_ < footprint(1)) return;
    Header h{};
    h.seq = seq;
    h.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
    h.stream = static_cast<uint8_t>(stream);
    h.continued = continued;
    if (total <= room()) return store(h, head, body);
    // Longer than the ring: it is the ring's only chunk, from the first line (or piece) that
    // starts in its last room() bytes. (A newline as the last byte ends the last line.)
    clear();
    size_t low = total - room();
    size_t newline = bytes.find_newline(low - 1, total - 1);
    if (newline < total - 1) {
        Parts kept = bytes.from(newline + 1);
        h.continued = false;
        return store(h, kept.a, kept.b);
    }
    // The last line started before: its pieces start every kMaxLine bytes from its start.
    size_t start = bytes.line_start(low), end = bytes.at(total - 1) == '\n' ? total - 1 : total;
    size_t piece = start + (low - start + kMaxLine - 1) / kMaxLine * kMaxLine;
    if (piece < end) {
        Parts kept = bytes.from(piece);
        h.continued = true;
        return store(h, kept.a, kept.b);
    }
    // Not one piece starts there: the last one, kept cut.
    piece -= kMaxLine;
    h.continued = piece > start || (start == 0 && continued);
    h.whole = 1;
    h.cut = static_cast<uint32_t>(end - piece - room());
    Parts kept = bytes.from(piece);
    kept.a = kept.a.substr(0, room());
    kept.b = kept.b.substr(0, room() - kept.a.size());
    store(h, kept.a, kept.b);
}

size_t LogRing::lines() const {
    size_t n = 0;
    for_each([&](const LogRecord&) { ++n; });
    return n;
}

void LogRing::set_capacity(size_t capacity) {
    if (capacity == capacity_) return;
    LogRing other(capacity);
    if (capacity > 0) {
        for_each_chunk([&](const Chunk& c) {
            if (c.whole)
                other.append(c.record);
            else
                other.append_read(c.record.seq, c.record.time, c.record.stream, c.record.continued, c.record.text, {});
        });
    }
    *this = std::move(other);
    if (capacity == 0) std::vector<char>().swap(block_);
}

}  // namespace sv
