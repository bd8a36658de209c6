#!/usr/bin/env bash
# The supervisor's messages about a service reach its buffer (`logs NAME`) whatever the console's
# --log-level: at warn (single-command mode's default) the console leaves out "started", the
# buffer keeps it; at debug a readiness check failing every interval is kept once, not each time.
source "$(dirname "$0")/lib.sh"

service crashy 'command = "echo hi; sleep 0.2; exit 1"
restart.delay = "300ms"'
service notready 'command = "exec sleep 100000"
ready.tcp = "127.0.0.1:1"
ready.interval = "100ms"'

start_pid1 --log-level warn
check "warn: crashy crashed twice (the console has the warnings)" wait_until 10 eval '[ "$(grep -c "crashy: exited with status 1; restarting" "$LOG")" -ge 2 ]'
check "...the console leaves out 'started' (info)" eval '! grep -q "crashy: started" "$LOG"'
run_ctl logs -n all crashy
check "...logs crashy keeps 'started', the crash and the restart delay" eval '
    out_has "^supervisor \| crashy: started \(pid [0-9]+\)$" && out_has "^supervisor \| crashy: exited with status 1; restarting in" && out_has "^crashy \| hi$"'
run_ctl logs -n all notready
check "...and the first 'not ready' of notready" out_has "^supervisor \| notready: not ready: cannot connect to 127.0.0.1:1"
ctl shutdown >/dev/null
wait_exit 15

: >"$LOG"
start_pid1 --log-level debug
check "debug: the readiness check failed at least 10 times (console)" wait_until 10 eval '[ "$(grep -c "notready: not ready" "$LOG")" -ge 10 ]'
run_ctl logs -n all notready
check "...logs notready keeps the reason once" eval '[ "$(grep -c "notready: not ready" <<<"$OUT")" = 1 ]'
ctl shutdown >/dev/null
check "PID 1 exits 0" eval 'wait_exit 15 && [ "$EXIT" = 0 ]'
finish
