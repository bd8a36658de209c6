#!/usr/bin/env bash
# Valgrind's memcheck on PID 1 through restarts, reloads, control requests, captured logs and
# a graceful shutdown: no leak, no invalid access.
source "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }

service crash '
command = "echo crashing; exit 1"
[restart]
delay = "0"
factor = 1.0
max_delay = "0"'
service steady '
command = ["sleep", "100000"]
[ready]
tcp = "127.0.0.1:1"
interval = "50ms"
timeout = "100ms"'
service flip 'command = ["sleep", "1000"]'
unshare --pid --fork --mount-proc --kill-child valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file="$T/valgrind.log" \
    "$BIN" --config-dir "$CONF" --socket "$SOCK" >"$LOG" 2>&1 &
UPID=$!
check "PID 1 up under valgrind" wait_until 60 test -S "$SOCK"
SPID=$(pgrep -P "$UPID")
check "the crashing service restarts 300 times" wait_until 120 eval \
    '[ "$(ctl status --json crash | sed -n "s/.*\"restarts\": \([0-9]*\).*/\1/p")" -ge 300 ]'
for i in $(seq 1 30); do service flip "command = [\"sleep\", \"$((1000 + i))\"]"; ctl reload >/dev/null; done
ctl status --json >/dev/null
ctl restart flip >/dev/null
ctl signal flip SIGUSR1 >/dev/null || true
ctl status --wait-ready 1s >/dev/null 2>&1 || true   # steady never gets ready: a waiter left open
kill -TERM "$SPID"
check "PID 1 exits 0 under valgrind (99 would be a memcheck error)" eval 'wait_exit 60 && [ "$EXIT" = 0 ]'
# PID 1 is pid 1 in its namespace: its report lines start with ==1==. (Forked children that end
# before exec have reports of their own, about the parent's memory they inherited.)
check "no leak or invalid access reported for PID 1" eval '! grep -E "^==1==" "$T/valgrind.log" | grep -qE "definitely lost|indirectly lost|Invalid (read|write)|uninitialised"'
[ "$FAILED" -gt 0 ] && grep -E "^==1==" "$T/valgrind.log"
finish
