# Start-up of 100 services: ms from the exec of PID 1 to all 100 running.
# How: `benchsvc execstamp T0 SUPERVISOR...` is PID 1; it writes the time just before it execs
# the supervisor (same pid). Each service (`benchsvc long`) writes "S <ns>" when it starts; the
# figure is the last of the 100 S minus T0. A fresh namespace per repetition.
# "floor" is no supervisor: `benchsvc spawn 100 long` forks and execs the 100 in a row.
# tini and dumb-init run one child: n/a.
scenario_startup() {
  local kind dir rep ms
  for kind in floor ours s6 runit supervisord; do
    local all=""
    for ((rep = 1; rep <= REPS; rep++)); do
      dir=$WORK/startup-$kind-$rep
      if [ "$kind" = floor ]; then
        mkdir -p "$dir"
        CMD=("$SVC" spawn 100 long)
      else
        make_services "$kind" "$dir" long 100
      fi
      ns_start "$dir/log" $(run_env "$dir" long) "$SVC" execstamp "$dir/t0" "${CMD[@]}"
      if wait_for 60 at_least 100 "$dir/out" S; then
        ms=$(awk -v t0="$(cat "$dir/t0")" '$1 == "S" && $2 > last { last = $2 } END { printf "%.1f", (last - t0) / 1e6 }' "$dir/out")
        record startup "100 services running" ms "$kind" "$rep" "$ms"
        all+="$ms "
      else
        say startup "$kind: only $(lines_with "$dir/out" S) of 100 started in 60 s"
      fi
      ns_kill "$NS_U"
    done
    say startup "$kind: $all ms"
  done
  record_na startup "100 services running" ms tini "runs one child only"
  record_na startup "100 services running" ms dumb-init "runs one child only"
}
