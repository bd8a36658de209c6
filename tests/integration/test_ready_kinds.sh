#!/usr/bin/env bash
# Readiness of each kind (tcp, http, command, sd_notify, a real `haproxy -Ws`) gates the start
# of the services that name it in `after`; status and --wait-ready report it.
source "$(dirname "$0")/lib.sh"

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
P_TCP=$(port) P_HTTP=$(port) P_HA=$(port)
stamp() { echo "\"sh\", \"-c\", \"date +%s%N > $T/$1.at; exec sleep 100000\""; }
cat >"$T/web503.py" <<PY
import http.server, os, time
start = time.time()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = time.time() - start > 1.0
        if ok and not os.path.exists("$T/http.at"): open("$T/http.at", "w").write(str(time.time_ns()))
        self.send_response(200 if ok else 503); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", $P_HTTP), H).serve_forever()
PY
cat >"$T/notify.py" <<'PY'
import os, socket, time
time.sleep(1)
addr = os.environ["NOTIFY_SOCKET"]
addr = "\0" + addr[1:] if addr.startswith("@") else addr
open(os.environ["AT"], "w").write(str(time.time_ns()))
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1\nSTATUS=serving", addr)
time.sleep(100000)
PY
cat >"$T/haproxy.cfg" <<CFG
global
    stats socket $T/haproxy.sock mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:$P_HA
    http-request return status 200 content-type text/plain string ok
CFG

service tcp "command = [\"sh\", \"-c\", \"sleep 1; date +%s%N > $T/tcp.at; exec /usr/bin/python3 -m http.server $P_TCP --bind 127.0.0.1\"]
[ready]
tcp = \"127.0.0.1:$P_TCP\"
interval = \"100ms\""
service http "command = [\"/usr/bin/python3\", \"$T/web503.py\"]
[ready]
http = \"http://127.0.0.1:$P_HTTP/health\"
interval = \"100ms\""
service cmd "command = [\"sh\", \"-c\", \"sleep 1; date +%s%N > $T/cmd.at; exec sleep 100000\"]
[ready]
command = [\"test\", \"-e\", \"$T/cmd.at\"]
interval = \"100ms\""
service notify "command = [\"/usr/bin/python3\", \"$T/notify.py\"]
environment = { AT = \"$T/notify.at\" }
[ready]
notify = true"
service haproxy "command = [\"haproxy\", \"-Ws\", \"-f\", \"$T/haproxy.cfg\"]
[ready]
notify = true
[stop]
signal = \"SIGUSR1\""
for dep in tcp http cmd notify haproxy; do
    service "after_$dep" "command = [$(stamp "after_$dep")]
after = [\"$dep\"]"
done
start_pid1
check "--wait-ready: everything gets ready" eval 'ctl status --wait-ready 20s >/dev/null' || { ctl status; grep -E "http" "$LOG" | head; }
for dep in tcp http cmd notify; do
    echo "$dep ready at $(cat "$T/$dep.at" 2>&1), its dependent at $(cat "$T/after_$dep.at" 2>&1)"
    check "$dep: its dependent started after it was ready" eval '[ -s "$T/after_$dep.at" ] && [ "$(cat "$T/after_$dep.at")" -gt "$(cat "$T/$dep.at")" ]'
done
check "haproxy -Ws: READY=1 over sd_notify, then its dependent started" eval 'log_has "haproxy: ready" && [ -s "$T/after_haproxy.at" ] && curl -fs "http://127.0.0.1:$P_HA/" | grep -q ok'
check "haproxy's dependent started after haproxy said it was ready" eval '
    ready=$(date -u -d "$(grep -m1 "haproxy: ready" "$LOG" | cut -d" " -f1)" +%s%N)
    [ "$(cat "$T/after_haproxy.at")" -ge "$ready" ]'
check "status: READY yes for each" eval '[ "$(ctl status | awk "NR > 1 && \$3 != \"yes\"" | wc -l)" = 0 ]'
check "status --json: ready true, and the STATUS= text of sd_notify" eval 'ctl status --json notify | grep -q "\"ready\": true" && status_row notify | grep -q serving'
kill -TERM "$SPID"
check "PID 1 exits 0 (haproxy stopped by SIGUSR1)" eval 'wait_exit 20 && [ "$EXIT" = 0 ]'
finish
