#!/usr/bin/env bash
# The figures of issue 14 for the HTTP server (--http): what a probe or a scrape costs PID 1.
#   requests/s   wrk against /readyz and /metrics of a supervisor running 100 services,
#                DURATION s each, THREADS threads and CONNS keep-alive connections, loopback
#   CPU          PID 1's user+system time per request (from /proc/PID/stat), microseconds
#   RSS          PID 1's VmRSS before the load and after at least 100,000 requests of each
# Usage: bench/http_probe.sh [--quick]    (quick: 3 s per path; full: 10 s)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=10
[ "${1:-}" = --quick ] && DURATION=3
THREADS=${THREADS:-2} CONNS=${CONNS:-8}
BIN=${SUPERVISOR_BIN:-build/supervisor}
[ -x "$BIN" ] || make build >/dev/null
command -v wrk >/dev/null || bash .ci/install-deps.sh test
W=$(mktemp -d /tmp/httpbench.XXXXXX)
UPID=""
cleanup() { [ -n "$UPID" ] && kill -9 "$UPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT INT TERM
# shellcheck source=lib.sh
source bench/lib.sh  # wait_for

mkdir -p "$W/conf"
for i in $(seq -w 1 100); do printf 'command = ["sleep", "100000"]\n' >"$W/conf/s$i.toml"; done
unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$W/conf" --socket "$W/sock" --http 127.0.0.1:0 >"$W/log" 2>&1 &
UPID=$!
all_up() { [ "$(grep -c ': started (pid' "$W/log")" = 100 ] && grep -q 'HTTP server on' "$W/log"; }
wait_for 30 all_up || { echo "the 100 services did not start" >&2; cat "$W/log" >&2; exit 1; }
PID=$(pgrep -P "$UPID")
ADDR=$(grep -oE 'HTTP server on 127\.0\.0\.1:[0-9]+' "$W/log" | awk '{ print $4 }')
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$PID/status"; }
ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)

echo "100 services, wrk -t$THREADS -c$CONNS -d${DURATION}s, loopback; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
rss0=$(rss)
printf '%-9s %12s %10s %14s %12s\n' path requests req/s "CPU us/req" "bytes/answer"
for path in /readyz /metrics; do
    total=0
    t0=$(ticks)
    while [ "$total" -lt 100000 ]; do   # at least 100,000 requests of each path (RSS below)
        out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" "http://$ADDR$path")
        n=$(awk '/requests in/ { print $1 }' <<<"$out")
        rate=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
        total=$((total + n))
        [ "$(awk '/Non-2xx/ { print $NF }' <<<"$out")" = "" ] || { echo "$path: non-2xx answers" >&2; exit 1; }
    done
    t1=$(ticks)
    size=$(curl -s "http://$ADDR$path" | wc -c)
    us=$(awk "BEGIN { printf \"%.1f\", ($t1 - $t0) * 1e6 / $HZ / $total }")
    printf '%-9s %12s %10s %14s %12s\n' "$path" "$total" "$rate" "$us" "$size"
done
rss1=$(rss)
echo "RSS of PID 1: $rss0 KiB before, $rss1 KiB after"
"$BIN" shutdown --socket "$W/sock" >/dev/null
wait "$UPID" || true
UPID=""
