#!/usr/bin/env bash
# What reaches a service's buffer (`logs NAME`) besides the console: the lines of a service
# logging to a file or to syslog only; the supervisor's messages about it whatever the console's
# --log-level: at warn (single-command mode's default) the console leaves out "started", the
# buffer keeps it; at debug a readiness check failing every interval is kept once, not each time.
source "$(dirname "$0")/lib.sh"

service crashy 'command = "echo hi; sleep 0.2; exit 1"
restart.delay = "300ms"'
service notready 'command = "exec sleep 100000"
ready.tcp = "127.0.0.1:1"
ready.interval = "100ms"'

chmod 755 "$T"
service tofile "command = \"echo to the file; echo err to the file >&2; exec sleep 100000\"
log.stdout = \"file\"
log.stderr = \"file\"
log.file = \"$T/tofile.log\""
service tosyslog "command = \"echo to syslog only; exec sleep 100000\"
log.stdout = \"null\"
log.syslog = \"unix://$T/no-such-devlog\""

start_pid1 --log-level warn
check "[log] file: the lines reach the file" wait_until 10 grep -q "to the file" "$T/tofile.log"
check "...and the buffer, both streams" eval 'ctl logs -n all tofile | grep -q "^tofile | to the file$" && ctl logs -n all tofile | grep -q "^tofile:err | err to the file$"'
check "null with syslog: the buffer has the line" wait_until 10 eval 'ctl logs -n all tosyslog | grep -q "^tosyslog | to syslog only$"'
check "...the console does not" eval '! grep -q "to syslog only" "$LOG" && ! grep -q "to the file" "$LOG"'
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
