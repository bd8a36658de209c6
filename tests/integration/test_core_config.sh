#!/usr/bin/env bash
# Bad service files: every error of every file at once with file:line:col, a distinct exit
# status (78), and nothing started; `supervisor check` says the same without running anything.
source "$(dirname "$0")/lib.sh"

service good "command = [\"sh\", \"-c\", \"touch $T/good.ran; exec sleep 1000\"]"
service typo 'command = ["sleep", "1"]
restrat = { policy = "never" }'
service types 'command = ["sleep", "1"]
critical = "yes"
[stop]
signal = "SIGBOGUS"
timeout = 5'
service broken 'command = ["sleep", "1"'
service durations 'command = ["sleep", "1"]
[restart]
delay = "fast"'

"$BIN" --config-dir "$CONF" --socket "$SOCK" >"$LOG" 2>&1
check "boot with invalid files: exit status 78" test $? = 78
check "unknown key with file:line:col and a suggestion" log_has "typo.toml:2:1: unknown key \`restrat\`; did you mean \`restart\`\?"
check "wrong type" log_has "types.toml:2:12: \`critical\` must be true or false, not a string"
check "bad signal name" log_has "types.toml:4:10: \`stop.signal\`: \"SIGBOGUS\" is not a signal"
check "a number where a duration is wanted" log_has "types.toml:5:11: \`stop.timeout\` must be a duration"
check "bad duration" log_has "durations.toml:3:9: \`restart.delay\`: \"fast\" is not a duration"
check "TOML syntax error with its position" log_has "broken.toml:[0-9]+:[0-9]+: "
check "all errors at once, counted" log_has "^6 errors; nothing was started"
check "nothing was started (the valid service never ran)" test ! -e "$T/good.ran"

"$BIN" check --config-dir "$CONF" >"$T/check.out" 2>&1
RC=$?
check "supervisor check: exit 78 and the same messages" eval '[ "$RC" = 78 ] && grep -q "typo.toml:2:1: unknown key" "$T/check.out" && grep -q "6 errors in" "$T/check.out"'
rm "$CONF"/typo.toml "$CONF"/types.toml "$CONF"/broken.toml "$CONF"/durations.toml
OUT=$("$BIN" check --config-dir "$CONF" 2>&1); RC=$?
check "supervisor check on a valid directory: exit 0, all valid" eval '[ "$RC" = 0 ] && out_has "1 service, all valid"'
"$BIN" --config-dir "$T/no-such-dir" --socket "" >"$LOG" 2>&1
check "a missing directory is a config error too (78)" test $? = 78
"$BIN" --bogus-option >"$LOG" 2>&1
RC=$?
check "a usage error: exit 2 with the usage" eval '[ "$RC" = 2 ] && log_has "unknown argument"'
finish
