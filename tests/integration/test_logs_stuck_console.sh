#!/usr/bin/env bash
# A console nobody reads (a stuck `docker logs`): PID 1's stdout is a pipe whose reader is
# stopped while a service floods it. Supervision must go on, and once the reader resumes the
# lost lines are reported, and counted in /metrics (--http).
source "$(dirname "$0")/lib.sh"

mkfifo "$T/console"
service flood 'command = "while :; do echo flooding flooding flooding flooding flooding flooding; done"'
service crashy 'command = ["sh", "-c", "exit 1"]
restart.delay = "100ms"
restart.factor = 1.0'
cat "$T/console" >"$T/read.log" &
READER=$!
unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$CONF" --socket "$SOCK" --http 127.0.0.1:0 >"$T/console" 2>"$LOG" &
UPID=$!
trap 'kill -9 "$READER" 2>/dev/null; cleanup' EXIT
check "PID 1 up" wait_until 10 test -S "$SOCK"
SPID=$(pgrep -P "$UPID")
kill -STOP "$READER"   # from here on nobody reads PID 1's stdout
restarts() { ctl status --json crashy | sed -n 's/.*"restarts": \([0-9]*\).*/\1/p'; }
r0=$(restarts)
check "with the console stuck, status answers within 1 s" eval 'timeout 1 "$BIN" status --socket "$SOCK" >/dev/null'
check "and a crash-looping service keeps being restarted" wait_until 5 eval '[ "$(restarts)" -ge $((r0 + 5)) ]'
ADDR=$(grep -oE 'HTTP server on 127\.0\.0\.1:[0-9]+' "$LOG" | head -1 | awk '{ print $4 }')
dropped() { curl -s --max-time 2 "http://$ADDR/metrics" | awk '$1 == "supervisor_service_log_dropped_lines_total{service=\"flood\",destination=\"console\"}" { print $2 }'; }
check "/metrics counts flood's console drops while the console is stuck" wait_until 10 eval '[ "$(dropped)" -gt 0 ]'
kill -CONT "$READER"
check "the reader resumes: the lost lines are reported" wait_until 20 eval 'grep -qE "flood: [0-9]+ lines? dropped while the console \(stdout\) was not keeping up" "$LOG" "$T/read.log"'
check "and lines flow again" wait_until 10 eval '[ "$(grep -c "^flood | flooding" "$T/read.log")" -gt 1000 ]'
reported=$(grep -ohE "flood: [0-9]+ lines? dropped while the console" "$LOG" "$T/read.log" | awk '{ s += $2 } END { print s + 0 }')
check "/metrics has at least the drops reported so far ($(dropped) >= $reported)" eval '[ "$(dropped)" -ge "$reported" ]'
kill -TERM "$SPID"
check "PID 1 exits 0" eval 'wait_exit 20 && [ "$EXIT" = 0 ]'
finish
