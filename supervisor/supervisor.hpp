// The supervisor: owns the loop's handles, the service table, the reaper, reload and shutdown.
// Where things happen:
//   signals PID 1 receives ........ Supervisor::on_signal        (supervisor.cpp)
//   a child ended (the reaper) .... Supervisor::on_child_exit    (supervisor.cpp)
//   a service's state changes ..... Service (service.cpp); apply() carries out its actions
//   who may start / stop .......... dependencies.cpp (pure), asked by readiness.cpp, shutdown
//   spawn, signal, reap ........... through ProcessControl (process_control.hpp)
//   SIGHUP / `supervisor reload` .. Supervisor::reload_directory (reload.cpp)
//   control socket requests ....... Supervisor::on_request       (requests.cpp)
//   a line of a service's output .. LogHub / ServiceLog          (logs.cpp, syslog.cpp)
//   start order, checks, notify ... Supervisor::request_start, run_check (readiness.cpp, checks.cpp)
//   HTTP probes and metrics ....... Supervisor::on_http          (http_endpoints.cpp, http.cpp)
//   drain, then the ordered stop .. Supervisor::begin_shutdown, advance_shutdown (supervisor.cpp)
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
#include "dependencies.hpp"
#include "http.hpp"
#include "logs.hpp"
#include "model.hpp"
#include "options.hpp"
#include "process.hpp"
#include "process_control.hpp"
#include "service.hpp"
#include "service_entry.hpp"
#include "tasks.hpp"

namespace sv {

struct SupervisorMetrics;

// The table is a ServiceTable (dependencies.hpp) for the rules between services.
class Supervisor : private ServiceTable {
   public:
    // `processes`: where spawns, signals and reaps go (process_control.hpp); a fake in tests.
    Supervisor(uv_loop_t* loop, Options options, char** environ, ProcessControl& processes = system_processes());
    ~Supervisor() override;
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    // Opens the control socket, starts every enabled service, then runs the loop until
    // shutdown is complete. Returns the exit status for PID 1. Throws only while setting up.
    int run(std::vector<ServiceSpec> specs);

   private:
    // supervisor.cpp: the service table, processes, signals, shutdown
    ServiceEntry& add(ServiceSpec spec);
    void renew_spec(ServiceEntry& slot);
    void remove(const std::string& name);
    void apply(ServiceEntry& slot, const Actions& actions);
    void signal_group(ServiceEntry& slot, int signal);
    void spawn(ServiceEntry& slot);
    void start_failed(ServiceEntry& slot, const std::string& why);
    void on_exec_status(ServiceEntry& slot);
    void on_child_exit(pid_t pid, int status);
    void on_service_ended(ServiceEntry& slot, Outcome outcome);
    void on_signal(int sig, pid_t sender);
    void forward(int sig);
    void close_exec_pipe(ServiceEntry& slot);
    void after_events();  // after every batch of events: replacements, removals, waiting replies, shutdown

    // `drain`: services keep running for their drain time first (a shutdown signal or request;
    // not the end of a critical service).
    void begin_shutdown(int exit_code, const std::string& why, bool drain = false);
    void hurry_shutdown();
    Duration drain_of(const ServiceEntry& slot) const;
    bool draining(const ServiceEntry& slot, TimePoint now) const;  // still in its drain time
    void skip_drain();
    void advance_shutdown();
    void schedule_finish();
    void finish();

    // reload.cpp: the directory, one service's reload, watched files
    void request_reload(std::shared_ptr<Reply> reply);
    void reload_directory();
    void reload_service(ServiceEntry& slot, std::shared_ptr<Reply> reply, std::optional<Duration> timeout = {});
    void carry_out_reload(const std::string& name, std::shared_ptr<Reply> reply, std::optional<Duration> timeout);
    void watch_files(ServiceEntry& slot);
    void unwatch_files(ServiceEntry& slot);

    void open_control_socket();

    // http_endpoints.cpp: what --http answers
    void open_http();
    HttpResponse on_http(const HttpRequest& request);
    HttpResponse readyz(const std::optional<std::string>& only);
    SupervisorMetrics metrics() const;

    // readiness.cpp: start order, readiness and health checks
    const Service* find(const std::string& name) const override;
    void for_each(const std::function<void(const Service&)>& visit) const override;
    void request_start(ServiceEntry& slot);
    void start_waiting();
    void schedule_check(ServiceEntry& slot, Duration delay);
    void run_check(ServiceEntry& slot);
    void end_checks(ServiceEntry& slot);
    bool open_notify(ServiceEntry& slot, std::string& error);
    void tell_outer_manager(const char* message);  // sd_notify to whoever started PID 1
    void check_all_ready();

    // requests.cpp: the control socket's requests
    void on_request(const Request& request, std::shared_ptr<Reply> reply);
    void set_goals(const Request& request, const std::vector<ServiceEntry*>& slots, std::shared_ptr<Reply> reply);
    std::string status_text(const std::vector<ServiceEntry*>& slots, bool json) const;
    void wait_for(PendingRequest waiter, std::optional<Duration> timeout);
    void check_waiters();
    std::optional<std::pair<bool, std::string>> decide(PendingRequest& waiter, size_t target);
    void arm_pending_timer();
    std::string start_refusal(const ServiceEntry& slot, Request::Verb verb, const std::vector<std::string>& starting) const;
    std::optional<std::pair<bool, std::string>> outcome_for(PendingRequest& waiter, const ServiceEntry& slot, pid_t before) const;

    uv_loop_t* loop_;
    Options options_;
    char** environ_;
    ProcessControl& processes_;
    LogHub logs_;
    SignalReceiver signals_;
    ControlServer control_;
    HttpServer http_;
    uv_check_t* after_events_hook_ = nullptr;
    std::map<std::string, std::unique_ptr<ServiceEntry>> services_;
    std::unordered_map<pid_t, ServiceEntry*> by_pid_;
    Tasks tasks_;  // helper processes: [reload] checks, command probes, the resolver
    std::vector<PendingRequest> pending_requests_;
    uv_timer_t* pending_timer_ = nullptr;  // the earliest deadline of a waiting request

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
