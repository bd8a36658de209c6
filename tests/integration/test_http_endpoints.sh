#!/usr/bin/env bash
# The HTTP server (--http, SUPERVISOR_HTTP): /healthz, /readyz (all, one service, an unknown one),
# /status, /metrics (valid OpenMetrics by prometheus_client's strict parser, and the values after
# known events: a kill, a failed start, an orphan, output, reloads), and what it does with
# garbage, a slow sender, too many connections, HEAD, and a port already taken. Loopback only.
source "$(dirname "$0")/lib.sh"

service gate "command = [\"sleep\", \"100000\"]
[ready]
command = [\"test\", \"-e\", \"$T/open\"]
interval = \"100ms\""
service web 'command = ["sleep", "100000"]'
service chatty 'command = ["sh", "-c", "for i in 1 2 3 4 5; do echo line $i; done; exec sleep 100000"]'
service crashy 'command = ["sleep", "100000"]
restart.delay = "100ms"'
service orphaner 'command = ["sh", "-c", "(sleep 0.3 &); exec sleep 100000"]'
service missing 'command = ["/nonexistent/program"]
enabled = false
restart.policy = "never"'
service job 'type = "oneshot"
command = ["true"]'

start_pid1 --http 127.0.0.1:0
check "PID 1 says where it serves HTTP" wait_until 5 log_has 'HTTP server on 127\.0\.0\.1:[0-9]+'
ADDR=$(grep -oE 'HTTP server on 127\.0\.0\.1:[0-9]+' "$LOG" | head -1 | awk '{ print $4 }')
PORT=${ADDR##*:}
get() {  # get PATH [CURL ARGS]: sets CODE, BODY, TYPE
    local path=$1
    shift
    TYPE=$(curl -s -o "$T/body" -w '%{http_code} %{content_type}' --max-time 5 "$@" "http://$ADDR$path")
    CODE=${TYPE%% *} TYPE=${TYPE#* }
    BODY=$(cat "$T/body" 2>/dev/null)
}
code_is() { local path=$1 want=$2; shift 2; get "$path" "$@"; [ "$CODE" = "$want" ]; }
metric() {  # metric 'NAME{LABELS}': its value now
    get /metrics
    awk -v m="$1" '$1 == m { print $2 }' <<<"$BODY"
}
metric_is() { [ "$(metric "$1")" = "$2" ]; }
metric_at_least() { local v; v=$(metric "$1"); [ -n "$v" ] && [ "${v%.*}" -ge "$2" ]; }

get /healthz
check "/healthz: 200 while PID 1 runs ($CODE)" [ "$CODE" = 200 ]
get /readyz
check "/readyz: 503 while gate is not ready ($CODE)" [ "$CODE" = 503 ]
check "  and the body names gate and why ($BODY)" grep -qE '^gate: not ready: exited with status 1' <<<"$BODY"
check "  and only what is not ready" eval '! grep -q "^web" <<<"$BODY"'
check "/readyz?service=web: 200" code_is '/readyz?service=web' 200
check "/readyz?service=gate: 503" code_is '/readyz?service=gate' 503
get '/readyz?service=nope'
check "/readyz?service=nope: 404 naming the services ($BODY)" eval '[ "$CODE" = 404 ] && grep -q "unknown service: nope" <<<"$BODY" && grep -q "gate" <<<"$BODY"'
touch "$T/open"
check "/readyz: 200 once gate's check passes" wait_until 5 code_is /readyz 200

get /status
check "/status: 200, JSON" eval '[ "$CODE" = 200 ] && [[ "$TYPE" == application/json* ]]'
check "  the same services and states as status --json" eval '
    [ "$($PY -c "import json,sys; print(sorted((s[\"name\"], s[\"state\"]) for s in json.load(sys.stdin)))" <<<"$BODY")" = \
      "$(ctl status --json | $PY -c "import json,sys; print(sorted((s[\"name\"], s[\"state\"]) for s in json.load(sys.stdin)))")" ]'

# Known events, then the figures that must show them.
victim=$(pid_of crashy)
in_ns kill -KILL "$victim"
check "crashy is restarted after SIGKILL" wait_until 5 eval '[ "$(pid_of crashy)" != "$victim" ] && [ "$(state_of crashy)" = running ]'
run_ctl start missing
check "a start of a missing program fails" [ "$RC" = 1 ]
ctl reload >/dev/null
printf 'command = [\n' >"$CONF/broken.toml"
ctl reload >/dev/null 2>&1
check "orphans were reaped" wait_until 5 metric_at_least 'supervisor_orphans_reaped_total' 1

get /metrics
check "/metrics: 200, OpenMetrics ($TYPE)" eval '[ "$CODE" = 200 ] && [[ "$TYPE" == application/openmetrics-text* ]]'
printf '%s\n' "$BODY" >"$T/metrics.txt"
check "  prometheus_client's OpenMetrics parser takes it" /usr/bin/python3 -c "
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse
families = list(parse(open('$T/metrics.txt').read()))
assert len(families) >= 15, len(families)"
check "  crashy: 1 restart" metric_is 'supervisor_service_restarts_total{service="crashy"}' 1
check "  crashy: last ended by signal 9" metric_is 'supervisor_service_last_exit_signal{service="crashy"}' 9
check "  crashy: running (one-hot)" eval 'metric_is "supervisor_service_state{service=\"crashy\",state=\"running\"}" 1 &&
    metric_is "supervisor_service_state{service=\"crashy\",state=\"failed\"}" 0'
check "  missing: 1 start failure, failed" eval 'metric_is "supervisor_service_start_failures_total{service=\"missing\"}" 1 &&
    metric_is "supervisor_service_state{service=\"missing\",state=\"failed\"}" 1'
check "  job: exited 0, ready" eval 'metric_is "supervisor_service_last_exit_code{service=\"job\"}" 0 &&
    metric_is "supervisor_service_ready{service=\"job\"}" 1'
check "  chatty: 5 stdout lines, 35 bytes" eval 'metric_is "supervisor_service_log_lines_total{service=\"chatty\",stream=\"stdout\"}" 5 &&
    metric_is "supervisor_service_log_bytes_total{service=\"chatty\",stream=\"stdout\"}" 35'
check "  no drops" metric_is 'supervisor_service_log_dropped_lines_total{service="chatty",destination="console"}' 0
check "  2 reloads, 1 failed, 1 config error now" eval 'metric_is supervisor_reloads_total 2 && metric_is supervisor_reloads_failed_total 1 &&
    metric_is supervisor_config_errors 1'
check "  control requests counted" metric_at_least supervisor_control_requests_total 4
check "  HTTP requests counted" metric_at_least supervisor_http_requests_total 15
a=$(metric supervisor_uptime_seconds)
check "  uptime grows" wait_until 3 eval 'b=$(metric supervisor_uptime_seconds); awk "BEGIN { exit !($b > $a) }"'
rm -f "$CONF/broken.toml"
ctl stop missing >/dev/null

# Safety: HEAD, wrong method, garbage, slow sender, too many connections.
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'HEAD /healthz HTTP/1.0\r\n\r\n' >&3
timeout 5 cat <&3 >"$T/head.out"
exec 3<&-
check "HEAD /healthz: 200, a length, and no body" eval 'head -1 "$T/head.out" | grep -q "^HTTP/1.1 200" &&
    grep -q "^Content-Length: [1-9]" "$T/head.out" && [ "$(tail -c 4 "$T/head.out" | od -An -c | tr -d " ")" = "\\r\\n\\r\\n" ]'
check "POST: 405" code_is /healthz 405 -X POST
check "an unknown path: 404" code_is /nope 404
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf '\x16\x03\x01garbage\r\n\r\n' >&3
check "garbage: 400 and the connection closed" eval 'timeout 5 cat <&3 | head -1 | grep -q "^HTTP/1.1 400"'
exec 3<&-
cat >"$T/slow.py" <<PY
import socket, time, sys
s = socket.create_connection(("127.0.0.1", $PORT))
t0 = time.time()
try:
    for i in range(40):            # one byte every 0.25 s: a head that would take 10 s
        s.send(b"GET /healthz HTTP/1.1\r\n"[i % 20:i % 20 + 1])
        time.sleep(0.25)
except OSError:
    pass
s.settimeout(2)
try:
    data = s.recv(100)
except OSError:
    data = b""
print("%.1f %s" % (time.time() - t0, "closed" if data == b"" else data[:12]))
PY
/usr/bin/python3 "$T/slow.py" >"$T/slow.out" 2>&1 &
SLOW=$!
check "while a slow sender trickles, /healthz answers" code_is /healthz 200
wait "$SLOW"
check "the slow sender is cut off after about 5 s ($(cat "$T/slow.out"))" eval 'read took what <"$T/slow.out"; [ "$what" = closed ] && awk "BEGIN { exit !($took >= 4.5 && $took < 8) }"'
cat >"$T/many.py" <<PY
import socket, time
held = [socket.create_connection(("127.0.0.1", $PORT)) for _ in range(64)]
time.sleep(0.3)
extra = socket.create_connection(("127.0.0.1", $PORT))
extra.settimeout(3)
print(extra.recv(100)[:12].decode())
for s in held: s.close()
PY
check "a connection past 64 gets 503 at once" eval '[ "$(/usr/bin/python3 "$T/many.py")" = "HTTP/1.1 503" ]'
check "and once they are gone, /healthz answers again" wait_until 5 code_is /healthz 200

# A port already taken is a clear start-up error; SUPERVISOR_HTTP is the same as --http.
mkdir -p "$T/other"
out=$(unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$T/other" --socket "" --http "$ADDR" 2>&1)
rc=$?
check "a second supervisor on the same port: exit 70 ($rc)" [ "$rc" = 70 ]
check "  naming the address and the cause ($out)" grep -q "cannot listen on $ADDR (--http): address already in use" <<<"$out"
out=$(SUPERVISOR_HTTP=bad:port unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$T/other" --socket "" 2>&1)
check "SUPERVISOR_HTTP is read, and a bad value is named ($out)" grep -q 'bad:port' <<<"$out"

kill -TERM "$SPID"
check "PID 1 exits 0" eval 'wait_exit 20 && [ "$EXIT" = 0 ]'

# A critical service that ends for good: /healthz turns 503, naming it, while the others stop.
rm -f "$CONF"/*.toml
service core 'command = ["sh", "-c", "sleep 1; exit 3"]
critical = true
restart.policy = "never"'
service slow 'command = ["sh", "-c", "trap \"\" TERM; exec sleep 100000"]
stop.timeout = "3s"'
start_pid1 --http 127.0.0.1:0
wait_until 5 log_has 'HTTP server on'
ADDR=$(grep -oE 'HTTP server on 127\.0\.0\.1:[0-9]+' "$LOG" | head -1 | awk '{ print $4 }')
check "/healthz: 200 while the critical service runs" code_is /healthz 200
check "/healthz: 503 once it ended for good" wait_until 5 code_is /healthz 503
check "  naming it and why ($BODY)" grep -q "critical service core ended (exited with status 3)" <<<"$BODY"
check "/readyz: 503 while the supervisor shuts down" code_is /readyz 503
check "PID 1 exits with the critical service's status" eval 'wait_exit 20 && [ "$EXIT" = 3 ]'
finish
