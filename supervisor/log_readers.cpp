// The services' recent lines (the rings take the reads of the pipes in logs.cpp) and their readers:
// `supervisor logs` (a query over the rings), `logs -f` (followers, each with a bounded queue:
// a reader that does not keep up loses lines, counted and told to it, and never holds up the
// loop or another reader), and the supervisor's own messages about a service, kept with its
// lines.
#include <algorithm>
#include <spdlog/spdlog.h>

#include "boundary.hpp"
#include "logs.hpp"
#include "uv_handles.hpp"

namespace sv {

namespace {

constexpr uint64_t kDropsReportMs = 200;  // how often a follower that lost lines is checked for room

// One line for a reader: "web | line", "web:err | line", "supervisor | web: ...", or JSON as
// `[log] format = "json"` writes it (the supervisor's messages with stream "supervisor").
void format_record(std::string& out, const std::string& service, const LogRecord& r, bool json) {
    std::string longer;
    std::string_view text = r.text;
    if (r.cut > 0) {
        longer.assign(text);
        longer += " [... " + std::to_string(r.cut) + " more bytes not kept: the line is longer than [log] buffer]";
        text = longer;
    }
    if (r.stream != Stream::supervisor)
        return format_line(out, json ? LogFormat::json : LogFormat::prefix, service, r.stream, text, r.continued, r.time);
    if (!json) {
        out += "supervisor | ";
        out.append(text);
        out += '\n';
        return;
    }
    if (!r.continued && text.size() > service.size() + 2 && text.substr(0, service.size()) == service && text.substr(service.size(), 2) == ": ")
        text.remove_prefix(service.size() + 2);
    auto level = spdlog::level::to_string_view(static_cast<spdlog::level::level_enum>(r.level));
    format_line(out, LogFormat::json, service, Stream::supervisor, text, r.continued, r.time, std::string_view(level.data(), level.size()));
}

bool wanted(const std::vector<std::string>& names, const std::string& service) {
    return names.empty() || std::find(names.begin(), names.end(), service) != names.end();
}

}  // namespace

void LogHub::keep_read(const std::shared_ptr<LogRing>& ring, Stream stream, bool continued, std::string_view head, std::string_view body,
                       std::chrono::system_clock::time_point now) {
    if (pending_.ring == ring && ring->pushes_out(head.size() + body.size())) {
        ring->clear();  // what storing the pending read and then this one would leave of them
        pending_.ring = nullptr;
    }
    keep_pending();
    pending_.ring = ring;
    pending_.seq = ++seq_;
    pending_.time = now;
    pending_.stream = stream;
    pending_.continued = continued;
    pending_.head.assign(head);
    pending_.body = body;
}

void LogHub::keep_pending() {
    if (!pending_.ring) return;
    pending_.ring->append_read(pending_.seq, pending_.time, pending_.stream, pending_.continued, pending_.head, pending_.body);
    pending_.ring = nullptr;
}

std::string LogHub::recent(const Query& query) {
    keep_pending();
    // Chunks, not lines (a ring of short lines holds many): of each service those with its
    // last N lines, the first of them with `skip` lines not asked for.
    struct Read {
        const std::string* service;
        LogRing::Chunk chunk;
        size_t skip = 0;
    };
    std::vector<Read> reads;
    for (auto& entry : rings_) {
        const std::string* name = &entry.first;  // (clang cannot capture a structured binding)
        if (!wanted(query.names, *name)) continue;
        size_t first = reads.size();
        entry.second->for_each_chunk([&](const LogRing::Chunk& c) {
            if (!query.since || c.record.time >= *query.since) reads.push_back({name, c});  // (a read's lines share its time)
        });
        if (!query.lines) continue;
        size_t want = *query.lines, from = reads.size();
        for (; from > first && want > 0; --from) {
            size_t lines = 0;
            LogRing::lines_of(reads[from - 1].chunk, [&](const LogRecord&) { ++lines; });
            reads[from - 1].skip = lines > want ? lines - want : 0;
            want -= std::min(want, lines);
        }
        reads.erase(reads.begin() + static_cast<long>(first), reads.begin() + static_cast<long>(from));
    }
    // The lines of one read share its sequence number and come in order: a stable sort.
    std::stable_sort(reads.begin(), reads.end(), [](const Read& a, const Read& b) { return a.chunk.record.seq < b.chunk.record.seq; });
    std::string out;
    for (auto& read : reads) {
        size_t n = 0;
        LogRing::lines_of(read.chunk, [&](const LogRecord& r) {
            if (n++ >= read.skip) format_record(out, *read.service, r, query.json);
        });
    }
    return out;
}

bool LogHub::follow(const Query& query, std::unique_ptr<Reader> reader) {
    std::erase_if(followers_, [](const std::unique_ptr<Follower>& f) { return f->reader->gone(); });
    if (followers_.size() >= kMaxFollowers) return false;
    auto follower = std::make_unique<Follower>();
    follower->reader = std::move(reader);
    follower->names = query.names;
    follower->json = query.json;
    followers_.push_back(std::move(follower));
    return true;
}

namespace {

bool has_room(const std::string& pending, const LogHub::Reader& reader, size_t more) {
    return pending.size() + reader.backlog() + more <= LogHub::kFollowerQueue;
}

// A follower that lost lines gets more once it has taken half of its queue: losses come in a
// few large gaps, each told once, rather than a line here and there.
bool recovered(const std::string& pending, const LogHub::Reader& reader) {
    return has_room(pending, reader, LogHub::kFollowerQueue / 2);
}

// The lines a follower lost, told to it once it has room again.
void tell_drops(std::string& pending, unsigned long& dropped) {
    pending += "... " + std::to_string(dropped) + " line" + (dropped == 1 ? "" : "s") + " dropped (this reader was too slow)\n";
    dropped = 0;
}

}  // namespace

void LogHub::publish(const std::string& service, const LogRecord& record) {
    for (auto& f : followers_) {
        if (!wanted(f->names, service)) continue;
        // The line's worst case: its text, escaped for JSON, and the name and marks.
        size_t worst = record.text.size() * (f->json ? 6 : 1) + service.size() + 256;
        if (f->dropped ? !recovered(f->pending, *f->reader) : !has_room(f->pending, *f->reader, worst)) {
            ++f->dropped;
            continue;
        }
        if (f->dropped) tell_drops(f->pending, f->dropped);
        format_record(f->pending, service, record, f->json);
    }
}

void LogHub::flush_followers() {
    bool untold = false;
    std::erase_if(followers_, [&](const std::unique_ptr<Follower>& f) {
        if (f->reader->gone()) return true;
        if (f->dropped && recovered(f->pending, *f->reader)) tell_drops(f->pending, f->dropped);
        if (!f->pending.empty()) {
            f->reader->write(std::move(f->pending));
            f->pending.clear();
        }
        untold = untold || f->dropped;
        return false;
    });
    if (!untold || !loop_) return;
    // Lines were dropped and no more may come to carry the count: look again soon.
    if (!drops_timer_) {
        drops_timer_ = new_handle<uv_timer_t>(this);
        uv_timer_init(loop_, drops_timer_);
    }
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(drops_timer_)))
        uv_timer_start(drops_timer_, [](uv_timer_t* t) noexcept { at_boundary("the followers' drop report", [&] { static_cast<LogHub*>(t->data)->flush_followers(); }); }, kDropsReportMs, 0);
}

void LogHub::end_followers() {
    flush_followers();
    for (auto& f : followers_) f->reader->end();
    followers_.clear();
    close_handle(drops_timer_);
}

void LogHub::note(const std::string& service, int level, std::string_view text, std::chrono::system_clock::time_point now,
                  bool continued) {
    auto found = rings_.find(service);
    if (found == rings_.end()) return;
    keep_pending();  // (the lines before the message, before it)
    LogRecord record{.seq = ++seq_, .time = now, .stream = Stream::supervisor, .continued = continued, .level = level, .text = text};
    found->second->append(record);
    if (followers_.empty()) return;
    publish(service, record);
    flush_followers();
}

void LogHub::note_message(std::string_view line, bool first, int level, std::chrono::system_clock::time_point now) {
    if (first) {
        // "web: started (pid 7)": the words before the first ": " name the service, if one has that name.
        noted_name_.clear();
        size_t colon = line.find(": ");
        if (colon != std::string_view::npos && colon > 0) {
            noted_name_.assign(line.substr(0, colon));
            if (!rings_.count(noted_name_)) noted_name_.clear();
        }
        if (!noted_name_.empty()) note(noted_name_, level, line, now);
        return;
    }
    // The further lines of a message of several (a check's output) go with the first.
    if (!noted_name_.empty()) note(noted_name_, level, line, now, true);
}

}  // namespace sv
