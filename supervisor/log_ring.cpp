#include "log_ring.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace sv {

LogRecord LogRing::read(size_t at, size_t* next) const {
    Header h;
    std::memcpy(&h, block_.data() + at, sizeof h);
    LogRecord r;
    r.seq = h.seq;
    r.time = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(h.time_ns)));
    r.stream = static_cast<Stream>(h.stream);
    r.continued = h.continued != 0;
    r.level = h.level;
    r.cut = h.cut;
    r.text = std::string_view(block_.data() + at + sizeof h, h.size);
    *next = at + footprint(h.size);
    return r;
}

void LogRing::drop_oldest() {
    uint32_t size;
    std::memcpy(&size, block_.data() + tail_ + offsetof(Header, size), sizeof size);
    size_t gone = footprint(size);
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
        drop_oldest();
    }
    char* at = block_.data() + head_;
    head_ += need;
    used_ += need;
    return at;
}

void LogRing::write(char* at, const LogRecord& record, std::string_view text, uint32_t cut) {
    // Field by field into the block: a Header built on the stack byte by byte and then copied
    // stalls the store forwarding of every line (a third of the ring's time).
    int64_t time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(record.time.time_since_epoch()).count();
    uint32_t size = static_cast<uint32_t>(text.size());
    uint64_t marks = static_cast<uint64_t>(record.stream) | uint64_t{record.continued} << 8 | uint64_t{static_cast<uint8_t>(record.level)} << 16;
    std::memcpy(at + offsetof(Header, seq), &record.seq, sizeof record.seq);
    std::memcpy(at + offsetof(Header, time_ns), &time_ns, sizeof time_ns);
    std::memcpy(at + offsetof(Header, size), &size, sizeof size);
    std::memcpy(at + offsetof(Header, cut), &cut, sizeof cut);
    std::memcpy(at + offsetof(Header, stream), &marks, sizeof marks);
    std::memcpy(at + sizeof(Header), text.data(), text.size());
}

void LogRing::append(const LogRecord& record) {
    if (capacity_ < footprint(1)) return;
    std::string_view text = record.text;
    uint32_t cut = record.cut;
    if (footprint(text.size()) > capacity_) {
        size_t keep = (capacity_ & ~size_t{7}) - sizeof(Header);
        cut += static_cast<uint32_t>(text.size() - keep);
        text = text.substr(0, keep);
    }
    write(make_room(footprint(text.size())), record, text, cut);
    ++count_;
}

void LogRing::append_lines(const LogLine* lines, size_t n, uint64_t first_seq, std::chrono::system_clock::time_point time, Stream stream) {
    if (n == 0 || capacity_ < footprint(1)) return;
    size_t room = capacity_, first = n, total = 0;
    while (first > 0 && footprint(lines[first - 1].text.size()) <= room - total) total += footprint(lines[--first].text.size());
    LogRecord record;
    record.time = time;
    record.stream = stream;
    if (first == n) {  // the last line alone is longer than the ring: kept cut
        record.seq = first_seq + n - 1;
        record.text = lines[n - 1].text;
        record.continued = lines[n - 1].continued;
        return append(record);
    }
    if (first > 0) {
        // A line of this read did not fit with the newer ones: no older line does either.
        count_ = used_ = head_ = tail_ = wrap_at_ = 0;
        wrapped_ = false;
    }
    char* at = make_room(total);
    for (size_t i = first; i < n; ++i) {
        record.seq = first_seq + i;
        record.continued = lines[i].continued;
        write(at, record, lines[i].text, 0);
        at += footprint(lines[i].text.size());
    }
    count_ += n - first;
}

void LogRing::set_capacity(size_t capacity) {
    if (capacity == capacity_) return;
    LogRing bigger(capacity);
    if (capacity > 0) for_each([&](const LogRecord& r) { bigger.append(r); });
    *this = std::move(bigger);
    if (capacity == 0) std::vector<char>().swap(block_);
}

}  // namespace sv
