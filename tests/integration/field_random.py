#!/usr/bin/env python3
"""A long randomized run against one supervisor as PID 1 (issue 12, item 5).

Mixes random service-file edits (valid and invalid), SIGHUP and `supervisor reload`,
start/stop/restart/signal requests (overlapping ones too, during stop windows of services that
ignore SIGTERM), services that crash, hang on stop, fork orphans and flood output, and SIGTERM/
SIGKILL of services from outside. Checks invariants after every step, at settled checkpoints and
at the end.

Environment:
  SUPERVISOR_BIN     the binary (required)
  FIELD_SECONDS      how long to run (default 60)
  FIELD_SEED         the seed to replay (default: a random one, printed)
  FIELD_CHECK_<NAME>=0  turns one invariant off (all are on by default); names:
    ALIVE      PID 1 is alive
    STATUS     `status` answers within its deadline (5 s)
    ZOMBIES    no zombie child of PID 1 outlives a short grace (1 s)
    PROC       a service's reported state matches /proc: a service with a pid has that pid
               alive as a child of PID 1; one without a pid reports none
    STRAYS     no process of a service's command (its file's token) outlives it by more than 1.5 s:
               every such process descends from the pid of a service that is up
    DESCRIBED  at a settled checkpoint, the services listed are exactly the files of the directory
    COMMAND    at a settled checkpoint, a running service runs the command of its current file
    SETTLES    after a reload the changes are applied (no `stopping`/`changed` left) within 10 s
    ANSWERED   every request is answered: the client exits 0 or 1, never 3 ("unreachable"),
               within its --timeout
    FDS        PID 1's open descriptors stay bounded
    RSS        PID 1's resident memory stays bounded
    SHUTDOWN   SIGTERM at the end: exit status 0, nothing of the run left anywhere
Exit status: 0 if every enabled invariant held, 1 otherwise (each failure is printed with the
step and the seed).
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

INVARIANTS = ["ALIVE", "STATUS", "ZOMBIES", "PROC", "STRAYS", "DESCRIBED", "COMMAND", "SETTLES", "ANSWERED", "FDS", "RSS", "SHUTDOWN"]
ENABLED = {name: os.environ.get("FIELD_CHECK_" + name, "1") != "0" for name in INVARIANTS}
BIN = os.environ["SUPERVISOR_BIN"]
SECONDS = float(os.environ.get("FIELD_SECONDS", "60"))
SEED = int(os.environ.get("FIELD_SEED") or random.SystemRandom().randrange(1, 2**31))
NAMES = ["s%d" % i for i in range(8)]
RSS_LIMIT_KB = 96 * 1024  # about 5.5 MiB measured after 1,300 steps
# Under AddressSanitizer RSS says nothing about PID 1 (its quarantine keeps freed memory: 116 MiB
# after 370 steps); leaks are LeakSanitizer's job there, at exit.
CHECK_RSS = "ASAN_OPTIONS" not in os.environ
STATUS_DEADLINE = 5.0
REQUEST_TIMEOUT = 20  # the client's --timeout, seconds

rng = random.Random(SEED)
failures = {}  # invariant -> [messages]
step = 0
history = []   # the last actions, for a failure's context


def fail(invariant, message):
    if not ENABLED[invariant]:
        return
    seen = failures.setdefault(invariant, [])
    seen.append("step %d: %s" % (step, message))
    if len(seen) <= 3:
        print("FAIL %s at step %d (seed %d): %s" % (invariant, step, SEED, message), flush=True)
        print("     last actions: " + " | ".join(history[-6:]), flush=True)


class Run:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sv-field-random.")
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "conf")
        os.mkdir(self.conf)
        self.sock = os.path.join(self.dir, "sock")
        self.log_path = os.path.join(self.dir, "log")
        self.token_base = "fz%dq" % SEED
        self.counter = 0
        self.files = {}      # name -> (text, token or None if invalid, valid)
        self.requests = []   # outstanding client requests: (Popen, args, started)
        self.unshare = None
        self.spid = None

    # --- service files ---------------------------------------------------------------------
    def token(self):
        self.counter += 1
        return "%s%d" % (self.token_base, self.counter)

    def valid_text(self, name):
        tok = self.token()
        kind = rng.choice(["steady", "steady", "crasher", "stubborn", "orphaner", "flooder", "oneshot"])
        script = {
            "steady": "while :; do sleep 1; done",
            "crasher": "sleep 0.%d; exit %d" % (rng.randrange(1, 9), rng.choice([0, 1, 3])),
            "stubborn": "trap '' TERM; while :; do sleep 1; done",
            "orphaner": "while :; do (setsid sleep 2 &); (sleep 1 &); sleep 0.5; done",
            "flooder": "while :; do head -c 100000 /dev/zero | tr '\\\\000' x | fold -w 100; sleep 1; done",
            "oneshot": "exit %d" % rng.choice([0, 0, 1]),
        }[kind]
        lines = ['command = ["sh", "-c", "%s", "%s"]' % (script, tok)]
        if kind == "oneshot":
            lines.append('type = "oneshot"')
        if rng.random() < 0.15:
            lines.append("enabled = false")
        if kind == "flooder" and rng.random() < 0.5:
            lines.append('log.stdout = "null"')
        # only on a service earlier in NAMES: edges all point one way, so there is never a cycle
        others = [n for n in self.files if NAMES.index(n) < NAMES.index(name) and self.files[n][2]]
        if others and rng.random() < 0.15:
            lines.append('after = ["%s"]' % rng.choice(others))
        policy = "never" if kind == "oneshot" else rng.choice(["always", "always", "on-failure", "never"])
        lines.append("[restart]")
        lines.append('policy = "%s"' % policy)
        lines.append('delay = "%dms"' % rng.choice([0, 50, 100, 300]))
        lines.append('max_delay = "1s"')
        lines.append("[stop]")
        lines.append('timeout = "%dms"' % rng.choice([200, 500, 1500] if kind == "stubborn" else [1000, 3000]))
        if rng.random() < 0.15 and kind != "oneshot":
            lines.append("[ready]")
            lines.append('command = ["true"]')
            lines.append('interval = "100ms"')
        return "\n".join(lines) + "\n", tok

    def invalid_text(self):
        return rng.choice([
            'command = ["sleep", "1"]\nrestrat = 1\n',
            'command = ["sleep", "1"]\n[stop]\ntimeout = "5 parsecs"\n',
            'command = [\n',
            "command = 42\n",
            'command = ["sleep", "1"]\n[restart]\npolicy = "sometimes"\n',
            'command = ["sleep", "1"]\nafter = ["nosuchservice"]\n',
        ])

    def write(self, name, text):
        tmp = os.path.join(self.conf, ".%s.tmp" % name)
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(self.conf, name + ".toml"))

    def edit(self, name, valid=True):
        if valid:
            text, tok = self.valid_text(name)
            self.files[name] = (text, tok, True)
        else:
            text = self.invalid_text()
            self.files[name] = (text, None, False)
        self.write(name, text)

    def remove(self, name):
        if name in self.files:
            os.unlink(os.path.join(self.conf, name + ".toml"))
            del self.files[name]

    def make_valid(self):
        for name, (_, _, valid) in list(self.files.items()):
            if not valid:
                self.edit(name)
        # `after` naming a service that is gone (or invalid) is a configuration error too.
        for name, (text, _, _) in list(self.files.items()):
            for line in text.splitlines():
                if line.startswith("after = "):
                    dep = line.split('"')[1]
                    if dep not in self.files:
                        self.edit(name)

    # --- PID 1 -------------------------------------------------------------------------------
    def start(self):
        for name in NAMES[:5]:
            self.edit(name)
        self.make_valid()
        self.log = open(self.log_path, "w")
        self.unshare = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", BIN, "--config-dir", self.conf,
             "--socket", self.sock, "--grace", "1s"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline and not os.path.exists(self.sock):
            time.sleep(0.05)
        if not os.path.exists(self.sock):
            raise SystemExit("PID 1 did not come up; log:\n" + open(self.log_path).read())
        out = subprocess.run(["pgrep", "-P", str(self.unshare.pid)], capture_output=True, text=True).stdout.split()
        self.spid = int(out[0])
        self.proc = "/proc/%d/root/proc" % self.spid  # the namespace's /proc

    def client(self, *args, timeout=REQUEST_TIMEOUT):
        return subprocess.run([BIN, *args, "--socket", self.sock, "--timeout", "%ds" % timeout],
                              capture_output=True, text=True, timeout=timeout + 10)

    def request(self, *args):
        p = subprocess.Popen([BIN, *args, "--socket", self.sock, "--timeout", "%ds" % REQUEST_TIMEOUT],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.requests.append((p, args, time.time()))

    def collect_requests(self, wait=False):
        still = []
        for p, args, started in self.requests:
            if wait:
                try:
                    p.wait(timeout=max(0.1, started + REQUEST_TIMEOUT + 10 - time.time()))
                except subprocess.TimeoutExpired:
                    pass
            rc = p.poll()
            if rc is None:
                if time.time() - started > REQUEST_TIMEOUT + 10:
                    fail("ANSWERED", "%s: no answer after %d s" % (" ".join(args), REQUEST_TIMEOUT + 10))
                    p.kill()
                    p.wait()
                else:
                    still.append((p, args, started))
                continue
            err = p.stderr.read().strip()
            p.stderr.close()
            if rc not in (0, 1):
                fail("ANSWERED", "`supervisor %s` exited %d after %.1f s: %s" % (" ".join(args), rc, time.time() - started, err))
        self.requests = still

    def status(self):
        t0 = time.time()
        try:
            r = self.client("status", "--json", timeout=int(STATUS_DEADLINE))
        except subprocess.TimeoutExpired:
            fail("STATUS", "status did not return within %.0f s" % STATUS_DEADLINE)
            return None
        if r.returncode != 0 or time.time() - t0 > STATUS_DEADLINE:
            fail("STATUS", "status exited %d after %.1f s: %s" % (r.returncode, time.time() - t0, r.stderr.strip()))
            return None
        try:
            return json.loads(r.stdout)
        except ValueError:
            fail("STATUS", "status --json is not JSON: %r" % r.stdout[:200])
            return None

    # --- /proc of the namespace ---------------------------------------------------------------
    def proc_stat(self, pid):
        try:
            with open("%s/%d/stat" % (self.proc, pid)) as f:
                text = f.read()
        except OSError:
            return None
        rest = text[text.rfind(")") + 2:].split()
        return rest[0], int(rest[1]), int(rest[2])  # state, ppid, pgrp

    def cmdline(self, pid):
        try:
            with open("%s/%d/cmdline" % (self.proc, pid), "rb") as f:
                return f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""

    def pids(self):
        try:
            return [int(e) for e in os.listdir(self.proc) if e.isdigit()]
        except OSError:
            return []

    # --- invariants ----------------------------------------------------------------------------
    def check_alive(self):
        if self.unshare.poll() is not None:
            fail("ALIVE", "PID 1 exited with %s" % self.unshare.returncode)
            return False
        return True

    def check_zombies(self):
        def zombies():
            return {p for p in self.pids() if (s := self.proc_stat(p)) and s[0] == "Z" and s[1] == 1}
        first = zombies()
        if not first:
            return
        deadline = time.time() + 1.0
        while time.time() < deadline and first:
            time.sleep(0.05)
            first &= zombies()
        if first:
            fail("ZOMBIES", "zombie children of PID 1 after 1 s: %s" % sorted(first))

    def check_proc(self, services):
        """Each service's reported state against /proc; a mismatch must persist over a fresh status."""
        def mismatches(services):
            bad = []
            for s in services:
                pid = s["pid"]
                if s["state"] in ("running", "starting", "stopping"):
                    st = self.proc_stat(pid) if pid else None
                    if st is None:
                        bad.append("%s is %s with pid %s, which does not exist" % (s["name"], s["state"], pid))
                    elif st[1] != 1:
                        bad.append("%s's pid %s has parent %d, not PID 1" % (s["name"], pid, st[1]))
                elif pid:
                    bad.append("%s is %s but reports pid %s" % (s["name"], s["state"], pid))
            return bad
        bad = mismatches(services)
        deadline = time.time() + 1.0
        while bad and time.time() < deadline:
            time.sleep(0.1)
            fresh = self.status()
            if fresh is None:
                return
            # only what is still wrong, for the same reason, counts
            bad = [b for b in mismatches(fresh) if b in bad]
        for b in bad:
            fail("PROC", b)

    def check_strays(self, services):
        def strays(services):
            up = {s["pid"] for s in services if s["pid"]}
            found = set()
            for pid in self.pids():
                if self.token_base not in self.cmdline(pid):
                    continue
                at, hops = pid, 0
                while at not in up and at > 1 and hops < 64:
                    st = self.proc_stat(at)
                    if st is None:
                        break
                    at, hops = st[1], hops + 1
                if at not in up and self.proc_stat(pid) is not None:
                    found.add(pid)
            return found
        found = strays(services)
        if not found:
            return
        deadline = time.time() + 1.5
        while found and time.time() < deadline:
            time.sleep(0.1)
            fresh = self.status()
            if fresh is None:
                return
            found &= strays(fresh)
        for pid in sorted(found):
            st = self.proc_stat(pid)
            fail("STRAYS", "pid %d (`%s`, parent %s) belongs to no service that is up, 1.5 s on" % (
                pid, self.cmdline(pid).strip(), st[1] if st else "?"))

    def check_resources(self):
        try:
            fds = len(os.listdir("/proc/%d/fd" % self.spid))
            with open("/proc/%d/status" % self.spid) as f:
                rss = int(next(l for l in f if l.startswith("VmRSS:")).split()[1])
        except (OSError, StopIteration):
            return
        limit = 48 + 8 * len(self.files) + 2 * len(self.requests)
        if fds > limit:
            fail("FDS", "PID 1 has %d open descriptors (bound %d)" % (fds, limit))
        if CHECK_RSS and rss > RSS_LIMIT_KB:
            fail("RSS", "PID 1's RSS is %d KiB (bound %d KiB)" % (rss, RSS_LIMIT_KB))
        self.max_fds = max(getattr(self, "max_fds", 0), fds)
        self.max_rss = max(getattr(self, "max_rss", 0), rss)

    def check_step(self):
        if not self.check_alive():
            return False
        services = self.status()
        if services is not None:
            self.check_proc(services)
            self.check_strays(services)
        self.check_zombies()
        self.check_resources()
        self.collect_requests()
        return True

    def checkpoint(self):
        """A valid directory, a reload, the changes settled: the table is exactly the files."""
        self.make_valid()
        history.append("checkpoint")
        r = self.client("reload")
        if r.returncode != 0:
            fail("ANSWERED", "checkpoint reload of a valid directory exited %d: %s" % (r.returncode, r.stderr.strip()))
            return
        deadline = time.time() + 10
        while True:
            services = self.status()
            if services is None:
                return
            busy = [s["name"] for s in services if s["state"] == "stopping" or "changed:" in s["reason"] or "removed:" in s["reason"]]
            if not busy:
                break
            if time.time() > deadline:
                fail("SETTLES", "10 s after a reload, still busy: %s" % ", ".join(
                    "%s (%s, %s)" % (s["name"], s["state"], s["reason"]) for s in services if s["name"] in busy))
                return
            time.sleep(0.1)
        listed = {s["name"] for s in services}
        if listed != set(self.files):
            fail("DESCRIBED", "listed %s, files %s" % (sorted(listed), sorted(self.files)))
        for s in services:
            if s["state"] != "running" or s["name"] not in self.files:
                continue
            tok = self.files[s["name"]][1]
            cmd = self.cmdline(s["pid"])
            if cmd and (tok + " ") not in cmd + " ":
                fail("COMMAND", "%s (pid %s) runs `%s`, its file says token %s" % (s["name"], s["pid"], cmd.strip(), tok))

    # --- actions --------------------------------------------------------------------------------
    def act(self):
        choice = rng.choices(
            ["edit", "invalid", "remove", "sighup", "reload", "request", "overlap", "signal", "kill", "pause"],
            weights=[20, 4, 4, 6, 6, 20, 6, 5, 8, 10])[0]
        name = rng.choice(NAMES)
        if choice == "edit":
            self.edit(name)
        elif choice == "invalid":
            self.edit(name, valid=False)
        elif choice == "remove":
            if len(self.files) > 2:
                self.remove(name)
        elif choice == "sighup":
            os.kill(self.spid, signal.SIGHUP)
        elif choice == "reload":
            self.request("reload")
        elif choice == "request":
            self.request(rng.choice(["start", "stop", "restart"]), name)
        elif choice == "overlap":
            # a stop and a start/restart of the same service at once, in its stop window
            self.request("stop", name)
            self.request(rng.choice(["start", "restart", "stop"]), name)
        elif choice == "signal":
            self.request("signal", name, rng.choice(["USR1", "TERM", "KILL", "CONT", "HUP"]))
        elif choice == "kill":
            services = self.status() or []
            running = [s for s in services if s["pid"]]
            if running:
                s = rng.choice(running)
                sig = rng.choice([signal.SIGTERM, signal.SIGKILL])
                host_pid = self.host_pid(s["pid"])
                if host_pid:
                    try:
                        os.kill(host_pid, sig)
                    except ProcessLookupError:
                        pass
                name = "%s %s" % (s["name"], sig.name)
        elif choice == "pause":
            time.sleep(rng.uniform(0.05, 0.5))
        history.append("%s %s" % (choice, name))
        del history[:-20]

    def host_pid(self, ns_pid):
        """The host pid of a namespace pid (NSpid's last field is the innermost)."""
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/status" % entry) as f:
                    for line in f:
                        if line.startswith("NSpid:"):
                            fields = line.split()
                            if len(fields) >= 3 and int(fields[-1]) == ns_pid and self.in_namespace(int(entry)):
                                return int(entry)
                            break
            except OSError:
                continue
        return None

    def in_namespace(self, pid):
        try:
            return os.readlink("/proc/%d/ns/pid" % pid) == os.readlink("/proc/%d/ns/pid" % self.spid) and pid != self.spid
        except OSError:
            return False

    # --- the end ----------------------------------------------------------------------------------
    def shutdown(self):
        history.append("shutdown")
        self.collect_requests(wait=True)
        os.kill(self.spid, signal.SIGTERM)
        try:
            rc = self.unshare.wait(timeout=30)
        except subprocess.TimeoutExpired:
            fail("SHUTDOWN", "PID 1 still running 30 s after SIGTERM")
            self.unshare.kill()
            rc = self.unshare.wait()
        if rc != 0:
            fail("SHUTDOWN", "PID 1 exited %s after SIGTERM" % rc)
        left = subprocess.run(["pgrep", "-f", self.token_base], capture_output=True, text=True).stdout.split()
        if left:
            fail("SHUTDOWN", "processes of the run left after shutdown: %s" % left)

    def cleanup(self):
        for p, _, _ in self.requests:
            p.kill()
        if self.unshare and self.unshare.poll() is None:
            self.unshare.kill()
            self.unshare.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    global step
    print("seed %d; replay: FIELD_SEED=%d FIELD_SECONDS=%g" % (SEED, SEED, SECONDS), flush=True)
    off = [n for n in INVARIANTS if not ENABLED[n]]
    if off:
        print("invariants off: " + ", ".join(off), flush=True)
    run = Run()
    try:
        run.start()
        end = time.time() + SECONDS
        last_checkpoint = time.time()
        while time.time() < end:
            step += 1
            run.act()
            if not run.check_step():
                break
            if time.time() - last_checkpoint > 5:
                run.checkpoint()
                last_checkpoint = time.time()
        if run.unshare.poll() is None:
            run.checkpoint()
            run.shutdown()
        print("%d steps, %d service files written; PID 1 at most %d descriptors, %d KiB RSS" % (
            step, run.counter, getattr(run, "max_fds", 0), getattr(run, "max_rss", 0)), flush=True)
        if failures:
            kept = "/tmp/sv-field-random-%d.log" % SEED
            shutil.copy(run.log_path, kept)
            print("PID 1's whole log: %s; the last 30 lines:" % kept)
            with open(run.log_path, errors="replace") as f:
                print("".join(f.readlines()[-30:]))
    finally:
        run.cleanup()
    for name in INVARIANTS:
        state = "off" if not ENABLED[name] else ("FAILED %d time(s)" % len(failures[name]) if name in failures else "held")
        print("  %-9s %s" % (name, state))
    if failures:
        print("seed %d: %d invariant(s) failed: %s" % (SEED, len(failures), ", ".join(sorted(failures))))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
