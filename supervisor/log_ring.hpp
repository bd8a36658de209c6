// A service's recent output, kept in PID 1 for `supervisor logs` and `status NAME`: a ring of
// chunks bounded in bytes. A chunk is what one read of a service's pipe gave, as it came (its
// time, stream, and a sequence number shared by every service, which orders the chunks of
// several services), or one line as it is (the supervisor's own messages). The lines of a read
// are found when someone asks (for_each), not as the read comes: the log path runs at millions
// of lines a second, and storing a read costs one copy of at most `capacity` bytes and nothing
// per line. The storage is one block of `capacity` bytes, taken at the first chunk; a new chunk
// pushes out the oldest ones.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace sv {

// Longer lines are cut into pieces of this size; every piece after the first is marked.
constexpr size_t kMaxLine = 16384;

enum class Stream { out, err, supervisor };

struct LogRecord {
    uint64_t seq = 0;  // the chunk's: the lines of one read share it, in order
    std::chrono::system_clock::time_point time{};
    Stream stream = Stream::out;
    bool continued = false;  // a piece after the first of a line longer than kMaxLine
    int level = 0;           // the supervisor's own messages: their spdlog level
    uint32_t cut = 0;        // bytes of the line not kept (it was longer than the whole ring)
    std::string_view text;   // in the ring: valid until the next append
};

class LogRing {
   public:
    // Bytes of bookkeeping kept per chunk (a read, or one message) besides its bytes.
    static constexpr size_t kOverhead = 32;
    // The bytes a chunk of `size` bytes takes in the ring.
    static size_t footprint(size_t size) { return (kOverhead + size + 7) & ~size_t{7}; }

    explicit LogRing(size_t capacity = 0) : capacity_(capacity) {}
    size_t capacity() const { return capacity_; }
    // Keeps the newest lines that fit in the new size; 0 drops them all and frees the block.
    void set_capacity(size_t capacity);
    // Stores one line as it is, pushing out the oldest chunks as needed. A line that does not
    // fit even alone is cut to fit, and `cut` says how much was lost. Nothing when capacity is
    // too small to hold a line at all (0: the buffer is off).
    void append(const LogRecord& record);
    // Stores what a read gave, as LineSplitter splits it: `head` (what the splitter held from
    // reads before) then `body`, together the lines it emitted for this read, each ended by a
    // newline but a piece of a longer line (kMaxLine bytes) or, at the end of a stream, a last
    // line without one. `continued`: the first line is a piece after the first. Of more than
    // fits, the newest whole lines (or pieces) that fit are kept; when not even the last fits
    // alone, it is kept cut as append() cuts a line.
    void append_read(uint64_t seq, std::chrono::system_clock::time_point time, Stream stream, bool continued, std::string_view head,
                     std::string_view body);
    // Whether a read of `newer` bytes (head and body) pushes out every chunk before it: then
    // the one before it need not be stored.
    // (Anything kept beside a chunk takes footprint(1) bytes at least.)
    bool pushes_out(size_t newer) const { return newer > room() || footprint(newer) + footprint(1) > capacity_; }
    void clear() {
        count_ = used_ = head_ = tail_ = wrap_at_ = 0;
        wrapped_ = false;
    }
    size_t chunks() const { return count_; }
    size_t bytes() const { return capacity_ == 0 ? 0 : used_; }  // stored, with bookkeeping
    size_t lines() const;                                         // counted by splitting: for tests
    // Calls f(const LogRecord&) for every line, oldest first; the lines of a read are split as
    // LineSplitter split them.
    template <class F>
    void for_each(F&& f) const;
    // A chunk: a read (its bytes in record.text) or one line as it is (whole).
    struct Chunk {
        LogRecord record;
        bool whole = false;
    };
    // Calls f(const Chunk&) for every chunk, oldest first (a query over many lines holds chunks,
    // far fewer than lines).
    template <class F>
    void for_each_chunk(F&& f) const;
    // Calls f(const LogRecord&) for every line of `chunk`.
    template <class F>
    static void lines_of(const Chunk& chunk, F&& f);

   private:
    struct Header {
        uint64_t seq;
        int64_t time_ns;
        uint32_t size;  // of the bytes
        uint32_t cut;
        uint8_t stream;
        uint8_t continued;
        uint8_t level;
        uint8_t whole;  // one line as it is (append); else the lines of a read (append_read)
        uint8_t skip;   // bytes between the header and the bytes (< 8: see trim_oldest)
        uint8_t pad[3];
    };
    static_assert(sizeof(Header) == kOverhead);
    // A record with the chunk's time, stream and marks (no text).
    static LogRecord record_of(const Header& h);
    void drop_oldest();
    // Drops the first lines of the oldest chunk, of a read, so that it starts at `from` or
    // after; false (nothing done) when it has no line that starts there but for its last byte.
    bool trim_oldest(size_t from);
    // Pushes out the oldest chunks until `need` bytes side by side are free; returns where.
    char* make_room(size_t need);
    // Stores a chunk: the header (its size set here) and the bytes of a then b.
    void store(Header header, std::string_view a, std::string_view b);
    // The greatest number of bytes one chunk can hold.
    size_t room() const { return (capacity_ & ~size_t{7}) - kOverhead; }

    size_t capacity_;
    std::vector<char> block_;
    // Chunks are stored whole (never split at the end of the block): from tail_ up, and when
    // wrapped_, from tail_ to wrap_at_ and then from 0 to head_.
    size_t head_ = 0, tail_ = 0, wrap_at_ = 0, count_ = 0, used_ = 0;
    bool wrapped_ = false;
};

template <class F>
void LogRing::for_each_chunk(F&& f) const {
    size_t at = tail_;
    bool upper = wrapped_;
    for (size_t i = 0; i < count_; ++i) {
        if (upper && at == wrap_at_) at = 0, upper = false;
        Header h;
        std::memcpy(&h, block_.data() + at, sizeof h);
        Chunk chunk{record_of(h), h.whole != 0};
        chunk.record.text = std::string_view(block_.data() + at + sizeof h + h.skip, h.size);
        f(static_cast<const Chunk&>(chunk));
        at += footprint(h.skip + h.size);
    }
}

template <class F>
void LogRing::lines_of(const Chunk& chunk, F&& f) {
    LogRecord r = chunk.record;
    if (chunk.whole) {
        f(static_cast<const LogRecord&>(r));
        return;
    }
    // As LineSplitter splits a stream that starts here: at a newline, or after kMaxLine bytes
    // without one; what is left at the end (a piece, or the stream's last line) too.
    std::string_view rest = r.text;
    while (!rest.empty()) {
        size_t newline = rest.substr(0, kMaxLine + 1).find('\n');
        if (newline == std::string_view::npos) {
            r.text = rest.substr(0, kMaxLine);
            rest.remove_prefix(r.text.size());
            f(static_cast<const LogRecord&>(r));
            r.continued = true;
            continue;
        }
        r.text = rest.substr(0, newline);
        rest.remove_prefix(newline + 1);
        f(static_cast<const LogRecord&>(r));
        r.continued = false;
    }
}

template <class F>
void LogRing::for_each(F&& f) const {
    for_each_chunk([&](const Chunk& chunk) { lines_of(chunk, f); });
}

}  // namespace sv
