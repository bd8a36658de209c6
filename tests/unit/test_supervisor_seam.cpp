// The supervisor over a real libuv loop but fake processes (process_control.hpp): spawns are
// recorded and get invented pids, signals are recorded, exits are delivered through a real
// SIGCHLD to this process (the supervisor's signalfd takes it) and reaped from the fake. So
// apply(), the child-exit path, restarts, backoff, dependency order and shutdown are tested
// without a fork.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "supervisor.hpp"

extern char** environ;

using namespace sv;

namespace {

struct FakeProcesses final : ProcessControl {
    struct Spawn {
        std::string name;  // the plan's argv[1] (the tests run /bin/echo NAME)
        pid_t pid;
    };
    std::vector<Spawn> spawns;
    std::vector<std::pair<pid_t, int>> kills;
    std::deque<std::pair<pid_t, int>> ended;  // reaped at the next SIGCHLD
    std::vector<int> fail_launches;           // errno of the next launches that fail, in order
    std::function<void(const Spawn&)> on_spawn;
    std::function<void(pid_t, int)> on_kill;
    pid_t next_pid = 1000;

    std::variant<Launched, std::string> launch(const LaunchPlan& plan, ChildOutput) override {
        if (!fail_launches.empty()) {
            int error = fail_launches.front();
            fail_launches.erase(fail_launches.begin());
            spawns.push_back({plan.argv.at(1), 0});
            return std::string("cannot fork: ") + std::strerror(error);
        }
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
        ::close(fds[1]);  // EOF on the exec-status pipe: the exec succeeded
        spawns.push_back({plan.argv.at(1), next_pid++});
        if (on_spawn) on_spawn(spawns.back());
        return Launched{spawns.back().pid, fds[0]};
    }
    int kill(pid_t pid, int sig) override {
        kills.push_back({pid, sig});
        if (on_kill) on_kill(pid, sig);
        return 0;
    }
    void reap(const std::function<void(pid_t, int)>& on_exit) override {
        while (!ended.empty()) {
            auto [pid, status] = ended.front();
            ended.pop_front();
            on_exit(pid, status);
        }
    }
    int signal_leftovers(int) override { return 0; }
    bool have_children() override { return false; }

    // The process ends with `status`; the supervisor learns it as it would: a SIGCHLD.
    void end(pid_t pid, int status) {
        ended.push_back({pid, status});
        ::kill(::getpid(), SIGCHLD);
    }
    pid_t pid_of(const std::string& name) const {
        for (auto it = spawns.rbegin(); it != spawns.rend(); ++it)
            if (it->name == name) return it->pid;
        return 0;
    }
};

ServiceSpec service(const std::string& name) {
    ServiceSpec spec;
    spec.name = name;
    spec.command = {"/bin/echo", name};
    spec.log.stdout_mode = spec.log.stderr_mode = LogMode::null;
    spec.restart.delay = Duration{5};
    spec.restart.max_delay = Duration{20};
    spec.stop.timeout = Duration{20};
    return spec;
}

// Runs a supervisor over `specs` and the fake until it shuts down; returns its exit status.
// The signals it takes through its signalfd stay blocked only while it runs; its messages (to
// stdout and stderr, which it takes over) go to /dev/null.
int run_supervisor(FakeProcesses& fake, std::vector<ServiceSpec> specs) {
    sigset_t before;
    ::sigprocmask(SIG_SETMASK, nullptr, &before);
    std::fflush(nullptr);
    int saved_out = ::dup(1), saved_err = ::dup(2), null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::close(null);
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_st>()));
    uv_loop_t loop;
    uv_loop_init(&loop);
    Options options;
    options.socket_explicit = true;  // with an empty path: no control socket
    options.shutdown_grace = Duration{10};
    int status;
    {
        Supervisor supervisor(&loop, options, environ, fake);
        status = supervisor.run(std::move(specs));
    }
    uv_run(&loop, UV_RUN_DEFAULT);  // the close callbacks
    uv_loop_close(&loop);
    ::sigprocmask(SIG_SETMASK, &before, nullptr);
    spdlog::set_default_logger(previous);
    ::dup2(saved_out, 1);
    ::dup2(saved_err, 2);
    ::close(saved_out);
    ::close(saved_err);
    return status;
}

int exited(int code) { return W_EXITCODE(code, 0); }
int killed(int sig) { return W_EXITCODE(0, sig); }

bool sent(const FakeProcesses& fake, pid_t pid, int sig) {
    for (auto& k : fake.kills)
        if (k.first == pid && k.second == sig) return true;
    return false;
}

}  // namespace

TEST_CASE("seam: a crash is reaped, restarted after its backoff, and a critical service that gives up shuts down with its status") {
    FakeProcesses fake;
    fake.on_spawn = [&](const FakeProcesses::Spawn& s) { fake.end(s.pid, exited(3)); };
    ServiceSpec web = service("web");
    web.critical = true;
    web.restart.policy = RestartPolicy::always;
    web.restart.max_retries = 3;
    CHECK(run_supervisor(fake, {web}) == 3);
    REQUIRE(fake.spawns.size() == 3);
    // After each end, what it left in its group is told to go.
    for (auto& s : fake.spawns) {
        CHECK(sent(fake, -s.pid, SIGTERM));
        CHECK(sent(fake, -s.pid, SIGCONT));
    }
}

TEST_CASE("seam: a fork that fails is a failed start with backoff, then the start succeeds") {
    FakeProcesses fake;
    fake.fail_launches = {EAGAIN};
    int runs = 0;
    fake.on_spawn = [&](const FakeProcesses::Spawn& s) {
        ++runs;
        fake.end(s.pid, exited(0));  // a job that finished
    };
    ServiceSpec job = service("job");
    job.critical = true;
    job.restart.policy = RestartPolicy::on_failure;
    CHECK(run_supervisor(fake, {job}) == 0);
    REQUIRE(fake.spawns.size() == 2);
    CHECK(fake.spawns[0].pid == 0);  // the refused fork
    CHECK(runs == 1);
    CHECK(fake.kills.size() == 2);  // SIGTERM and SIGCONT to the group of the run that ended, none for the refused one
}

TEST_CASE("seam: a oneshot's success starts its dependent; shutdown stops the dependent first, then SIGKILLs the one that stays") {
    FakeProcesses fake;
    bool setup_done = false, db_gone = false;
    fake.on_spawn = [&](const FakeProcesses::Spawn& s) {
        if (s.name == "setup") fake.end(s.pid, exited(0)), setup_done = true;
        if (s.name == "app") {
            CHECK(setup_done);
            ::kill(::getpid(), SIGTERM);  // docker stop
        }
    };
    fake.on_kill = [&](pid_t pid, int sig) {
        // app goes at SIGTERM; db ignores it and goes only at SIGKILL
        if (pid == -fake.pid_of("app") && sig == SIGTERM) fake.end(fake.pid_of("app"), killed(SIGTERM));
        if (pid == -fake.pid_of("db") && sig == SIGKILL && !db_gone) fake.end(fake.pid_of("db"), killed(SIGKILL)), db_gone = true;
    };
    ServiceSpec setup = service("setup"), db = service("db"), app = service("app");
    setup.type = ServiceType::oneshot;
    setup.restart.policy = RestartPolicy::never;
    db.restart.policy = app.restart.policy = RestartPolicy::always;
    app.after = {"setup", "db"};
    CHECK(run_supervisor(fake, {app, db, setup}) == 0);
    REQUIRE(fake.spawns.size() == 3);
    CHECK(fake.spawns[2].name == "app");
    pid_t app_pid = fake.pid_of("app"), db_pid = fake.pid_of("db");
    auto first = [&](pid_t pid, int sig) {
        for (size_t i = 0; i < fake.kills.size(); ++i)
            if (fake.kills[i] == std::pair{pid, sig}) return i;
        FAIL("not sent");
        return size_t{0};
    };
    CHECK(first(-app_pid, SIGTERM) < first(-db_pid, SIGTERM));  // the dependent stops first
    CHECK(first(-db_pid, SIGTERM) > first(-app_pid, SIGKILL));  // once it is down (its group cleared)
    CHECK(sent(fake, -db_pid, SIGKILL));                        // db outlived its stop timeout
}
