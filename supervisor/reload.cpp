// Reload: the service directory (SIGHUP, `supervisor reload`), one service's own reload
// ([reload] signal/check, `supervisor reload NAME`; the check runs as a task, tasks.hpp) and
// watched files.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <spdlog/spdlog.h>

#include "boundary.hpp"
#include "config.hpp"
#include "supervisor.hpp"
#include "parse.hpp"

namespace sv {

namespace {

constexpr uint64_t kWatchDebounceMs = 200;

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
    std::string out;
    for (auto& item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

// "2 added (a, b)", "0 changed".
std::string counted(const std::vector<std::string>& names, const char* what) {
    return std::to_string(names.size()) + " " + what + (names.empty() ? "" : " (" + join(names) + ")");
}

}  // namespace

void Supervisor::request_reload(std::shared_ptr<Reply> reply) {
    if (phase_ != Phase::running) {
        spdlog::info("reload ignored: shutting down");
        if (reply) reply->send(false, "shutting down; reload ignored");
        return;
    }
    reload_replies_.push_back(std::move(reply));
    // Every request that arrives before the timer fires shares the one reload.
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(reload_timer_)))
        uv_timer_start(reload_timer_, [](uv_timer_t* t) noexcept { at_boundary("the reload", [&] { static_cast<Supervisor*>(t->data)->reload_directory(); }); }, 0, 0);
}

namespace {

// A reload with errors in the files: each logged, and the answer's text.
std::string refusal(const LoadResult& loaded) {
    std::string text;
    for (auto& e : loaded.errors) {
        spdlog::error("reload: {}", e.str());
        text += e.str() + "\n";
    }
    spdlog::error("reload refused: {} error{}; nothing changed", loaded.errors.size(), loaded.errors.size() == 1 ? "" : "s");
    return text + "reload refused; nothing changed";
}

}  // namespace

void Supervisor::reload_directory() {
    auto replies = std::move(reload_replies_);
    reload_replies_.clear();
    auto answer = [&](bool ok, const std::string& text) {
        for (auto& reply : replies)
            if (reply) reply->send(ok, text);
    };
    if (phase_ != Phase::running) return answer(false, "shutting down; reload ignored");
    ++reloads_;

    bool single_command = !options_.command.empty();
    LoadResult loaded = load_directory(options_.config_dir, single_command);
    for (auto& w : loaded.warnings) spdlog::warn("reload: {}", w.str());
    config_errors_ = loaded.errors.size();
    if (!loaded.ok()) {
        ++reloads_failed_;
        return answer(false, refusal(loaded));
    }

    std::vector<std::string> added, changed, removed;
    size_t unchanged = 0;
    auto now = Clock::now();
    std::vector<std::string> present;
    for (auto& spec : loaded.services) {
        present.push_back(spec.name);
        auto found = services_.find(spec.name);
        if (found == services_.end()) {
            added.push_back(spec.name);
            ServiceEntry& slot = add(std::move(spec));
            if (slot.service.spec().enabled) request_start(slot);
            continue;
        }
        ServiceEntry& slot = *found->second;
        const Service& service = slot.service;
        const ServiceSpec& current = service.next_spec() ? *service.next_spec() : service.spec();
        if (service.goal() != Goal::gone && current == spec) {
            ++unchanged;
            continue;
        }
        changed.push_back(spec.name);
        slot.intent = "reload";
        // The old run stops; the new file runs once it is down (Service::replace).
        apply(slot, slot.service.replace(std::move(spec), now));
    }
    std::vector<std::string> gone;
    for (auto& [name, slot] : services_)
        if (slot->service.goal() != Goal::gone && std::find(present.begin(), present.end(), name) == present.end() &&
            !(single_command && name == kCommandServiceName))
            gone.push_back(name);
    for (auto& name : gone) {
        removed.push_back(name);
        ServiceEntry& slot = *services_.at(name);
        slot.intent = "reload";
        apply(slot, slot.service.remove(now));
    }
    std::string summary = "reloaded " + options_.config_dir + ": " + counted(added, "added") + ", " + counted(changed, "changed") +
                          ", " + counted(removed, "removed") + ", " + std::to_string(unchanged) + " unchanged";
    spdlog::info("{}", summary);
    answer(true, summary);
}

// The reload of a service whose check passed (or that has none): its [reload] signal, or a restart.
void Supervisor::carry_out_reload(const std::string& name, std::shared_ptr<Reply> reply, std::optional<Duration> timeout) {
    auto found = services_.find(name);
    if (found == services_.end() || phase_ != Phase::running) {
        if (reply) reply->send(false, name + ": reload refused: removed or shutting down");
        return;
    }
    ServiceEntry& s = *found->second;
    const ServiceSpec& spec = s.service.spec();
    if (spec.reload.signal) {
        if (!s.service.has_process()) {
            if (reply) reply->send(false, name + ": reload refused: not running");
            return;
        }
        processes_.kill(s.service.pid(), *spec.reload.signal);
        std::string text = name + ": reloading (" + signal_name(*spec.reload.signal) + " to pid " + std::to_string(s.service.pid()) + ")";
        spdlog::info("{}", text);
        if (reply) reply->send(true, text);
        return;
    }
    spdlog::info("{}: reloading by restart", name);
    pid_t old = s.service.pid();
    s.intent = "reload";
    apply(s, s.service.stop(Clock::now()));
    apply(s, s.service.start(Clock::now()));
    if (reply) wait_for({Request::restart, {{name, old, Goal::up, {}}}, reply}, timeout);
}

void Supervisor::reload_service(ServiceEntry& slot, std::shared_ptr<Reply> reply, std::optional<Duration> timeout) {
    const ServiceSpec& spec = slot.service.spec();
    std::string name = spec.name;
    auto refuse = [&](const std::string& why) {
        spdlog::error("{}: reload refused: {}", name, why);
        if (reply) reply->send(false, name + ": reload refused: " + why);
    };
    if (phase_ != Phase::running) return refuse("shutting down");
    if (slot.service.state() != State::running) return refuse(std::string("not running (") + to_string(slot.service.state()) + ")");
    if (slot.reload_running) {
        if (!reply) {  // a watched file changed during the check: its turn comes right after
            slot.reload_again = true;
            return;
        }
        return refuse("a reload check is already running");
    }

    auto go_ahead = [this, name, reply, timeout] { carry_out_reload(name, reply, timeout); };
    if (spec.reload.check.empty()) return go_ahead();

    slot.reload_running = true;
    std::string shown = join(spec.reload.check, " ");
    tasks_.run(spec, spec.reload.check, environ_, spec.reload.check_timeout, [this, name, shown, go_ahead, reply](int status, const std::string& output) {
        auto found = services_.find(name);
        if (found == services_.end()) {
            if (reply) reply->send(false, name + ": reload refused: removed");
            return;
        }
        ServiceEntry& s = *found->second;
        s.reload_running = false;
        if (status == 0) {
            go_ahead();
        } else {
            std::string quoted = quoted_output(output);
            std::string why = "check `" + shown + "` " + describe_status(status) +
                              (quoted.empty() ? "" : quoted[0] == '\n' ? ":" + quoted : ": " + quoted);
            spdlog::error("{}: reload refused: {}", name, why);
            if (reply) reply->send(false, name + ": reload refused: " + why);
        }
        if (s.reload_again) {
            s.reload_again = false;
            reload_service(s, nullptr);
        }
    });
}

namespace {

// The directory part of an absolute file path, as std::filesystem's parent_path gives it:
// "/a/b" and "/a//b" give "/a", "/b" gives "/".
std::string parent_directory(const std::string& file) {
    size_t slash = file.rfind('/');
    if (slash == std::string::npos) return {};
    size_t end = slash;
    while (end > 0 && file[end - 1] == '/') --end;
    return end == 0 ? "/" : file.substr(0, end);
}

}  // namespace

void Supervisor::watch_files(ServiceEntry& slot) {
    std::vector<std::string> dirs;
    for (auto& file : slot.service.spec().reload.watch) {
        std::string dir = parent_directory(file);
        if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
    }
    if (dirs.empty()) return;
    slot.watch_timer = new_handle<uv_timer_t>(&slot);
    uv_timer_init(loop_, slot.watch_timer);
    // Watching the directory, not the file, keeps working when a generator replaces the
    // file by rename: the new file is a new inode that a watch on the old one would miss.
    for (auto& dir : dirs) {
        auto* watcher = new_handle<uv_fs_event_t>(&slot);
        uv_fs_event_init(loop_, watcher);
        int rc = uv_fs_event_start(watcher, [](uv_fs_event_t* h, const char* filename, int, int status) noexcept { at_boundary("a watched directory", [&] {
            auto* s = static_cast<ServiceEntry*>(h->data);
            if (status < 0 || !filename) return;
            char dir[4096];
            size_t size = sizeof dir;
            if (uv_fs_event_getpath(h, dir, &size) != 0) return;
            std::string changed = std::string(dir, size) + "/" + filename;
            const auto& files = s->service.spec().reload.watch;
            if (std::find(files.begin(), files.end(), changed) == files.end()) return;
            uv_timer_start(s->watch_timer, [](uv_timer_t* t) noexcept { at_boundary("a watched file", [&] {
                auto* slot = static_cast<ServiceEntry*>(t->data);
                spdlog::info("{}: a watched file changed", slot->service.spec().name);
                slot->owner->reload_service(*slot, nullptr);
            }); }, kWatchDebounceMs, 0);
        }); }, dir.c_str(), 0);
        if (rc != 0) {
            spdlog::warn("{}: cannot watch {}: {}", slot.service.spec().name, dir, uv_strerror(rc));
            close_and_free(reinterpret_cast<uv_handle_t*>(watcher));
            continue;
        }
        slot.watchers.push_back(watcher);
    }
}

void Supervisor::unwatch_files(ServiceEntry& slot) {
    for (auto*& watcher : slot.watchers) close_handle(watcher);
    slot.watchers.clear();
    close_handle(slot.watch_timer);
}

}  // namespace sv
