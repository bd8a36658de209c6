#!/usr/bin/env bash
# The figures of issue 13 for the per-service buffer of recent lines ([log] buffer):
#   RSS         PID 1's VmRSS with 100 services that each wrote 100 KB (so that each 64 KiB
#               buffer is full), against the same services with buffer = "0"
#   throughput  the log path, SIZE bytes of 100-byte lines written in 64 KB blocks (as
#               bench/log_throughput.sh "ours": prefixes on, PID 1's stdout /dev/null), MB/s,
#               median [min-max] of RUNS runs: buffer on (64 KiB), off ("0"), with
#               BASE_BIN=path a build from before the buffer existed, and with
#               OTHER_BIN=path another build with its buffer on (say, the one before a change);
#               runs alternate so that the load of a shared machine falls on all alike
# Usage: bench/log_buffer.sh [--quick]    (quick: 20 MB, 3 runs; full: 200 MB, 7 runs)
#   RUNS=N        that many runs instead
#   WRITES=lines  one write() per line instead of 64 KB blocks
#   RSS=0         the throughput only
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=200000000 DEFAULT_RUNS=7
[ "${1:-}" = --quick ] && SIZE=20000000 DEFAULT_RUNS=3
RUNS=${RUNS:-$DEFAULT_RUNS}
BIN=${SUPERVISOR_BIN:-build/supervisor}
BASE_BIN=${BASE_BIN:-}
OTHER_BIN=${OTHER_BIN:-}
WRITES=${WRITES:-blocks}
case $WRITES in blocks) WHAT="in 64 KB blocks";; lines) WHAT="one write per line";; *) echo "WRITES: blocks or lines" >&2; exit 2;; esac
[ -x "$BIN" ] || make build >/dev/null
W=$(mktemp -d /dev/shm/logbuffer.XXXXXX)
UPID=""
cleanup() { [ -n "$UPID" ] && kill -9 "$UPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT INT TERM
cc -O2 -o "$W/writer" bench/tools/linewriter.c

# shellcheck source=lib.sh
source bench/lib.sh  # wait_for

if [ "${RSS:-1}" != 0 ]; then
# ---- RSS with 100 full buffers ----
cat >"$W/fill.sh" <<'EOS'
head -c 100000 /dev/zero | tr '\0' x | fold -w 99; echo
echo full
exec sleep 100000
EOS
all_full() { [ "$(grep -c '| full$' "$W/console")" = 100 ]; }
rss_with() {  # BUFFER: prints "RSS_KiB KEPT_BYTES"
    rm -rf "$W/conf" && mkdir -p "$W/conf"
    for i in $(seq -w 1 100); do
        printf 'command = ["sh", "%s"]\n[log]\nbuffer = "%s"\n' "$W/fill.sh" "$1" >"$W/conf/s$i.toml"
    done
    unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$W/conf" --socket "$W/sock" >"$W/console" 2>&1 &
    UPID=$!
    wait_for 60 all_full || { echo "the services did not all write their lines" >&2; exit 1; }
    local pid kept rss
    pid=$(pgrep -P "$UPID")
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")  # before `logs` builds its answer
    kept=$("$BIN" logs -n all --socket "$W/sock" | wc -c)
    "$BIN" shutdown --socket "$W/sock" >/dev/null
    wait "$UPID" || true
    UPID=""
    echo "$rss $kept"
}
read -r rss_on kept_on < <(rss_with 64KiB)
read -r rss_off kept_off < <(rss_with 0)
echo "RSS, 100 services, buffers full (64 KiB each): $rss_on KiB ($kept_on bytes of lines kept)"
echo "RSS, 100 services, buffer = \"0\":              $rss_off KiB ($kept_off bytes of lines kept)"
echo "difference: $(( (rss_on - rss_off) / 1024 )) MiB; the buffers themselves: $((100 * 64 / 1024)) MiB at most"
fi

# ---- throughput ----
export LINEWRITER_T0=$W/t0
run() {  # BINARY BUFFER: one run, prints MB/s
    rm -rf "$W/tp" && mkdir -p "$W/tp"
    printf 'command = ["%s", "%s", "%s"]\ncritical = true\nrestart.policy = "never"\n' "$W/writer" "$SIZE" "$WRITES" >"$W/tp/w.toml"
    [ "$2" = default ] || printf '[log]\nbuffer = "%s"\n' "$2" >>"$W/tp/w.toml"
    rm -f "$LINEWRITER_T0"
    unshare --pid --fork --mount-proc --kill-child "$1" --config-dir "$W/tp" --socket "" >/dev/null 2>&1
    local ns=$(( $(date +%s%N) - $(cat "$LINEWRITER_T0") ))
    awk -v b="$SIZE" -v ns="$ns" 'BEGIN { printf "%.0f\n", b / 1e6 / (ns / 1e9) }'
}
summary() { sort -n | awk '{ a[NR] = $1 } END { printf "%d [%d-%d]", a[int((NR + 1) / 2)], a[1], a[NR] }'; }
: >"$W/on"; : >"$W/off"; : >"$W/base"; : >"$W/other"
for _ in $(seq "$RUNS"); do
    run "$BIN" 64KiB >>"$W/on"
    run "$BIN" 0 >>"$W/off"
    [ -z "$BASE_BIN" ] || run "$BASE_BIN" default >>"$W/base"
    [ -z "$OTHER_BIN" ] || run "$OTHER_BIN" 64KiB >>"$W/other"
done
echo "log path, $((SIZE / 1000000)) MB $WHAT, MB/s, median [min-max] of $RUNS:"
echo "  buffer on (64 KiB): $(summary <"$W/on")"
echo "  buffer off (\"0\"):   $(summary <"$W/off")"
[ -z "$BASE_BIN" ] || echo "  before the buffer ($BASE_BIN): $(summary <"$W/base")"
[ -z "$OTHER_BIN" ] || echo "  buffer on, $OTHER_BIN: $(summary <"$W/other")"
# Each run's figures, in the order they were taken (a ratio per round is steadier than the
# ratio of medians when the load changes during the runs).
echo "  each run: on, off${BASE_BIN:+, before the buffer}${OTHER_BIN:+, $OTHER_BIN}"
paste "$W/on" "$W/off" "$W/base" "$W/other" | awk '{ printf "  round %d: %s\n", NR, $0 }'
