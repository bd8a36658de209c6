#include "process_control.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <utility>

namespace sv {

namespace {

class SystemProcesses final : public ProcessControl {
   public:
    std::variant<Launched, std::string> launch(const LaunchPlan& plan, ChildOutput output) override {
        return sv::launch(plan, std::move(output));
    }
    int kill(pid_t pid, int sig) override { return ::kill(pid, sig); }
    void reap(const std::function<void(pid_t, int)>& on_exit) override { reap_children(on_exit); }
    int signal_leftovers(int sig) override { return sv::signal_leftovers(sig); }
    bool have_children() override {
        siginfo_t info{};
        return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
    }
};

}  // namespace

ProcessControl& system_processes() {
    static SystemProcesses processes;
    return processes;
}

}  // namespace sv
