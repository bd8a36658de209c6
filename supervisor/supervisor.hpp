// The supervisor: owns the loop's handles, the service table, the reaper, reload and shutdown.
// Where things happen:
//   signals PID 1 receives ........ Supervisor::on_signal        (supervisor.cpp)
//   a child ended (the reaper) .... Supervisor::on_child_exit    (supervisor.cpp)
//   a service's state changes ..... Service (service.cpp); apply() carries out its actions
//   SIGHUP / `supervisor reload` .. Supervisor::reload_directory (reload.cpp)
//   control socket requests ....... Supervisor::on_request       (requests.cpp)
//   a line of a service's output .. LogHub / ServiceLog          (logs.cpp, syslog.cpp)
//   start order, ready, health .... Supervisor::request_start ... (readiness.cpp, checks.cpp)
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "control.hpp"
#include "http.hpp"
#include "logs.hpp"
#include "model.hpp"
#include "process.hpp"
#include "service.hpp"

namespace sv {

struct SupervisorMetrics;

struct Options {
    std::string config_dir = "/etc/supervisor.d";
    // The control socket. Unless `socket_explicit` (--socket or SUPERVISOR_SOCKET), the first
    // default place where one can be made (socket_path.hpp), or none; explicit "" turns it off.
    std::string socket_path;
    bool socket_explicit = false;
    std::vector<std::string> command;  // single-command mode: run this as the critical service "main"
    Duration shutdown_grace{2000};     // leftovers: SIGTERM, this long, then SIGKILL
    // At a shutdown signal, how long services keep running (readiness failing) before they stop;
    // a service's [stop] drain overrides it.
    Duration drain{0};
    std::string http_address;          // --http ADDR:PORT: the probe and metrics server ("": none)
    LogFormat log_format = LogFormat::prefix;  // the supervisor's own messages
};

// Exit statuses of `supervisor` itself (a critical service's own status passes through).
namespace exit_status {
constexpr int ok = 0;
constexpr int failed = 1;     // a control command was refused or did not reach its goal
constexpr int usage = 2;
constexpr int unreachable = 3;  // the client cannot reach the supervisor's socket
constexpr int internal = 70;  // EX_SOFTWARE: the supervisor could not set itself up
constexpr int config = 78;    // EX_CONFIG: invalid service files at boot, or `check` found errors
}  // namespace exit_status

class Supervisor {
   public:
    Supervisor(uv_loop_t* loop, Options options, char** environ);
    ~Supervisor();
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    // Opens the control socket, starts every enabled service, then runs the loop until
    // shutdown is complete. Returns the exit status for PID 1. Throws only while setting up.
    int run(std::vector<ServiceSpec> specs);

   private:
    struct Slot;
    struct Task;
    struct Waiter;

    // supervisor.cpp: the service table, processes, signals, shutdown
    Slot& add(ServiceSpec spec);
    void renew_spec(Slot& slot);
    void remove(const std::string& name);
    void apply(Slot& slot, const Actions& actions);
    void spawn(Slot& slot);
    void start_failed(Slot& slot, const std::string& why);
    void on_exec_status(Slot& slot);
    void on_child_exit(pid_t pid, int status);
    void on_service_ended(Slot& slot, const Outcome& outcome);
    void on_signal(int sig, pid_t sender);
    void forward(int sig);
    void close_exec_pipe(Slot& slot);
    void settle();  // after every batch of events: replacements, removals, waiting replies, shutdown

    // `drain`: services keep running for their drain time first (a shutdown signal or request;
    // not the end of a critical service).
    void begin_shutdown(int exit_code, const std::string& why, bool drain = false);
    void hurry_shutdown();
    Duration drain_of(const Slot& slot) const;
    bool draining(const Slot& slot, TimePoint now) const;  // still in its drain time
    void skip_drain();
    void advance_shutdown();
    void schedule_finish();
    void finish();

    // reload.cpp: the directory, one service's reload, watched files, helper tasks
    void request_reload(std::shared_ptr<Reply> reply);
    void reload_directory();
    void reload_service(Slot& slot, std::shared_ptr<Reply> reply, std::optional<Duration> timeout = {});
    void watch_files(Slot& slot);
    void unwatch_files(Slot& slot);
    using TaskDone = std::function<void(int wait_status, const std::string& output)>;
    void run_task(const ServiceSpec& spec, std::vector<std::string> argv, Duration timeout, TaskDone done);
    bool on_task_exit(pid_t pid, int status);

    void open_control_socket();

    // http_endpoints.cpp: what --http answers
    void open_http();
    HttpResponse on_http(const HttpRequest& request);
    HttpResponse readyz(const std::optional<std::string>& only);
    SupervisorMetrics metrics() const;

    // readiness.cpp: start order, readiness and health checks
    void request_start(Slot& slot);
    bool dependencies_ready(const Slot& slot, std::string* waiting_for = nullptr) const;
    std::string blocked_dependencies(const Slot& slot, const std::vector<std::string>& starting = {}, int depth = 0) const;
    bool dependents_down(const Slot& slot) const;
    void start_waiting();
    void on_running(Slot& slot);
    void on_ready(Slot& slot);
    void schedule_check(Slot& slot, Duration delay);
    void run_check(Slot& slot);
    void end_checks(Slot& slot);
    bool open_notify(Slot& slot, std::string& error);
    void tell_outer_manager(const char* message);  // sd_notify to whoever started PID 1
    void check_all_ready();

    // requests.cpp: the control socket's requests
    void on_request(const Request& request, std::shared_ptr<Reply> reply);
    std::string status_text(const std::vector<Slot*>& slots, bool json) const;
    void wait_for(Waiter waiter, std::optional<Duration> timeout);
    void check_waiters();
    void arm_waiter_timer();
    std::string start_refusal(const Slot& slot, Request::Verb verb, const std::vector<std::string>& starting) const;
    std::optional<std::pair<bool, std::string>> outcome_for(Waiter& waiter, const Slot& slot, pid_t before) const;

    uv_loop_t* loop_;
    Options options_;
    char** environ_;
    LogHub logs_;
    SignalReceiver signals_;
    ControlServer control_;
    HttpServer http_;
    uv_check_t* settle_hook_ = nullptr;
    std::map<std::string, std::unique_ptr<Slot>> services_;
    std::unordered_map<pid_t, Slot*> by_pid_;
    std::unordered_map<pid_t, std::unique_ptr<Task>> tasks_;
    std::vector<Waiter> waiters_;
    uv_timer_t* waiter_timer_ = nullptr;  // the earliest deadline of a waiting request

    uv_timer_t* reload_timer_ = nullptr;  // coalesces bursts of SIGHUP into one reload
    std::vector<std::shared_ptr<Reply>> reload_replies_;

    enum class Phase { running, stopping_services, stopping_leftovers, done };
    Phase phase_ = Phase::running;
    int exit_code_ = exit_status::ok;
    uv_timer_t* grace_timer_ = nullptr;
    uv_timer_t* drain_timer_ = nullptr;  // the next end of a service's drain time
    TimePoint drain_from_{};             // when the drain began; unset: no drain in this shutdown

    uv_timer_t* finish_timer_ = nullptr;
    unsigned long orphans_reaped_ = 0;
    // for /metrics and /healthz
    TimePoint started_at_ = Clock::now();
    uint64_t control_requests_ = 0;
    uint64_t http_requests_ = 0;
    uint64_t reloads_ = 0;
    uint64_t reloads_failed_ = 0;
    uint64_t config_errors_ = 0;  // found by the last load of the directory
    std::string critical_failure_;  // why a critical service ended for good ("": none did)
    std::string outer_notify_;  // PID 1's own NOTIFY_SOCKET (Podman --sdnotify=container, a systemd unit)
    bool outer_ready_ = false;  // READY=1 sent to it
    std::optional<unsigned long> oom_kills_;  // the memory cgroup's OOM kill count when last read
    int passed_to_main_ = 0;  // single-command mode: the last signal PID 1 passed on to the command
};

}  // namespace sv
