#include "process.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "boundary.hpp"
#include "environment.hpp"
#include "trust.hpp"
#include "parse.hpp"
#include "users.hpp"

namespace sv {

namespace {

bool is_executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Sets NAME=value in an environment list, replacing an earlier NAME.
void set_env(std::vector<std::string>& env, const std::string& name, const std::string& value) {
    std::string prefix = name + "=";
    for (auto& entry : env)
        if (entry.compare(0, prefix.size(), prefix) == 0) {
            entry = prefix + value;
            return;
        }
    env.push_back(prefix + value);
}

std::string get_env(const std::vector<std::string>& env, const std::string& name) {
    std::string prefix = name + "=";
    for (auto& entry : env)
        if (entry.compare(0, prefix.size(), prefix) == 0) return entry.substr(prefix.size());
    return {};
}

// The supervisor's own capability sets (effective, permitted), as capget reports them.
struct OwnCapabilities {
    unsigned long long effective = 0, permitted = 0;
    bool has(int cap) const { return effective & (1ull << cap); }
};

OwnCapabilities own_capabilities() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    OwnCapabilities caps;
    if (::syscall(SYS_capget, &header, data) < 0) return caps;
    for (int i = 0; i < 2; ++i) {
        caps.effective |= static_cast<unsigned long long>(data[i].effective) << (32 * i);
        caps.permitted |= static_cast<unsigned long long>(data[i].permitted) << (32 * i);
    }
    return caps;
}

// Why the supervisor, as it runs now, cannot run a service as `plan`'s user (empty: it can).
// Switching needs CAP_SETGID (setgroups) and CAP_SETUID; a service of another uid can be
// stopped only with CAP_KILL. Said before fork, so that it is that service's error, with the
// reason, and not an EPERM of some step in the child.
std::string user_switch_problem(const LaunchPlan& plan, const std::string& user, const OwnCapabilities& caps) {
    uid_t uid = ::getuid(), euid = ::geteuid();
    bool other_uid = plan.uid != uid || plan.uid != euid;
    std::vector<std::string> missing;
    if (!caps.has(CAP_SETGID)) missing.push_back("CAP_SETGID");
    if (other_uid && !caps.has(CAP_SETUID)) missing.push_back("CAP_SETUID");
    std::string who = "cannot switch to user '" + user + "' (uid " + std::to_string(plan.uid) + "): the supervisor (uid " +
                      std::to_string(euid) + ") lacks ";
    if (!missing.empty()) return who + (missing.size() == 1 ? missing[0] : missing[0] + " and " + missing[1]);
    if (plan.uid != uid && plan.uid != euid && !caps.has(CAP_KILL)) return who + "CAP_KILL, so it could not stop it";
    return {};
}

// Child-to-parent report of a failed step; written once, then the child exits 127.
struct ExecReport {
    int stage;
    int error;
};

// runs after fork: async-signal-safe only
[[noreturn]] void fail_child(int fd, ExecStage stage) {
    ExecReport report{static_cast<int>(stage), errno};
    ssize_t ignored = ::write(fd, &report, sizeof report);
    (void)ignored;
    ::_exit(127);
}

// The kernel's struct sigaction, for the raw system call: glibc's sigaction() refuses signals
// 32 and 33 (its own), and those too may be ignored (make, for one, starts its children so).
struct KernelSigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    unsigned long long mask;
};

// The signals the supervisor ignores (inherited from whoever started it, and SIGPIPE). Caught
// signals go back to their default at exec by themselves; ignored ones would stay ignored in
// every service. Read once, at the first launch: the supervisor sets no disposition after
// SignalReceiver::open, which comes first.
unsigned long long ignored_signals() {
    static const unsigned long long mask = [] {
        unsigned long long bits = 0;
        for (int sig = 1; sig < NSIG && sig <= 64; ++sig) {
            KernelSigaction current{};
            if (::syscall(SYS_rt_sigaction, sig, nullptr, &current, sizeof current.mask) == 0 && current.handler == SIG_IGN)
                bits |= 1ull << (sig - 1);
        }
        return bits;
    }();
    return mask;
}

// runs after fork: async-signal-safe only. Every pointer was prepared before fork.
[[noreturn]] void run_child(const LaunchPlan& plan, int stdout_fd, int stderr_fd, char* const* argv, char* const* envp,
                            int report_fd, unsigned long long ignored) {
    const char* path = plan.path.c_str();
    const gid_t* groups = plan.groups.data();
    size_t group_count = plan.groups.size();
    // Default dispositions for the signals the supervisor ignores (every signal is blocked
    // until just before exec, so no handler of ours can run here).
    KernelSigaction dfl{SIG_DFL, 0, nullptr, 0};
    for (int sig = 1; ignored != 0 && sig <= 64; ++sig, ignored >>= 1)
        if (ignored & 1) ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);

    if (plan.foreground) {
        if (::setpgid(0, 0) < 0) fail_child(report_fd, ExecStage::session);
        // Take the terminal, as a shell does for a foreground job. SIGTTOU is still blocked.
        if (::isatty(STDIN_FILENO) && ::tcsetpgrp(STDIN_FILENO, ::getpid()) < 0) fail_child(report_fd, ExecStage::terminal);
    } else {
        if (::setsid() < 0) fail_child(report_fd, ExecStage::session);
        int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0) fail_child(report_fd, ExecStage::stdio);
    }
    if (stdout_fd >= 0 && ::dup2(stdout_fd, STDOUT_FILENO) < 0) fail_child(report_fd, ExecStage::stdio);
    if (stderr_fd >= 0 && ::dup2(stderr_fd, STDERR_FILENO) < 0) fail_child(report_fd, ExecStage::stdio);

    if (!plan.directory.empty() && ::chdir(plan.directory.c_str()) < 0) fail_child(report_fd, ExecStage::directory);
    if (plan.umask) ::umask(static_cast<mode_t>(*plan.umask));
    if (plan.limit_capabilities) {
        // Only what the bounding set still holds is dropped. Dropping needs CAP_SETPCAP; a
        // supervisor without it cannot shrink the set, so the service gets no_new_privs instead:
        // then no setuid binary or file capability can give it what it may not have.
        bool cannot_drop = false;
        for (int cap = 0; cap <= 63; ++cap) {
            if ((plan.capabilities & (1ull << cap)) || ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1) continue;
            if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
            if (errno != EPERM) fail_child(report_fd, ExecStage::capabilities);
            cannot_drop = true;
        }
        if (cannot_drop && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail_child(report_fd, ExecStage::no_new_privs);
        if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail_child(report_fd, ExecStage::capabilities);
    }
    if (plan.change_user) {
        // Raw system calls: glibc's wrappers would try to reach the threads of the process whose
        // memory this child shares (see launch).
        if (::syscall(SYS_setgroups, group_count, groups) < 0) fail_child(report_fd, ExecStage::groups);
        if (::syscall(SYS_setgid, plan.gid) < 0) fail_child(report_fd, ExecStage::gid);
        if (::syscall(SYS_setuid, plan.uid) < 0) fail_child(report_fd, ExecStage::uid);
    }
    if (plan.limit_capabilities) {
        // Permitted, effective and inheritable hold exactly the kept set; ambient carries it
        // across exec of an ordinary binary by a non-root user.
        __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[2] = {};
        for (int i = 0; i < 2; ++i) {
            auto bits = static_cast<__u32>(plan.capabilities >> (32 * i));
            data[i].effective = data[i].permitted = data[i].inheritable = bits;
        }
        if (::syscall(SYS_capset, &header, data) < 0) fail_child(report_fd, ExecStage::capabilities);
        for (int cap = 0; cap <= 63; ++cap)
            if ((plan.capabilities & (1ull << cap)) && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                fail_child(report_fd, ExecStage::capabilities);
    }
    if (plan.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail_child(report_fd, ExecStage::no_new_privs);
    // Nothing of the supervisor's beyond 0-2 may reach the service, even descriptors it inherited.
    ::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);

    sigset_t empty;
    ::sigemptyset(&empty);
    ::sigprocmask(SIG_SETMASK, &empty, nullptr);
    ::execve(path, argv, envp);
    fail_child(report_fd, ExecStage::exec);
}

struct ChildArgs {
    const LaunchPlan& plan;
    int stdout_fd;
    int stderr_fd;
    char* const* argv;
    char* const* envp;
    int report_fd;
    unsigned long long ignored;
};

int child_main(void* raw) {
    auto* a = static_cast<ChildArgs*>(raw);
    run_child(a->plan, a->stdout_fd, a->stderr_fd, a->argv, a->envp, a->report_fd, a->ignored);
}

sigset_t received_signals() {
    sigset_t set;
    ::sigemptyset(&set);
    for (int sig = 1; sig <= SIGRTMAX; ++sig)
        if (is_received_signal(sig)) ::sigaddset(&set, sig);
    return set;
}

}  // namespace

const char* describe(ExecStage stage) {
    switch (stage) {
        case ExecStage::session: return "cannot create a process group";
        case ExecStage::terminal: return "cannot take the terminal";
        case ExecStage::stdio: return "cannot set up stdin/stdout/stderr";
        case ExecStage::directory: return "cannot change to directory";
        case ExecStage::groups: return "cannot set supplementary groups";
        case ExecStage::gid: return "cannot change group";
        case ExecStage::uid: return "cannot change user";
        case ExecStage::capabilities: return "cannot set capabilities";
        case ExecStage::no_new_privs: return "cannot set no_new_privs";
        case ExecStage::exec: return "cannot execute";
    }
    return "cannot start";
}

std::string ExecFailure::str(const LaunchPlan* plan) const {
    std::string out = describe(stage);
    if (plan) {
        if (stage == ExecStage::directory) out += " " + plan->directory;
        if (stage == ExecStage::exec) out += " " + plan->path;
        if (stage == ExecStage::uid) out += " to uid " + std::to_string(plan->uid);
        if (stage == ExecStage::gid) out += " to gid " + std::to_string(plan->gid);
    }
    return out + ": " + std::strerror(error);
}

namespace {

// The plan's uid, gid and groups for `user` (and `group`); the message when they cannot be had.
std::string plan_user(const ServiceSpec& spec, LaunchPlan& plan) {
    if (spec.user.empty()) return spec.group.empty() ? "" : "`group` needs `user` as well";
    plan.change_user = true;
    auto user = find_user(spec.user);
    auto uid = parse_id(spec.user);
    if (!uid && is_number(spec.user)) return "user " + spec.user + " is out of range (uids are 0 to " + std::to_string(kMaxId) + ")";
    if (!user && !uid) return "unknown user '" + spec.user + "' (not in /etc/passwd)";
    if (user) {
        plan.uid = user->uid;
        plan.gid = user->gid;
        set_env(plan.envp, "HOME", user->home);
        set_env(plan.envp, "USER", user->name);
        set_env(plan.envp, "LOGNAME", user->name);
    } else {
        // A bare uid: group nogroup (65534), not docker's group 0, unless `group` says so. With
        // gid 0 a service could write every group-0-writable file of the image (trust.hpp).
        plan.uid = static_cast<uid_t>(*uid);
        plan.gid = kBareUidGid;
    }
    if (!spec.group.empty()) {
        auto gid = find_group(spec.group);
        if (!gid) return "unknown group '" + spec.group + "' (not in /etc/group)";
        plan.gid = *gid;
    }
    plan.groups = user ? groups_of(user->name, plan.gid) : std::vector<gid_t>{plan.gid};
    return "";
}

// Whether the supervisor can switch to the plan's user and keep its capabilities; the message
// when it cannot.
std::string privileges_problem(const ServiceSpec& spec, LaunchPlan& plan) {
    OwnCapabilities caps = own_capabilities();
    if (plan.change_user && !caps.has(CAP_SETGID) && plan.uid == ::getuid() && plan.uid == ::geteuid() &&
        plan.gid == ::getgid() && plan.gid == ::getegid()) {
        plan.change_user = false;  // already that user and group (`user` names the uid it runs as): nothing to switch
    }
    if (plan.change_user) {
        std::string problem = user_switch_problem(plan, spec.user, caps);
        if (!problem.empty()) return problem;
    }
    for (int cap = 0; cap <= 63; ++cap)
        if ((plan.capabilities & (1ull << cap)) && !(caps.permitted & (1ull << cap)))
            return "cannot keep " + capability_name(cap) + ": the supervisor does not hold it (capabilities)";
    return "";
}

// The program's path: as given when it has a slash, else the first executable file of that
// name in the plan's PATH. The message when there is none (`path_from_file`: PATH was read
// from an environment file, and a value read from a file is never shown: it may be anyone's).
std::string find_program(LaunchPlan& plan, bool path_from_file) {
    const std::string& program = plan.argv.at(0);
    if (program.find('/') != std::string::npos) {
        plan.path = program;  // relative paths resolve against `directory` in the child
        return "";
    }
    std::string search = get_env(plan.envp, "PATH");
    if (search.empty()) search = kDefaultPath;
    for (size_t start = 0; start <= search.size();) {
        size_t end = search.find(':', start);
        if (end == std::string::npos) end = search.size();
        std::string dir = search.substr(start, end - start);
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
        if (is_executable_file(candidate)) {
            plan.path = candidate;
            return "";
        }
        start = end + 1;
    }
    return "cannot find '" + program + "' in PATH (" + (path_from_file ? "as an environment_file sets it" : search) + ")";
}

}  // namespace

std::variant<LaunchPlan, std::string> plan_launch(const ServiceSpec& spec, char** base_env) {
    LaunchPlan plan;
    plan.argv = spec.shell ? std::vector<std::string>{"/bin/sh", "-c", spec.command.at(0)} : spec.command;
    for (char** e = base_env; e && *e; ++e) plan.envp.emplace_back(*e);
    plan.directory = spec.directory;
    plan.umask = spec.umask;
    plan.foreground = spec.foreground;
    plan.no_new_privs = spec.no_new_privs;
    if (spec.capabilities) {
        plan.limit_capabilities = true;
        for (int cap : *spec.capabilities) plan.capabilities |= 1ull << cap;
    }
    if (std::string why = plan_user(spec, plan); !why.empty()) return why;
    if (std::string why = privileges_problem(spec, plan); !why.empty()) return why;

    for (auto& [name, value] : spec.environment) set_env(plan.envp, name, value);
    EnvVars read;
    if (std::string why = read_service_environment(spec, read); !why.empty()) return why;
    for (auto& [name, value] : read) set_env(plan.envp, name, value);
    bool path_from_file = std::any_of(read.begin(), read.end(), [](const auto& v) { return v.first == "PATH"; });
    if (std::string why = find_program(plan, path_from_file); !why.empty()) return why;

    // A program PID 1 runs as root (or as itself) must not be one a lesser service can replace.
    if (!plan.change_user || plan.uid == 0) {
        std::string full = plan.path;
        if (full[0] != '/') full = (plan.directory.empty() ? std::string(".") : plan.directory) + "/" + full;
        if (Distrust d = untrusted_path(full))
            return "refused to run " + full + " with the supervisor's privileges: " + d.why +
                   "; anyone who can write there could run code as root (fix: " + d.fix + ")";
    }
    return plan;
}

std::variant<Launched, std::string> launch(const LaunchPlan& plan, ChildOutput output) {
    std::vector<char*> argv, envp;
    for (auto& a : plan.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : plan.envp) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    int report[2];
    if (::pipe2(report, O_CLOEXEC | O_NONBLOCK) < 0) return std::string("cannot make a pipe: ") + std::strerror(errno);

    // The child borrows the supervisor's memory until it execs (CLONE_VM | CLONE_VFORK, as
    // posix_spawn does): no page tables to copy, which is most of what a fork costs here, and
    // the loop waits only for the child's few system calls. Every signal is blocked meanwhile,
    // and the supervisor installs no handler that could run in the child (signals come through
    // a signalfd); the child touches nothing of ours but its own stack and errno.
    ChildArgs args{plan, output.out(), output.err(), argv.data(), envp.data(), report[1], ignored_signals()};
    sigset_t all, old;
    ::sigfillset(&all);
    ::sigprocmask(SIG_BLOCK, &all, &old);
#if defined(__SANITIZE_ADDRESS__)
    pid_t pid = ::fork();  // AddressSanitizer does not follow a shared-memory child
    if (pid == 0) child_main(&args);
#else
    alignas(16) static char stack[64 * 1024];
    pid_t pid = ::clone(child_main, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
#endif
    int fork_error = errno;
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    ::close(report[1]);
    output.close();  // the child has its copies
    if (pid < 0) {
        ::close(report[0]);
        return std::string("cannot fork: ") + std::strerror(fork_error);
    }
    return Launched{pid, report[0]};
}

ExecStatus read_exec_status(int fd) {
    ExecReport report{};
    ssize_t n;
    do n = ::read(fd, &report, sizeof report);
    while (n < 0 && errno == EINTR);
    if (n == 0) return ExecSucceeded{};
    if (n == static_cast<ssize_t>(sizeof report)) return ExecFailure{static_cast<ExecStage>(report.stage), report.error};
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return ExecPending{};
    return ExecFailure{ExecStage::exec, n < 0 ? errno : EIO};
}

void reap_children(const std::function<void(pid_t, int)>& on_exit) {
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            at_boundary("a child's exit", [&] { on_exit(pid, status); });  // the others are still reaped
            continue;
        }
        if (pid < 0 && errno == EINTR) continue;
        return;  // 0: children remain but none has ended; ECHILD: no children at all
    }
}

std::optional<unsigned long> memory_oom_kills() {
    auto lines = [](const std::string& text) {
        std::vector<std::string> out;
        for (size_t start = 0; start < text.size();) {
            size_t end = std::min(text.find('\n', start), text.size());
            out.push_back(text.substr(start, end - start));
            start = end + 1;
        }
        return out;
    };
    std::string cgroups;
    if (!read_file("/proc/self/cgroup", cgroups)) return std::nullopt;
    // "0::/path" (v2) or "N:memory:/path" (v1). Inside a cgroup namespace, or where only the
    // container's own cgroup is mounted, the hierarchy's root is the right file.
    std::vector<std::string> candidates;
    for (const std::string& line : lines(cgroups)) {
        size_t first = line.find(':'), second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        std::string controllers = line.substr(first + 1, second - first - 1), path = line.substr(second + 1);
        if (path == "/") path.clear();
        if (controllers.empty()) {
            candidates.push_back("/sys/fs/cgroup" + path + "/memory.events");
            candidates.push_back("/sys/fs/cgroup/memory.events");
        } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
            candidates.push_back("/sys/fs/cgroup/memory" + path + "/memory.oom_control");
            candidates.push_back("/sys/fs/cgroup/memory/memory.oom_control");
        }
    }
    for (const std::string& file : candidates) {
        std::string text;
        if (!read_file(file, text)) continue;
        for (const std::string& line : lines(text))
            if (line.rfind("oom_kill ", 0) == 0)
                if (auto count = parse_number<unsigned long>(line.substr(9))) return count;
    }
    return std::nullopt;
}

int signal_leftovers(int sig) {
    if (::getpid() == 1) return ::kill(-1, sig) == 0 ? 1 : 0;
    // As a subreaper, our leftovers are the processes whose parent we are.
    int count = 0;
    pid_t self = ::getpid();
    DIR* proc = ::opendir("/proc");
    if (!proc) return 0;
    while (dirent* entry = ::readdir(proc)) {
        auto pid = parse_number<unsigned long>(entry->d_name);
        if (!pid) continue;
        char path[64], buf[512];
        std::snprintf(path, sizeof path, "/proc/%lu/stat", *pid);
        int fd = ::open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = ::read(fd, buf, sizeof buf - 1);
        ::close(fd);
        if (n <= 0) continue;
        buf[n] = 0;
        const char* after_name = std::strrchr(buf, ')');  // the name may hold spaces and parens
        int ppid = 0;
        char state = 0;
        if (after_name && std::sscanf(after_name + 1, " %c %d", &state, &ppid) == 2 && ppid == self && state != 'Z') {
            ::kill(static_cast<pid_t>(*pid), sig);
            ++count;
        }
    }
    ::closedir(proc);
    return count;
}

bool is_received_signal(int sig) {
    switch (sig) {
        case SIGKILL: case SIGSTOP:                                   // cannot be caught
        case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL:          // synchronous: our own faults
        case SIGTRAP: case SIGSYS: case SIGABRT:
        case SIGPIPE:                                                 // ignored: EPIPE is enough
            return false;
        default:
            // glibc keeps the first two real-time signals for itself.
            return sig >= 1 && sig <= SIGRTMAX && (sig < 32 || sig >= SIGRTMIN);
    }
}

void block_received_signals() {
    sigset_t set = received_signals();
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
}

void SignalReceiver::open(uv_loop_t* loop, Callback callback) {
    callback_ = std::move(callback);
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t set = received_signals();
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) < 0) throw std::system_error(errno, std::generic_category(), "sigprocmask");
    fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
    poll_ = new uv_poll_t;
    poll_->data = this;
    uv_poll_init(loop, poll_, fd_);
    uv_poll_start(poll_, UV_READABLE, &SignalReceiver::on_readable);
}

void SignalReceiver::close() {
    if (!poll_) return;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
    ::close(fd_);
    fd_ = -1;
}

void SignalReceiver::on_readable(uv_poll_t* handle, int, int) noexcept {
    auto* self = static_cast<SignalReceiver*>(handle->data);
    signalfd_siginfo info[16];
    while (self->fd_ >= 0) {  // a callback may close the receiver (the end of a shutdown)
        ssize_t n = ::read(self->fd_, info, sizeof info);
        if (n <= 0) return;
        for (ssize_t i = 0; i < n / static_cast<ssize_t>(sizeof info[0]); ++i)
            at_boundary("a signal", [&] { self->callback_(info[i]); });  // one failed signal costs no other
    }
}

void unblock_all_signals() {
    sigset_t empty;
    ::sigemptyset(&empty);
    ::sigprocmask(SIG_SETMASK, &empty, nullptr);
}

}  // namespace sv
