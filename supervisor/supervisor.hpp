// The supervisor: owns the loop's handles, the service table, the reaper and shutdown.
// Signals arrive in on_signal(), a child's end in on_child_exit(); each service's state
// changes only inside Service (service.hpp), and apply() carries out what it asks for.
#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model.hpp"
#include "process.hpp"
#include "service.hpp"

namespace sv {

struct Options {
    std::string config_dir = "/etc/supervisor.d";
    std::vector<std::string> command;  // single-command mode: run this as the critical service "main"
    Duration shutdown_grace{2000};     // leftovers: SIGTERM, this long, then SIGKILL
};

// Exit statuses of `supervisor` itself (a critical service's own status passes through).
namespace exit_status {
constexpr int ok = 0;
constexpr int usage = 2;
constexpr int internal = 70;  // EX_SOFTWARE: the supervisor could not set itself up
constexpr int config = 78;    // EX_CONFIG: invalid service files at boot, or `check` found errors
}  // namespace exit_status

class Supervisor {
   public:
    Supervisor(uv_loop_t* loop, Options options, char** environ);
    ~Supervisor();
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    // Starts every enabled service, then runs the loop until shutdown is complete.
    // Returns the exit status for PID 1. Throws only while setting up.
    int run(std::vector<ServiceSpec> specs);

   private:
    struct Slot;

    void add(ServiceSpec spec);
    void apply(Slot& slot, const Actions& actions);
    void spawn(Slot& slot);
    void start_failed(Slot& slot, const std::string& why);
    void on_exec_status(Slot& slot);
    void on_child_exit(pid_t pid, int status);
    void on_service_ended(Slot& slot, const Outcome& outcome);
    void on_signal(int sig, pid_t sender);
    void forward(int sig);
    void close_exec_pipe(Slot& slot);

    void begin_shutdown(int exit_code, const std::string& why);
    void hurry_shutdown();
    void advance_shutdown();
    void finish();

    uv_loop_t* loop_;
    Options options_;
    char** environ_;
    SignalReceiver signals_;
    std::map<std::string, std::unique_ptr<Slot>> services_;
    std::unordered_map<pid_t, Slot*> by_pid_;

    enum class Phase { running, stopping_services, stopping_leftovers, done };
    Phase phase_ = Phase::running;
    int exit_code_ = exit_status::ok;
    uv_timer_t* grace_timer_ = nullptr;
    unsigned long orphans_reaped_ = 0;
};

}  // namespace sv
