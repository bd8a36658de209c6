#!/usr/bin/env bash
# make test-images: the real images, built from Dockerfile.ha and Dockerfile.webapp, run by a real
# container engine (Podman 4.3 from Debian, runc, netavark; tests/images/containers.conf):
#   0. the engine, the base image debian:12-slim (mmdebstrap + podman import, when missing), both
#      images built as they are (`podman build --format docker`, cached layers reused)
#   1. the lab with examples/docker-compose.yml (docker-compose 1.29 against Podman's API socket):
#      logs, ha, web apps scaled 1 -> 3 -> 2 under load from wrk through ha's published port
#      (zero failed requests while web apps join and while one leaves), then one web app killed
#      (`podman kill`): out of HAProxy within the lab's deadline; the answers' JSON (LAB.md), round
#      robin, sessions that stick, every container's lines in the central log
#   2. each image's HEALTHCHECK with `podman healthcheck run`: unhealthy while starting and while
#      a critical service is down, healthy when ready
#   3. PID 1 through the engine: podman stop, podman kill -s HUP, a service's process killed from
#      the host, podman run -it (a terminal, Ctrl-C), podman run --rm IMAGE -- CMD
#   4. the conditions matrix: --read-only (without and with --tmpfs /run), --user 1000, an
#      arbitrary uid, --cap-drop ALL, --pids-limit, --memory with a service that exceeds it
#   5. clean-up: no container, pod, network or network namespace of ours is left
# Everything the engine does to networking happens in a network namespace of its own (`supimg`):
# the containers' bridges, netavark's iptables rules, ip_forward and the published ports live
# there and go with it; only the image builds use the host's network (`--network host`: no bridge,
# no rule), for apt. Every container, network and pod is named supimg*, and removed at the end,
# also on failure or Ctrl-C. Deadlines everywhere, no fixed sleeps. wrk: -t2 -c8, at most 25 s.
# Last line: "N passed, M failed"; exit 1 on any failure. Needs root. Env: IMAGES_KEEP=1 keeps
# the containers' logs in the work directory; IMAGES_SKIP_BUILD=1 uses the images as they are.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
export CONTAINERS_CONF=$REPO/tests/images/containers.conf
BASE=docker.io/library/debian:12-slim
IMG_HA=localhost/lab-ha:latest
IMG_WEB=localhost/lab-webapp:latest
NS=supimg                      # the network namespace of everything the engine runs
NET=supimg-net                 # the network of the single containers (the lab has its own)
SUBNET=10.89.42                # ... its addresses (the lab's: 192.168.42.0/24, as LAB.md)
PROJECT=supimg                 # docker-compose -p
COMPOSE=(docker-compose -p "$PROJECT" -f "$REPO/examples/docker-compose.yml" -f "$REPO/examples/docker-compose.podman.yml")
W=$(mktemp -d /tmp/supimg.XXXXXX)
chmod 755 "$W"
pass=0 fail=0 SVC_PID="" LOAD_PID=""
T0=${EPOCHREALTIME/./}

now_ms() { local t=${EPOCHREALTIME/./}; echo $(( (t - T0) / 1000 )); }
since() { echo "$(( $(now_ms) - $1 ))"; }
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
section() { printf '== %s (%ss)\n' "$*" "$(secs "$(now_ms)")"; }
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else ko "$name"; fi; }
note() { echo "     $*"; }
# wait_until SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds or the deadline passes.
wait_until() {
  local end=$(( $(now_ms) + $1 * 1000 )); shift
  until "$@"; do [ "$(now_ms)" -lt "$end" ] || return 1; sleep 0.2; done
}
# while_up CONTAINER SECONDS COMMAND...: wait_until, but gives up as soon as CONTAINER has ended.
while_up() {
  local c=$1 end=$(( $(now_ms) + $2 * 1000 )); shift 2
  until "$@"; do running "$c" && [ "$(now_ms)" -lt "$end" ] || return 1; sleep 0.2; done
}
inns() { nsenter --net="/run/netns/$NS" "$@"; }
# Podman, in our network namespace; its own complaints (no systemd for health-check timers, no
# syslog) go to a file.
pm() { inns podman "$@" 2>>"$W/podman.stderr"; }
# The same for commands whose error message is the point.
pm2() { inns podman "$@"; }
dc() { DOCKER_HOST=unix://$W/podman.sock COMPOSE_HTTP_TIMEOUT=120 "${COMPOSE[@]}" "$@"; }

# --- clean-up: at the end, on failure and on Ctrl-C ----------------------------------------------
ours() { pm ps -a --format '{{.Names}}' | grep -E '^supimg[-_]'; }
cleanup() {
  local c
  [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null && wait "$LOAD_PID" 2>/dev/null
  LOAD_PID=""
  if [ -e "/run/netns/$NS" ]; then
    if [ -n "${IMAGES_KEEP:-}" ] || [ "$fail" != 0 ]; then
      for c in $(ours); do pm2 logs --tail 3000 "$c" > "$W/logs.$c" 2>&1; done
    fi
    [ -f "$REPO/examples/kubernetes/lab.yaml" ] && pm kube play --down "$REPO/examples/kubernetes/lab.yaml" > /dev/null 2>&1
    for c in $(pm pod ls --format '{{.Name}}' | grep -E '^(supimg|ha|logs|webapp)-'); do pm pod rm -f -t 0 "$c" > /dev/null; done
    for c in $(ours); do pm rm -f -t 0 "$c" > /dev/null; done
    for c in $(pm network ls --format '{{.Name}}' | grep -E '^supimg[-_]'); do pm network rm -f "$c" > /dev/null; done
  fi
  [ -n "$SVC_PID" ] && kill "$SVC_PID" 2>/dev/null && wait "$SVC_PID" 2>/dev/null
  SVC_PID=""
  [ -e "/run/netns/$NS" ] && ip netns del "$NS"
  if [ -n "${IMAGES_KEEP:-}" ] || [ "$fail" != 0 ]; then echo "kept the logs in $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 1' INT TERM

# --- 0. the engine, the base image, the images ---------------------------------------------------
section "0. engine, base image, images"
[ "$(id -u)" = 0 ] || { echo "needs root (the engine runs rootful, in a network namespace of its own)"; echo "0 passed, 1 failed"; exit 1; }
if ! command -v apt-get > /dev/null && ! command -v podman > /dev/null; then
  echo "SKIPPED: no container engine and no apt-get to install one (Debian packages podman, runc)"
  echo "0 passed, 0 failed"; exit 0
fi
bash "$REPO/.ci/install-deps.sh" images || { echo "cannot install the engine's packages"; echo "0 passed, 1 failed"; exit 1; }
podman --version | sed 's/^/     /'
# A run that was killed with -9 leaves its namespace and containers: remove them first.
if [ -e "/run/netns/$NS" ]; then echo "     leftovers of an earlier run: removing them"; cleanup; W=$(mktemp -d /tmp/supimg.XXXXXX); chmod 755 "$W"; fi
ip netns add "$NS" && ip -n "$NS" link set lo up
check "a network namespace for the engine" test -e "/run/netns/$NS"

if ! podman image exists "$BASE" 2>/dev/null; then
  # No registry is reachable: the base image the Dockerfiles name, from Debian's mirror. The
  # dpkg excludes are debian:12-slim's own (no manuals, no translations, no documentation).
  note "making $BASE with mmdebstrap (no registry is reachable)"
  t=$(now_ms)
  rm -rf "$W/rootfs"
  if mmdebstrap --quiet --variant=minbase --dpkgopt='path-exclude=/usr/share/man/*' \
       --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
       --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
       bookworm "$W/rootfs" > "$W/mmdebstrap.log" 2>&1; then
    tar -C "$W/rootfs" -c . | podman import --quiet - "$BASE" > /dev/null
  else
    tail -5 "$W/mmdebstrap.log"
  fi
  rm -rf "$W/rootfs"
  note "base image made in $(secs "$(since "$t")") s"
fi
check "the base image $BASE" podman image exists "$BASE"

# build DOCKERFILE TAG: as it is, in the Docker image format (Podman's own OCI format drops
# HEALTHCHECK), with the host's network (apt) but no bridge and no firewall rule.
build() {
  local t; t=$(now_ms)
  if podman build --format docker --network host --layers -f "$1" -t "$2" . > "$W/build.$(basename "$1")" 2>&1; then
    note "$1 -> $2 in $(secs "$(since "$t")") s ($(grep -c 'Using cache' "$W/build.$(basename "$1")") steps from the cache)"
  else
    tail -20 "$W/build.$(basename "$1")"; return 1
  fi
}
if [ -z "${IMAGES_SKIP_BUILD:-}" ]; then
  check "Dockerfile.ha builds" build Dockerfile.ha "$IMG_HA"
  check "Dockerfile.webapp builds" build Dockerfile.webapp "$IMG_WEB"
fi
for i in "$IMG_HA" "$IMG_WEB"; do
  note "$i: $(podman image inspect -f '{{.Size}}' "$i" | awk '{ printf "%.0f MB", $1 / 1e6 }'), healthcheck $(podman image inspect -f '{{.Config.Healthcheck.Test}}' "$i")"
done
check "both images carry their HEALTHCHECK" eval \
  '[ "$(podman image inspect -f "{{.Config.Healthcheck.Test}}" "$IMG_HA" "$IMG_WEB" | grep -c wait-ready)" = 2 ]'
# From here on the work directory is the current one: conmon leaves a file `oom` in its current
# directory when the kernel's OOM killer struck in a container (section 4 makes it happen).
cd "$W" || exit 1
pm network create --subnet "$SUBNET.0/24" "$NET" > /dev/null
check "a test network $NET ($SUBNET.0/24)" pm network exists "$NET"

# --- helpers on containers ----------------------------------------------------------------------
cip() { pm inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$1" | awk '{ print $1 }'; }
state() { pm inspect -f '{{.State.Status}}' "$1"; }
exit_code() { pm inspect -f '{{.State.ExitCode}}' "$1"; }
running() { [ "$(state "$1")" = running ]; }
healthy() { pm healthcheck run "$1" > /dev/null; }
unhealthy() { [ "$(pm healthcheck run "$1")" = unhealthy ]; }
svc() { pm exec "$1" supervisor status "$2" 2>/dev/null | awk -v s="$2" -v f="$3" 'NR == 2 && $1 == s { print $f }'; }
logs_have() { pm2 logs "$1" 2>&1 | grep -qE "$2"; }
web_answers() { inns curl -sf --max-time 2 "http://$(cip "$1"):3000/health" > /dev/null; }
# stop_graceful NAME SECONDS: podman stop, then exit status 0 and a graceful end in its log.
stop_graceful() {
  local t; t=$(now_ms)
  pm stop -t "$2" "$1" > /dev/null || return 1
  STOP_MS=$(since "$t")
  note "$1: podman stop took $(secs "$STOP_MS") s, exit status $(exit_code "$1")"
  [ "$(exit_code "$1")" = 0 ] && logs_have "$1" 'shutdown complete; exit status 0' && [ "$STOP_MS" -lt $(( $2 * 1000 )) ]
}
# A service directory mounted over /etc/supervisor.d (the matrix): root-owned, 755/644.
svcdir() {  # NAME FILE...: $W/svc.NAME with the given files from the heredocs below
  local d=$W/svc.$1; shift
  mkdir -p "$d" && chmod 755 "$d"
  for f in "$@"; do svcfile "$f" > "$d/$f.toml"; chmod 644 "$d/$f.toml"; done
  echo "$d"
}
svcfile() {
  case $1 in
    web) cat <<'TOML' ;;
description = "the lab's Node web app"
command = ["node", "/srv/app/app.js"]
critical = true
[ready]
http = "http://127.0.0.1:3000/health"
interval = "200ms"
TOML
    ticker) cat <<'TOML' ;;
command = "while :; do echo tick; sleep 1; done"
TOML
    slow) cat <<'TOML' ;;
description = "ready once /tmp/go exists"
command = ["sleep", "infinity"]
[ready]
command = ["test", "-e", "/tmp/go"]
interval = "200ms"
TOML
    hog) cat <<'TOML' ;;
description = "eats memory until the kernel kills it (tail keeps the last line, which never ends)"
command = ["tail", "-n", "1", "/dev/zero"]
[restart]
delay = "1s"
TOML
    bomb) cat <<'TOML' ;;
description = "spawns children until the pids limit says no, then takes every task that frees up"
command = ["node", "-e", "const {spawn} = require('child_process'); let n = 0, told = false; const more = () => { const c = spawn('sleep', ['600'], {stdio: 'ignore'}); c.on('error', e => { if (!told) console.log(`pids-bomb: spawn failed (${e.code}) after ${n} children; holding on`); told = true; setTimeout(more, 20); }); c.on('spawn', () => { n++; more(); }); }; more();"]
[restart]
policy = "never"
TOML
    flap) cat <<'TOML' ;;
description = "runs for 1 s, restarted each time: PID 1 must fork again"
command = ["sleep", "1"]
[restart]
delay = "200ms"
TOML
  esac
}

# --- 1. the lab with docker-compose --------------------------------------------------------------
section "1. the lab: docker-compose 1.29 against Podman's socket, web apps 1 -> 3 -> 2 under load"
# nsenter execs podman (no function, no subshell between), so that $! is the service itself.
nsenter --net="/run/netns/$NS" podman system service --time=0 "unix://$W/podman.sock" > "$W/service.log" 2>&1 &
SVC_PID=$!
check "Podman's API service on $W/podman.sock" wait_until 20 test -S "$W/podman.sock"
dc version --short 2>/dev/null | sed 's/^/     docker-compose /'
HA=${PROJECT}_ha_1 LOGS=${PROJECT}_logs_1
webapps() { pm ps --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=webapp" --format '{{.Names}}' | sort; }
hostname_of() { pm inspect -f '{{.Config.Hostname}}' "$1"; }
get() { inns curl -s --max-time 3 "$@"; }
stats() { get "http://127.0.0.1:1936/;csv" > "$W/stats.csv" && [ -s "$W/stats.csv" ]; }
up_servers() { stats && awk -F, '$1 == "nodes" && $2 != "BACKEND" && $18 == "UP"' "$W/stats.csv" | wc -l; }
servers() { stats && awk -F, '$1 == "nodes" && $2 != "BACKEND" { printf "%s%s=%s", n++ ? " " : "", $2, $18 }' "$W/stats.csv"; }
has_server() { stats && awk -F, -v s="$1" '$1 == "nodes" && $2 == s { f = 1 } END { exit !f }' "$W/stats.csv"; }
n_up() { [ "$(up_servers)" = "$1" ] && [ "$(awk -F, '$1 == "nodes" && $2 != "BACKEND"' "$W/stats.csv" | wc -l)" = "$1" ]; }

declare -A L_REQ L_BAD L_SOCK L_LOGBAD
load_start() {  # STEP SECONDS
  nsenter --net="/run/netns/$NS" wrk -t2 -c8 -d"$2"s --timeout 2s "http://127.0.0.1:80/?img=$1" > "$W/wrk.$1" 2>&1 &
  LOAD_PID=$!
  wait_until 5 eval 'pm2 logs "$HA" 2>&1 | grep -q "GET /?img=$1 "' || note "(no request of the load seen yet)"
}
load_end() {  # STEP: wrk's counts, and HAProxy's own line for every request (any status but 200?)
  local step=$1
  wait "$LOAD_PID"; LOAD_PID=""
  L_REQ[$step]=$(awk '/requests in/ { print $1 }' "$W/wrk.$step")
  L_BAD[$step]=$(awk -F': ' '/Non-2xx/ { print $2 }' "$W/wrk.$step")
  L_SOCK[$step]=$(awk '/Socket errors/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$W/wrk.$step")
  L_REQ[$step]=${L_REQ[$step]:-0} L_BAD[$step]=${L_BAD[$step]:-0} L_SOCK[$step]=${L_SOCK[$step]:-0}
  pm2 logs "$HA" > "$W/ha.log" 2>&1
  # wrk stops at its deadline with up to one request in flight per connection (-c8): HAProxy logs
  # those as aborted by the client (status -1, termination state C...). They are wrk's doing, so
  # they are counted apart; every other line must be a 200 from a web app.
  grep "GET /?img=$step " "$W/ha.log" | grep -vE ' localnodes nodes/[^ ]+ [^ ]+ 200 ' > "$W/ha.not200.$step" || true
  local aborted; aborted=$(grep -cE ' localnodes [^ ]+ [^ ]+ -1 [0-9]+ [^ ]+ [^ ]+ C' "$W/ha.not200.$step" || true)
  L_LOGBAD[$step]=$(( $(wc -l < "$W/ha.not200.$step") - aborted ))
  note "load '$step': wrk ${L_REQ[$step]} requests, ${L_BAD[$step]} non-2xx, ${L_SOCK[$step]} socket errors;" \
       "HAProxy logged $(grep -c "GET /?img=$step " "$W/ha.log"), ${L_LOGBAD[$step]} not 200, $aborted aborted by wrk at its end"
  grep -vE ' localnodes [^ ]+ [^ ]+ -1 [0-9]+ [^ ]+ [^ ]+ C' "$W/ha.not200.$step" | head -3 | sed 's/^/     not 200: /'
  grep -E 'Socket errors|Latency  ' "$W/wrk.$step" | sed 's/^ */     wrk: /'
}
load_clean() { [ "${L_BAD[$1]}" = 0 ] && [ "${L_SOCK[$1]}" = 0 ] && [ "${L_LOGBAD[$1]}" = 0 ] && [ "${L_REQ[$1]}" -gt 0 ]; }

t=$(now_ms)
dc up -d --no-build --scale webapp=1 > "$W/compose.up1" 2>&1
check "docker-compose up --scale webapp=1 (logs, ha, one web app)" eval '[ "$(webapps | wc -l)" = 1 ] && running "$HA" && running "$LOGS"'
check "ha is healthy (podman healthcheck run)" wait_until 30 healthy "$HA"
check "the web app is UP in HAProxy" wait_until 30 n_up 1
T_HEALTHY=$(since "$t")
note "compose up to one web app UP behind ha: $(secs "$T_HEALTHY") s; servers: $(servers)"

section "1a. the answers (LAB.md): JSON, x-backend-ip, round robin, sessions"
dc up -d --no-build --scale webapp=2 > "$W/compose.up2" 2>&1
check "a second web app joins (2 UP)" wait_until 30 n_up 2
get -D "$W/h0" "http://127.0.0.1/" > "$W/r0"
check "GET / answers the lab's JSON (hello, ip, host, tag, sessionViews, id) and x-backend-ip = ip" python3 - "$W/r0" "$W/h0" <<'PY'
import json, re, sys
body = json.load(open(sys.argv[1])); head = open(sys.argv[2]).read()
assert set(body) == {"hello", "ip", "host", "tag", "sessionViews", "id"}, body
assert body["hello"] == "world!" and body["tag"] == "webapp" and body["sessionViews"] == 1, body
assert re.fullmatch(r"[0-9a-f]{32}", body["id"]), body
m = re.search(r"^x-backend-ip: (\S+)", head, re.I | re.M)
assert m and m.group(1) == body["ip"] and body["ip"].startswith("192.168.42."), (head, body)
assert re.search(r"^set-cookie: NODESESSID=" + body["id"], head, re.I | re.M), head
print("     " + json.dumps(body))
PY
: > "$W/rr"
for i in 1 2 3 4; do get "http://127.0.0.1/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["host"])' >> "$W/rr"; done
note "4 requests without a cookie answered by: $(xargs < "$W/rr")"
check "round robin: the two web apps alternate" eval '[ "$(sed -n 1p "$W/rr")" = "$(sed -n 3p "$W/rr")" ] && [ "$(sed -n 2p "$W/rr")" = "$(sed -n 4p "$W/rr")" ] && [ "$(sed -n 1p "$W/rr")" != "$(sed -n 2p "$W/rr")" ]'
: > "$W/views"
for i in 1 2 3 4; do
  get -c "$W/jar" -b "$W/jar" "http://127.0.0.1/" | python3 -c 'import json,sys; b=json.load(sys.stdin); print(b["host"], b["sessionViews"], b["id"])' >> "$W/views"
done
note "4 requests with a cookie jar (host views id): $(awk '{ printf "%s:%s ", $1, $2 }' "$W/views")"
check "sessions stick: NODESESSID keeps one id and sessionViews counts 1, 1, 2, 2 (once per web app)" \
  eval '[ "$(awk "{ print \$2 }" "$W/views" | xargs)" = "1 1 2 2" ] && [ "$(awk "{ print \$3 }" "$W/views" | sort -u | wc -l)" = 1 ]'

section "1b. 2 -> 3 web apps under load: zero failed requests while one joins"
load_start join 20
t=$(now_ms)
dc up -d --no-build --scale webapp=3 > "$W/compose.up3" 2>&1
check "docker-compose up --scale webapp=3" test "$(webapps | wc -l)" = 3
check "3 web apps UP in HAProxy within 10 s" wait_until 10 n_up 3
T_JOIN=$(since "$t")
note "the third web app UP $(secs "$T_JOIN") s after compose was asked; servers: $(servers)"
load_end join
check "zero failed requests while a web app joined" load_clean join
ALL_WEB_HOSTS=$(for c in $(webapps); do hostname_of "$c"; done | xargs)

section "1c. 3 -> 2 web apps under load: zero failed requests while one leaves (podman stop)"
load_start leave 20
t=$(now_ms)
dc up -d --no-build --scale webapp=2 > "$W/compose.down2" 2>&1
check "docker-compose up --scale webapp=2 stopped and removed one" test "$(webapps | wc -l)" = 2
T_LEAVE=$(since "$t")
check "2 web apps in HAProxy, all UP" wait_until 10 n_up 2
note "compose scaled down in $(secs "$T_LEAVE") s (stop = SIGTERM, graceful leave, drain); servers: $(servers)"
load_end leave
check "zero failed requests while a web app left" load_clean leave

section "1d. podman kill of a web app: out of HAProxy within the lab's deadline (21 s)"
victim=$(webapps | tail -1) victim_host=$(hostname_of "$(webapps | tail -1)")
t=$(now_ms)
check "podman kill $victim" eval 'pm kill "$victim" > /dev/null'
check "$victim_host out of HAProxy within 21 s (Serf member-failed)" wait_until 21 eval '! has_server "$victim_host"'
T_KILL=$(since "$t")
note "killed web app removed after $(secs "$T_KILL") s; servers: $(servers)"
check "ha serves from the web app left" eval 'get "http://127.0.0.1/" | grep -q "\"hello\":\"world!\""'

section "1e. every container's lines in the central log"
pm exec "$LOGS" cat /var/log/central/all.log > "$W/central.log" 2>/dev/null
for h in ha $ALL_WEB_HOSTS; do
  check "lines of host $h in the central log" grep -qE "^[^ ]+ $h " "$W/central.log"
done
check "HAProxy's request lines (host ha, local1, haproxy)" grep -qE '^[^ ]+ ha local1\.info haproxy: .* localnodes nodes/' "$W/central.log"
check "the web apps' request lines (program webapp)" grep -qE '^[^ ]+ [0-9a-f]{12} [^ ]+ webapp: GET / 200 ' "$W/central.log"
check "the collector's own lines (host logs, rsyslogd)" grep -qE '^[^ ]+ logs [^ ]+ rsyslogd' "$W/central.log"
note "$(wc -l < "$W/central.log") lines; hosts: $(awk '{ print $2 }' "$W/central.log" | sort -u | xargs)"
dc down -t 30 > "$W/compose.down" 2>&1
check "docker-compose down removes the lab" eval '[ -z "$(pm ps -a --filter "label=com.docker.compose.project=$PROJECT" --format "{{.Names}}")" ]'

# --- 2. HEALTHCHECK ------------------------------------------------------------------------------
section "2. each image's HEALTHCHECK with podman healthcheck run"
pm run -d --name supimg-hc-logs --hostname logs --network "$NET" -e SUPERVISOR_CONFIG_DIR=/etc/supervisor-logs.d "$IMG_HA" > /dev/null
pm run -d --name supimg-hc-ha --hostname ha --network "$NET" "$IMG_HA" > /dev/null
pm run -d --name supimg-hc-web --network "$NET" "$IMG_WEB" > /dev/null
slow=$(svcdir slow web slow)
pm run -d --name supimg-hc-slow --network "$NET" -v "$slow:/etc/supervisor.d:ro" "$IMG_WEB" > /dev/null
t=$(now_ms)
for c in supimg-hc-logs supimg-hc-ha supimg-hc-web; do
  check "$c healthy once ready" wait_until 30 healthy "$c"
  note "$c: healthy $(secs "$(since "$t")") s after it was started"
done
check "a container still starting (a service not ready yet) is unhealthy" unhealthy supimg-hc-slow
check "...and healthy once that service is ready" eval 'pm exec supimg-hc-slow touch /tmp/go && wait_until 15 healthy supimg-hc-slow'
for cs in supimg-hc-ha:haproxy supimg-hc-web:webapp supimg-hc-logs:collector; do
  c=${cs%%:*} s=${cs#*:}
  pm exec "$c" supervisor stop "$s" > /dev/null
  check "$c: critical service $s stopped -> unhealthy" unhealthy "$c"
  check "$c: $s started again -> healthy" eval 'pm exec "$c" supervisor start "$s" > /dev/null && wait_until 15 healthy "$c"'
done
pm rm -f -t 0 supimg-hc-logs supimg-hc-ha supimg-hc-web supimg-hc-slow > /dev/null

# --- 3. PID 1 through the engine -----------------------------------------------------------------
section "3. PID 1 through the engine"
C=supimg-pid1
pm run -d --name "$C" --network "$NET" "$IMG_WEB" > /dev/null
check "the web app image is healthy" wait_until 30 healthy "$C"
# podman kill -s HUP: a reload; a service file added in the container's /etc/supervisor.d starts,
# nothing else is touched.
pids() { pm exec "$C" supervisor status 2>/dev/null | awk 'NR > 1 { print $1 "=" $5 }' | sort | xargs; }
before=$(pids)
pm exec "$C" sh -c 'printf "command = [\"sleep\", \"infinity\"]\n" > /etc/supervisor.d/hello.toml'
check "podman kill -s HUP" eval 'pm kill -s HUP "$C" > /dev/null'
check "the reload starts the new service" wait_until 10 eval '[ "$(svc "$C" hello 2)" = running ]'
check "...and touches nothing else (same pids)" eval '[ "$(pids | tr " " "\n" | grep -v ^hello= | xargs)" = "$before" ]'
note "before: $before; after: $(pids)"
# A service's process killed from the host (its host pid from podman top): restarted.
node_hpid=$(pm top "$C" hpid args | awk '$2 == "node" { print $1 }')
node_pid=$(svc "$C" webapp 5)
check "kill -KILL of the web app's process from the host (host pid ${node_hpid:-none})" kill -KILL "${node_hpid:-none}"
check "the supervisor restarts it (running, ready, new pid, 1 restart)" wait_until 15 eval \
  '[ "$(svc "$C" webapp 2)" = running ] && [ "$(svc "$C" webapp 3)" = yes ] && [ "$(svc "$C" webapp 5)" != "$node_pid" ] && [ "$(svc "$C" webapp 7)" = 1 ]'
check "the log says why" wait_until 10 logs_have "$C" 'webapp: killed by SIGKILL'
check "the container is still healthy" wait_until 15 healthy "$C"
check "podman stop -t 30: graceful, exit status 0, within the stop timeout" stop_graceful "$C" 30
T_STOP=$STOP_MS
check "every service stopped on its own (no SIGKILL)" eval '! logs_have "$C" "sent SIGKILL"'
pm rm -f "$C" > /dev/null

# podman run -it: a terminal (script gives podman one); Ctrl-C reaches the command, which is the
# terminal's foreground process group, and the container exits with its status. The marker is
# computed (TTY-42), so that script's own header line, which quotes the command, cannot match.
{
  wait_until 30 grep -aq TTY-42 "$W/tty.out"
  printf '\003'
  wait_until 30 eval '! pm container exists supimg-tty'
} | script -qfec "CONTAINERS_CONF=$CONTAINERS_CONF nsenter --net=/run/netns/$NS podman run -it --rm --name supimg-tty --network none $IMG_WEB -- sh -c 'tty; test -t 0 && echo TTY-\$((6 * 7)); exec sleep 600'" "$W/tty.out" > /dev/null 2>&1
TTY_RC=$?
note "podman run -it: tty says $(grep -aoE -m1 '^/dev/(pts/[0-9]+|console|tty[0-9]*)' "$W/tty.out"), exit status $TTY_RC after Ctrl-C"
check "podman run -it gives the command a terminal" grep -aq TTY-42 "$W/tty.out"
# Single-command mode is as quiet as tini: an end by the Ctrl-C it passed on is not reported.
check "Ctrl-C: PID 1 says nothing of its own about it (no 'killed by SIGINT', no shutdown lines)" \
  eval '! grep -aqE "main: killed by SIGINT|shutting down|shutdown complete" "$W/tty.out"'
check "Ctrl-C ends it: exit status 130 (128 + SIGINT: the command got the SIGINT; a shutdown would end it by SIGTERM)" test "$TTY_RC" = 130
# Single-command mode: the exit status of the command is the container's.
for cmd_rc in "true:0" "exit 7:7" 'kill -TERM $$:143'; do
  cmd=${cmd_rc%:*} want=${cmd_rc##*:}
  pm run --rm --network none "$IMG_WEB" -- sh -c "$cmd" > "$W/single.out" 2>&1
  got=$?
  check "podman run --rm IMAGE -- sh -c '$cmd': exit status $want (got $got)" test "$got" = "$want"
done
check "-- CMD: its output on the container's stdout" eval '[ "$(pm run --rm --network none "$IMG_WEB" -- echo hello-from-main 2>/dev/null)" = hello-from-main ]'

# --- 4. the conditions matrix --------------------------------------------------------------------
section "4. the conditions matrix (the web app image)"
basic=$(svcdir basic web ticker)
# matrix NAME EXPECT DESCRIPTION RUN-OPTIONS...: the web app image with $basic as /etc/supervisor.d.
# EXPECT: socket (everything works, the control socket too) or nosocket (services run, one
# warning, no control socket). Then a graceful podman stop, exit status 0.
matrix() {
  local c=supimg-m-$1 expect=$2 what=$3; shift 3
  pm run -d --name "$c" --network "$NET" -v "$basic:/etc/supervisor.d:ro" "$@" "$IMG_WEB" > /dev/null
  check "$what: the web app answers" while_up "$c" 20 web_answers "$c"
  check "$what: the other service runs" while_up "$c" 10 logs_have "$c" '^ticker \| tick'
  if [ "$expect" = socket ]; then
    check "$what: supervisor status through the control socket" eval 'pm exec "$c" supervisor status | grep -qE "^web +running +yes"'
    check "$what: podman healthcheck run: healthy" while_up "$c" 15 healthy "$c"
  else
    check "$what: one clear warning: no control socket" eval '[ "$(pm2 logs "$c" 2>&1 | grep -ciE "warn.*socket")" = 1 ]'
    pm2 logs "$c" 2>&1 | grep -iE "warn.*socket" | head -2 | cut -c1-200 | sed 's/^/     /'
    check "$what: the client says why it cannot reach the supervisor (exit 3)" eval \
      'pm2 exec "$c" supervisor status > "$W/client.out" 2>&1; [ $? = 3 ] && [ -s "$W/client.out" ]'
  fi
  check "$what: podman stop: graceful, exit status 0" stop_graceful "$c" 20
  [ "$(exit_code "$c")" = 0 ] || pm2 logs "$c" 2>&1 | tail -5 | sed 's/^/     | /'
  pm rm -f "$c" > /dev/null
}
matrix ro nosocket "--read-only (Docker's: no tmpfs at all)" --read-only --read-only-tmpfs=false
matrix rorun socket "--read-only --tmpfs /run" --read-only --read-only-tmpfs=false --tmpfs /run
matrix u1000 socket "--user 1000 (no passwd entry)" --user 1000
matrix uid socket "--user 4242:4242 (an arbitrary uid and gid)" --user 4242:4242
matrix capall socket "--cap-drop ALL" --cap-drop ALL

# --cap-drop ALL with the real images: the web app image runs as it is; ha cannot bind port 80
# without CAP_NET_BIND_SERVICE (Podman 4.3 does not lower ip_unprivileged_port_start): HAProxy
# fails and is retried, PID 1 and the rest stay up, the health check says unhealthy; with
# --cap-add NET_BIND_SERVICE it is healthy.
pm run -d --name supimg-cap-web --network "$NET" --cap-drop ALL "$IMG_WEB" > /dev/null
pm run -d --name supimg-cap-ha --network "$NET" --cap-drop ALL "$IMG_HA" > /dev/null
pm run -d --name supimg-cap-ha2 --network "$NET" --cap-drop ALL --cap-add NET_BIND_SERVICE "$IMG_HA" > /dev/null
check "--cap-drop ALL: the web app image is healthy" wait_until 30 healthy supimg-cap-web
check "--cap-drop ALL: ha's HAProxy cannot bind :80 and says so" wait_until 15 logs_have supimg-cap-ha 'cannot bind socket \(Permission denied\) for \[0\.0\.0\.0:80\]'
check "...is retried with backoff, PID 1 stays up, unhealthy" eval \
  'wait_until 10 logs_have supimg-cap-ha "haproxy: exited with status 1; restarting in" && running supimg-cap-ha && unhealthy supimg-cap-ha'
check "--cap-drop ALL --cap-add NET_BIND_SERVICE: ha is healthy" wait_until 30 healthy supimg-cap-ha2
pm rm -f -t 0 supimg-cap-web supimg-cap-ha supimg-cap-ha2 > /dev/null

# --pids-limit: the web app image as it is needs about 22 tasks (Node, Serf, rsyslog threads);
# a service that forks past the limit gets EAGAIN, PID 1 and the other services go on.
pm run -d --name supimg-pids --network "$NET" --pids-limit 64 "$IMG_WEB" > /dev/null
check "--pids-limit 64: the web app image is healthy" wait_until 30 healthy supimg-pids
note "tasks in use: $(pm exec supimg-pids cat /sys/fs/cgroup/pids/pids.current 2>/dev/null)"
pm rm -f -t 0 supimg-pids > /dev/null
# The bomb keeps taking every task that frees up, so PID 1's own fork (flap's restart) fails:
# a failed start with a growing delay, never a retry loop; once the bomb is gone, flap runs again.
bomb=$(svcdir bomb web ticker bomb flap)
C=supimg-bomb
pm run -d --name "$C" --network "$NET" --pids-limit 40 -v "$bomb:/etc/supervisor.d:ro" "$IMG_WEB" > /dev/null
check "--pids-limit 40 with a service spawning past it: it hits the limit" wait_until 20 logs_have "$C" 'pids-bomb: spawn failed \(EAGAIN\)'
check "...PID 1's fork for a restart fails: a failed start, 'cannot fork', the delay growing" wait_until 20 eval \
  '[ "$(pm2 logs "$C" 2>&1 | grep -oE "flap: cannot fork: Resource temporarily unavailable; restarting in [0-9.]+m?s" | sort -u | wc -l)" -ge 2 ]'
pm2 logs "$C" 2>&1 | grep -m3 "flap: cannot fork" | sed 's/^/     /'
check "...PID 1 stays up and the web app answers" eval 'running "$C" && wait_until 10 web_answers "$C"'
pkill --ns "$(pm inspect -f '{{.State.Pid}}' "$C")" --nslist pid -f pids-bomb
check "...the bomb killed from outside: flap starts again once there is room" wait_until 30 eval \
  'pm2 logs "$C" 2>&1 | sed -n "/flap: cannot fork/,\$p" | grep -q "flap: started"'
check "...podman stop: graceful, exit status 0" stop_graceful "$C" 30
pm rm -f "$C" > /dev/null

# --memory: a service that eats memory is killed by the kernel's OOM killer in the container's
# cgroup; the supervisor logs it and restarts it with backoff; PID 1 and the web app go on.
hog=$(svcdir hog web ticker hog)
C=supimg-mem
pm run -d --name "$C" --network "$NET" --memory 96m --memory-swap 96m -v "$hog:/etc/supervisor.d:ro" "$IMG_WEB" > /dev/null
check "--memory 96m with a service exceeding it: the kernel kills it, the log says it was out of memory" wait_until 30 logs_have "$C" 'hog: killed by SIGKILL \(out of memory: the memory cgroup.s OOM kill count rose to [0-9]+\)'
check "...it is restarted" wait_until 15 eval '[ "$(pm2 logs "$C" 2>&1 | grep -c "hog: started")" -ge 2 ]'
check "...PID 1 stays up and the web app answers" eval 'running "$C" && web_answers "$C"'
check "...podman stop: graceful, exit status 0" stop_graceful "$C" 30
note "OOM kills seen: $(pm2 logs "$C" 2>&1 | grep -c 'hog: killed by SIGKILL')"
pm rm -f "$C" > /dev/null

# --- 5. the Kubernetes manifests with podman kube play -------------------------------------------
section "5. examples/kubernetes/lab.yaml with podman kube play (Podman 4.3)"
KUBE=$REPO/examples/kubernetes/lab.yaml
pm network create --subnet "${SUBNET%.*}.43.0/24" supimg-kube > /dev/null
t=$(now_ms)
pm kube play --network supimg-kube "$KUBE" > "$W/kube.out" 2>&1
check "podman kube play: one pod per replica (logs 1, ha 1, webapp 3), all running" eval \
  '[ "$(pm pod ls --filter status=running --format "{{.Name}}" | grep -cE "^(logs|ha|webapp)-pod-[0-9]+$")" = 5 ]'
note "pods: $(pm pod ls --format '{{.Name}}={{.Status}}' | sort | xargs)"
check "the liveness probe became the containers' health check (curl of the supervisor's /healthz)" eval \
  '[ "$(pm inspect -f "{{.Config.Healthcheck.Test}}" ha-pod-0-ha | grep -c "localhost:9180/healthz")" = 1 ]'
for c in logs-pod-0-logs ha-pod-0-ha webapp-pod-0-webapp webapp-pod-1-webapp webapp-pod-2-webapp; do
  check "$c healthy (podman healthcheck run)" wait_until 30 healthy "$c"
done
note "all healthy $(secs "$(since "$t")") s after kube play"
check "ha's supervisor serves /readyz and /metrics on 9180 (SUPERVISOR_HTTP from the manifest)" eval \
  'pm exec ha-pod-0-ha curl -sf http://localhost:9180/readyz > /dev/null &&
   pm exec ha-pod-0-ha curl -sf http://localhost:9180/metrics | grep -q "^supervisor_service_ready{service=\"haproxy\"} 1$"'
check "the manifest's --drain 5s reached PID 1" eval 'pm exec ha-pod-0-ha cat /proc/1/cmdline | tr "\0" " " | grep -q -- "--drain 5s"' 
check "ha's port 80, published by the pod, answers (503 until a web app joins)" eval \
  '[ "$(get -o /dev/null -w "%{http_code}" http://127.0.0.1/)" = 503 ]'
# Podman 4.3 creates no Service: the names `ha` and `logs` do not resolve in the pods (only the pods'
# own names, ha-pod-0, logs-pod-0, do), so the web apps' Serf cannot join; the README says so.
check "as documented: Services are not created by Podman 4.3 (the name ha does not resolve)" eval \
  '! pm exec webapp-pod-0-webapp getent hosts ha > /dev/null && pm exec webapp-pod-0-webapp getent hosts ha-pod-0 > /dev/null'
pm kube play --down "$KUBE" > "$W/kube.down" 2>&1
check "podman kube play --down removes every pod" eval '[ -z "$(pm pod ls -q)" ]'
pm network rm supimg-kube > /dev/null

# --- 6. clean-up ---------------------------------------------------------------------------------
section "6. clean-up"
for c in $(ours); do pm rm -f -t 0 "$c" > /dev/null; done
check "no container of ours left" eval '[ -z "$(ours)" ]'
for n in $(pm network ls --format '{{.Name}}' | grep -E '^supimg[-_]'); do pm network rm -f "$n" > /dev/null; done
check "no network of ours left" eval '[ -z "$(pm network ls --format "{{.Name}}" | grep -E "^supimg[-_]")" ]'
kill "$SVC_PID" 2>/dev/null; wait "$SVC_PID" 2>/dev/null; SVC_PID=""
ip netns del "$NS"
check "the engine's network namespace is gone (its bridges, rules and ports with it)" test ! -e "/run/netns/$NS"
check "the host has no bridge or rule of the engine" eval \
  '! ip -o link | grep -qE "podman|netavark|cni-" && ! { command -v iptables-save > /dev/null && iptables-save 2>/dev/null | grep -qiE "netavark|cni-"; }'

section "figures"
note "images: lab-ha $(podman image inspect -f '{{.Size}}' "$IMG_HA" | awk '{ printf "%.0f MB", $1 / 1e6 }'), lab-webapp $(podman image inspect -f '{{.Size}}' "$IMG_WEB" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
note "compose up to the first web app UP behind ha: $(secs "${T_HEALTHY:-0}") s; third web app UP $(secs "${T_JOIN:-0}") s after scale 3"
for s in join leave; do note "load '$s': ${L_REQ[$s]:-?} requests, ${L_BAD[$s]:-?} non-2xx, ${L_SOCK[$s]:-?} socket errors"; done
note "killed web app out of HAProxy after $(secs "${T_KILL:-0}") s; podman stop of the web app image: $(secs "${T_STOP:-0}") s"
echo "total $(secs "$(now_ms)") s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
