#!/usr/bin/env bash
# A reload that meets an invalid file changes nothing: every error is logged (and returned to
# `supervisor reload`) with file:line:col, and the running set stays exactly as it was, even
# the valid changes made alongside.
source "$(dirname "$0")/lib.sh"

service a "command = [\"sh\", \"$T/recorder.sh\", \"$T/a.signals\"]"
service b "command = [\"sh\", \"$T/recorder.sh\", \"$T/b.signals\"]"
start_pid1
ctl status --wait-ready 10s >/dev/null
A=$(pid_of a) B=$(pid_of b)

# Two bad files, next to valid changes that must not be applied either.
printf '# broken on purpose\ncommand = ["sleep" "1"]\n' >"$CONF/broken.toml"
printf 'command = ["sleep", "1"]\nrestrat = "always"\n' >"$CONF/typo.toml"
service b 'command = ["sleep", "1002"]'
service n 'command = ["sleep", "1003"]'
unchanged() {
    [ "$(names)" = "a b" ] && [ "$(pid_of a)" = "$A" ] && [ "$(pid_of b)" = "$B" ] && alive "$A" && alive "$B" &&
        [ ! -e "$T/a.signals" ] && [ ! -e "$T/b.signals" ]
}

kill -HUP "$SPID"
check "SIGHUP: the reload is refused" wait_until 10 log_has "reload refused: 2 errors; nothing changed"
check "SIGHUP: the syntax error is logged with file:line:col" log_has "reload: $CONF/broken.toml:2:20: .*expected comma"
check "SIGHUP: the unknown key is logged with file:line:col" log_has "reload: $CONF/typo.toml:2:1: unknown key \`restrat\`"
check "SIGHUP: nothing changed (same services, same pids, no signal)" unchanged

run_ctl reload
check "supervisor reload: non-zero exit" test "$RC" != 0
check "supervisor reload: prints the syntax error" out_has "$CONF/broken.toml:2:20: "
check "supervisor reload: prints the unknown key" out_has "$CONF/typo.toml:2:1: unknown key \`restrat\`; did you mean \`restart\`\?"
check "supervisor reload: says nothing changed" out_has "nothing changed"
check "supervisor reload: nothing changed" unchanged

# Once the files are fixed, the pending valid changes go through.
rm "$CONF/broken.toml" "$CONF/typo.toml"
run_ctl reload
check "after the fix: reload succeeds" eval '[ "$RC" = 0 ] && out_has "1 added \(n\), 1 changed \(b\), 0 removed, 1 unchanged"'
fixed() { [ "$(names)" = "a b n" ] && [ "$(state_of n)" = running ] && [ "$(state_of b)" = running ] && [ "$(pid_of b)" != "$B" ]; }
check "after the fix: b restarted, n started" wait_until 10 fixed
check "after the fix: a untouched" eval '[ "$(pid_of a)" = "$A" ] && [ ! -e "$T/a.signals" ]'

finish
