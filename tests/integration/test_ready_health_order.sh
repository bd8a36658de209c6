#!/usr/bin/env bash
# Health checks restart a service that stops answering, a hanging check is killed at its
# timeout, oneshots gate their dependents, start_timeout counts as a failed start, shutdown runs
# in reverse dependency order, and dependency errors are config errors at load and at reload.
source "$(dirname "$0")/lib.sh"

cat >"$T/flip.py" <<PY
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(500 if os.path.exists("$T/sick") else 200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
P=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
service web "command = [\"/usr/bin/python3\", \"$T/flip.py\", \"$P\"]
[health]
http = \"http://127.0.0.1:$P/\"
interval = \"300ms\"
retries = 2"
service hang '
command = ["sleep", "100000"]
[health]
command = ["sleep", "4242"]
interval = "200ms"
timeout = "500ms"
retries = 100'
service gen "type = \"oneshot\"
command = [\"sh\", \"-c\", \"sleep 0.5; date +%s%N > $T/gen.at\"]"
service app "after = [\"gen\"]
command = [\"sh\", \"-c\", \"date +%s%N > $T/app.at; exec sleep 100000\"]"
service badgen 'type = "oneshot"
command = ["sh", "-c", "exit 1"]'
service blocked "after = [\"badgen\"]
command = [\"sh\", \"-c\", \"touch $T/blocked.ran; exec sleep 100000\"]"
service retry "type = \"oneshot\"
command = [\"sh\", \"-c\", \"n=\$(cat $T/n 2>/dev/null || echo 0); echo \$((n+1)) > $T/n; [ \$n -ge 2 ]\"]
restart.policy = \"on-failure\"
restart.delay = \"100ms\""
service afterretry "after = [\"retry\"]
command = [\"sh\", \"-c\", \"touch $T/afterretry.ran; exec sleep 100000\"]"
service slow '
command = ["sleep", "100000"]
start_timeout = "1s"
[ready]
tcp = "127.0.0.1:9"
interval = "100ms"'
after_of() { case $1 in b) echo '"a"' ;; c) echo '"b"' ;; esac; }
for s in a b c d; do  # each is ready once it wrote its start time
    service "$s" "command = [\"sh\", \"-c\", \"date +%s%N > $T/$s.start; trap 'date +%s%N > $T/$s.stop; sleep 0.3; exit 0' TERM; while :; do sleep 0.05; done\"]
after = [$(after_of "$s")]
[ready]
command = [\"test\", \"-s\", \"$T/$s.start\"]
interval = \"50ms\""
done
start_pid1

pid=$(wait_until 5 eval '[ -n "$(pid_of web)" ] && [ "$(pid_of web)" != - ]'; pid_of web)
touch "$T/sick"
check "health failures are counted and shown" wait_until 5 eval 'status_row web | grep -q "failing 1/2"'
check "after 2 failures in a row: restarted" wait_until 10 eval 'log_has "web: health check failed \(2/2\)" && [ "$(pid_of web)" != "$pid" ] && [ "$(pid_of web)" != - ]'
rm -f "$T/sick"
check "healthy again: ok" wait_until 10 eval 'status_row web | grep -qE "running +yes +ok"'
check "a hanging health command is killed at its timeout (no sleep 4242 piles up)" eval 'wait_until 10 log_has "hang: health check failed \(3/100\)" && [ "$(in_ns pgrep -fc "^sleep 4242")" -le 1 ]'

check "oneshot success: its dependent started after it finished" wait_until 10 eval '[ -s "$T/app.at" ] && [ "$(cat "$T/app.at")" -gt "$(cat "$T/gen.at")" ]'
check "oneshot failure: failed, its dependent never starts" eval '[ "$(state_of badgen)" = failed ] && [ ! -e "$T/blocked.ran" ] && status_row blocked | grep -q "waiting for badgen"'
check "--wait-ready fails, naming the failed oneshot" eval '! OUT=$(ctl status --wait-ready 3s 2>&1) && grep -q "badgen: failed" <<<"$OUT"'
check "a oneshot that succeeds on its third try lets its dependent start" wait_until 10 test -e "$T/afterretry.ran"
check "start_timeout: not ready in time is a failed start" wait_until 10 log_has "slow: not ready within 1s \(start_timeout\); restarting in"

for s in a b c; do [ -s "$T/$s.start" ] || wait_until 5 test -s "$T/$s.start"; done
check "start order a, b, c" eval '[ "$(cat $T/a.start)" -lt "$(cat $T/b.start)" ] && [ "$(cat $T/b.start)" -lt "$(cat $T/c.start)" ]'

# Dependency errors at reload are refused; nothing changes.
web=$(pid_of web)
service x 'command = ["sleep", "1"]
after = ["y"]'
service y 'command = ["sleep", "1"]
after = ["x"]'
run_ctl reload
check "a cycle at reload is refused" eval '[ "$RC" != 0 ] && out_has "dependency cycle: (x -> y -> x|y -> x -> y)"'
check "and nothing changed" test "$(pid_of web)" = "$web"
rm "$CONF/x.toml" "$CONF/y.toml"

kill -TERM "$SPID"
check "PID 1 exits 0" eval 'wait_exit 20 && [ "$EXIT" = 0 ]'
check "stop order c, then b, then a" eval '[ "$(cat $T/c.stop)" -lt "$(cat $T/b.stop)" ] && [ "$(cat $T/b.stop)" -lt "$(cat $T/a.stop)" ]'
check "d, independent, stopped with c (before b)" eval '[ "$(cat $T/d.stop)" -lt "$(cat $T/b.stop)" ]'

# At load: unknown dependency, cycle, a oneshot that would always restart.
rm -f "$CONF"/*.toml
service p 'command = ["sleep", "1"]
after = ["nope"]'
service q 'command = ["sleep", "1"]
after = ["r"]'
service r 'command = ["sleep", "1"]
after = ["s"]'
service s 'command = ["sleep", "1"]
after = ["q"]'
OUT=$("$BIN" check --config-dir "$CONF" 2>&1); RC=$?
check "check: an unknown service in after (exit 78)" eval '[ "$RC" = 78 ] && out_has "p.toml:2:10: \`after\`: unknown service \"nope\""'
check "check: the whole cycle is named" out_has "dependency cycle: q -> r -> s -> q"
rm -f "$CONF"/*.toml
service o 'type = "oneshot"
command = ["true"]
[restart]
policy = "always"'
OUT=$("$BIN" check --config-dir "$CONF" 2>&1); RC=$?
check "check: a oneshot with policy always, at file:line:col" eval '[ "$RC" = 78 ] && out_has "o.toml:4:10: a oneshot cannot have"'
finish
