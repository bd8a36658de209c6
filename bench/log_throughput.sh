#!/usr/bin/env bash
# Log throughput: SIZE bytes of 100-byte lines from one writer, captured and passed on by each
# log path, as MB/s (median of N runs, min-max) and as a ratio to ours:
#   raw pipe     writer | cat > /dev/null          (no supervisor at all: the ceiling)
#   ours         our supervisor as PID 1, "NAME | " prefixes on, its stdout /dev/null (as issue 4 asks)
#   ours, pipe   the same with its stdout a pipe into cat (what `docker logs` reads from)
#   s6-log       writer | s6-log into a directory on tmpfs (/dev/shm)
#   svlogd       writer | svlogd into a directory on tmpfs
#   supervisord  supervisord capturing the writer, stdout_logfile on tmpfs
# Twice: writes in 64 KB blocks, then one write() per line. Each run is timed from the moment
# the writer starts (it stamps the time itself: $LINEWRITER_T0) until the last line has been
# consumed (the reader, or our PID 1, has exited), so the set-up of a PID namespace and a
# supervisor's start-up are not counted against the log path (the start-up scenario of
# bench/run.sh measures those).
# Usage: bench/log_throughput.sh [--quick]    (quick: 20 MB, 3 runs; full: 200 MB, 5 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=200000000 RUNS=5
[ "${1:-}" = --quick ] && SIZE=20000000 RUNS=3
BIN=${SUPERVISOR_BIN:-build/supervisor}
[ -x "$BIN" ] || make build >/dev/null
bash .ci/install-deps.sh bench
W=$(mktemp -d /dev/shm/logbench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT INT TERM
cc -O2 -o "$W/writer" bench/tools/linewriter.c
now() { date +%s%N; }
export LINEWRITER_T0=$W/t0
since_start() { echo $(( $(now) - $(cat "$LINEWRITER_T0") )); }

# Each runner does one run of MODE (blocks|lines) and prints the seconds it took.
run_raw() { "$W/writer" "$SIZE" "$1" | cat >/dev/null; since_start; }
ours_config() { mkdir -p "$W/ours" && printf 'command = ["%s", "%s", "%s"]\ncritical = true\nrestart.policy = "never"\n' "$W/writer" "$SIZE" "$1" >"$W/ours/w.toml"; }
run_ours() {
    ours_config "$1"
    unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$W/ours" --socket "" >/dev/null 2>&1
    since_start
}
run_ourspipe() {
    ours_config "$1"
    unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$W/ours" --socket "" 2>/dev/null | cat >/dev/null
    since_start
}
run_s6() { rm -rf "$W/s6"; "$W/writer" "$SIZE" "$1" | s6-log s100000000 "$W/s6"; since_start; }
run_svlogd() {
    rm -rf "$W/sv" && mkdir -p "$W/sv" && echo "s100000000" >"$W/sv/config"
    "$W/writer" "$SIZE" "$1" | svlogd "$W/sv"; since_start
}
run_supervisord() {
    rm -rf "$W/sd" && mkdir -p "$W/sd"
    cat >"$W/sd/supervisord.conf" <<CONF
[supervisord]
nodaemon=true
logfile=$W/sd/supervisord.log
pidfile=$W/sd/supervisord.pid
[unix_http_server]
file=$W/sd/sock
[program:w]
command=sh -c '$W/writer $SIZE $1; date +%%s%%N > $W/sd/done'
autorestart=false
startsecs=0
stdout_logfile=$W/sd/w.log
stdout_logfile_maxbytes=0
CONF
    supervisord -c "$W/sd/supervisord.conf" >/dev/null 2>&1 &
    local sd=$!; PIDS+=("$sd")
    local deadline=$(( $(date +%s) + 120 ))
    until [ -s "$W/sd/done" ] || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.02; done
    local t1; t1=$(cat "$W/sd/done" 2>/dev/null || now)
    kill -TERM "$sd" 2>/dev/null; wait "$sd" 2>/dev/null || true
    echo $(( t1 - $(cat "$LINEWRITER_T0") ))
}

# median and min-max of MB/s over RUNS runs of RUNNER MODE
measure() {
    local runner=$1 mode=$2 rates=()
    for _ in $(seq "$RUNS"); do
        rm -f "$LINEWRITER_T0"
        local ns; ns=$("run_$runner" "$mode")
        rates+=("$(awk -v b="$SIZE" -v ns="$ns" 'BEGIN { printf "%.0f", b / 1e6 / (ns / 1e9) }')")
    done
    printf '%s\n' "${rates[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%d %d %d\n", a[int((NR + 1) / 2)], a[1], a[NR] }'
}

OUT=bench/results/log_throughput.md
CSV=bench/results/log_throughput.csv
mkdir -p bench/results
echo "mode,path,median_mb_s,min_mb_s,max_mb_s" >"$CSV"
{
    echo "## Log throughput"
    echo
    echo "$((SIZE / 1000000)) MB of 100-byte lines, $RUNS runs each, MB/s: median [min-max], and the ratio of each to ours (above 1: faster than ours). $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d)."
    echo
    echo "| writes | raw pipe | ours | ours, stdout a pipe | s6-log | svlogd | supervisord |"
    echo "|---|---|---|---|---|---|---|"
} >"$OUT"
for mode in blocks lines; do
    declare -A med=() cell=()
    for path in raw ours ourspipe s6 svlogd supervisord; do
        read -r m lo hi < <(measure "$path" "$mode")
        med[$path]=$m
        cell[$path]="$m [$lo-$hi]"
        echo "$mode,$path,$m,$lo,$hi" >>"$CSV"
        echo "  $mode $path: $m MB/s [$lo-$hi]" >&2
    done
    row="| $([ "$mode" = blocks ] && echo "64 KB blocks" || echo "one per line") |"
    for path in raw ours ourspipe s6 svlogd supervisord; do
        ratio=$(awk -v a="${med[$path]}" -v b="${med[ours]}" 'BEGIN { printf "%.2f", a / b }')
        if [ "$path" = ours ]; then row+=" **${cell[$path]}** |"; else row+=" ${cell[$path]} ×$ratio |"; fi
    done
    echo "$row" >>"$OUT"
    unset med cell
done
cat "$OUT"
