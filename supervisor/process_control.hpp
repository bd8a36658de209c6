// The seam between the supervisor and the system calls that change other processes: start one,
// signal a process or its group, reap the ones that ended, signal the leftovers at shutdown.
// The supervisor makes these calls only through a ProcessControl (dinit's `bp_sys` is the
// model): the real one, system_processes(), is process.cpp and the kernel; unit tests give a
// fake that records what was asked, invents pids and delivers exits, so that carrying out a
// service's actions and handling its end are tested without a fork.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <variant>

#include "process.hpp"

namespace sv {

class ProcessControl {
   public:
    virtual ~ProcessControl() = default;
    // Starts executing the plan with its output on `output` (process.hpp, launch()); the
    // message when it cannot.
    virtual std::variant<Launched, std::string> launch(const LaunchPlan& plan, ChildOutput output) = 0;
    // As kill(2): a negative pid is a process group. Returns 0, or -1 with errno set.
    virtual int kill(pid_t pid, int sig) = 0;
    // Calls `on_exit(pid, wait_status)` for every child that ended, without blocking.
    virtual void reap(const std::function<void(pid_t, int)>& on_exit) = 0;
    // Shutdown: signals the processes left over (process.hpp, signal_leftovers()).
    virtual int signal_leftovers(int sig) = 0;
    // True while any child (service, check or orphan) exists, ended or not; reaps nothing.
    virtual bool have_children() = 0;
};

// The real processes: fork/exec, kill(2), waitpid(2).
ProcessControl& system_processes();

}  // namespace sv
