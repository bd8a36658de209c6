#!/usr/bin/env bash
# The command line (issue 15): global options before or after the subcommand; a usage mistake
# is one line and a hint, exit 2; `start` and `restart` report success only once the service
# passed its readiness check or stayed up for the settle time (--settle), else the failure and
# its reason.
source "$(dirname "$0")/lib.sh"

# crash: up for 0.3 s, then dies (supervisorctl's startsecs would catch it; the default settle time is 1 s)
service crash 'command = ["sh", "-c", "sleep 0.3; exit 3"]
enabled = false
[restart]
delay = "5s"'
# late: dies after 1.5 s: inside a 3 s settle time, outside a 200 ms one
service late 'command = ["sh", "-c", "sleep 1.5; exit 4"]
enabled = false
[restart]
policy = "never"'
service steady 'command = ["sleep", "100000"]
enabled = false'
# ready: a readiness check that passes at once; it does not wait for the settle time
service ready "command = [\"sleep\", \"100000\"]
enabled = false
[ready]
command = [\"true\"]
interval = \"100ms\""
start_pid1

# global options before the subcommand
OUT=$("$BIN" --socket "$SOCK" status 2>&1); RC=$?
check "--socket before the subcommand" eval '[ "$RC" = 0 ] && out_has "^NAME "'
OUT=$("$BIN" --timeout 5s --socket "$SOCK" status steady 2>&1); RC=$?
check "--timeout and --socket before the subcommand" eval '[ "$RC" = 0 ] && out_has "^steady "'
OUT=$("$BIN" status --socket "$SOCK" steady 2>&1); RC=$?
check "... and after it, as before" eval '[ "$RC" = 0 ] && out_has "^steady "'
OUT=$("$BIN" --config-dir "$CONF" check 2>&1); RC=$?
check "--config-dir before check" eval '[ "$RC" = 0 ] && out_has "4 services, all valid"'

# usage mistakes: one line and the hint, exit 2
one_line_usage() {
    OUT=$("$BIN" "$@" 2>&1); RC=$?
    [ "$RC" = 2 ] && [ "$(wc -l <<<"$OUT")" = 2 ] && [ "$(sed -n 2p <<<"$OUT")" = "see 'supervisor --help'" ]
}
check "an unknown option: one line, the hint, exit 2" one_line_usage --bogus
check "an unknown command, with did-you-mean" eval 'one_line_usage stauts && out_has "did you mean \"status\""'
check "a subcommand's usage error too" one_line_usage signal web --socket "$SOCK"
check "a missing value" one_line_usage status --socket
check "--settle is only for start and restart" one_line_usage stop --settle 1s steady --socket "$SOCK"
OUT=$("$BIN" --help 2>&1); RC=$?
check "--help still prints the whole usage, exit 0" eval '[ "$RC" = 0 ] && out_has "^usage:" && out_has "--settle DURATION"'

# start: success only after the settle time
timed_ctl start steady
check "start of a steady service: exit 0, running" eval '[ "$RC" = 0 ] && out_has "^steady: running \(pid [0-9]+\)$"'
check "  ... after the default settle time of 1s (took ${TOOK}s)" awk "BEGIN { exit !($TOOK >= 0.95 && $TOOK < 5) }"
run_ctl start crash
check "start of a service that dies after 0.3s: exit 1, with the reason" \
    eval '[ "$RC" = 1 ] && out_has "^crash: did not start: backoff \(exited with status 3\)"'
ctl stop crash >/dev/null
run_ctl start --settle 3s late
check "--settle 3s: a service that dies after 1.5s did not start" eval '[ "$RC" = 1 ] && out_has "^late: did not start: .*exited with status 4"'
run_ctl start --settle 200ms late
check "--settle 200ms: the same service started" eval '[ "$RC" = 0 ] && out_has "^late: running"'
timed_ctl restart --settle 10s ready
check "a readiness check that passed is enough: no settle wait (took ${TOOK}s)" \
    eval '[ "$RC" = 0 ] && out_has "^ready: running" && awk "BEGIN { exit !($TOOK < 5) }"'
timed_ctl restart --settle 2s steady
check "restart waits for the settle time too (took ${TOOK}s)" eval '[ "$RC" = 0 ] && awk "BEGIN { exit !($TOOK >= 1.95) }"'
finish
