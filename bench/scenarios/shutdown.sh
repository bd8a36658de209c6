# Shutdown: ms from SIGTERM to PID 1's exit, and how many services stopped gracefully.
# How: services `benchsvc long` write "T <ns>" and exit 0 when they get SIGTERM (graceful);
# `benchsvc killwait` sends SIGTERM to PID 1 and waits on a pidfd until it has exited (PID 1 of
# a namespace exits after everything in it is gone). Graceful = the "T" lines.
#   10 services: ours, s6, runit, supervisord
#   1 child:     tini, dumb-init, and ours in single-command mode (`supervisor -- CMD`)
scenario_shutdown() {
  local kind dir rep ms n
  for kind in ours s6 runit supervisord ours-1 tini dumb-init; do
    local all="" scenario=shutdown-10
    n=10
    case $kind in ours-1|tini|dumb-init) scenario=shutdown-1 n=1;; esac
    for ((rep = 1; rep <= REPS; rep++)); do
      dir=$WORK/shutdown-$kind-$rep
      case $kind in
        ours-1) mkdir -p "$dir"; CMD=("$OURS" --config-dir "$dir/none" --socket "$dir/sock" -- "$SVC" long main);;
        tini) mkdir -p "$dir"; CMD=(tini -- "$SVC" long main);;
        dumb-init) mkdir -p "$dir"; CMD=(dumb-init "$SVC" long main);;
        *) make_services "$kind" "$dir" long 10;;
      esac
      ns_start "$dir/log" $(run_env "$dir" long) "${CMD[@]}"
      if ! wait_for 20 at_least "$n" "$dir/out" S; then
        say shutdown "$kind: not all $n services started"
        ns_kill "$NS_U"
        continue
      fi
      wait_for 5 all_children_started "$NS_P1" "$n" || true
      ms=$("$SVC" killwait "$NS_P1" 15 30000)
      ns_reap "$NS_U"
      local graceful
      graceful=$(lines_with "$dir/out" T)
      if [ "$ms" = timeout ]; then
        say shutdown "$kind: PID 1 still there 30 s after SIGTERM"
        continue
      fi
      record "$scenario" "SIGTERM to PID 1 exit" ms "${kind%-1}" "$rep" "$ms"
      record "$scenario" "stopped gracefully" count "${kind%-1}" "$rep" "$graceful" "of $n"
      all+="$ms ms/$graceful  "
    done
    say "$scenario" "$kind: $all"
  done
}

# For s6 and runit the services are grandchildren of PID 1; the "S" lines already say they run,
# this only makes sure PID 1 has its N supervision children (or children) before the signal.
all_children_started() {
  local kids=()
  { read -r -a kids < "/proc/$1/task/$1/children"; } 2>/dev/null || true
  (( ${#kids[@]} >= $2 ))
}
