// A service's recent output, kept in PID 1 for `supervisor logs` and `status NAME`: a ring of
// whole lines (with their time, stream and a sequence number shared by every service, which
// orders the lines of several services), bounded in bytes. The storage is one block of
// `capacity` bytes, taken at the first line; a new line pushes out the oldest ones. No
// allocation per line: the log path runs at millions of lines a second.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace sv {

enum class Stream { out, err, supervisor };

struct LogRecord {
    uint64_t seq = 0;
    std::chrono::system_clock::time_point time{};
    Stream stream = Stream::out;
    bool continued = false;  // a piece after the first of a line longer than kMaxLine
    int level = 0;           // the supervisor's own messages: their spdlog level
    uint32_t cut = 0;        // bytes of the line not kept (it was longer than the whole ring)
    std::string_view text;   // in the ring: valid until the next append
};

// A line of a batch (LogRing::append_lines).
struct LogLine {
    std::string_view text;
    bool continued = false;
};

class LogRing {
   public:
    // Bytes of bookkeeping kept per line besides its text.
    static constexpr size_t kOverhead = 32;
    // The bytes a line of `text` bytes takes in the ring.
    static size_t footprint(size_t text) { return (kOverhead + text + 7) & ~size_t{7}; }

    explicit LogRing(size_t capacity = 0) : capacity_(capacity) {}
    size_t capacity() const { return capacity_; }
    // Keeps the newest lines that fit in the new size; 0 drops them all and frees the block.
    void set_capacity(size_t capacity);
    // Stores a copy of `record`, pushing out the oldest lines as needed. A line that does not
    // fit even alone is cut to fit, and `cut` says how much was lost. Nothing when capacity is
    // too small to hold a line at all (0: the buffer is off).
    void append(const LogRecord& record);
    // Appends `n` lines of one read (one time and stream, sequence numbers from `first_seq`) as
    // append() each would, in one pass: the lines the later ones would push out are skipped,
    // and the others are written side by side (a read may hold thousands).
    void append_lines(const LogLine* lines, size_t n, uint64_t first_seq, std::chrono::system_clock::time_point time, Stream stream);
    size_t lines() const { return count_; }
    size_t bytes() const { return capacity_ == 0 ? 0 : used_; }  // stored, with bookkeeping
    // Calls f(const LogRecord&) for every line, oldest first.
    template <class F>
    void for_each(F&& f) const;

   private:
    struct Header {
        uint64_t seq;
        int64_t time_ns;
        uint32_t size;  // of the text
        uint32_t cut;
        uint8_t stream;
        uint8_t continued;
        uint8_t level;
        uint8_t pad[5];
    };
    static_assert(sizeof(Header) == kOverhead);
    LogRecord read(size_t at, size_t* next) const;
    void drop_oldest();
    // Pushes out the oldest lines until `need` bytes side by side are free; returns where.
    char* make_room(size_t need);
    // Writes one line at `at`, which has room for it (its footprint).
    static void write(char* at, const LogRecord& record, std::string_view text, uint32_t cut);

    size_t capacity_;
    std::vector<char> block_;
    // Lines are stored whole (never split at the end of the block): from tail_ up, and when
    // wrapped_, from tail_ to wrap_at_ and then from 0 to head_.
    size_t head_ = 0, tail_ = 0, wrap_at_ = 0, count_ = 0, used_ = 0;
    bool wrapped_ = false;
};

template <class F>
void LogRing::for_each(F&& f) const {
    size_t at = tail_;
    bool upper = wrapped_;
    for (size_t i = 0; i < count_; ++i) {
        if (upper && at == wrap_at_) at = 0, upper = false;
        size_t next;
        f(read(at, &next));
        at = next;
    }
}

}  // namespace sv
