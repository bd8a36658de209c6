#!/usr/bin/env bash
# Single-command mode is as quiet as tini by default (issue 15): the command's output and
# nothing else; a non-zero end nobody asked for is reported in one line at warn (the status or
# the signal); an interrupt (SIGINT, Ctrl-C) or a signal PID 1 passed on is not; --log-level
# brings the supervisor's own lines back.
source "$(dirname "$0")/lib.sh"

# Runs `supervisor [OPTS] -- CMD` as PID 1; $OUT its stdout, $ERR its stderr, $RC its status.
sc() {
    local opts=()
    while [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$T/none" --socket "" "${opts[@]}" -- "$@" \
        >"$T/out" 2>"$T/err"
    RC=$?
    OUT=$(cat "$T/out") ERR=$(cat "$T/err")
}

sc -- sh -c 'echo hello'
check "a command that succeeds: its output, exit 0" eval '[ "$RC" = 0 ] && [ "$OUT" = hello ]'
check "  and not a line of the supervisor's own" test -z "$ERR"
sc -- sh -c 'echo oops >&2; exit 5'
check "a command exiting 5: PID 1 exits 5" test "$RC" = 5
check "  the command's stderr, then one warning naming the status" eval '[ "$(sed -n 1p <<<"$ERR")" = oops ] && [ "$(wc -l <<<"$ERR")" = 2 ] && grep -qE "warning: main: exited with status 5; exit status 5$" <<<"$ERR"'
sc -- sh -c 'kill -KILL $$'
check "killed by SIGKILL: 137, and one warning naming the signal" eval '[ "$RC" = 137 ] && [ "$(wc -l <<<"$ERR")" = 1 ] && grep -q "warning: main: killed by SIGKILL; exit status 137" <<<"$ERR"'
sc -- sh -c 'kill -INT $$'
check "an interrupt (as Ctrl-C): 130 and nothing printed" eval '[ "$RC" = 130 ] && [ -z "$ERR" ]'

# A signal PID 1 passes on (docker stop) that ends the command: nothing printed either.
unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$T/none" --socket "" -- \
    sh -c "echo up > $T/up; while :; do sleep 0.05; done" >"$T/out" 2>"$T/err" &
UPID=$!
wait_until 5 test -s "$T/up"
SPID=$(pgrep -P "$UPID")
kill -TERM "$SPID"
check "SIGTERM passed on ends the command: 143, and nothing printed" eval 'wait_exit 5 && [ "$EXIT" = 143 ] && [ ! -s "$T/err" ]'

sc --log-level info -- sh -c 'exit 0'
check "--log-level info: the supervisor's lines are back" eval '[ "$RC" = 0 ] && grep -q "main: started" <<<"$ERR"'
sc --log-level error -- sh -c 'exit 3'
check "--log-level error: even the warning goes" eval '[ "$RC" = 3 ] && [ -z "$ERR" ]'
# Not single-command mode: the default stays info.
service app 'command = ["sh", "-c", "exit 0"]
critical = true
restart.policy = "never"'
unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$CONF" --socket "" >"$T/out" 2>"$T/err"
check "a service directory alone still logs at info" grep -q "app: started" "$T/err"
finish
