# Orphan storm: 2000 orphans that exit at the same moment; zombies left 1 s later, and ms until
# PID 1 has reaped the last one.
# How: the one service is `benchsvc orphans 2000`: a middle process forks the 2000 and exits, so
# the kernel hands them to PID 1; they block on a pipe that the service closes at t0, and all
# exit. The service then polls kill(pid, 0) on each (a zombie still answers, a reaped pid gives
# ESRCH) and writes the ms until none is left (-1: not within 2 s) and the count left at 1 s.
# Every peer runs it, tini and dumb-init as their one child. "floor" is PID 1 doing nothing but
# wait(2) in a loop (`benchsvc reap`): how long the 2000 exits themselves take here.
# "ms to reap 2000 zombies" is the reaping alone: PID 1 is stopped (SIGSTOP from outside its
# namespace, which the kernel lets through to a namespace's init), the 2000 are released and all
# become zombies, then PID 1 is continued; the figure runs from that SIGCONT until the last
# zombie is gone (BENCH_HOLD in benchsvc.c).
ORPHANS=${ORPHANS:-2000}
scenario_orphans() {
  local kind dir rep
  for kind in floor ours tini dumb-init s6 runit supervisord; do
    local all=""
    for ((rep = 1; rep <= REPS; rep++)); do
      dir=$WORK/orphans-$kind-$rep
      case $kind in
        floor) mkdir -p "$dir"; CMD=("$SVC" reap "$SVC" orphans "$ORPHANS");;
        tini) mkdir -p "$dir"; CMD=(tini -- "$SVC" orphans "$ORPHANS");;
        dumb-init) mkdir -p "$dir"; CMD=(dumb-init "$SVC" orphans "$ORPHANS");;
        *) make_services "$kind" "$dir" orphans 1;;
      esac
      # make_services named the service's argument s001; benchsvc takes the count from
      # BENCH_ORPHANS when its argument is not a number
      ns_start "$dir/log" $(run_env "$dir" orphans) "BENCH_ORPHANS=$ORPHANS" "${CMD[@]}"
      if wait_for 30 at_least 1 "$dir/out" orphans; then
        local count reap left
        read -r _ count _ reap _ left < <(grep '^orphans' "$dir/out")
        record orphans "zombies left after 1 s" count "$kind" "$rep" "$left" "of $count"
        if [ "$reap" = "-1.000" ]; then
          record orphans "ms until all reaped" ms "$kind" "$rep" ">2000" "not all reaped within 2 s"
        else
          record orphans "ms until all reaped" ms "$kind" "$rep" "$reap"
        fi
        all+="${reap}ms/$left  "
      else
        say orphans "$kind: no result within 30 s"
      fi
      ns_kill "$NS_U"
      orphans_held "$kind" "$rep" "$dir-held"
      all+="(held: $HELD_MS ms)  "
    done
    say orphans "$kind: $all"
  done
}

# orphans_held KIND REP DIR: one run of the reaping alone (see the top); sets HELD_MS.
orphans_held() {
  local kind=$1 rep=$2 dir=$3 t0 reaped
  HELD_MS="-"
  mkdir -p "$dir"
  case $kind in
    floor) CMD=("$SVC" reap "$SVC" orphans "$ORPHANS");;
    tini) CMD=(tini -- "$SVC" orphans "$ORPHANS");;
    dumb-init) CMD=(dumb-init "$SVC" orphans "$ORPHANS");;
    *) make_services "$kind" "$dir" orphans 1;;
  esac
  ns_start "$dir/log" $(run_env "$dir" orphans) "BENCH_ORPHANS=$ORPHANS" "BENCH_HOLD=$dir/go" "${CMD[@]}"
  if wait_for 30 at_least 1 "$dir/out" held; then
    kill -STOP "$NS_P1"
    : > "$dir/go"
    if wait_for 15 at_least 1 "$dir/out" zombies; then
      t0=${EPOCHREALTIME/./}
      kill -CONT "$NS_P1"
      if wait_for 10 at_least 1 "$dir/out" reaped; then
        read -r _ reaped < <(grep '^reaped' "$dir/out")
        if [ "$reaped" = -1 ]; then
          HELD_MS=">2000"
          record orphans "ms to reap 2000 zombies" ms "$kind" "$rep" ">2000" "not all reaped within 2 s"
        else
          HELD_MS=$(awk -v r="$reaped" -v t="$t0" 'BEGIN { printf "%.3f", (r / 1000 - t) / 1000 }')
          record orphans "ms to reap 2000 zombies" ms "$kind" "$rep" "$HELD_MS"
        fi
      fi
    fi
    kill -CONT "$NS_P1" 2>/dev/null || true
  fi
  [ "$HELD_MS" = "-" ] && say orphans "$kind: the held run gave no result"
  ns_kill "$NS_U"
}
