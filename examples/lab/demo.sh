#!/usr/bin/env bash
# demo.sh [SUPERVISOR]: the lab system (LAB.md) on this machine, with Linux namespaces as the
# containers (examples/lab/lab.sh) and our supervisor as PID 1 of each: the log collector `logs`,
# the balancer `ha` (HAProxy + Serf + rsyslog) and the web apps s1, s2 (Node + Serf + rsyslog).
# It shows, step by step: the Serf members, round-robin answers through ha with a session
# cookie, HAProxy's backend states, the central log; then s3 joins, the Node process of s2
# crashes (its supervisor restarts it), s2 is stopped (graceful leave), s1's PID 1 is killed
# (Serf detects the failure). Every wait is a poll with a deadline; the whole demo takes about
# a minute. Everything it made is removed at the end, also on Ctrl-C or an error.
# `make demo` runs it as: bash examples/lab/demo.sh build/supervisor (as root).
# Env: DEMO_PAUSE seconds to let a person read after each step (1.5 on a terminal, else 0);
#      DEMO_KEEP=1 leaves the lab running at the end (remove it with examples/lab/lab.sh cleanup).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(readlink -f "${1:-$HERE/../../build/supervisor}")
export LAB_SUPERVISOR=$BIN
export LAB_STATE=${LAB_STATE:-/tmp/lab-state}
# shellcheck source=lab.sh
source "$HERE/lab.sh"
PATH=$HERE:$PATH  # `lab.sh` in the commands shown

HA=192.168.42.42
if [ -t 1 ]; then B=$'\033[1m' D=$'\033[2m' N=$'\033[0m'; PAUSE=${DEMO_PAUSE:-1.5}; else B="" D="" N=""; PAUSE=${DEMO_PAUSE:-0}; fi
T0=$SECONDS
FAILED=""

finish() {
  local rc=$?
  if [ -n "${DEMO_KEEP:-}" ] && [ -z "$FAILED" ]; then
    echo; echo "DEMO_KEEP: the lab is still running ($HERE/lab.sh ls; $HERE/lab.sh cleanup removes it)"
    return
  fi
  printf '\n%s== removing every namespace, veth, bridge, mount and process of the lab%s\n' "$B" "$N"
  lab_cleanup
  if ip netns list | grep -q '^lab-'; then echo "some lab namespaces are still there:"; ip netns list; rc=1
  else echo "done: no lab namespace, bridge or process is left"; fi
  [ -z "$FAILED" ] || { echo "the demo stopped early: $FAILED"; rc=1; }
  exit "$rc"
}
trap finish EXIT
trap 'echo; echo "interrupted"; FAILED="interrupted"; exit 130' INT TERM

say() { printf '\n%s== %s%s %s(%ds)%s\n' "$B" "$*" "$N" "$D" $((SECONDS - T0)) "$N"; }
note() { printf '%s   %s%s\n' "$D" "$*" "$N"; }
pause() { [ "$PAUSE" = 0 ] || sleep "$PAUSE"; }
quoted() { local a out=(); for a in "$@"; do [[ $a =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]] && out+=("$a") || out+=("'$a'"); done; echo "${out[*]}"; }
show() { printf '%s$ %s%s\n' "$D" "$(quoted "$@")" "$N"; "$@" 2>&1 | sed 's/^/  /'; }
die() { FAILED=$*; echo "demo: $*" >&2; exit 1; }
# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds or the deadline passes.
wait_until() { local end=$((SECONDS + $1)); shift; until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.1; done; }
ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
elapsed() { local d=$(( $(ms) - $1 )); printf '%d.%01d s' $((d / 1000)) $((d % 1000 / 100)); }

client() { lab_exec client "$@"; }
stats() { client curl -s --max-time 3 "http://$HA:1936/;csv"; }
srv_status() { stats | awk -F, -v s="$1" '$1 == "nodes" && $2 == s { print $18 }'; }
is_up() { [ "$(srv_status "$1")" = UP ]; }
is_absent() { local c; c=$(stats) && [ -n "$c" ] && ! grep -q "^nodes,$1," <<< "$c"; }
ready() { lab_exec "$1" supervisor status --wait-ready 30s > /dev/null || die "$1 did not get ready"; }
stopped() { lab_stopped "$1"; }
webapp_back() { [ "$(lab_exec "$1" supervisor status webapp 2>/dev/null | awk 'NR == 2 { print $2 $3 }')" = runningyes ]; }
# HAProxy's view of the backend, from its stats CSV (columns found by name in the header).
backends() {
  printf '%s$ curl -s "http://%s:1936/;csv"   (HAProxy stats, from the client)%s\n' "$D" "$HA" "$N"
  stats | awk -F, '
    NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) c[$i] = i
              printf "  %-8s %-8s %-8s %-14s %s\n", "server", "status", "check", "since change", "requests (this worker)"; next }
    $1 == "nodes" && $2 != "BACKEND" {
      printf "  %-8s %-8s %-8s %-14s %s\n", $2, $c["status"], $c["check_status"], $c["lastchg"] " s", $c["stot"] }'
}
# HAProxy's runtime API (admin, port 9999), in plain bash from the client namespace.
runtime_api() {
  printf '%s$ echo "show servers state nodes" > /dev/tcp/%s/9999   (HAProxy runtime API)%s\n' "$D" "$HA" "$N"
  client timeout 3 bash -c 'exec 3<>/dev/tcp/$1/9999; echo "show servers state nodes" >&3; cat <&3' _ "$HA" |
    awk 'NF > 10 && $1 !~ /^#/ { st = ($6 == 2 ? "running" : $6 == 0 ? "stopped" : $6 == 1 ? "starting" : "stopping")
                                 printf "  %-8s %-15s op_state=%s (%s)\n", $4, $5, $6, st }'
}
# requests through ha: which backend answered, and sessionViews (with a cookie jar)
requests() {  # N [jar]
  local i r jar=()
  [ -n "${2:-}" ] && jar=(-b "$2" -c "$2")
  printf '%s$ curl -s %shttp://%s/   (x%s, from the client 192.168.42.100)%s\n' "$D" "${2:+-b jar -c jar }" "$HA" "$1" "$N"
  for ((i = 0; i < $1; i++)); do
    r=$(client curl -s --max-time 3 -D - "${jar[@]}" "http://$HA/")
    printf '  %s %s\n' "$(grep -i '^x-backend-ip' <<< "$r" | tr -d '\r')" "$(tail -n1 <<< "$r")"
  done
}
central_tail() {
  printf '%s$ tail -n %s /var/log/central/all.log   (in logs)%s\n' "$D" "$1" "$N"
  lab_exec logs tail -n "$1" /var/log/central/all.log | cut -c1-"${COLUMNS:-160}" | sed 's/^/  /'
}

[ "$(id -u)" = 0 ] || die "run me as root (network, mount and PID namespaces)"
[ -x "$BIN" ] || die "no supervisor binary at $BIN (make build)"
for t in ip unshare nsenter pivot_root haproxy serf rsyslogd node curl; do
  command -v "$t" > /dev/null || die "missing $t (.ci/install-deps.sh lab installs it)"
done
if [ -n "$(lab_names)" ] || ip netns list | grep -q '^lab-'; then
  echo "a lab is already up (an earlier demo or test): removing it first"; lab_cleanup
fi

say "1. Four containers: logs, ha, s1, s2 (Linux namespaces, our supervisor as PID 1 of each)"
note "each: a network namespace on the bridge heig (192.168.42.0/24), its own mount, PID and UTS"
note "namespaces, the images' files at the images' paths, PID 1 = $BIN"
lab_up logs logs || die "logs did not start"
lab_up ha ha || die "ha did not start"
lab_up s1 webapp || die "s1 did not start"
lab_up s2 webapp || die "s2 did not start"
lab_up client client 192.168.42.100 || die "the client namespace could not be made"
show lab.sh ls
for c in logs ha s1 s2; do ready "$c"; done
show lab.sh exec ha supervisor status
show lab.sh exec s1 ps -e -o pid,args
wait_until 30 eval 'is_up s1 && is_up s2' || die "s1 and s2 did not come UP in HAProxy"
pause

say "2. Serf membership, as ha sees it"
show lab.sh exec ha serf members
note "ha's event handler keeps one file per live web app in /nodes and regenerates haproxy.cfg:"
show lab.sh exec ha grep -E '^ +server ' /etc/haproxy/haproxy.cfg
pause

say "3. Round robin through ha; the cookie NODESESSID keeps sessionViews counting on each backend"
requests 4
jar=$(mktemp /tmp/lab-demo-jar.XXXXXX)
requests 4 "$jar"
rm -f "$jar"
pause

say "4. HAProxy's backend states"
backends
runtime_api
pause

say "5. The central log (every container's forwarder ships its lines to logs)"
central_tail 8
pause

say "6. A new web app, s3: it joins through Serf and HAProxy follows, no file edited"
t=$(ms)
lab_up s3 webapp || die "s3 did not start"
wait_until 20 is_up s3 || die "s3 did not come UP"
note "s3 UP in HAProxy $(elapsed "$t") after its PID 1 started"
backends
requests 3
pause

say "7. A crash inside s2: kill -KILL the Node process; s2's supervisor restarts it"
show lab.sh exec s2 pkill -KILL -f app.js
wait_until 15 webapp_back s2 ||
  die "the web app of s2 did not come back"
grep -E 'webapp: (killed|started|ready)' "$LAB_STATE/s2/console.log" | tail -n 3 | sed 's/^/  /'
show lab.sh exec s2 supervisor status
wait_until 10 is_up s2 || die "s2 is not UP again"
backends
pause

say "8. s2 stops gracefully: SIGTERM to its PID 1 (docker stop)"
note "its supervisor stops Serf first (SIGINT: leave), the web app drains, then exits"
t=$(ms)
show lab.sh kill s2 TERM
wait_until 5 is_absent s2 || die "s2 is still in HAProxy"
note "s2 out of HAProxy after $(elapsed "$t")"
wait_until 30 stopped s2 || die "s2's PID 1 did not exit"
note "s2's PID 1 exited after $(elapsed "$t") with status $(cat "$LAB_STATE/s2/exit"); its last lines:"
tail -n 6 "$LAB_STATE/s2/console.log" | cut -c1-"${COLUMNS:-160}" | sed 's/^/  /'
show lab.sh exec ha serf members
backends
pause

say "9. s1 crashes: SIGKILL to its PID 1 (the whole container dies at once)"
t=$(ms)
show lab.sh kill s1 KILL
wait_until 10 eval '[ "$(srv_status s1)" = DOWN ] || is_absent s1' && note "HAProxy's health checks: s1 DOWN after $(elapsed "$t")"
wait_until 25 is_absent s1 || die "s1 is still in HAProxy"
note "Serf declared s1 failed; out of HAProxy after $(elapsed "$t")"
show lab.sh exec ha serf members
backends
requests 2
pause

say "10. ha's own output (docker logs ha: every service's lines, tagged) and the central log"
grep -E 'member-handler|supervisor info: haproxy: (reloading \(SIGUSR2|ready)' "$LAB_STATE/ha/console.log" | tail -n 6 |
  cut -c1-"${COLUMNS:-160}" | sed 's/^/  /'
central_tail 6
show lab.sh ls
note "the whole demo took $((SECONDS - T0)) s"
