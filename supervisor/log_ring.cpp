#include "log_ring.hpp"

#include <algorithm>
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
    size_t next;
    LogRecord r = read(tail_, &next);
    used_ -= footprint(r.text.size());
    tail_ = next;
    if (--count_ == 0) {
        head_ = tail_ = wrap_at_ = 0;
        wrapped_ = false;
    } else if (wrapped_ && tail_ == wrap_at_) {
        tail_ = 0;
        wrapped_ = false;
    }
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
    if (block_.size() != capacity_) block_.assign(capacity_, 0);
    size_t need = footprint(text.size());
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
    Header h{};
    h.seq = record.seq;
    h.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(record.time.time_since_epoch()).count();
    h.size = static_cast<uint32_t>(text.size());
    h.cut = cut;
    h.stream = static_cast<uint8_t>(record.stream);
    h.continued = record.continued;
    h.level = static_cast<uint8_t>(record.level);
    std::memcpy(block_.data() + head_, &h, sizeof h);
    std::memcpy(block_.data() + head_ + sizeof h, text.data(), text.size());
    head_ += need;
    used_ += need;
    ++count_;
}

void LogRing::set_capacity(size_t capacity) {
    if (capacity == capacity_) return;
    LogRing bigger(capacity);
    if (capacity > 0) for_each([&](const LogRecord& r) { bigger.append(r); });
    *this = std::move(bigger);
    if (capacity == 0) std::vector<char>().swap(block_);
}

}  // namespace sv
