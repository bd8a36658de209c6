#!/usr/bin/env bash
# The init core as PID 1: orphans reaped, restart backoff timing, giving up, stop escalation to
# SIGKILL of the whole group, a clean state in children, exec failures reported per step.
source "$(dirname "$0")/lib.sh"

zombies() { in_ns ps -e -o stat= | grep -c '^Z' || true; }
ms_of() { date -u -d "$1" +%s%3N; }  # an ISO log timestamp in ms

service orphans "command = \"for i in \$(seq 1 2000); do (sleep 0.2 &) ; done; touch $T/orphans.done; exec sleep 100000\""
service backoff '
command = ["sh", "-c", "exit 1"]
[restart]
delay = "200ms"
factor = 2.0
max_delay = "800ms"
max_retries = 5'
service stubborn "command = \"trap '' TERM; sleep 200001 & sleep 200002 & wait\"
[stop]
timeout = \"1s\""
service clean "command = \"grep -E '^(SigBlk|SigIgn):' /proc/self/status > $T/clean.sigs; readlink /proc/self/fd/0 > $T/clean.stdin; ls /proc/self/fd > $T/clean.fds; ps -o sid= -p \$\$ > $T/clean.sid; echo \$\$ > $T/clean.pid; exec sleep 100000\""
service nobin 'command = ["/no/such/program"]
[restart]
policy = "never"'
service nodir 'command = ["sleep", "1"]
directory = "/no/such/dir"
[restart]
policy = "never"'
service nouser 'command = ["sleep", "1"]
user = "no-such-user"
[restart]
policy = "never"'
service nopath 'command = ["no-such-program-in-path"]
[restart]
policy = "never"'
start_pid1

# Orphans: 2000 background children outlive their parents and are re-parented to PID 1.
check "2000 orphans were made" wait_until 60 test -e "$T/orphans.done"
check "no zombie is left once they exit" wait_until 20 eval '[ "$(zombies)" = 0 ] && ! in_ns pgrep -f "sleep 0.2" >/dev/null'

# Backoff: 200ms, 400ms, 800ms, 800ms, then it gives up after 5 failed starts.
check "backoff: the delays double up to max_delay" wait_until 10 eval 'grep -o "backoff: exited with status 1; restarting in [0-9a-z.]*" "$LOG" | awk "{print \$NF}" | xargs | grep -qx "200ms 400ms 800ms 800ms"'
check "backoff: gives up after 5 failed starts" wait_until 10 log_has "backoff: gave up after 5 failed starts \(last: exited with status 1\); not restarting"
check "backoff: state failed" test "$(state_of backoff)" = failed
starts=$(grep "backoff: started" "$LOG" | awk '{print $1}')
gaps=$(prev=""; for t in $starts; do ms=$(ms_of "$t"); [ -n "$prev" ] && echo $((ms - prev)); prev=$ms; done | xargs)
echo "gaps between starts (ms): $gaps"
check "backoff: the real gaps between starts are at least the delays" eval 'set -- $gaps; [ "$1" -ge 200 ] && [ "$2" -ge 400 ] && [ "$3" -ge 800 ] && [ "$4" -ge 800 ]'
check "backoff: and not much more (a crash loop does not stall)" eval 'set -- $gaps; [ "$1" -lt 600 ] && [ "$4" -lt 1300 ]'

# A child's clean start.
check "the child's signal mask and ignored set are empty" wait_until 30 eval 'grep -q "SigBlk:.0000000000000000" "$T/clean.sigs" && grep -q "SigIgn:.0000000000000000" "$T/clean.sigs"'
check "... though PID 1 itself ignores some (SIGPIPE, and SIGINT/SIGQUIT from the shell's &)" eval '! grep -q "SigIgn:.0000000000000000" "/proc/$SPID/status"'
check "its stdin is /dev/null" test "$(cat "$T/clean.stdin")" = /dev/null
check "it has no descriptor beyond 0-2 (ls shows its own 3)" test "$(xargs <"$T/clean.fds")" = "0 1 2 3"
check "it leads its own session" test "$(xargs <"$T/clean.sid")" = "$(cat "$T/clean.pid")"

# Exec failures: the step and the errno, as a failed start; PID 1 goes on.
check "missing binary: step and errno" log_has "nobin: cannot execute /no/such/program: No such file or directory"
check "bad directory: step and errno" log_has "nodir: cannot change to directory /no/such/dir: No such file or directory"
check "unknown user" log_has "nouser: unknown user 'no-such-user'"
check "not in PATH" log_has "nopath: cannot find 'no-such-program-in-path' in PATH"
check "each is failed, with its reason in status" eval 'status_row nobin | grep -q "failed .*cannot execute"'

# Stop escalation: SIGTERM ignored, SIGKILL to the whole group after 1s.
pids=$(in_ns pgrep -f "^sleep 20000[12]" | xargs)
check "stubborn runs two children" test "$(wc -w <<<"$pids")" = 2
kill -TERM "$SPID"
check "PID 1 exits 0 within 5 s" eval 'wait_exit 5 && [ "$EXIT" = 0 ]'
check "the stop timeout escalated to SIGKILL" log_has "stubborn: did not stop within 1s; sent SIGKILL to its process group"
check "its children were killed with it" eval '! pgrep -f "^sleep 20000[12]" >/dev/null'
check "the control socket file is gone" test ! -e "$SOCK"
finish
