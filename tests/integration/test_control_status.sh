#!/usr/bin/env bash
# status for people and scripts (issue 15): the table sized to its content, "since" for every
# state, JSON null where there is nothing (not "-" or ""), the same durations as the log, and
# `status --wait-ready --json` printing JSON also when it fails.
source "$(dirname "$0")/lib.sh"

LONG=a-service-with-a-rather-long-name-indeed
service "$LONG" 'command = ["sleep", "100000"]'
service off 'command = ["sleep", "100000"]
enabled = false'
service crashy 'command = ["sh", "-c", "exit 3"]
[restart]
delay = "1100ms"'
service dead 'command = ["/no/such/program"]
[restart]
max_retries = 1
delay = "100ms"'
service probed 'command = ["sleep", "100000"]
[health]
command = ["true"]
interval = "100ms"'
start_pid1
wait_until 10 eval '[ "$(state_of dead)" = failed ] && [ "$(state_of crashy)" = backoff ]'

run_ctl status
# Each column starts at the same offset in every row: the header's words line up with the cells.
aligned() {
    awk -v long="$LONG" '
        NR == 1 { state = index($0, "STATE"); pid = index($0, "PID"); reason = index($0, "REASON") }
        NR > 1 && (substr($0, state - 1, 1) != " " || substr($0, state, 1) == " ") { bad = 1 }
        NR > 1 && substr($0, pid - 1, 1) != " " { bad = 1 }
        $1 == long { seen = 1 }
        END { exit bad || !seen }' <<<"$OUT"
}
check "a long name does not break the columns" aligned
check "no wider than the content: two spaces after the longest name" out_has "^$LONG  [a-z]"
check "since for a stopped service" out_has "^off +stopped +no +- +- +[0-9]+s +0 "
check "since for a failed service" out_has "^dead +failed +no +- +- +[0-9]+s "
check "since for a service in backoff" out_has "^crashy +backoff +no +- +- +[0-9]+s "
check "since (uptime) for a running one" out_has "^$LONG +running +yes +- +[0-9]+ +[0-9]+s +0"
BACKOFF_LOG=$(grep -o 'crashy: exited with status 3; restarting in [^ ]*' "$LOG" | tail -1)
check "the backoff delay reads as in the log (${BACKOFF_LOG##* })" eval 'out_has "exited with status 3; restarting in 1.1s$" && [ "${BACKOFF_LOG##* }" = 1.1s ]'

run_ctl status --json
check "JSON: null where nothing is meant, since for every state" "$PY" -c '
import json, sys
s = {x["name"]: x for x in json.loads(sys.argv[1])}
long = s[sys.argv[2]]
assert long["health"] is None and long["last_check"] is None and long["reason"] == "", long
assert long["uptime_seconds"] >= 0 and long["since_seconds"] >= 0, long
assert s["off"]["uptime_seconds"] is None and s["off"]["since_seconds"] >= 0 and s["off"]["pid"] is None, s["off"]
assert s["dead"]["since_seconds"] >= 0 and s["dead"]["reason"], s["dead"]
assert s["probed"]["health"] in ("ok", "unknown"), s["probed"]
for x in s.values():
    assert "-" not in (x["health"], x["last_check"]), x
' "$OUT" "$LONG"

run_ctl status --wait-ready 5s --json
check "--wait-ready --json that fails: exit 1, and JSON only" "$PY" -c '
import json, sys
assert sys.argv[2] == "1", sys.argv[2]
s = json.loads(sys.argv[1])
assert any(x["name"] == "dead" and x["state"] == "failed" for x in s), s
' "$OUT" "$RC"
run_ctl status --wait-ready 5s
check "... without --json: text naming the failure" eval '[ "$RC" = 1 ] && out_has "^dead: failed"'
finish
