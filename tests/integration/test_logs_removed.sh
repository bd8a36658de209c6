#!/usr/bin/env bash
# A removed service whose last words come late: a process it left outside its group writes to
# the service's pipe after the reload removed the service (and forgot its buffer of recent
# lines), then ends. PID 1 must take the line, let the buffer go with the pipe, and go on: the
# next message of its own (a request) once used the freed buffer (found by the randomized run).
source "$(dirname "$0")/lib.sh"

service late 'command = ["sh", "-c", "setsid sh -c '"'"'sleep 1; echo late words; sleep 0.3'"'"' & exec sleep 100000"]'
service other 'command = ["sleep", "100000"]'
start_pid1
check "late runs" wait_until 10 eval '[ "$(state_of late)" = running ]'
rm -f "$CONF/late.toml"
ctl reload >/dev/null
check "late is removed" wait_until 10 log_has 'late: removed'
check "its orphan's line arrives after the removal" wait_until 5 eval 'grep -q "late | late words" "$LOG"'
wait_until 5 eval '! in_ns pgrep -f "echo late words" >/dev/null'   # the orphan ended: the pipe is closed
for i in 1 2 3; do ctl stop other >/dev/null 2>&1; ctl start other >/dev/null 2>&1; done
check "PID 1 goes on (requests answered, messages kept)" eval 'ctl status other >/dev/null && [ "$(state_of other)" = running ]'
run_ctl logs -n 5 other
check "logs still answers" out_has 'other: start requested'
kill -TERM "$SPID"
check "PID 1 exits 0" eval 'wait_exit 20 && [ "$EXIT" = 0 ]'
finish
