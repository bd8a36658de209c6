#!/bin/bash
# selftest.sh: tests the example application pieces for real, on 127.0.0.1 only, in a temp dir:
# the web app, render.sh, member-handler.sh (also 20 concurrent runs), Serf agents with the
# handler, HAProxy with live reloads, and the rsyslog forwarder -> collector chain.
# Needs node, haproxy, serf, rsyslogd, logger, curl, flock, ss. Waits are polls with deadlines.
# Last line: "N passed, M failed"; exit status 1 if anything failed. SELFTEST_KEEP=1 keeps the dir.
# shellcheck disable=SC2010,SC2011  # ls on our own temp dirs, whose file names we chose
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/examples-selftest.XXXXXX)
PIDS=()
pass=0 fail=0

cleanup() {
  local p end=$((SECONDS + 5))
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  wait 2>/dev/null
  if [ -n "${SELFTEST_KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

section() { echo "== $* (${SECONDS}s)"; }
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else ko "$name"; fi; }
# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds or the deadline passes.
wait_for() { local end=$((SECONDS + $1)); shift; until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.1; done; }
gone() { ! kill -0 "$1" 2>/dev/null; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
jget() { node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.parse(d)[process.argv[1]]))' "$1"; }
count_servers() { grep -c '^ *server ' "$1"; }
# The template with every listener moved to 127.0.0.1 test ports and logs to our forwarder.
test_template() {
  sed -e "s|log 127.0.0.1:514 |log 127.0.0.1:$P_FWD_UDP |" -e "s|/run/haproxy/admin.sock|$W/admin.sock|" \
      -e "s|ipv4@0.0.0.0:9999|ipv4@127.0.0.1:$P_API|" -e "s|bind :1936|bind 127.0.0.1:$P_STATS|" \
      -e "s|bind :80$|bind 127.0.0.1:$P_FRONT|" "$HERE/haproxy/haproxy.cfg.tmpl"
}

RENDER=$HERE/haproxy/render.sh HANDLER=$HERE/serf/member-handler.sh
P_WEB=$(free_port) P_FRONT=$(free_port) P_STATS=$(free_port) P_API=$(free_port)
P_FWD_UDP=$(free_port) P_COL_TCP=$(free_port) P_COL_UDP=$(free_port)
cd "$W" || exit 1

section "syntax"
check "app.js parses" node --check "$HERE/webapp/app.js"
for s in haproxy/render.sh serf/member-handler.sh serf/run-serf.sh rsyslog/run-rsyslog.sh; do
  check "$s parses" bash -n "$HERE/$s"
done
check "serf JSON files parse" node -e 'for (const f of process.argv.slice(1)) JSON.parse(require("fs").readFileSync(f))' \
  "$HERE/serf/serf.json" "$HERE/serf/serf-balancer.json"
check "forwarder.conf passes rsyslogd -N1" "$HERE/rsyslog/run-rsyslog.sh" forwarder -N1
check "collector.conf passes rsyslogd -N1" "$HERE/rsyslog/run-rsyslog.sh" collector -N1

section "rsyslog: forwarder -> collector"
# Forwarder first, while the collector is down: its messages must wait in the queue.
LOG_TARGET=127.0.0.1 LOG_TARGET_PORT=$P_COL_TCP LOG_UDP_PORT=$P_FWD_UDP LOG_SOCKET=$W/log.sock \
  LOG_PIDFILE=$W/fwd.pid "$HERE/rsyslog/run-rsyslog.sh" forwarder >> fwd.out 2>&1 &
PIDS+=("$!")
check "forwarder creates its unix socket" wait_for 10 test -S "$W/log.sock"
logger -u "$W/log.sock" -t early "queued-while-collector-down"
logger -n 127.0.0.1 -P "$P_FWD_UDP" -d -t udptest "sent-over-udp"
LOG_LISTEN=127.0.0.1 LOG_TCP_PORT=$P_COL_TCP LOG_UDP_PORT=$P_COL_UDP LOG_FILE=$W/central/all.log \
  LOG_PIDFILE=$W/col.pid "$HERE/rsyslog/run-rsyslog.sh" collector >> col.out 2>&1 &
PIDS+=("$!")
check "message queued while the collector was down arrives" wait_for 30 grep -q "early: queued-while-collector-down" central/all.log
check "message sent to the forwarder over UDP arrives" wait_for 10 grep -q "udptest: sent-over-udp" central/all.log
logger -u "$W/log.sock" -t late "after-collector-up"
check "unix-socket message arrives, tagged with host and program" \
  wait_for 10 grep -qE "^[0-9T:.+-]+ $(hostname) user.notice late: after-collector-up" central/all.log
check "forwarder echoes UDP messages (HAProxy's) on stdout" grep -q "udptest: sent-over-udp" fwd.out
check "...but not the unix socket's (the supervisor shows those)" test "$(grep -c "late: after-collector-up" fwd.out)" = 0

section "web app"
TAG=selftest PORT=$P_WEB BIND=127.0.0.1 node "$HERE/webapp/app.js" >> web.out 2>&1 &
WEB=$!; PIDS+=("$WEB")
URL=http://127.0.0.1:$P_WEB
check "web app answers /health with ok" wait_for 10 sh -c "curl -sf $URL/health | grep -qx ok"
curl -s -D h1 -c jar -b jar "$URL/" > r1
curl -s -c jar -b jar "$URL/" > r2
curl -s "$URL/" > r3
check "GET / says hello world!" test "$(jget hello < r1)" = "world!"
check "tag comes from TAG" test "$(jget tag < r1)" = selftest
check "host is the hostname" test "$(jget host < r1)" = "$(hostname)"
own=$(node -e 'const o=Object.values(require("os").networkInterfaces()).flat().find(a=>a.family==="IPv4"&&!a.internal);console.log(o?o.address:"127.0.0.1")')
check "ip is the first non-internal IPv4 ($own)" test "$(jget ip < r1)" = "$own"
check "x-backend-ip header carries the ip" grep -qi "^x-backend-ip: $own" h1
check "NODESESSID cookie is set to the session id" grep -qi "^set-cookie: NODESESSID=$(jget id < r1);" h1
check "sessionViews counts 1, 2 with the cookie" test "$(jget sessionViews < r1),$(jget sessionViews < r2)" = "1,2"
check "same session id with the cookie" test "$(jget id < r1)" = "$(jget id < r2)"
check "a new client gets a new session" test "$(jget sessionViews < r3),$(jget id < r3)" != "1,$(jget id < r1)"
check "POST /delay answers the new delay" \
  test "$(curl -s -XPOST -H 'content-type: application/json' -d '{"delay": 400}' "$URL/delay" | jget delay)" = 400
t=$(curl -s -o /dev/null -w '%{time_total}' "$URL/")
check "the next request waits >= 400 ms (took ${t}s)" awk -v t="$t" 'BEGIN { exit !(t >= 0.4) }'
t=$(curl -s -o /dev/null -w '%{time_total}' "$URL/health")
check "/health is not delayed (took ${t}s)" awk -v t="$t" 'BEGIN { exit !(t < 0.4) }'
curl -s -XPOST -d '{"delay": 0}' "$URL/delay" > /dev/null
check "POST /delay with a bad body is a 400" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -XPOST -d '{"delay":"x"}' "$URL/delay")" = 400
check "requests are logged (method, path, status, ms)" grep -qE '^GET / 200 [0-9.]+ms$' web.out
P2=$(free_port)
SERVER_IP=10.1.2.3 PORT=$P2 BIND=127.0.0.1 node "$HERE/webapp/app.js" >> web2.out 2>&1 &
WEB2=$!; PIDS+=("$WEB2")
wait_for 10 curl -sf "http://127.0.0.1:$P2/health" > /dev/null
check "SERVER_IP overrides the ip" test "$(curl -s "http://127.0.0.1:$P2/" | jget ip)" = 10.1.2.3
kill -INT "$WEB2"; wait "$WEB2"; rc=$?
check "SIGINT: web app exits 0 (status $rc)" test "$rc" = 0

section "render.sh"
mkdir -p nodes cfg
test_template > cfg/haproxy.cfg.tmpl
TPL=$W/cfg/haproxy.cfg.tmpl CFG=$W/cfg/haproxy.cfg
check "0 servers: renders" "$RENDER" nodes "$TPL" "$CFG"
check "0 servers: haproxy -c passes" haproxy -c -q -f "$CFG"
check "0 servers: no server line" test "$(count_servers "$CFG")" = 0
echo 192.168.42.11 > nodes/s1
"$RENDER" nodes "$TPL" "$CFG" && haproxy -c -q -f "$CFG"
check "1 server: valid, one line 'server s1 192.168.42.11:3000 check'" \
  test "$(grep '^ *server ' "$CFG" | xargs)" = "server s1 192.168.42.11:3000 check"
echo 192.168.42.33 > nodes/s3; echo 192.168.42.22 > nodes/s2
"$RENDER" nodes "$TPL" "$CFG" && haproxy -c -q -f "$CFG"
check "3 servers: valid, sorted" test "$(grep '^ *server ' "$CFG" | awk '{print $2}' | xargs)" = "s1 s2 s3"
inode=$(stat -c %i "$CFG")
"$RENDER" nodes "$TPL" "$CFG"
check "an identical result leaves the file alone" test "$(stat -c %i "$CFG")" = "$inode"
before=$(cksum < "$CFG")
{ echo "bogus_keyword"; cat "$TPL"; } > bad.tmpl
"$RENDER" nodes bad.tmpl "$CFG" 2> render.err; rc=$?
check "a bad template fails (status $rc)" test "$rc" != 0
check "haproxy's message is on stderr" grep -q "ALERT" render.err
check "a failure leaves the config untouched" test "$(cksum < "$CFG")" = "$before"
check "no temp file is left behind" test -z "$(ls -A cfg | grep -v '^haproxy.cfg')"
rm -f nodes/*

section "member-handler.sh"
export NODES_DIR=$W/nodes HAPROXY_TEMPLATE=$TPL HAPROXY_CFG=$CFG HAPROXY_RELOAD_CMD="echo reload >> $W/reloads"
tab=$'\t'
ev() { printf '%s\n' "${@:2}" | SERF_EVENT=$1 "$HANDLER" 2>> handler.err; }
reloads() { wc -l < reloads 2>/dev/null || echo 0; }
ev member-join "s1${tab}192.168.42.11${tab}backend${tab}role=backend" "ha${tab}192.168.42.42${tab}balancer${tab}role=balancer" \
  "odd${tab}192.168.42.99${tab}${tab}foo=bar"
check "join: only the backend gets a file" test "$(ls nodes)" = s1
check "join: file holds the address" test "$(cat nodes/s1)" = 192.168.42.11
check "join: config has the server, one reload" test "$(count_servers "$CFG"),$(reloads)" = "1,1"
ev member-update "s1${tab}192.168.42.11${tab}backend${tab}zone=a,role=backend"
check "update with no change: no reload" test "$(reloads)" = 1
ev member-failed "s1${tab}192.168.42.11${tab}backend${tab}role=backend"
check "failed: file removed, server gone, reloaded" test "$(ls nodes | wc -l),$(count_servers "$CFG"),$(reloads)" = "0,0,2"
ev member-join "s2${tab}192.168.42.22${tab}backend${tab}role=backend"
ev member-leave "s2${tab}192.168.42.22${tab}backend${tab}role=backend"
ev member-join "s3${tab}192.168.42.33${tab}backend${tab}role=backend"
ev member-reap "s3${tab}192.168.42.33${tab}backend${tab}role=backend"
check "leave and reap remove the member" test "$(ls nodes | wc -l),$(count_servers "$CFG")" = "0,0"
check "one log line per event on stderr" test "$(grep -c '^member-handler: member-' handler.err)" = 7
HAPROXY_RELOAD_CMD=false ev member-join "s4${tab}192.168.42.44${tab}backend${tab}role=backend"
check "a failed reload is logged and retried by the next event" \
  sh -c "grep -q 'reload FAILED' handler.err && test -e nodes/.reload-pending"
ev member-join "s4${tab}192.168.42.44${tab}backend${tab}role=backend"
check "...and the retry clears it" test ! -e nodes/.reload-pending
rm -f nodes/s4 reloads
pids=()
for i in $(seq -w 1 20); do ev member-join "n$i${tab}10.0.0.$((10#$i))${tab}backend${tab}role=backend" & pids+=($!); done
wait "${pids[@]}"
check "20 concurrent joins: 20 files, 20 sorted servers" \
  test "$(grep '^ *server ' "$CFG" | awk '{print $2}' | xargs)" = "$(ls nodes | xargs)" -a "$(ls nodes | wc -l)" = 20
pids=()
for i in $(seq -w 1 20); do
  if [ $((10#$i % 2)) = 1 ]; then ev member-leave "n$i${tab}10.0.0.$((10#$i))${tab}backend${tab}role=backend" & pids+=($!)
  else ev member-update "n$i${tab}10.0.1.$((10#$i))${tab}backend${tab}role=backend" & pids+=($!); fi
done
wait "${pids[@]}"
want=$(for i in $(seq -w 2 2 20); do echo "server n$i 10.0.1.$((10#$i)):3000 check"; done)
check "20 concurrent leaves/updates: exactly the 10 updated servers" test "$(grep '^ *server ' "$CFG" | sed 's/^ *//')" = "$want"
check "...and the config is valid" haproxy -c -q -f "$CFG"
check "...and no temp file is left" test -z "$(ls -A nodes cfg | grep -E '^\.(.*\.tmp|haproxy\.cfg\.)')"
rm -f nodes/*; "$RENDER" nodes "$TPL" "$CFG"

section "HAProxy with live reloads"
haproxy -W -db -f "$CFG" >> haproxy.out 2>&1 &
HAP=$!; PIDS+=("$HAP")
FRONT=http://127.0.0.1:$P_FRONT
check "no backend yet: port 80 answers 503" wait_for 10 sh -c "curl -s -o /dev/null -w '%{http_code}' $FRONT/ | grep -qx 503"
check "stats page answers" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_STATS/")" = 200
export BACKEND_PORT=$P_WEB HAPROXY_RELOAD_CMD="kill -USR2 $HAP"
ev member-join "s1${tab}127.0.0.1${tab}backend${tab}role=backend"
check "a joined web app answers through HAProxy" wait_for 15 sh -c "curl -sf $FRONT/ | grep -q world"
check "stats page lists it UP" wait_for 10 sh -c "curl -s 'http://127.0.0.1:$P_STATS/;csv' | grep -q '^nodes,s1,.*,UP,'"
a=$(curl -s -c jar2 -b jar2 "$FRONT/" | jget sessionViews); b=$(curl -s -c jar2 -b jar2 "$FRONT/" | jget sessionViews)
check "the cookie keeps counting through HAProxy ($a, $b)" test "$a,$b" = "1,2"
# Bounded load (300 requests) while a second server is added and removed: no request may fail.
( for i in $(seq 300); do curl -s -o /dev/null -w '%{http_code}\n' "$FRONT/"; done > codes ) &
LOAD=$!
ev member-join "s2${tab}127.0.0.1${tab}backend${tab}role=backend"
wait_for 15 sh -c "curl -s 'http://127.0.0.1:$P_STATS/;csv' | grep -q '^nodes,s2,.*,UP,'"
ev member-leave "s2${tab}127.0.0.1${tab}backend${tab}role=backend"
wait "$LOAD"
check "300 requests across two reloads all answered 200" test "$(grep -c '^200$' codes)" = 300
check "HAProxy's request logs reach the collector" wait_for 10 grep -q "haproxy: .* localnodes nodes/s1 " central/all.log

section "Serf agents with the handler"
for v in SB1 SB2 SB3 SR1 SR2 SR3; do printf -v "$v" %s "$(free_port)"; done
export HAPROXY_RELOAD_CMD=true SERF_RETRY_INTERVAL=1s
serf_agent() {  # serf_agent NAME BIND_PORT RPC_PORT ROLE
  SERF_NODE=$1 SERF_BIND=127.0.0.1:$2 SERF_RPC=127.0.0.1:$3 SERF_JOIN=127.0.0.1:$SB1 SERF_SNAPSHOT=$W/$1.snapshot \
    "$HERE/serf/run-serf.sh" "$4" >> "serf-$1.out" 2>&1 &
  PIDS+=("$!")
}
rm -f nodes/*
serf_agent s1 "$SB2" "$SR2" backend; S1=$!           # a web app started before the balancer
serf_agent ha "$SB1" "$SR1" balancer; HA=$!
check "backend started first joins once the balancer is up (retry-join)" wait_for 20 test -e nodes/s1
check "member file holds the address Serf reports" test "$(cat nodes/s1)" = 127.0.0.1
check "config has the server" grep -q "server s1 127.0.0.1:$P_WEB check" "$CFG"
check "the handler's log line reaches the balancer's output" wait_for 5 grep -q "member-handler: member-join: +s1=127.0.0.1" serf-ha.out
serf_agent s2 "$SB3" "$SR3" backend; S2=$!
check "second backend joins" wait_for 20 test -e nodes/s2
kill -INT "$S2"
check "SIGINT: backend leaves gracefully, file removed" wait_for 15 test ! -e nodes/s2
check "...and its agent exited" wait_for 10 gone "$S2"
check "the balancer saw a leave (not a failure)" wait_for 5 grep -q "member-handler: member-leave: -s2" serf-ha.out
kill -INT "$HA"
check "SIGINT: balancer stops without leaving" wait_for 10 gone "$HA"
rm -f nodes/*
serf_agent ha "$SB1" "$SR1" balancer; HA=$!
check "restarted balancer gets the backend back (backends reconnect)" wait_for 30 test -e nodes/s1
kill -KILL "$S1"
check "killed backend: member-failed removes it" wait_for 30 test ! -e nodes/s1

section "web app graceful stop"
kill -TERM "$HAP"   # its health checks would also be connections to the web app
check "HAProxy stopped" wait_for 10 gone "$HAP"
curl -s -XPOST -d '{"delay": 1000}' "$URL/delay" > /dev/null
curl -s -o slow.out -w '%{http_code}' "$URL/" > slow.code &
SLOW=$!
check "a slow request is in flight" wait_for 5 sh -c "ss -Htn state established '( sport = :$P_WEB )' | grep -q ."
kill -TERM "$WEB"
check "SIGTERM: new connections are refused at once" \
  wait_for 2 sh -c "! curl -s -o /dev/null --max-time 1 $URL/health"
wait "$SLOW"
check "SIGTERM: the in-flight request still gets its 200" test "$(cat slow.code)" = 200
wait "$WEB"; rc=$?
check "SIGTERM: web app exits 0 (status $rc)" test "$rc" = 0

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
