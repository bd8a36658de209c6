// Tasks: short helper processes the supervisor runs for itself ([reload] checks, command
// probes, the DNS resolver helper), each with its stdout and stderr captured (the first
// kMaxTaskOutput bytes) and killed with its process group at its timeout. The supervisor owns
// one Tasks and hands it every child exit first (on_exit).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "model.hpp"
#include "process_control.hpp"

namespace sv {

class Tasks {
   public:
    // `wait_status` as waitpid gives it (127 << 8 when the task could not start, with the
    // reason as its output; a task killed at its timeout ends with status 1 at least), and
    // what it wrote, without its trailing newlines.
    using Done = std::function<void(int wait_status, const std::string& output)>;
    static constexpr size_t kMaxTaskOutput = 8192;

    // `processes`: where its launches and kills go (the supervisor's seam, process_control.hpp).
    Tasks(uv_loop_t* loop, ProcessControl& processes);
    ~Tasks();
    Tasks(const Tasks&) = delete;
    Tasks& operator=(const Tasks&) = delete;

    // Runs `argv` with what `spec` sets (user, directory, environment on top of `base_env`),
    // never through a shell and never in the foreground. `done` is called once, from on_exit,
    // or at once when the task cannot start.
    void run(const ServiceSpec& spec, std::vector<std::string> argv, char** base_env, Duration timeout, Done done);

    // A child ended: if it was a task, finishes it (its group is killed, the rest of its
    // output read, `done` called) and returns true; false for any other pid.
    bool on_exit(pid_t pid, int wait_status);

   private:
    struct Task;
    uv_loop_t* loop_;
    ProcessControl& processes_;
    std::unordered_map<pid_t, std::unique_ptr<Task>> running_;
};

}  // namespace sv
