# Crash loop for 10 s: a service that exits 1 at once; supervision CPU time and starts.
# How: the service is `benchsvc crash` ("S <ns>", exit 1). Restart delay as small as each peer
# allows: ours `delay = "0"` (the first restart at once, then 10 ms, 20 ms, ... doubling) with
# `max_delay = "1s"`, the pace s6 and runit keep to; s6 and runit wait 1 s between starts by
# design (no setting); supervisord startsecs=0 and autorestart (a start counts as successful at
# once, so no backoff). "ours-1s" is ours at exactly that pace from the start (delay 1 s,
# factor 1), for a like-for-like CPU figure. All variants run at once, each in its own namespace; after each one's first start,
# each repetition is a 10 s window (the fixed window is the measurement, shared with the idle
# footprint's when both run: see `windowed` in lib.sh): CPU = time on a CPU of the supervision
# processes during the window (schedstat: utime+stime in ns, without the 10 ms ticks of
# /proc/PID/stat), starts = "S" lines stamped in the window.
# tini and dumb-init exit with their child: n/a.
CR_KINDS=(ours ours-1s s6 runit supervisord)
declare -gA CR_U=() CR_P1=() CR_CPU0=()
CR_T0=0

scenario_crash() { windowed crash; }

crash_start() {
  local kind dir
  for kind in "${CR_KINDS[@]}"; do
    dir=$WORK/crash-$kind
    case $kind in
      ours) make_services ours "$dir" crash 1 $'[restart]\ndelay = "0"\nmax_delay = "1s"';;
      ours-1s) make_services ours "$dir" crash 1 $'[restart]\ndelay = "1s"\nfactor = 1.0\nmax_delay = "1s"';;
      *) make_services "$kind" "$dir" crash 1;;
    esac
    ns_start "$dir/log" $(run_env "$dir" crash) "${CMD[@]}"
    CR_U[$kind]=$NS_U CR_P1[$kind]=$NS_P1
  done
  for kind in "${CR_KINDS[@]}"; do
    wait_for 10 at_least 1 "$WORK/crash-$kind/out" S || say crash "$kind: never started"
  done
}

crash_begin() {
  local kind
  for kind in "${CR_KINDS[@]}"; do
    sup_pids "$kind" "${CR_P1[$kind]}"
    CR_CPU0[$kind]=$(sum_cpu_ns "${SUP_PIDS[@]}")
  done
  stamp_ns CR_T0
}

crash_end() {
  local rep=$1 kind t1 cpu starts line=""
  stamp_ns t1
  for kind in "${CR_KINDS[@]}"; do
    sup_pids "$kind" "${CR_P1[$kind]}"
    cpu=$(( $(sum_cpu_ns "${SUP_PIDS[@]}") - CR_CPU0[$kind] ))
    starts=$(awk -v a="$CR_T0" -v b="$t1" '$1 == "S" && $2 >= a && $2 < b { n++ } END { print n + 0 }' "$WORK/crash-$kind/out")
    record crash "CPU ms in $WINDOW s" ms "$kind" "$rep" "$(awk -v c="$cpu" 'BEGIN { printf "%.2f", c / 1e6 }')"
    record crash "starts in $WINDOW s" count "$kind" "$rep" "$starts"
    if [ "$starts" -gt 0 ]; then
      record crash "CPU µs per start" us "$kind" "$rep" "$(awk -v c="$cpu" -v n="$starts" 'BEGIN { printf "%.1f", c / n / 1e3 }')"
    fi
    line+="$kind $(awk -v c="$cpu" 'BEGIN { printf "%.1f", c / 1e6 }') ms/$starts; "
  done
  say crash "window $rep: $line"
}

crash_stop() {
  local kind m
  for kind in "${CR_KINDS[@]}"; do ns_kill "${CR_U[$kind]}"; done
  for kind in tini dumb-init; do
    for m in "CPU ms in $WINDOW s" "starts in $WINDOW s" "CPU µs per start"; do
      record_na crash "$m" "" "$kind" "exits with its one child: no restarts"
    done
  done
}
