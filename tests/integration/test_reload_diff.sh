#!/usr/bin/env bash
# Directory reload, by SIGHUP and by `supervisor reload`: added services start, removed ones
# stop with their stop signal and disappear, changed ones restart with the new file, and
# unchanged ones are not touched (same pid, not a single signal).
source "$(dirname "$0")/lib.sh"

service a "command = [\"sh\", \"$T/recorder.sh\", \"$T/a.signals\"]"
service b 'command = ["sleep", "1001"]'
service c "command = [\"sh\", \"$T/recorder.sh\", \"$T/c.signals\", \"INT\"]
[stop]
signal = \"SIGINT\""
start_pid1
ctl status --wait-ready 10s >/dev/null
A=$(pid_of a) B=$(pid_of b) C=$(pid_of c)
check "a, b and c run" eval 'alive "$A" && alive "$B" && alive "$C"'

# SIGHUP: b changed, c removed, d added, a left alone.
service b 'command = ["sleep", "2002"]'
rm "$CONF/c.toml"
service d 'command = ["sleep", "1004"]'
kill -HUP "$SPID"
hup_done() { [ "$(names)" = "a b d" ] && [ "$(state_of b)" = running ] && [ "$(pid_of b)" != "$B" ] && [ "$(state_of d)" = running ]; }
check "SIGHUP: status converges to a, b, d" wait_until 10 hup_done
check "SIGHUP: the log sums it up" log_has "reloaded $CONF: 1 added \(d\), 1 changed \(b\), 1 removed \(c\), 1 unchanged"
check "a kept its pid" test "$(pid_of a)" = "$A"
check "b runs the new command under a new pid" eval 'alive "$(pid_of b)" && [ "$(in_ns cat /proc/$(pid_of b)/cmdline | tr "\0" " ")" = "sleep 2002 " ]'
check "b's old process is gone" gone "$B"
check "c's process is gone" gone "$C"
check "c was stopped with its own stop signal (SIGINT)" grep -qx INT "$T/c.signals"
check "c is no longer listed" eval '! ctl status | grep -q "^c "'
check "status c: unknown service" eval '! ctl status c 2>&1 | grep -q "^c " && ctl status c 2>&1 | grep -q "unknown service: c"'
check "d runs" alive "$(pid_of d)"

# `supervisor reload`: b disabled (enabled = false), d changed, e added.
B2=$(pid_of b) D=$(pid_of d)
service b 'command = ["sleep", "2002"]
enabled = false'
service d 'command = ["sleep", "2004"]'
service e 'command = ["sleep", "1005"]'
run_ctl reload
check "reload: exit status 0" test "$RC" = 0
check "reload: prints a summary with counts" out_has "1 added \(e\), 2 changed \(b, d\), 0 removed, 1 unchanged"
reload_done() { [ "$(state_of b)" = stopped ] && [ "$(state_of e)" = running ] && [ "$(state_of d)" = running ] && [ "$(pid_of d)" != "$D" ]; }
check "reload: b stops, d restarts, e starts" wait_until 10 reload_done
check "b (disabled) is gone from /proc" gone "$B2"
check "b (disabled) is still listed, as disabled" eval 'status_row b | grep -Eq "^b +stopped .*disabled"'
check "status --json says b is not enabled" eval 'ctl status --json b | "$PY" -c "import json,sys; s=json.load(sys.stdin)[0]; sys.exit(not (s[\"enabled\"] is False and s[\"pid\"] is None))"'
check "d runs its new command" eval '[ "$(in_ns cat /proc/$(pid_of d)/cmdline | tr "\0" " ")" = "sleep 2004 " ]'
check "e runs" alive "$(pid_of e)"
check "a still has its first pid" test "$(pid_of a)" = "$A"
check "a never got a signal" test ! -e "$T/a.signals"

finish
