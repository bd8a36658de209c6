#include "tasks.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "boundary.hpp"
#include "process.hpp"
#include "uv_handles.hpp"

namespace sv {

struct Tasks::Task {
    Tasks* owner = nullptr;
    pid_t pid = 0;
    int fd = -1;  // read end of its stdout+stderr
    uv_poll_t* poll = nullptr;
    uv_timer_t* timer = nullptr;
    std::string output;
    bool timed_out = false;
    Done done;

    // Reads what the pipe holds now, keeping the first kMaxTaskOutput bytes; true at EOF.
    bool read_output() {
        char buf[4096];
        for (;;) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n <= 0) return n == 0;
            if (output.size() < kMaxTaskOutput) output.append(buf, std::min<size_t>(n, kMaxTaskOutput - output.size()));
        }
    }
};

// A task still running when the supervisor ends is left to the kernel, as its process is.
Tasks::Tasks(uv_loop_t* loop, ProcessControl& processes) : loop_(loop), processes_(processes) {}
Tasks::~Tasks() = default;

void Tasks::run(const ServiceSpec& spec, std::vector<std::string> argv, char** base_env, Duration timeout, Done done) {
    ServiceSpec task_spec = spec;
    task_spec.command = std::move(argv);
    task_spec.shell = false;
    task_spec.foreground = false;
    auto planned = plan_launch(task_spec, base_env);
    if (auto* why = std::get_if<std::string>(&planned)) return done(127 << 8, *why);
    LaunchPlan plan = std::move(std::get<LaunchPlan>(planned));

    int out[2];
    if (::pipe2(out, O_CLOEXEC) < 0) return done(127 << 8, std::string("cannot make a pipe: ") + std::strerror(errno));
    auto launch_result = processes_.launch(plan, ChildOutput(out[1], out[1]));
    if (auto* why = std::get_if<std::string>(&launch_result)) {
        ::close(out[0]);
        return done(127 << 8, *why);
    }
    Launched launched = std::get<Launched>(launch_result);
    ::close(launched.status_fd);  // an exec failure shows as exit status 127 and its message
    ::fcntl(out[0], F_SETFL, O_NONBLOCK);

    auto task = std::make_unique<Task>();
    task->pid = launched.pid;
    task->owner = this;
    task->fd = out[0];
    task->done = std::move(done);
    task->poll = new_handle<uv_poll_t>(task.get());
    uv_poll_init(loop_, task->poll, task->fd);
    uv_poll_start(task->poll, UV_READABLE, [](uv_poll_t* poll, int, int) noexcept {
        at_boundary("a task's output", [&] {
            auto* task = static_cast<Task*>(poll->data);
            if (task->read_output()) close_handle(task->poll);  // EOF: nothing more to read
        });
    });
    task->timer = new_handle<uv_timer_t>(task.get());
    uv_timer_init(loop_, task->timer);
    uv_timer_start(task->timer, [](uv_timer_t* timer) noexcept {
        at_boundary("a task's timeout", [&] {
            auto* task = static_cast<Task*>(timer->data);
            task->timed_out = true;
            task->owner->processes_.kill(-task->pid, SIGKILL);
        });
    }, static_cast<uint64_t>(timeout.count()), 0);
    running_[task->pid] = std::move(task);
}

bool Tasks::on_exit(pid_t pid, int wait_status) {
    auto found = running_.find(pid);
    if (found == running_.end()) return false;
    std::unique_ptr<Task> task = std::move(found->second);
    running_.erase(found);
    processes_.kill(-pid, SIGKILL);  // whatever the task left in its group
    task->read_output();
    close_handle(task->poll);
    close_handle(task->timer);
    ::close(task->fd);
    std::string output = task->output;
    while (!output.empty() && output.back() == '\n') output.pop_back();
    if (task->timed_out) output = "timed out and was killed" + (output.empty() ? "" : "; output:\n" + output);
    task->done(task->timed_out && wait_status == 0 ? (1 << 8) : wait_status, output);
    return true;
}

}  // namespace sv
