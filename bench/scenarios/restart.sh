# Restart latency: ms from a service's exit to its next exec, restart delay 0 (or the smallest
# the peer allows). Ours: `delay = "0"` and `reset_after = "1s"` (a run of a second counts as
# healthy, so each restart is immediate: the rule s6 and runit apply; by default a service that
# ends within 30 s of its start waits 10 ms, 20 ms, ... before the next).
# How: the service is `benchsvc restart`, which writes "S <ns>" right after exec, sleeps 1.2 s
# and writes "E <ns>" right before it exits; a sample is the next S minus the previous E, as the
# service itself sees it (no harness polling in the figure). One namespace per peer, all at once
# (between restarts everything sleeps; two restarts falling within the same millisecond are
# rare), REPS restarts in each. "floor" is no supervisor: a bare fork/exec/waitpid loop as
# PID 1, the least a restart costs on this machine. tini and dumb-init do not restart: n/a.
scenario_restart() {
  local kinds=(floor ours s6 runit supervisord) kind dir samples s rep
  local -A u=()
  for kind in "${kinds[@]}"; do
    dir=$WORK/restart-$kind
    if [ "$kind" = floor ]; then
      mkdir -p "$dir"
      CMD=("$SVC" respawn $((REPS + 1)) restart)
    else
      make_services "$kind" "$dir" restart 1 $'[restart]\ndelay = "0"\nreset_after = "1s"'
    fi
    ns_start "$dir/log" $(run_env "$dir" restart) "${CMD[@]}"
    u[$kind]=$NS_U
  done
  for kind in "${kinds[@]}"; do
    dir=$WORK/restart-$kind
    # s6 and supervisord wait ~1 s before each restart: allow 2.5 s per run
    if ! wait_for $(( (REPS + 1) * 5 / 2 + 5 )) at_least $((REPS + 1)) "$dir/out" S; then
      say restart "$kind: only $(lines_with "$dir/out" S) starts before the deadline"
    fi
    ns_kill "${u[$kind]}"
    samples=$(awk '$1 == "E" { e = $2 } $1 == "S" && e { printf "%.3f\n", ($2 - e) / 1e6; e = 0 }' "$dir/out" | head -n "$REPS")
    rep=0
    for s in $samples; do
      rep=$((rep + 1))
      record restart "exit to next exec" ms "$kind" "$rep" "$s"
    done
    say restart "$kind: $(echo $samples) ms"
  done
  record_na restart "exit to next exec" ms tini "runs one child and exits with it: no restarts"
  record_na restart "exit to next exec" ms dumb-init "runs one child and exits with it: no restarts"
}
