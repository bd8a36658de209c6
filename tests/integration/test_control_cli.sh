#!/usr/bin/env bash
# Every command of the client, with its exit status: status (table, --json, NAME, unknown),
# start, stop, restart, signal, reload, shutdown, and the client with no supervisor to talk to.
source "$(dirname "$0")/lib.sh"

service web "command = [\"sh\", \"$T/recorder.sh\", \"$T/web.signals\"]"
# slow: takes a second to stop (its TERM trap sleeps), so `stop` has something to wait for.
service slow 'command = "trap \"sleep 1; exit 0\" TERM; while :; do sleep 5 & wait $!; done"
enabled = false'
service broken 'command = ["/nonexistent/program"]
enabled = false
[restart]
max_retries = 1'
start_pid1
ctl status --wait-ready 10s >/dev/null
WEB=$(pid_of web)

# status
run_ctl status
check "status: exit 0" test "$RC" = 0
check "status: the table's columns" out_has "^NAME +STATE .*PID +SINCE +RESTARTS +LAST EXIT +REASON$"
check "status: web is running with its pid" out_has "^web +running .* $WEB +[0-9]+s +0 "
check "status: slow is stopped, reason disabled" out_has "^slow +stopped .* - .*disabled$"
check "status: one row per service" test "$(wc -l <<<"$OUT")" = 4
run_ctl status --json
check "status --json: exit 0" test "$RC" = 0
check "status --json: valid JSON with the fields" "$PY" -c '
import json, sys
s = {x["name"]: x for x in json.loads(sys.argv[1])}
assert sorted(s) == ["broken", "slow", "web"], s
for x in s.values():
    assert {"state", "pid", "uptime_seconds", "restarts", "last_exit", "reason", "enabled"} <= set(x), x
assert s["web"]["state"] == "running" and s["web"]["pid"] == int(sys.argv[2]) and s["web"]["uptime_seconds"] >= 0
assert s["slow"]["state"] == "stopped" and s["slow"]["pid"] is None and s["slow"]["reason"] == "disabled"
assert s["slow"]["enabled"] is False and s["web"]["restarts"] == 0
' "$OUT" "$WEB"
run_ctl status web
check "status NAME: exit 0, only that service (then a blank line and its last lines)" eval '
    [ "$RC" = 0 ] && [ "$(sed "/^\$/q" <<<"$OUT" | grep -c .)" = 2 ] && out_has "^web +running" && out_has "^supervisor \| web: started"'
run_ctl status nope
check "status unknown: non-zero, \"unknown service\"" eval '[ "$RC" != 0 ] && out_has "unknown service: nope"'

# start / stop / restart
run_ctl start slow
SLOW=$(pid_of slow)
check "start: exit 0, says running with the pid" eval '[ "$RC" = 0 ] && out_has "^slow: running \(pid $SLOW\)$"'
check "start: the process is there" alive "$SLOW"
timed_ctl stop slow
check "stop: exit 0, says stopped" eval '[ "$RC" = 0 ] && out_has "^slow: stopped$"'
check "stop: waited for the slow stop (took ${TOOK}s, at least 1s)" awk "BEGIN { exit !($TOOK >= 0.95) }"
check "stop: the process is gone when the command returns" gone "$SLOW"
check "stop: status says stopped" test "$(state_of slow)" = stopped
run_ctl restart web
NEW=$(pid_of web)
check "restart: exit 0, says running with a new pid" eval '[ "$RC" = 0 ] && [ "$NEW" != "$WEB" ] && out_has "^web: running \(pid $NEW\)$"'
check "restart: the old process is gone, the new one runs" eval 'gone "$WEB" && alive "$NEW"'
check "restart: web got its stop signal" grep -qx TERM "$T/web.signals"
run_ctl start broken
check "start of a service that cannot exec: non-zero with the reason" \
    eval '[ "$RC" != 0 ] && out_has "^broken: did not start: failed .*cannot execute /nonexistent/program: No such file or directory"'
run_ctl stop nope
check "stop unknown: non-zero, \"unknown service\"" eval '[ "$RC" != 0 ] && out_has "unknown service: nope"'
run_ctl start
check "start without a name: non-zero" eval '[ "$RC" != 0 ] && out_has "needs at least one service name"'

# signal
rm -f "$T/web.signals"
run_ctl signal web SIGUSR1
check "signal: exit 0" eval '[ "$RC" = 0 ] && out_has "SIGUSR1 sent to web"'
check "signal: the service got SIGUSR1" wait_until 5 grep -qx USR1 "$T/web.signals"
run_ctl signal web SIGBOGUS
check "signal with a bad name: non-zero" eval '[ "$RC" != 0 ] && out_has "\"SIGBOGUS\" is not a signal"'
run_ctl signal slow SIGUSR1
check "signal to a stopped service: non-zero" eval '[ "$RC" != 0 ] && out_has "slow is not running"'
run_ctl signal web
check "signal without a signal: non-zero, usage" eval '[ "$RC" != 0 ] && out_has "usage: signal NAME SIGNAL"'
check "signals did not disturb web" test "$(pid_of web)" = "$NEW"

# reload (the directory, unchanged here)
run_ctl reload
check "reload: exit 0, nothing to do" eval '[ "$RC" = 0 ] && out_has "0 added, 0 changed, 0 removed, 3 unchanged"'

# shutdown: reloads are refused while it runs (slow takes a second to stop), then PID 1 exits 0
ctl start slow >/dev/null
rm -f "$T/web.signals"
run_ctl shutdown
check "shutdown: exit 0" eval '[ "$RC" = 0 ] && out_has "shutting down"'
run_ctl reload
check "reload during shutdown: refused" eval '[ "$RC" != 0 ] && out_has "shutting down"'
kill -HUP "$SPID"
check "SIGHUP during shutdown: ignored" wait_until 5 log_has "reload ignored: shutting down"
check "shutdown: PID 1 exits with status 0" eval 'wait_exit 15 && [ "$EXIT" = 0 ]'
check "shutdown: web was stopped with SIGTERM" grep -qx TERM "$T/web.signals"

# No supervisor: the socket is gone.
run_ctl status
check "no supervisor: exit 3, the message names the socket" eval '[ "$RC" = 3 ] && out_has "$SOCK"'
OUT=$("$BIN" stop web --socket "$T/never.sock" 2>&1) RC=$?
check "never-created socket: exit 3, the message names it" eval '[ "$RC" = 3 ] && out_has "$T/never.sock"'

finish
