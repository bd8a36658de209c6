#!/usr/bin/env bash
# Control requests do not outlive their client (issue 18 item 4): `status --wait-ready` against
# a service that never gets ready is answered "not ready" (exit 1) at the client's deadline by
# the supervisor itself, and a client that goes away frees its connection at once. 500 probes,
# as a Docker HEALTHCHECK of a crash-looping service makes them, leave PID 1's descriptors flat
# and its socket answering.
source "$(dirname "$0")/lib.sh"

service never 'command = ["sleep", "100000"]
[ready]
command = ["false"]
interval = "200ms"'
service web 'command = ["sleep", "100001"]'
start_pid1
ctl status --wait-ready 10s web >/dev/null
BASE=$(fd_count)
flat() { [ "$(fd_count)" -le $((BASE + 2)) ]; }  # + a readiness check's pipe that may be open

# 500 probes, 25 at a time, each with a 100 ms deadline.
: >"$T/rcs"
for batch in $(seq 20); do
    PIDS=()
    for i in $(seq 25); do
        ( "$BIN" status --wait-ready 100ms --socket "$SOCK" >/dev/null 2>&1; echo $? >>"$T/rcs" ) &
        PIDS+=($!)
    done
    wait "${PIDS[@]}"  # (a bare `wait` would wait for PID 1 too)
done
check "500 probes: all answered" test "$(wc -l <"$T/rcs")" = 500
sort "$T/rcs" | uniq -c
check "  each \"not ready\", exit 1 (none unreachable, exit 3)" test "$(grep -cx 1 "$T/rcs")" = 500
check "  PID 1's descriptors are back where they were ($BASE)" wait_until 5 flat
run_ctl status --wait-ready 100ms
check "  the answer says what is not ready, with the status" eval '[ "$RC" = 1 ] && out_has "^not ready within 100ms: never$" && out_has "^never +running +no "'

# Clients that go away before their deadline: their connections close at once, not at the
# deadline (60 s here), and the slots are free again.
PIDS=()
for i in $(seq 50); do
    "$BIN" status --wait-ready 60s --socket "$SOCK" >/dev/null 2>&1 &
    PIDS+=($!)
done
check "50 waiting clients hold 50 connections" wait_until 10 eval '[ "$(fd_count)" -ge $((BASE + 50)) ]'
kill -KILL "${PIDS[@]}"
wait "${PIDS[@]}" 2>/dev/null
check "  killed: PID 1 closes their connections at once" wait_until 3 flat
: >"$T/rcs"
PIDS=()
for i in $(seq 70); do
    ( "$BIN" status --socket "$SOCK" >/dev/null 2>&1; echo $? >>"$T/rcs" ) &
    PIDS+=($!)
done
wait "${PIDS[@]}"
check "  70 requests at once after that: all served (no \"too many connections\")" test "$(grep -cx 0 "$T/rcs")" = 70
check "PID 1 still answers" eval 'ctl status web >/dev/null'
finish
