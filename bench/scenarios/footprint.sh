# Idle footprint with 10 sleeping services: memory of the supervision processes and how often
# they wake up when nothing happens.
# How: every peer at once, each in its own namespace, 10 services `benchsvc long` (they sleep in
# pause()); ours is the static build. Once all 10 run everywhere and the supervision processes
# have gone quiet (no context switch for 300 ms, deadline 5 s), each repetition is one 10 s
# window (the fixed window is the measurement): wakeups = voluntary + nonvoluntary context
# switches (/proc/PID/task/*/status) during it; RSS and PSS (smaps_rollup) at its end. Summed
# over the supervision processes: PID 1, plus every s6-supervise (s6) or runsv (runit).
# The windows are shared with the crash loop's when both run (see `windowed` in lib.sh): idle
# processes do not wake up because another core is busy, and RSS does not depend on it.
# tini and dumb-init run one child: n/a.
FP_KINDS=(ours-static s6 runit supervisord)
declare -gA FP_U=() FP_P1=() FP_C0=()

scenario_footprint() { windowed footprint; }

footprint_start() {
  local kind dir
  for kind in "${FP_KINDS[@]}"; do
    dir=$WORK/footprint-$kind
    make_services "$kind" "$dir" long 10
    ns_start "$dir/log" $(run_env "$dir" long) "${CMD[@]}"
    FP_U[$kind]=$NS_U FP_P1[$kind]=$NS_P1
  done
  for kind in "${FP_KINDS[@]}"; do
    wait_for 20 at_least 10 "$WORK/footprint-$kind/out" S || say footprint "$kind: not all 10 services started"
  done
  wait_for 5 footprint_quiet || say footprint "still busy after 5 s; measuring anyway"
}

footprint_begin() {
  local kind
  for kind in "${FP_KINDS[@]}"; do
    sup_pids "$kind" "${FP_P1[$kind]}"
    FP_C0[$kind]=$(sum_ctxt "${SUP_PIDS[@]}")
  done
}

footprint_end() {
  local rep=$1 kind line="" peer c1 rss pss
  for kind in "${FP_KINDS[@]}"; do
    sup_pids "$kind" "${FP_P1[$kind]}"
    peer=${kind%-static}
    c1=$(sum_ctxt "${SUP_PIDS[@]}")
    rss=$(sum_smaps Rss "${SUP_PIDS[@]}")
    pss=$(sum_smaps Pss "${SUP_PIDS[@]}")
    record footprint "RSS, 10 services" MiB "$peer" "$rep" "$(awk -v k="$rss" 'BEGIN { printf "%.2f", k / 1024 }')" "${#SUP_PIDS[@]} processes"
    record footprint "PSS, 10 services" MiB "$peer" "$rep" "$(awk -v k="$pss" 'BEGIN { printf "%.2f", k / 1024 }')" "${#SUP_PIDS[@]} processes"
    record footprint "wakeups in $WINDOW s" count "$peer" "$rep" $((c1 - FP_C0[$kind]))
    line+="$peer ${rss} kB, $((c1 - FP_C0[$kind])) wakeups; "
  done
  say footprint "window $rep: $line"
}

footprint_stop() {
  local kind m
  for kind in "${FP_KINDS[@]}"; do ns_kill "${FP_U[$kind]}"; done
  for kind in tini dumb-init; do
    for m in "RSS, 10 services" "PSS, 10 services" "wakeups in $WINDOW s"; do
      record_na footprint "$m" "" "$kind" "runs one child only"
    done
  done
}

# True when no supervision process switched context during the last 300 ms.
footprint_quiet() {
  local kind all=() before after
  for kind in "${FP_KINDS[@]}"; do
    sup_pids "$kind" "${FP_P1[$kind]}"
    all+=("${SUP_PIDS[@]}")
  done
  before=$(sum_ctxt "${all[@]}")
  snooze 0.3
  after=$(sum_ctxt "${all[@]}")
  [ "$before" = "$after" ]
}
