#!/usr/bin/env bash
# Overlapping requests and reloads (README "Overlapping requests"): the newest request decides
# the goal, every request is answered (0 reached, 1 superseded or failed; 3 only unreachable),
# and the file on disk is what runs. The bugs of issue 19, each as found: a TERM-ignoring g7
# with a 1.5 s stop timeout, its file changed and reloaded, then a command in the stop window.
source "$(dirname "$0")/lib.sh"

# Ignores SIGTERM (and so do its sleeps: an ignored signal stays ignored across exec).
STUBBORN='command = ["sh", "-c", "trap \"\" TERM; while :; do sleep 1; done # g7"]
[stop]
timeout = "1500ms"'
NEW='command = ["sleep", "1000"]
[stop]
timeout = "1500ms"'
cmd_of() { in_ns sh -c "tr '\\0' ' ' </proc/$1/cmdline" 2>/dev/null; }
runs() { local pid; pid=$(pid_of "$1") && alive "$pid" && [ "$(cmd_of "$pid")" = "$2 " ]; }
took_since() { awk "BEGIN { print $EPOCHREALTIME - $1 }"; }
less_than() { awk "BEGIN { exit !($1 < $2) }"; }
# Puts g7 back to the stubborn file and waits until that runs.
stubborn_g7() {
    service g7 "$STUBBORN"
    ctl reload >/dev/null
    wait_until 10 runs g7 "$STUBBORN_CMD"
}
STUBBORN_CMD='sh -c trap "" TERM; while :; do sleep 1; done # g7'

service g7 "$STUBBORN"
service f6 'command = ["sh", "-c", "trap \"\" TERM; while :; do sleep 1; done"]
[stop]
timeout = "500ms"'
service never 'command = ["sleep", "100000"]
[ready]
command = ["false"]
interval = "100ms"'
service db 'command = ["sleep", "100001"]'
service app 'command = ["sleep", "100002"]
after = ["db"]'
service once 'command = ["true"]
[restart]
policy = "never"'
service bad 'command = ["false"]
[restart]
policy = "never"'
start_pid1
ctl status --wait-ready 10s g7 f6 db app once >/dev/null

# 1a. stop during a reload's stop: stays stopped (the new file is not started), answered at once.
service g7 "$NEW"
run_ctl reload
check "reload: g7 changed" out_has "1 changed \(g7\)"
T0=$EPOCHREALTIME
run_ctl stop g7 --timeout 8s
TOOK=$(took_since "$T0")
check "stop during the reload's stop: exit 0, \"g7: stopped\" (took ${TOOK}s)" eval '[ "$RC" = 0 ] && out_has "^g7: stopped$" && less_than "$TOOK" 5'
check "  g7 is stopped, no process" eval '[ "$(state_of g7)" = stopped ] && [ "$(pid_of g7)" = - ]'
check "  the new file was not started behind the stop" eval '! in_ns pgrep -x -f "sleep 1000" >/dev/null'
check "  no \"changed\" left in its reason" eval '! status_row g7 | grep -q changed'
run_ctl start g7
check "  a later start runs the new file" eval '[ "$RC" = 0 ] && runs g7 "sleep 1000"'

# 1b. restart during a reload's stop: runs the new file; crash restarts too; the next reload
# finds nothing changed.
stubborn_g7
check "g7 runs the stubborn file again" runs g7 "$STUBBORN_CMD"
service g7 'command = ["sleep", "1001"]
[stop]
timeout = "1500ms"'
ctl reload >/dev/null
run_ctl restart g7 --timeout 8s
NEWPID=$(pid_of g7)
check "restart during the reload's stop: exit 0, running with a new pid" eval '[ "$RC" = 0 ] && out_has "^g7: running \(pid $NEWPID\)$"'
check "  that pid runs the new file" runs g7 "sleep 1001"
check "  no \"changed\" left in its reason" eval '! status_row g7 | grep -q changed'
in_ns kill -KILL "$NEWPID"
check "  a crash restart runs the new file too" wait_until 10 eval '[ "$(pid_of g7)" != "$NEWPID" ] && runs g7 "sleep 1001"'
run_ctl reload
check "  the next reload: nothing changed" out_has "0 changed"

# 1c. removal, then start: refused; the service goes once down; its file back brings it back.
stubborn_g7
rm "$CONF/g7.toml"
run_ctl reload
check "reload: g7 removed" out_has "1 removed \(g7\)"
run_ctl start g7
check "start of a removed service: exit 1, says why" eval '[ "$RC" = 1 ] && out_has "g7: removed .*only once its file is back"'
check "  g7 leaves the table once stopped" wait_until 10 eval '! names | grep -qw g7'
check "  nothing of g7 runs" eval '! in_ns pgrep -f "done # g7" >/dev/null'
service g7 "$NEW"
run_ctl reload
check "  its file back: added and running the file" eval 'out_has "1 added \(g7\)" && wait_until 10 runs g7 "sleep 1000"'

# 2. A stop overtaken by a start is answered "superseded".
T0=$EPOCHREALTIME
( "$BIN" stop f6 --timeout 8s --socket "$SOCK" >"$T/stop.out" 2>&1; echo $? >"$T/stop.rc" ) &
wait_until 5 eval '[ "$(state_of f6)" = stopping ]'
run_ctl start f6
check "start during the stop: exit 0, running" eval '[ "$RC" = 0 ] && out_has "^f6: running"'
wait_until 10 test -s "$T/stop.rc"
TOOK=$(took_since "$T0")
check "  the stop is answered: exit 1, superseded by a later start (took ${TOOK}s)" \
    eval '[ "$(cat "$T/stop.rc")" = 1 ] && grep -q "^f6: superseded by a later start$" "$T/stop.out" && less_than "$TOOK" 5'
# The other way round: a start overtaken by a stop.
ctl stop f6 >/dev/null
( "$BIN" start never --timeout 8s --socket "$SOCK" >"$T/start.out" 2>&1; echo $? >"$T/start.rc" ) &
wait_until 5 eval '[ "$(state_of never)" = running ]'
run_ctl stop never
check "stop during a start that waits for readiness: exit 0" eval '[ "$RC" = 0 ] && out_has "^never: stopped$"'
wait_until 10 test -s "$T/start.rc"
check "  the start is answered: exit 1, superseded by a later stop" \
    eval '[ "$(cat "$T/start.rc")" = 1 ] && grep -q "^never: superseded by a later stop$" "$T/start.out"'

# A stop overtaken by a restart; a start overtaken by a reload that disables the service.
ctl start f6 >/dev/null
( "$BIN" stop f6 --timeout 8s --socket "$SOCK" >"$T/stop2.out" 2>&1; echo $? >"$T/stop2.rc" ) &
wait_until 5 eval '[ "$(state_of f6)" = stopping ]'
run_ctl restart f6
check "restart during a stop: exit 0, running" eval '[ "$RC" = 0 ] && out_has "^f6: running"'
check "  the stop is answered: exit 1, superseded by a later restart" wait_until 10 \
    eval '[ "$(cat "$T/stop2.rc" 2>/dev/null)" = 1 ] && grep -q "^f6: superseded by a later restart$" "$T/stop2.out"'
ctl stop never >/dev/null
( "$BIN" start never --timeout 8s --socket "$SOCK" >"$T/start2.out" 2>&1; echo $? >"$T/start2.rc" ) &
wait_until 5 eval '[ "$(state_of never)" = running ]'
NEVER=$(cat "$CONF/never.toml")
printf 'enabled = false\n%s\n' "$NEVER" >"$CONF/never.toml"
run_ctl reload
check "reload that disables a service a start waits for: 1 changed (never)" out_has "1 changed \(never\)"
check "  the start is answered: exit 1, superseded by a later reload" wait_until 10 \
    eval '[ "$(cat "$T/start2.rc" 2>/dev/null)" = 1 ] && grep -q "^never: superseded by a later reload$" "$T/start2.out"'
printf '%s\n' "$NEVER" >"$CONF/never.toml"
ctl reload >/dev/null

# stop of a service that ended for good: the state is what the answer says.
run_ctl stop once bad
check "stop of an exited and a failed service: exit 0, both stopped" \
    eval '[ "$RC" = 0 ] && [ "$(state_of once)" = stopped ] && [ "$(state_of bad)" = stopped ]'

# 3. Waiting requests carry their deadline: "not ready" with the status, exit 1, at the deadline.
ctl start never --timeout 100ms >/dev/null 2>&1
T0=$EPOCHREALTIME
run_ctl status --wait-ready 2s
TOOK=$(took_since "$T0")
check "status --wait-ready 2s, never ready: exit 1 at the deadline (took ${TOOK}s)" \
    eval '[ "$RC" = 1 ] && less_than 1.9 "$TOOK" && less_than "$TOOK" 2.9'
check "  says which is not ready, then the status table" eval 'out_has "^not ready within 2s: never$" && out_has "^never +running +no "'
run_ctl status --wait-ready 300ms --json never
check "  --json: exit 1 and the JSON status" eval '[ "$RC" = 1 ] && "$PY" -c "import json,sys; assert json.loads(sys.argv[1])[0][\"ready\"] is False" "$OUT"'
ctl stop never >/dev/null
run_ctl start never --timeout 1s
check "start --timeout 1s, never ready: exit 1, not ready, with the status" \
    eval '[ "$RC" = 1 ] && out_has "^not ready within 1s: never$" && out_has "^never +running"'

# Dependencies (issue 12): a start whose dependency is stopped fails at once, naming it.
ctl stop app db >/dev/null
T0=$EPOCHREALTIME
run_ctl start app --timeout 8s
TOOK=$(took_since "$T0")
check "start app with db stopped: exit 1 at once, names db (took ${TOOK}s)" \
    eval '[ "$RC" = 1 ] && out_has "^app: not started: it starts after db \(stopped\)" && less_than "$TOOK" 2'
check "  app stays stopped, not waiting" eval '[ "$(state_of app)" = stopped ] && ! status_row app | grep -q waiting'
run_ctl start app db
check "start app db (either order): both running" eval '[ "$RC" = 0 ] && out_has "^app: running" && out_has "^db: running"'

# Usage errors after a subcommand: exit 2, before anything is sent.
for words in "status --bogus" "stop" "signal g7" "start --timeout"; do
    run_ctl $words
    check "usage error \"$words\": exit 2" test "$RC" = 2
done

# --wait-ready (a HEALTHCHECK): a service stopped on request is not waited for, unless it is
# critical (the container's job): then the container is not ready, at once.
service crit 'command = ["sleep", "1000"]
critical = true'
ctl reload >/dev/null
wait_until 5 eval '[ "$(state_of crit)" = running ]'
ctl stop crit >/dev/null
run_ctl status --wait-ready 5s crit
check "a critical service stopped on request: --wait-ready exit 1 at once, saying why" \
    eval '[ "$RC" = 1 ] && out_has "crit: stopped \(a critical service"'
ctl start crit >/dev/null
run_ctl status --wait-ready 5s crit
check "  started again: ready (exit 0)" test "$RC" = 0
rm -f "$CONF/crit.toml"; ctl reload >/dev/null

check "PID 1 still answers" eval 'ctl status >/dev/null'

# Shutdown answers what still waits, and nothing waiting holds PID 1 up.
ctl stop never >/dev/null
BASE=$(fd_count)
( "$BIN" start never --timeout 8s --socket "$SOCK" >"$T/start3.out" 2>&1; echo $? >"$T/start3.rc" ) &
wait_until 5 eval '[ "$(state_of never)" = running ]'
( "$BIN" status --wait-ready 60s never --socket "$SOCK" >"$T/wait.out" 2>&1; echo $? >"$T/wait.rc" ) &
wait_until 5 eval '[ "$(fd_count)" -ge $((BASE + 2)) ]'
ctl shutdown >/dev/null
check "shutdown: a waiting request is answered, exit 1" wait_until 15 eval '[ "$(cat "$T/wait.rc" 2>/dev/null)" = 1 ] && grep -q "shutting down" "$T/wait.out"'
check "  a start not yet answered: exit 1, superseded by a later shutdown" wait_until 15 \
    eval '[ "$(cat "$T/start3.rc" 2>/dev/null)" = 1 ] && grep -q "^never: superseded by a later shutdown$" "$T/start3.out"'
check "  PID 1 exits 0" eval 'wait_exit 15 && [ "$EXIT" = 0 ]'
finish
