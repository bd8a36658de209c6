# Reload of 200 services with 1 changed: ms from the reload request to the changed service
# running again, and how many services were touched.
# How: 200 services `benchsvc long` ("S <ns> NAME <pid>" at start, "T <ns> NAME" on SIGTERM).
# Once all run, s100's definition changes (an environment variable is added), then:
#   ours         t0 just before SIGHUP to PID 1
#   supervisord  t0 just before `supervisorctl update` starts (its own start-up is part of the
#                operation a user runs)
# The figure is s100's new "S" minus t0. Touched = services whose process changed (children of
# PID 1 before vs after) or that got SIGTERM (a "T" line); exactly 1 is right.
# s6, runit: no such operation. A service's run script is read at its next start, nothing
# compares an old definition with a new one: the user restarts what changed (s6-svc -r, sv
# restart), and s6-svscanctl -a / runsvdir's 5 s rescan only add and remove directories.
# tini, dumb-init: one child, no configuration.
scenario_reload() {
  local kind dir rep t0 ms
  for kind in ours supervisord; do
    local all=""
    for ((rep = 1; rep <= REPS; rep++)); do
      dir=$WORK/reload-$kind-$rep
      make_services "$kind" "$dir" long 200
      ns_start "$dir/log" $(run_env "$dir" long) "${CMD[@]}"
      if ! wait_for 90 at_least 200 "$dir/out" S; then
        say reload "$kind: only $(lines_with "$dir/out" S) of 200 started in 90 s"
        ns_kill "$NS_U"
        continue
      fi
      local before after
      before=$(children_sorted "$NS_P1")
      if [ "$kind" = ours ]; then
        printf 'command = ["%s", "long", "s100"]\nenvironment = { CHANGED = "1" }\n' "$SVC" > "$dir/d/s100.toml"
        stamp_ns t0
        kill -HUP "$NS_P1"
      else
        sed -i '/^\[program:s100\]$/a environment=CHANGED="1"' "$dir/supervisord.conf"
        stamp_ns t0
        supervisorctl -c "$dir/supervisord.conf" update >/dev/null
      fi
      if wait_for 30 started_after "$dir/out" s100 "$t0"; then
        ms=$(awk -v t0="$t0" '$1 == "S" && $3 == "s100" && $2 > t0 { printf "%.2f", ($2 - t0) / 1e6; exit }' "$dir/out")
        after=$(children_sorted "$NS_P1")
        local gone terms touched
        gone=$(count_gone "$before" "$after")
        terms=$(awk -v t0="$t0" '$1 == "T" && $2 > t0 { print $3 }' "$dir/out" | sort -u | wc -l)
        touched=$(( gone > terms ? gone : terms ))
        record reload "changed one running" ms "$kind" "$rep" "$ms"
        record reload "services touched" count "$kind" "$rep" "$touched" "pids changed: $gone, SIGTERMs: $terms"
        all+="$ms ms/$touched  "
      else
        say reload "$kind: s100 did not start again within 30 s"
      fi
      ns_kill "$NS_U"
    done
    say reload "$kind: $all"
  done
  for kind in s6 runit; do
    for m in "changed one running" "services touched"; do
      record_na reload "$m" "" "$kind" "no reload operation: a run script is read at the next start; adding a directory (s6-svscanctl -a, runsvdir rescan) only adds/removes"
    done
  done
  for kind in tini dumb-init; do
    for m in "changed one running" "services touched"; do record_na reload "$m" "" "$kind" "one child, no configuration to reload"; done
  done
}

# The children of PID (pids as seen from here), on one line.
children_sorted() {
  local kids=()
  { read -r -a kids < "/proc/$1/task/$1/children"; } 2>/dev/null || true
  echo "${kids[*]}"
}

# count_gone "BEFORE" "AFTER": how many pids of the list BEFORE are not in AFTER.
count_gone() {
  local -A now=()
  local p n=0
  for p in $2; do now[$p]=1; done
  for p in $1; do [ -n "${now[$p]:-}" ] || n=$((n + 1)); done
  echo "$n"
}

# True once FILE has an "S" line of service NAME stamped after T0 (ns).
started_after() {
  local kind stamp name
  [ -f "$1" ] || return 1
  while read -r kind stamp name _; do
    [ "$kind" = S ] && [ "$name" = "$2" ] && (( stamp > $3 )) && return 0
  done < "$1"
  return 1
}
