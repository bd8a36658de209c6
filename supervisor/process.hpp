// Processes: the only module that forks. It prepares a launch (argv, environment, resolved
// path, uid/gid/groups) before fork, runs the child's steps after fork with async-signal-safe
// calls only, reports a failed step through a close-on-exec pipe, reaps every child (services
// and orphans alike), and receives PID 1's signals through a signalfd on the loop.
#pragma once

#include <sys/signalfd.h>
#include <sys/types.h>
#include <uv.h>

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "child_output.hpp"
#include "model.hpp"

namespace sv {

// Everything the child needs but its output (ChildOutput, which owns descriptors), computed
// before fork (no lookups or allocation after it).
struct LaunchPlan {
    std::string path;  // resolved executable
    std::vector<std::string> argv;
    std::vector<std::string> envp;
    std::string directory;
    bool change_user = false;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
    std::optional<unsigned> umask;
    bool no_new_privs = false;
    bool limit_capabilities = false;
    unsigned long long capabilities = 0;  // bit mask of CAP_* to keep
    bool foreground = false;  // keep stdin and take the terminal (single-command mode)
};

// The group of a service whose `user` is a bare uid without a passwd entry and that names no
// `group`: nogroup, which owns nothing (docker gives group 0).
constexpr gid_t kBareUidGid = 65534;

// The PATH a service gets when neither the supervisor's environment nor its own sets one.
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Builds the plan for a spec on top of `base_env` (the supervisor's own environment), then its
// `environment`, then what its environment files and secrets hold (read now, at each start).
// Returns a message naming the cause when it cannot: unknown user or group, program not
// found in PATH, a program to run as root that someone else could replace (trust.hpp), or an
// environment or secret file that cannot be read, is too big or is not trusted (never a value).
std::variant<LaunchPlan, std::string> plan_launch(const ServiceSpec& spec, char** base_env);

// The step of the child that failed, as it reports it through the exec-status pipe.
enum class ExecStage : int { session, terminal, stdio, directory, groups, gid, uid, capabilities, no_new_privs, exec };
const char* describe(ExecStage stage);

struct ExecFailure {
    ExecStage stage;
    int error;
    std::string str(const LaunchPlan* plan = nullptr) const;
};

struct Launched {
    pid_t pid;
    int status_fd;  // read end of the exec-status pipe (non-blocking, close-on-exec)
};

// Starts executing the plan with its stdout and stderr on `output` (closed here once the child
// has its copies). A launch goes one way: plan_launch (and the caller's additions: the notify
// socket's variable, LogHub::output_for), then launch, then the result. Returns the message
// ("cannot fork: ...") when the child cannot be made; a failed step of the child comes later,
// through the exec-status pipe.
std::variant<Launched, std::string> launch(const LaunchPlan& plan, ChildOutput output);

// What the exec-status pipe says so far, read without blocking.
struct ExecPending {};
struct ExecSucceeded {};
using ExecStatus = std::variant<ExecPending, ExecSucceeded, ExecFailure>;
ExecStatus read_exec_status(int fd);

// Reaps every child that has ended, without blocking; calls `on_exit(pid, wait_status)` for each
// (what one call throws is caught and logged, and the reaping goes on).
void reap_children(const std::function<void(pid_t, int)>& on_exit);

// Sends `sig` to processes left over at shutdown: as PID 1 every process of the namespace
// (kill(-1)); as a subreaper our own children. Returns how many were signalled (PID 1: 1 or 0).
int signal_leftovers(int sig);

// How many processes the kernel's OOM killer killed in the supervisor's memory cgroup
// (`oom_kill` of memory.events in cgroup v2, memory.oom_control in v1); nullopt when there is no
// such file to read.
std::optional<unsigned long> memory_oom_kills();

// True if `sig` is one the supervisor receives through its signalfd (every catchable
// asynchronous signal; SIGSEGV and friends stay synchronous).
bool is_received_signal(int sig);

// Blocks every signal the supervisor receives, so that none sent while it starts up is lost
// (PID 1 drops signals it neither handles nor blocks). Called first thing in main().
void block_received_signals();

// Blocks the received signals and delivers them on the loop. SIGPIPE is ignored.
class SignalReceiver {
   public:
    using Callback = std::function<void(const signalfd_siginfo&)>;
    // Throws std::system_error if the signalfd cannot be made (start-up only).
    void open(uv_loop_t* loop, Callback callback);
    void close();

   private:
    static void on_readable(uv_poll_t* handle, int status, int events) noexcept;
    int fd_ = -1;
    uv_poll_t* poll_ = nullptr;
    Callback callback_;
};

// Unblocks every signal (an empty mask, not the one the process started with): for the client
// commands, which block_received_signals() blocked first thing and which must stay
// interruptible (Ctrl-C).
void unblock_all_signals();

}  // namespace sv
