// benchsvc: the one workload program of the benchmark suite, the same binary for every
// supervisor (ours and the peers), built static so that exec costs the same everywhere and no
// dynamic loader time is counted in a latency.
//
// Every timestamp is CLOCK_REALTIME in nanoseconds (comparable across processes and with
// bash's $EPOCHREALTIME), appended as one short line with O_APPEND to the file named by
// $BENCH_OUT, so that many services can share one file without interleaving.
//
// Service modes (what the supervisor runs):
//   restart            "S <ns>" at start, sleeps 1.2 s, "E <ns>" just before exit(0)
//   long [NAME]        "S <ns> NAME <pid>" at start, then waits; on SIGTERM "T <ns> NAME", exit(0)
//   crash              "S <ns>" at start, exit(1) at once
//   orphans [N]        makes N orphans (default 2000) that exit at the same moment; writes
//                      "orphans N reap_ms X left_1s Y" (X: ms from their release until the last
//                      one was reaped by PID 1, -1 if not within 2 s; Y: not yet reaped 1 s
//                      after the release), then waits. With BENCH_HOLD=FILE: see held_orphans
// Run as `run` (s6 and runit service directories link ./run to this binary): the mode is
// $BENCH_MODE and NAME is the service directory's name (the current directory).
//
// Harness modes:
//   execstamp FILE CMD ARGS...   writes "<ns>" to FILE, then execs CMD (keeps the pid: PID 1)
//   respawn N MODE ARGS...       the floor of a restart: a bare loop that forks, execs
//                                `benchsvc MODE ARGS...`, and waits for it, N times
//   spawn N MODE                 the floor of a start-up: forks and execs `benchsvc MODE sNNN`
//                                N times in a row, then reaps whatever ends
//   reap CMD ARGS...             the floor of a reaper: runs CMD, then does nothing but wait(2)
//   killwait PID SIGNAL TIMEOUT_MS
//                                sends SIGNAL to PID (any process, not only a child) and
//                                prints the ms until it has exited (pidfd), or "timeout"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char* out_path(void) {
    const char* p = getenv("BENCH_OUT");
    return p && *p ? p : "bench.out";
}

// One line, one write(2), O_APPEND: atomic with respect to the other services' lines.
static void emit(const char* line) {
    int fd = open(out_path(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    ssize_t ignored = write(fd, line, strlen(line));
    (void)ignored;
    close(fd);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

static char name_buf[256] = "?";

static void on_term(int sig) {
    (void)sig;
    char line[320];
    snprintf(line, sizeof line, "T %lld %s\n", now_ns(), name_buf);
    emit(line);
    _exit(0);
}

static int mode_restart(void) {
    char line[64];
    snprintf(line, sizeof line, "S %lld\n", now_ns());
    emit(line);
    sleep_ms(1200);
    snprintf(line, sizeof line, "E %lld\n", now_ns());
    emit(line);
    return 0;
}

__attribute__((noreturn)) static int mode_long(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    char line[320];
    snprintf(line, sizeof line, "S %lld %s %d\n", now_ns(), name_buf, (int)getpid());
    emit(line);
    for (;;) pause();
}

static int mode_crash(void) {
    char line[64];
    snprintf(line, sizeof line, "S %lld\n", now_ns());
    emit(line);
    return 1;
}

// Whether PID `pid` is a zombie (exited, not reaped yet), from /proc/PID/stat.
static int is_zombie(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    const char* end = strrchr(buf, ')');
    return end && end[1] == ' ' && end[2] == 'Z';
}

// The reaping alone, without the exits: the harness stops PID 1 (SIGSTOP from outside the
// namespace), creates HOLD; the N are released and all become zombies; "zombies N" tells the
// harness to continue PID 1 (it notes the time of its SIGCONT); the time the last one is gone is
// written as "reaped <ns>" (-1 if not within 2 s).
static int held_orphans(pid_t* pids, int count, int release_fd, const char* hold) {
    char line[160];
    snprintf(line, sizeof line, "held %d\n", count);
    emit(line);
    for (int waited = 0; access(hold, F_OK) != 0; ++waited) {
        if (waited > 60000) return 3;
        sleep_ms(1);
    }
    close(release_fd);
    int zombies = 0;
    for (int waited = 0; zombies < count && waited < 10000; ++waited) {
        zombies = 0;
        for (int i = 0; i < count; ++i) zombies += is_zombie(pids[i]);
        if (zombies < count) sleep_ms(1);
    }
    snprintf(line, sizeof line, "zombies %d\n", zombies);
    emit(line);
    long long t0 = now_ns(), reaped_at = -1;
    for (int left = count;;) {
        int kept = 0;
        for (int i = 0; i < left; ++i)
            if (!(kill(pids[i], 0) < 0 && errno == ESRCH)) pids[kept++] = pids[i];
        left = kept;
        long long t = now_ns();
        if (left == 0) {
            reaped_at = t;
            break;
        }
        if (t - t0 >= 2000000000LL) break;
        struct timespec pause_ts = {0, 100000};
        nanosleep(&pause_ts, NULL);
    }
    snprintf(line, sizeof line, "reaped %lld\n", reaped_at);
    emit(line);
    strcpy(name_buf, "orphans");
    return mode_long();
}

static int mode_orphans(int n) {
    int release[2], report[2];
    if (pipe2(release, O_CLOEXEC) < 0 || pipe(report) < 0) return 2;
    pid_t middle = fork();
    if (middle < 0) return 2;
    if (middle == 0) {
        // The middle process forks the N future orphans, reports their pids, and exits: the
        // kernel then hands them to PID 1 of the namespace.
        close(report[0]);
        close(release[1]);
        for (int i = 0; i < n; ++i) {
            pid_t pid = fork();
            if (pid == 0) {
                close(report[1]);
                char c;
                while (read(release[0], &c, 1) < 0 && errno == EINTR) {}
                _exit(0);  // all N leave at once when the release pipe is closed
            }
            if (pid < 0) _exit(3);
            ssize_t ignored = write(report[1], &pid, sizeof pid);
            (void)ignored;
        }
        _exit(0);
    }
    close(release[0]);
    close(report[1]);
    pid_t* pids = calloc((size_t)n, sizeof *pids);
    int count = 0;
    for (;;) {
        pid_t pid;
        ssize_t got = read(report[0], &pid, sizeof pid);
        if (got < 0 && errno == EINTR) continue;
        if (got != (ssize_t)sizeof pid) break;
        if (count < n) pids[count++] = pid;
    }
    close(report[0]);
    int status;
    while (waitpid(middle, &status, 0) < 0 && errno == EINTR) {}
    sleep_ms(100);  // let the reparenting of the N settle before the release

    const char* hold = getenv("BENCH_HOLD");
    if (hold && *hold) return held_orphans(pids, count, release[1], hold);
    long long t0 = now_ns();
    close(release[1]);
    // A pid that still answers kill(pid, 0) has not been reaped yet (a zombie answers too).
    // Pids are not reused this soon in a fresh namespace.
    int left = count, left_1s = -1;
    long long reaped_at = -1;
    for (;;) {
        int kept = 0;
        for (int i = 0; i < left; ++i)
            if (!(kill(pids[i], 0) < 0 && errno == ESRCH)) pids[kept++] = pids[i];
        left = kept;
        long long t = now_ns();
        if (left_1s < 0 && t - t0 >= 1000000000LL) left_1s = left;
        if (left == 0) {
            reaped_at = t;
            break;
        }
        if (t - t0 >= 2000000000LL) break;
        struct timespec pause_ts = {0, 100000};  // 0.1 ms between passes: leave the CPU to the reaper
        nanosleep(&pause_ts, NULL);
    }
    if (left_1s < 0) left_1s = 0;
    char line[160];
    snprintf(line, sizeof line, "orphans %d reap_ms %.3f left_1s %d\n", count,
             reaped_at < 0 ? -1.0 : (double)(reaped_at - t0) / 1e6, left_1s);
    emit(line);
    strcpy(name_buf, "orphans");
    return mode_long();
}

static int execstamp(int argc, char** argv) {
    if (argc < 4) return 2;
    char line[64];
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    snprintf(line, sizeof line, "%lld\n", now_ns());
    if (fd >= 0) {
        ssize_t ignored = write(fd, line, strlen(line));
        (void)ignored;
        close(fd);
    }
    execvp(argv[3], argv + 3);
    perror("execstamp: exec");
    return 127;
}

static int respawn(int argc, char** argv) {
    if (argc < 4) return 2;
    int n = atoi(argv[2]);
    argv[2] = argv[0];  // the child's argv: benchsvc MODE ARGS...
    for (int i = 0; i < n; ++i) {
        pid_t pid = fork();
        if (pid == 0) {
            execv(argv[0], argv + 2);
            _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    }
    return 0;
}

static int spawn(int argc, char** argv) {
    if (argc < 4) return 2;
    int n = atoi(argv[2]);
    for (int i = 1; i <= n; ++i) {
        char name[16];
        snprintf(name, sizeof name, "s%03d", i);
        pid_t pid = fork();
        if (pid == 0) {
            char* child[] = {argv[0], argv[3], name, NULL};
            execv(argv[0], child);
            _exit(127);
        }
    }
    for (;;) {
        int status;
        if (wait(&status) < 0 && errno == ECHILD) pause();
    }
}

static int reap(int argc, char** argv) {
    if (argc < 3) return 2;
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        _exit(127);
    }
    for (;;) {
        int status;
        if (wait(&status) < 0 && errno == ECHILD) pause();
    }
}

static int killwait(int argc, char** argv) {
    if (argc < 5) return 2;
    pid_t pid = (pid_t)atoi(argv[2]);
    int sig = atoi(argv[3]);
    int timeout_ms = atoi(argv[4]);
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) {
        perror("killwait: pidfd_open");
        return 2;
    }
    long long t0 = now_ns();
    if (kill(pid, sig) < 0) {
        perror("killwait: kill");
        return 2;
    }
    struct pollfd p = {fd, POLLIN, 0};
    int rc;
    while ((rc = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {}
    long long t1 = now_ns();
    if (rc == 0) {
        printf("timeout\n");
        return 1;
    }
    printf("%.3f\n", (double)(t1 - t0) / 1e6);
    return 0;
}

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "";
    char* base = basename(argv[0]);
    if (strcmp(base, "run") == 0) {
        mode = getenv("BENCH_MODE") ? getenv("BENCH_MODE") : "";
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd)) snprintf(name_buf, sizeof name_buf, "%s", basename(cwd));
    } else if (argc > 2) {
        snprintf(name_buf, sizeof name_buf, "%s", argv[2]);
    }
    if (strcmp(mode, "restart") == 0) return mode_restart();
    if (strcmp(mode, "long") == 0) return mode_long();
    if (strcmp(mode, "crash") == 0) return mode_crash();
    if (strcmp(mode, "orphans") == 0) {
        // the count: a numeric argument, else $BENCH_ORPHANS, else 2000
        const char* n = argc > 2 && strcmp(base, "run") != 0 ? argv[2] : "";
        char* end;
        long count = strtol(n, &end, 10);
        if (!*n || *end) {
            n = getenv("BENCH_ORPHANS");
            count = n ? strtol(n, NULL, 10) : 2000;
        }
        return mode_orphans(count > 0 ? (int)count : 2000);
    }
    if (strcmp(mode, "execstamp") == 0) return execstamp(argc, argv);
    if (strcmp(mode, "reap") == 0) return reap(argc, argv);
    if (strcmp(mode, "spawn") == 0) return spawn(argc, argv);
    if (strcmp(mode, "respawn") == 0) return respawn(argc, argv);
    if (strcmp(mode, "killwait") == 0) return killwait(argc, argv);
    fprintf(stderr, "benchsvc: unknown mode '%s'\n", mode);
    return 2;
}
