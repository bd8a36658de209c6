#!/usr/bin/env bash
# Exit statuses of PID 1 (critical services, requested shutdown, single-command mode) and the
# signals it passes on.
source "$(dirname "$0")/lib.sh"

# Runs PID 1 with the service directory as it is now and ARGS; sets $EXIT when it has ended.
run_pid1() { rm -f "$SOCK"; start_pid1 "$@"; }
only() { rm -f "$CONF"/*.toml; for spec in "$@"; do service "${spec%%=*}" "${spec#*=}"; done; }

only 'app=command = ["sh", "-c", "sleep 0.3; exit 7"]
critical = true
restart.policy = "never"' 'other=command = ["sleep", "1000"]'
run_pid1
check "a critical service exiting 7: PID 1 exits 7" eval 'wait_exit 10 && [ "$EXIT" = 7 ]'
check "the other service was stopped on the way" log_has "other: stopped"

only 'app=command = ["sleep", "1000"]
critical = true
restart.policy = "never"'
run_pid1
in_ns pkill -KILL -x sleep
check "a critical service killed by SIGKILL: PID 1 exits 137" eval 'wait_exit 10 && [ "$EXIT" = 137 ]'

only 'app=command = ["sh", "-c", "exit 3"]
critical = true
restart.max_retries = 2
restart.delay = "50ms"'
run_pid1
check "a critical service that gives up: PID 1 exits with its last status" eval 'wait_exit 10 && [ "$EXIT" = 3 ]'

only 'app=command = ["sh", "-c", "exit 5"]
restart.policy = "never"' 'steady=command = ["sleep", "1000"]'
run_pid1
check "a non-critical service ending does not stop the container" eval 'wait_until 5 eval "[ \"\$(state_of app)\" = failed ]" && ! pid1_exited'
kill -TERM "$SPID"
check "SIGTERM: PID 1 exits 0" eval 'wait_exit 10 && [ "$EXIT" = 0 ]'

# forward_signals; a signal nobody takes is logged; SIGHUP reloads (nothing changed here).
only "fwd=command = [\"sh\", \"$T/recorder.sh\", \"$T/fwd.signals\"]
forward_signals = [\"SIGUSR1\", \"WINCH\"]"
run_pid1
wait_until 5 eval '[ "$(state_of fwd)" = running ]'
pid=$(pid_of fwd)
kill -USR1 "$SPID"; kill -WINCH "$SPID"
check "SIGUSR1 forwarded to the service that lists it" wait_until 5 eval '[ "$(recorded "$T/fwd.signals" USR1)" = 1 ]'
kill -USR2 "$SPID"
check "SIGUSR2, which nobody takes, is logged" wait_until 5 log_has "received SIGUSR2: no running service takes it"
kill -HUP "$SPID"
check "SIGHUP reloads and touches nothing unchanged" eval 'wait_until 5 log_has "0 added, 0 changed, 0 removed, 1 unchanged" && [ "$(pid_of fwd)" = "$pid" ]'
kill -TERM "$SPID"; wait_exit 10

# A second SIGTERM hurries a slow shutdown; leftovers that ignore SIGTERM get SIGKILL after --grace.
only "slow=command = \"trap '' TERM; exec sleep 100000\"
stop.timeout = \"30s\"" "detacher=command = '''setsid sh -c \"trap '' TERM; exec sleep 100001\" & exec sleep 100002'''"
run_pid1 --grace 500ms
wait_until 5 eval 'in_ns pgrep -f "^sleep 100001" >/dev/null'
kill -TERM "$SPID"
wait_until 5 log_has "shutting down"
kill -TERM "$SPID"
check "a second SIGTERM hurries a 30 s stop: PID 1 exits 0 within 3 s" eval 'wait_exit 3 && [ "$EXIT" = 0 ]'
check "it says so" log_has "second shutdown signal: killing every process now"
only "detacher=command = '''setsid sh -c \"trap '' TERM; exec sleep 100001\" & exec sleep 100002'''"
run_pid1 --grace 500ms
wait_until 5 eval 'in_ns pgrep -f "^sleep 100001" >/dev/null'
kill -TERM "$SPID"
check "a leftover ignoring SIGTERM: SIGKILL after --grace, PID 1 exits 0" eval 'wait_exit 5 && [ "$EXIT" = 0 ] && log_has "leftover processes did not exit within 500ms; sending SIGKILL"'

# Single-command mode (tini-compatible).
rm -f "$CONF"/*.toml
sc() { unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$T/none" --socket "" -- "$@" >>"$LOG" 2>&1; }
sc sh -c 'exit 5'
check "-- CMD: exits with its status (5)" test $? = 5
sc sh -c 'kill -9 $$'
check "-- CMD killed by SIGKILL: 137" test $? = 137
unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$CONF" --socket "$SOCK" -- \
    sh -c "trap 'echo USR1 >> $T/main.signals' USR1; trap 'exit 42' TERM; echo ready > $T/main.ready; while :; do sleep 0.05; done" >>"$LOG" 2>&1 &
UPID=$!
wait_until 5 test -s "$T/main.ready"
SPID=$(pgrep -P "$UPID")
kill -USR1 "$SPID"
check "-- CMD: SIGUSR1 to PID 1 reaches the command" wait_until 5 test -s "$T/main.signals"
kill -TERM "$SPID"
check "-- CMD: SIGTERM reaches it; it exits 42, so does PID 1" eval 'wait_exit 5 && [ "$EXIT" = 42 ]'
service side "command = [\"sh\", \"-c\", \"echo up > $T/side.up; exec sleep 1000\"]"
unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$CONF" --socket "$SOCK" --log-level info -- \
    sh -c "while [ ! -s $T/side.up ]; do sleep 0.05; done; exit 9" >>"$LOG" 2>&1
check "-- CMD beside the directory's services: they run, and PID 1 exits with CMD's status" test $? = 9
check "the services were stopped when CMD ended" log_has "side: stopped"
finish
