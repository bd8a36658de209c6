#!/usr/bin/env bash
# Drain before stop (--drain, [stop] drain): at SIGTERM /readyz turns 503 at once and
# status --wait-ready fails, while a web app keeps answering for its drain time; then the
# normal stop. A service with `drain = "0s"` stops at once; a second SIGTERM ends the drain.
# And a shutdown ends as soon as everything exited: 10 services that take 10 ms to stop make
# the whole shutdown take well under 100 ms, with and without leftover processes.
source "$(dirname "$0")/lib.sh"

port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
WEB=$(port)
service web "command = [\"$PY\", \"-m\", \"http.server\", \"$WEB\", \"--bind\", \"127.0.0.1\"]
[ready]
tcp = \"127.0.0.1:$WEB\"
interval = \"100ms\""
service quick 'command = ["sleep", "100000"]
stop.drain = "0s"'
start_pid1 --http 127.0.0.1:0 --drain 2s
wait_until 5 log_has 'HTTP server on'
ADDR=$(grep -oE 'HTTP server on 127\.0\.0\.1:[0-9]+' "$LOG" | head -1 | awk '{ print $4 }')
check "ready before the shutdown" wait_until 10 eval '[ "$(curl -s -o /dev/null -w "%{http_code}" "http://$ADDR/readyz")" = 200 ]'

# From the SIGTERM on, a client polls /readyz and the web app every 50 ms (bounded: 10 s).
cat >"$T/poll.py" <<PY
import time, urllib.request, sys
def code(url):
    try:
        return urllib.request.urlopen(url, timeout=0.5).status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception:
        return 0
t0 = float(sys.argv[1])
end = t0 + 10
while time.time() < end:
    r, w = code("http://$ADDR/readyz"), code("http://127.0.0.1:$WEB/")
    print("%.3f %d %d" % (time.time() - t0, r, w), flush=True)
    if w == 0 and r == 0: break
    time.sleep(0.05)
PY
t0=$EPOCHREALTIME
kill -TERM "$SPID"
$PY "$T/poll.py" "$t0" >"$T/poll.out" 2>&1 &
POLL=$!
check "status --wait-ready fails during the drain" eval '! ctl status --wait-ready 2s >/dev/null 2>&1'
run_ctl status web
check "status says web is draining ($(echo "$OUT" | sed -n 2p))" out_has 'draining: stops in [12]s'
wait "$POLL"
first503=$(awk '$2 == 503 { print $1; exit }' "$T/poll.out")
last_web=$(awk '$3 == 200 { t = $1 } END { print t }' "$T/poll.out")
check "/readyz is 503 from the first poll after SIGTERM (${first503}s)" awk "BEGIN { exit !(\"$first503\" != \"\" && $first503 < 0.3) }"
check "the web app answers all through the 2 s drain (last answer at ${last_web}s)" awk "BEGIN { exit !(\"$last_web\" != \"\" && $last_web >= 1.7 && $last_web < 3) }"
check "  and never a 200 from /readyz meanwhile" eval '! awk "\$2 == 200" "$T/poll.out" | grep -q .'
check "quick (drain 0s) stopped at once" eval 'grep -q "quick: stopped" "$LOG" && [ "$(grep -n "quick: stopped" "$LOG" | cut -d: -f1)" -lt "$(grep -n "web: stopped" "$LOG" | cut -d: -f1)" ]'
check "PID 1 exits 0 after the drain" eval 'wait_exit 10 && [ "$EXIT" = 0 ]'
check "the log says what drains" log_has 'draining first \(web 2s\); a second signal stops them at once'

# A second SIGTERM ends a long drain.
: >"$LOG"
start_pid1 --drain 30s
wait_until 10 eval '[ "$(state_of web)" = running ]'
kill -TERM "$SPID"
wait_until 5 log_has 'draining first'
t0=$EPOCHREALTIME
kill -TERM "$SPID"
wait_exit 10
took=$(awk "BEGIN { print $EPOCHREALTIME - $t0 }")
check "a second SIGTERM skips the 30 s drain: exit 0 in ${took}s" eval '[ "$EXIT" = 0 ] && awk "BEGIN { exit !($took < 3) }"'
check "  and says so" log_has 'second shutdown signal: the drain ends now'

# No fixed waits: 10 services that take 10 ms to stop, then the same with leftovers.
shutdown_ms() {  # from "shutting down" to "shutdown complete", by the log's stamps
    $PY - "$LOG" <<'PY'
import sys, datetime
t = {}
for line in open(sys.argv[1]):
    for key in ("shutting down:", "shutdown complete"):
        if key in line and key not in t:
            t[key] = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
print(int((t["shutdown complete"] - t["shutting down:"]).total_seconds() * 1000))
PY
}
for leftovers in no yes; do
    rm -f "$CONF"/*.toml
    for i in 0 1 2 3 4 5 6 7 8 9; do
        if [ $leftovers = yes ]; then
            service s$i 'command = ["sh", "-c", "setsid sh -c '"'"'trap \"exit 0\" TERM; sleep 100 & wait'"'"' & trap \"sleep 0.01; exit 0\" TERM; sleep 100 & wait"]'
        else
            service s$i 'command = ["sh", "-c", "trap \"sleep 0.01; exit 0\" TERM; sleep 100 & wait"]'
        fi
    done
    : >"$LOG"
    start_pid1
    wait_until 10 eval '[ "$(ctl status | grep -c " running ")" = 10 ]'
    [ $leftovers = yes ] && wait_until 5 eval '[ "$(in_ns pgrep -c -s 0 -f "sleep 100" 2>/dev/null || in_ns pgrep -c -f "sleep 100")" -ge 20 ]'
    kill -TERM "$SPID"
    wait_exit 10
    ms=$(shutdown_ms)
    check "10 services that stop in 10 ms (leftovers: $leftovers): the shutdown took ${ms} ms, under 100" eval '[ "$EXIT" = 0 ] && [ "$ms" -lt 100 ]'
done
check "  the leftovers were there, and were stopped" log_has 'stopping leftover processes'

# check --grace-budget: the worst case (drain, the longest chain of stop timeouts, --grace) against it.
rm -f "$CONF"/*.toml
service db 'command = ["sleep", "1"]
stop.timeout = "5s"'
service app 'command = ["sleep", "1"]
after = ["db"]
stop.timeout = "20s"'
service logger 'command = ["sleep", "1"]
stop.timeout = "3s"
stop.drain = "0s"'
out=$("$BIN" check --syntax-only --config-dir "$CONF" --drain 5s --grace-budget 30s 2>&1)
check "check --grace-budget 30s with --drain 5s: 32s, over, with the chain ($out)" eval \
    'grep -q "warning: a shutdown can take 32s (drain 5s, app (stop timeout 20s), db (stop timeout 5s), leftovers 2s), more than the grace budget of 30s" <<<"$out"'
out=$("$BIN" check --syntax-only --config-dir "$CONF" --drain 5s --grace 1s --grace-budget 40s 2>&1)
check "within 40s (and --grace 1s counts): said so ($out)" grep -q "a shutdown takes at most 31s (.*), within the grace budget of 40s" <<<"$out"
finish
