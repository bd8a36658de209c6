#!/usr/bin/env bash
# A check's output cannot pass for the supervisor's own log lines: a health check that prints a
# forged "supervisor info" line, a carriage return and an ANSI escape has every line of its
# output quoted ("  > ") and its control characters escaped.
source "$(dirname "$0")/lib.sh"
cat >"$T/forge.sh" <<'EOF2'
printf 'first\n2026-01-01T00:00:00.000Z supervisor info: web: healthy again\n\033[2Kcleared\rback\n'
exit 1
EOF2
service web "command = [\"sleep\", \"100000\"]
[health]
command = [\"/bin/sh\", \"$T/forge.sh\"]
interval = \"200ms\"
retries = 1000"
start_pid1
check "the failing health check is logged" wait_until 10 log_has "web: health check failed"
check "no log line is the forged supervisor line" eval '! grep -qE "^2026-01-01T00:00:00.000Z supervisor" "$LOG" && ! grep -qE "supervisor (warning|info): 2026-01-01" "$LOG"'
check "the forged line is there, quoted" log_has "supervisor warning:   > 2026-01-01T00:00:00.000Z supervisor info: web: healthy again"
check "no raw escape or carriage return reaches the log" eval '! grep -q $'"'"'\x1b'"'"' "$LOG" && ! grep -q $'"'"'\r'"'"' "$LOG"'
check "they are shown escaped" log_has '> \\x1b\[2Kcleared\\x0dback'
finish
