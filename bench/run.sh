#!/usr/bin/env bash
# The benchmark suite: our supervisor side by side with tini, dumb-init, s6, runit and
# supervisord, each as PID 1 of its own PID namespace, the same workload for all.
#
#   bench/run.sh [--quick] [SCENARIO...]
#
# Scenarios (one file each under bench/scenarios/, which says what is measured and how):
#   size restart footprint startup reload shutdown orphans crash, then log throughput
#   (bench/log_throughput.sh, when present). Default: all of them.
# Repetitions: 5 (--quick: 3). Prints a Markdown table (median, min-max, each peer's median as
# a ratio to ours) and writes bench/results/RESULTS.md, results.csv (aggregated), raw.csv (every
# measurement) and ratios.png (gnuplot). Full suite under 10 minutes on 2 cores, --quick under 3.
#
# Needs root (PID namespaces). Installs the peers it misses (.ci/install-deps.sh bench), and
# gnuplot-nox and catatonit when missing. Builds ours (make build, make static) unless
# BENCH_NO_BUILD=1. Every namespace it starts is killed by pid at exit, also on Ctrl-C.
# BENCH_NICE=-10 runs the whole suite at that niceness (see below).
set -euo pipefail
# BENCH_NICE=-10: run everything (ours and the peers alike) at that niceness, so that other work
# on a shared machine disturbs the figures less. Off by default.
if [ -n "${BENCH_NICE:-}" ] && [ -z "${BENCH_NICED:-}" ]; then
  exec nice -n "$BENCH_NICE" env BENCH_NICED=1 "$0" "$@"
fi
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
QUICK=0
ONLY=()
ALL=(size restart footprint startup reload shutdown orphans crash logs)
for arg in "$@"; do
  case $arg in
    --quick) QUICK=1;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    -*) echo "unknown option $arg (see --help)" >&2; exit 2;;
    *) [[ " ${ALL[*]} " == *" $arg "* ]] || { echo "unknown scenario $arg: one of ${ALL[*]}" >&2; exit 2; }
       ONLY+=("$arg");;
  esac
done
[ ${#ONLY[@]} -gt 0 ] || ONLY=("${ALL[@]}")
REPS=5
[ "$QUICK" = 1 ] && REPS=3
REPS=${BENCH_REPS:-$REPS}
[ "$(id -u)" = 0 ] || { echo "bench/run.sh needs root (PID namespaces)" >&2; exit 1; }

# --- what it needs ----------------------------------------------------------------------------
bash "$ROOT/.ci/install-deps.sh" bench
apt_if_missing() {  # PROGRAM PACKAGE: installs PACKAGE when PROGRAM is missing and Debian has it
  command -v "$1" >/dev/null && return 0
  apt-cache show "$2" >/dev/null 2>&1 || return 0
  echo "installing $2"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null || true
}
apt_if_missing gnuplot gnuplot-nox
apt_if_missing catatonit catatonit
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  make -s -C "$ROOT" build >/dev/null
  make -s -C "$ROOT" static >/dev/null
fi
# Ours is the static build, the binary Dockerfile.ha and Dockerfile.webapp ship (BENCH_OURS=
# build/supervisor: the dynamically linked one instead).
OURS=${BENCH_OURS:-$ROOT/build-static/supervisor}
OURS_STATIC=$ROOT/build-static/supervisor
for b in "$OURS" "$OURS_STATIC"; do [ -x "$b" ] || { echo "missing $b (make build, make static)" >&2; exit 1; }; done

# Scratch files (the services' timestamps, every supervisor's own log) on tmpfs: no disk in any
# figure, and no stall when something else on the machine writes a lot.
WORK=$(mktemp -d /dev/shm/supervisor-bench.XXXXXX 2>/dev/null || mktemp -d /tmp/supervisor-bench.XXXXXX)
RAW=$WORK/raw.csv
RESULTS=$HERE/results
mkdir -p "$WORK/bin" "$RESULTS"
source "$HERE/lib.sh"
finish() {
  local status=$?
  trap - EXIT INT TERM
  cleanup_all
  rm -rf "$WORK"
  exit "$status"
}
trap finish EXIT
trap 'echo "interrupted: stopping everything" >&2; exit 130' INT TERM

SVC=$WORK/bin/benchsvc
cc -O2 -static -o "$SVC" "$HERE/tools/benchsvc.c"
echo "scenario,metric,unit,peer,rep,value,note" > "$RAW"
for f in "$HERE"/scenarios/*.sh; do source "$f"; done

# --- the scenarios ----------------------------------------------------------------------------
echo "benchmarks: ${ONLY[*]} ($REPS repetitions$([ "$QUICK" = 1 ] && echo ", quick"))" >&2
suite_start=$(now_us)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
LOG_TABLE=$WORK/log_throughput.md
: > "$LOG_TABLE"
for s in "${ONLY[@]}"; do
  t=$(now_us)
  echo "== $s" >&2
  if [ "$s" = logs ]; then
    if [ -f "$HERE/log_throughput.sh" ]; then
      bash "$HERE/log_throughput.sh" $([ "$QUICK" = 1 ] && echo --quick) | tee "$LOG_TABLE" || echo "log_throughput.sh failed" >&2
    else
      echo "  bench/log_throughput.sh not present: skipped" >&2
    fi
  elif [ "$s" = footprint ] && [[ " ${ONLY[*]} " == *" crash "* ]]; then
    echo "   (with crash: the two share their 10 s windows)" >&2
    windowed footprint crash
  elif [ "$s" = crash ] && [[ " ${ONLY[*]} " == *" footprint "* ]]; then
    echo "   (done with footprint)" >&2
  else
    "scenario_$s"
  fi
  echo "   ($(( ($(now_us) - t) / 1000000 )) s)" >&2
done
elapsed=$(( ($(now_us) - suite_start) / 1000000 ))

# Nothing of ours may be left: every namespace's PID 1 is gone.
for u in "${!NS_PID1[@]}"; do echo "warning: namespace of unshare $u still listed" >&2; done

# --- the report -------------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
machine="$(nproc) CPUs, ${cpu:-unknown CPU}, Linux $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC'); niceness $(nice); load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (other work on the machine widens the spread)"
versions="ours $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+changes')"
for p in tini dumb-init s6 runit supervisor catatonit; do
  v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
  [ -n "$v" ] && versions+=", $p $v"
done
cp "$RAW" "$RESULTS/raw.csv"
python3 "$HERE/report.py" --raw "$RAW" --out "$RESULTS" --machine "$machine" --versions "$versions" \
  --mode "$([ "$QUICK" = 1 ] && echo quick || echo full), $REPS repetitions, ${elapsed} s" \
  --log-table "$LOG_TABLE"
if command -v gnuplot >/dev/null && [ -s "$RESULTS/ratios.dat" ]; then
  gnuplot -e "dat='$RESULTS/ratios.dat'; png='$RESULTS/ratios.png'" "$HERE/ratios.gp" 2>"$WORK/gnuplot.err" && echo "plot: $RESULTS/ratios.png" >&2 || echo "gnuplot failed" >&2
fi
rm -f "$RESULTS/ratios.dat.tmp"
echo "suite: ${elapsed} s; results in $RESULTS" >&2
