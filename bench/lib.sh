# bench/lib.sh: what the scenarios share; sourced by bench/run.sh, not run on its own.
#
# Globals run.sh sets before sourcing the scenarios:
#   WORK      a private temporary directory (removed at exit)
#   SVC       the workload program (bench/tools/benchsvc.c, built static into $WORK/bin)
#   OURS      ours as benchmarked: the static build (build-static/), the one the images ship;
#             OURS_STATIC always the static one (the size scenario)
#   REPS      repetitions per figure (5, --quick: 3)
#   RAW       the raw results, one measurement per line (see record)

# --- processes --------------------------------------------------------------------------------
# Every namespace we start is remembered by the pid of its `unshare` (our own child) and the pid
# of its PID 1 (as seen from here). ns_kill ends one, cleanup_all ends all of them (EXIT trap).
declare -a NS_LIST=()
declare -A NS_PID1=()

# ns_start LOG CMD ARGS...: runs CMD as PID 1 of a new PID namespace (with its own /proc).
# Sets NS_U (the unshare process) and NS_P1 (PID 1), or fails after 5 s.
ns_start() {
  local log=$1; shift
  unshare --pid --fork --mount-proc --kill-child "$@" </dev/null >"$log" 2>&1 &
  NS_U=$!
  NS_LIST+=("$NS_U")
  NS_P1=""
  local end=$(( $(now_us) + 5000000 ))
  while :; do
    { read -r NS_P1 _ < "/proc/$NS_U/task/$NS_U/children"; } 2>/dev/null || true
    [ -n "$NS_P1" ] && break
    (( $(now_us) < end )) || { echo "ns_start: no PID 1 after 5 s: $*" >&2; return 1; }
    snooze 0.002
  done
  NS_PID1[$NS_U]=$NS_P1
}

# The parent pid of PID (empty if PID is gone).
ppid_of() {
  local stat
  { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 0
  stat=${stat##*) }      # after the command name, which may hold spaces
  set -- $stat
  echo "$2"
}

# ns_kill U: SIGKILL to the namespace's PID 1 (the kernel then kills everything in it) and to
# its unshare; reaps the unshare. PID 1 is signalled only while it is still U's child.
ns_kill() {
  local u=$1 p1=${NS_PID1[$1]:-}
  if [ -n "$p1" ] && [ "$(ppid_of "$p1")" = "$u" ]; then kill -KILL "$p1" 2>/dev/null || true; fi
  kill -KILL "$u" 2>/dev/null || true
  wait "$u" 2>/dev/null || true
  ns_forget "$u"
}

# ns_reap U: the namespace ended on its own (we waited for its PID 1): reap the unshare.
ns_reap() {
  local end=$(( $(now_us) + 5000000 ))
  while kill -0 "$1" 2>/dev/null && (( $(now_us) < end )); do snooze 0.002; done
  ns_kill "$1"
}

ns_forget() {
  local keep=() u
  for u in "${NS_LIST[@]}"; do [ "$u" = "$1" ] || keep+=("$u"); done
  NS_LIST=("${keep[@]}")
  unset "NS_PID1[$1]"
}

cleanup_all() {
  local u
  for u in "${NS_LIST[@]}"; do ns_kill "$u"; done
}

# --- time and waiting -------------------------------------------------------------------------
now_us() { echo "${EPOCHREALTIME/./}"; }
# stamp_ns VAR: the wall clock in ns (microsecond resolution), without forking.
stamp_ns() { printf -v "$1" '%s000' "${EPOCHREALTIME/./}"; }

# snooze SECONDS: sleeps without forking (a read that times out on a pipe nobody writes).
exec {SNOOZE_FD}<> <(:)
snooze() { read -r -t "$1" -u "$SNOOZE_FD" _ || true; }

# wait_for SECONDS CMD ARGS...: polls CMD every 5 ms until it succeeds; status 1 at the deadline.
# Waits in the suite are deadlines on conditions like this one, never fixed sleeps.
wait_for() {
  local limit=$1; shift
  local end=$(( $(now_us) + ${limit%.*} * 1000000 ))
  until "$@"; do
    (( $(now_us) < end )) || return 1
    snooze 0.005
  done
}

# lines_with FILE PREFIX: how many lines of FILE start with PREFIX (0 if no file yet).
lines_with() {
  local n=0 line
  if [ -f "$1" ]; then
    while IFS= read -r line; do [[ $line == "$2"* ]] && n=$((n + 1)); done < "$1"
  fi
  echo "$n"
}
# at_least N FILE PREFIX: true once FILE has N lines starting with PREFIX.
at_least() { (( $(lines_with "$2" "$3") >= $1 )); }

# --- the supervisors --------------------------------------------------------------------------
# make_services KIND DIR MODE N [EXTRA_TOML]: the same N services s001..sNNN, each running
# `benchsvc MODE NAME`, in KIND's own format under DIR. Sets CMD (the array to run as PID 1).
#   ours         one TOML file per service, EXTRA_TOML appended to each (e.g. a [restart] table)
#   s6, runit    one service directory per service whose ./run is benchsvc itself (no shell)
#   supervisord  one [program:] section per service; no output capture (as s6/runit here);
#                startsecs=0 and unlimited retries: the smallest restart delay it allows
make_services() {
  local kind=$1 dir=$2 mode=$3 n=$4 extra=${5:-} i name
  mkdir -p "$dir"
  case $kind in
    ours|ours-static)
      mkdir -p "$dir/d"
      for ((i = 1; i <= n; i++)); do
        printf -v name 's%03d' "$i"
        printf 'command = ["%s", "%s", "%s"]\n%s\n' "$SVC" "$mode" "$name" "$extra" > "$dir/d/$name.toml"
      done
      local bin=$OURS
      [ "$kind" = ours-static ] && bin=$OURS_STATIC
      CMD=("$bin" --config-dir "$dir/d" --socket "$dir/sock");;
    s6|runit)
      mkdir -p "$dir/scan"
      for ((i = 1; i <= n; i++)); do
        printf -v name 's%03d' "$i"
        mkdir -p "$dir/scan/$name"
        ln -s "$SVC" "$dir/scan/$name/run"
      done
      if [ "$kind" = s6 ]; then CMD=(s6-svscan "$dir/scan"); else CMD=(runsvdir "$dir/scan"); fi;;
    supervisord)
      supervisord_conf "$dir" "$mode" "$n" > "$dir/supervisord.conf"
      CMD=(supervisord -n -c "$dir/supervisord.conf");;
    *) echo "make_services: unknown kind $kind" >&2; return 1;;
  esac
}

supervisord_conf() {
  local dir=$1 mode=$2 n=$3 i name
  cat <<EOF
[supervisord]
nodaemon=true
user=root
logfile=$dir/supervisord.log
pidfile=$dir/supervisord.pid
childlogdir=$dir
[unix_http_server]
file=$dir/supervisor.sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://$dir/supervisor.sock
EOF
  for ((i = 1; i <= n; i++)); do
    printf -v name 's%03d' "$i"
    supervisord_program "$name" "$mode"
  done
}

supervisord_program() {
  cat <<EOF
[program:$1]
command=$SVC $2 $1
startsecs=0
startretries=1000000
autorestart=true
stdout_logfile=NONE
stderr_logfile=NONE
${3:-}
EOF
}

# run_env DIR MODE: the environment of every process in the namespace (benchsvc reads it).
run_env() { echo env "BENCH_OUT=$1/out" "BENCH_MODE=$2"; }

# sup_pids KIND PID1: the supervision processes, in SUP_PIDS: PID 1, and for s6 every
# s6-supervise, for runit every runsv (children of PID 1).
sup_pids() {
  local kind=$1 p1=$2 kids=() c comm
  SUP_PIDS=("$p1")
  case $kind in
    s6|runit)
      { read -r -a kids < "/proc/$p1/task/$p1/children"; } 2>/dev/null || true
      for c in "${kids[@]}"; do
        { read -r comm < "/proc/$c/comm"; } 2>/dev/null || continue
        [[ $comm == s6-supervise || $comm == runsv ]] && SUP_PIDS+=("$c")
      done;;
  esac
}

# Sums over the supervision processes (all their threads).
sum_ctxt() {  # voluntary + nonvoluntary context switches
  local p f key value total=0
  for p in "$@"; do
    for f in /proc/"$p"/task/*/status; do
      while read -r key value _; do
        [[ $key == voluntary_ctxt_switches: || $key == nonvoluntary_ctxt_switches: ]] && total=$((total + value))
      done < "$f" 2>/dev/null
    done
  done
  echo "$total"
}
sum_cpu_ns() {  # time on a CPU, ns: /proc/PID/task/TID/schedstat (utime+stime, without the 10 ms ticks of /proc/PID/stat)
  local p f run total=0
  for p in "$@"; do
    for f in /proc/"$p"/task/*/schedstat; do
      { read -r run _ < "$f"; } 2>/dev/null && total=$((total + run))
    done
  done
  echo "$total"
}
sum_smaps() {  # KEY (Rss or Pss) in kB, from smaps_rollup
  local want=$1 p key value total=0; shift
  for p in "$@"; do
    while read -r key value _; do
      [ "$key" = "$want:" ] && total=$((total + value))
    done < "/proc/$p/smaps_rollup" 2>/dev/null
  done
  echo "$total"
}

# --- results ----------------------------------------------------------------------------------
# record SCENARIO METRIC UNIT PEER REP VALUE [NOTE]: one measurement.
# record_na SCENARIO METRIC UNIT PEER WHY: the peer cannot do this (the table says n/a and why).
# (CSV: scenario, metric, unit, peer, rep, value, note; the text fields quoted, no " inside.)
record() { printf '%s,"%s",%s,%s,%s,%s,"%s"\n' "$1" "$2" "$3" "$4" "$5" "$6" "${7:-}" >> "$RAW"; }
record_na() { printf '%s,"%s",%s,%s,,NA,"%s"\n' "$1" "$2" "$3" "$4" "$5" >> "$RAW"; }

say() { printf '  %-14s %s\n' "$1" "$2" >&2; }

# --- fixed windows ------------------------------------------------------------------------------
# windowed NAME...: scenarios measured over fixed windows of WINDOW seconds (the idle footprint,
# the crash loop) share them when they run together: NAME_start once, then per repetition
# NAME_begin, the window, NAME_end REP; NAME_stop at the end.
WINDOW=${BENCH_WINDOW:-10}
windowed() {
  local s rep
  for s in "$@"; do "${s}_start"; done
  for ((rep = 1; rep <= REPS; rep++)); do
    for s in "$@"; do "${s}_begin"; done
    snooze "$WINDOW"
    for s in "$@"; do "${s}_end" "$rep"; done
  done
  for s in "$@"; do "${s}_stop"; done
}
