#!/usr/bin/env bash
# Faults PID 1 must survive: a service forking without end, a service flooding or closing its
# stdout, the config directory vanishing during a reload, a full disk under a file log, SIGKILL
# of a service while it is being stopped, and signal storms.
source "$(dirname "$0")/lib.sh"

count_in_ns() { in_ns ps -e -o comm= | grep -c "^$1\$"; }
responsive() { timeout 2 "$BIN" status --socket "$SOCK" >/dev/null; }

mkdir -p "$T/small"
mount -t tmpfs -o size=256k tmpfs "$T/small"
trap 'umount -l "$T/small" 2>/dev/null; cleanup' EXIT
head -c 200k /dev/zero >"$T/small/filler"

service bomb 'command = "for i in $(seq 1 1500); do sleep 1000 & done; wait"
[stop]
timeout = "2s"'
service flood 'command = "head -c 30000000 /dev/zero | tr \"\\\\0\" x | fold -w 100"
[restart]
policy = "never"'
service closer 'command = "exec >&- 2>&-; sleep 100000"'
service disk "command = \"while true; do echo a line for the small disk, long enough to fill it soon; sleep 0.01; done\"
[log]
stdout = \"file\"
file = \"$T/small/disk.log\"
max_size = \"1MiB\""
service stubborn 'command = "trap \"\" TERM; exec sleep 100000"
[stop]
timeout = "30s"'
start_pid1

check "the forking service made its 1500 children" wait_until 30 eval '[ "$(count_in_ns sleep)" -ge 1500 ]'
check "PID 1 answers while a service floods its stdout" responsive
ctl stop bomb >/dev/null
check "stopping it killed its whole process group" wait_until 10 eval '[ "$(count_in_ns sleep)" -le 2 ]'
check "the flood ended; PID 1 still answers" eval 'wait_until 60 eval "[ \"\$(state_of flood)\" = exited ]" && responsive'
check "a service that closed its stdout and stderr keeps running" test "$(state_of closer)" = running

check "a full disk under a file log: the log says lines are being lost" wait_until 30 log_has "disk: cannot write $T/small/disk.log \(No space left on device\); dropping its lines"

rm -f "$T/small/filler"
check "after space comes back, the drops are reported" wait_until 10 log_has "disk: [0-9]+ lines? dropped while $T/small/disk.log could not be written"
size=$(stat -c %s "$T/small/disk.log")
check "and the file log grows again" wait_until 10 eval '[ "$(stat -c %s "$T/small/disk.log")" -gt "$size" ]'
check "the service writing it was never disturbed" test "$(state_of disk)" = running

pid=$(pid_of stubborn)
ctl stop stubborn >/dev/null &
stopper=$!
check "stop sent: stubborn ignores SIGTERM" wait_until 5 eval '[ "$(state_of stubborn)" = stopping ]'
in_ns kill -KILL "$pid"
check "SIGKILL during its stop: stopped at once, not at the 30s timeout" wait_until 3 eval '[ "$(state_of stubborn)" = stopped ]'
wait "$stopper"

steady=$(pid_of closer)
for i in $(seq 1 500); do kill -CHLD "$SPID"; kill -USR2 "$SPID"; done
check "a storm of SIGCHLD and unclaimed signals changes nothing" eval 'responsive && [ "$(pid_of closer)" = "$steady" ]'

rm -rf "$CONF"
kill -HUP "$SPID"
check "the config directory vanished: the reload is refused" wait_until 5 log_has "reload refused"
check "and the running set is kept" eval '[ "$(pid_of closer)" = "$steady" ] && [ "$(state_of disk)" = running ]'

kill -TERM "$SPID"
check "PID 1 exits 0" eval 'wait_exit 20 && [ "$EXIT" = 0 ]'

# SIGTERM while PID 1 is starting up, 20 times: a clean exit 0 every time, nothing left behind.
mkdir -p "$CONF"
for i in $(seq 1 10); do service "s$i" 'command = ["sleep", "1000"]'; done
ok=0
for i in $(seq 1 20); do
    rm -f "$SOCK"
    unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$CONF" --socket "$SOCK" >>"$LOG" 2>&1 &
    UPID=$!
    # As soon as PID 1 is our binary and has blocked its signals: before any service started.
    early() { p=$(pgrep -P "$UPID") && [ "$(cat /proc/$p/comm)" = supervisor ] && ! grep -q "SigBlk:.0000000000000000" /proc/$p/status; }
    wait_until 5 early && kill -TERM "$(pgrep -P "$UPID")"
    wait_exit 10 && [ "$EXIT" = 0 ] && ok=$((ok + 1))
done
check "SIGTERM during start-up: 20 clean exits with status 0 ($ok)" test "$ok" = 20
finish
