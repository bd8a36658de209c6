#!/usr/bin/env bash
# The figures of issue 13 for the per-service buffer of recent lines ([log] buffer):
#   RSS         PID 1's VmRSS with 100 services that each wrote 100 KB (so that each 64 KiB
#               buffer is full), against the same services with buffer = "0"
#   throughput  the log path, SIZE bytes of 100-byte lines written in 64 KB blocks (as
#               bench/log_throughput.sh "ours": prefixes on, PID 1's stdout /dev/null), MB/s,
#               median [min-max] of RUNS runs: buffer on (64 KiB), off ("0"), with
#               BASE_BIN=path a build from before the buffer existed, and with
#               OTHER_BIN=path another build with its buffer on (say, the one before a change);
#               runs alternate (each round starting with the next) so that the load of a
#               shared machine falls on all alike. Also the CPU time of each run's PID 1 (ms:
#               the namespace's, less the writer's), which a busy machine moves less.
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
export LINEWRITER_T0=$W/t0 LINEWRITER_CPU=$W/cpu
# cpu_of CMD...: runs CMD, then writes the CPU time (ns) of it and every descendant it waited for.
cpu_of() {
    python3 -c 'import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, _, ru = os.wait4(pid, 0)
open(sys.argv[1], "w").write("%d\n" % round((ru.ru_utime + ru.ru_stime) * 1e9))' "$@"
}
run() {  # BINARY BUFFER: one run, prints "MB/s CPU_ms_of_PID_1"
    rm -rf "$W/tp" && mkdir -p "$W/tp"
    printf 'command = ["%s", "%s", "%s"]\ncritical = true\nrestart.policy = "never"\n' "$W/writer" "$SIZE" "$WRITES" >"$W/tp/w.toml"
    [ "$2" = default ] || printf '[log]\nbuffer = "%s"\n' "$2" >>"$W/tp/w.toml"
    rm -f "$LINEWRITER_T0"
    cpu_of "$W/all" unshare --pid --fork --mount-proc --kill-child "$1" --config-dir "$W/tp" --socket "" >/dev/null 2>&1
    local ns=$(( $(date +%s%N) - $(cat "$LINEWRITER_T0") ))
    awk -v b="$SIZE" -v ns="$ns" -v all="$(cat "$W/all")" -v writer="$(cat "$LINEWRITER_CPU")" \
        'BEGIN { printf "%.0f %.1f\n", b / 1e6 / (ns / 1e9), (all - writer) / 1e6 }'
}
summary() { sort -g | awk '{ a[NR] = $1 } END { printf "%d [%d-%d]", a[int((NR + 1) / 2)], a[1], a[NR] }'; }
: >"$W/on"; : >"$W/off"; : >"$W/base"; : >"$W/other"; : >"$W/on.cpu"; : >"$W/off.cpu"; : >"$W/base.cpu"; : >"$W/other.cpu"
configs=("on $BIN 64KiB" "off $BIN 0")
[ -z "$BASE_BIN" ] || configs+=("base $BASE_BIN default")
[ -z "$OTHER_BIN" ] || configs+=("other $OTHER_BIN 64KiB")
for ((r = 0; r < RUNS; r++)); do
    # Each round starts with the next one: none is always first, or always after the same one.
    for ((i = 0; i < ${#configs[@]}; i++)); do
        read -r file bin buffer <<<"${configs[(r + i) % ${#configs[@]}]}"
        read -r mbs ms < <(run "$bin" "$buffer")
        echo "$mbs" >>"$W/$file"
        echo "$ms" >>"$W/$file.cpu"
    done
done
echo "log path, $((SIZE / 1000000)) MB $WHAT, MB/s, median [min-max] of $RUNS:"
echo "  (and the CPU time of PID 1 in a run, ms, median [min-max])"
echo "  buffer on (64 KiB): $(summary <"$W/on")   CPU $(summary <"$W/on.cpu")"
echo "  buffer off (\"0\"):   $(summary <"$W/off")   CPU $(summary <"$W/off.cpu")"
[ -z "$BASE_BIN" ] || echo "  before the buffer ($BASE_BIN): $(summary <"$W/base")   CPU $(summary <"$W/base.cpu")"
[ -z "$OTHER_BIN" ] || echo "  buffer on, $OTHER_BIN: $(summary <"$W/other")   CPU $(summary <"$W/other.cpu")"
# Each run's figures, in the order they were taken (a ratio per round is steadier than the
# ratio of medians when the load changes during the runs).
ratios() {  # A B: the median of the rounds' ratios A / B
    paste "$W/$1" "$W/$2" | awk '{ print $1 / $2 }' | sort -g | awk '{ a[NR] = $1 } END { printf "%.2f [%.2f-%.2f]", a[int((NR + 1) / 2)], a[1], a[NR] }'
}
if [ -n "$BASE_BIN" ]; then
    echo "  throughput as a ratio to before the buffer, median [min-max] of the rounds' ratios:"
    echo "    on $(ratios on base), off $(ratios off base)${OTHER_BIN:+, $OTHER_BIN $(ratios other base)}"
    echo "  the same by PID 1's CPU time (before's / this one's: below 1, slower):"
    echo "    on $(ratios base.cpu on.cpu), off $(ratios base.cpu off.cpu)${OTHER_BIN:+, $OTHER_BIN $(ratios base.cpu other.cpu)}"
fi
echo "  each run, MB/s (CPU ms): on, off${BASE_BIN:+, before the buffer}${OTHER_BIN:+, $OTHER_BIN}"
paste "$W/on" "$W/on.cpu" "$W/off" "$W/off.cpu" "$W/base" "$W/base.cpu" "$W/other" "$W/other.cpu" | awk '{ printf "  round %d: %s\n", NR, $0 }'
