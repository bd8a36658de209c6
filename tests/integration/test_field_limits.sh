#!/usr/bin/env bash
# Container conditions, limits (cgroup v1 controllers here; a test whose controller is missing
# says so and is skipped):
# - pids (docker run --pids-limit): with the limit reached, fork fails; each start is a counted
#   failed start with growing backoff, never a retry loop, also for a service with a readiness
#   check; PID 1 keeps answering, and once there is room again the services start and the
#   waiting `start` request is answered.
# - memory (docker run --memory): a service the kernel OOM-kills is reported as killed by SIGKILL
#   with the cgroup's OOM count, and restarted with backoff; PID 1 survives.
# (RLIMIT_NPROC for a non-root PID 1: test_hardening_privileges.sh.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/field_lib.sh"

PIDS_CG="" MEM_CG=""
trap 'cleanup_all' EXIT
cleanup_all() {
    for job in $(jobs -p); do kill -9 "$job" 2>/dev/null; done
    { wait; } 2>/dev/null
    for cg in "$PIDS_CG" "$MEM_CG"; do [ -n "$cg" ] && [ -d "$cg" ] && rmdir "$cg" 2>/dev/null; done
    rm -rf "$T"
}
# The cgroup of this shell in CONTROLLER's v1 hierarchy, or nothing.
v1_cgroup() {
    local root=/sys/fs/cgroup/$1 path
    path=$(awk -F: -v c="$1" '$2 == c { print $3 }' /proc/self/cgroup)
    [ -n "$path" ] && [ -d "$root$path" ] && echo "$root$path"
}

# --- pids ---
if base=$(v1_cgroup pids) && mkdir "$base/sv-field-$$"; then
    PIDS_CG=$base/sv-field-$$
    service app 'command = ["sleep", "100000"]'
    service late 'command = ["sleep", "100001"]
enabled = false
restart.delay = "200ms"
restart.max_delay = "1s"'
    service readied 'command = ["sleep", "100002"]
enabled = false
restart.delay = "200ms"
restart.max_delay = "1s"
ready.command = ["true"]
ready.interval = "100ms"'
    CGROUPS=$PIDS_CG
    field_pid1 true --socket "$T/sock"
    check "pids: up" up_at "$T/sock"
    check "pids: app runs" wait_until 10 eval '[ "$(state_of app)" = running ]'
    cat "$PIDS_CG/pids.current" >"$PIDS_CG/pids.max"
    echo "pids.max = $(cat "$PIDS_CG/pids.max")"
    ctl start late >"$T/start.out" 2>&1 &
    STARTER=$!
    ctl start readied >/dev/null 2>&1 &
    check "pids: fork fails: a counted failed start" wait_until 5 log_has "late: cannot fork: Resource temporarily unavailable; restarting in 200ms"
    check "pids: with backoff growing" wait_until 5 log_has "late: cannot fork: Resource temporarily unavailable; restarting in 400ms"
    check "pids: a service with a readiness check too: backoff, not its 90 s start_timeout" \
        wait_until 5 log_has "readied: cannot fork: Resource temporarily unavailable; restarting in 400ms"
    t0=$(now_ts)
    check "pids: PID 1 keeps answering within 1 s" eval 'timeout 1 "$BIN" status --socket "$SOCK" >/dev/null'
    wait_until 3 false
    n=$(log_count_since "$t0" "late: cannot fork")
    check "pids: never a retry loop: $n attempts in 3 s (backoff up to 1 s)" eval '[ "$n" -ge 2 ] && [ "$n" -le 6 ]'
    check "pids: the attempts are counted as restarts" eval '[ "$(restarts_of late)" -ge 3 ]'
    check "pids: the start request is answered: exit 1, with the reason" \
        eval 'wait "$STARTER"; [ $? = 1 ] && grep -q "late: did not start: backoff (cannot fork: Resource temporarily unavailable)" "$T/start.out"'
    echo max >"$PIDS_CG/pids.max"
    check "pids: room again: late runs" wait_until 5 eval '[ "$(state_of late)" = running ]'
    check "pids: and readied is ready" wait_until 5 eval 'ctl status readied | awk "NR == 2 { exit !(\$2 == \"running\" && \$3 == \"yes\") }"'
    check "pids: a start request now succeeds" eval 'ctl start late readied >/dev/null'
    check "pids: no zombie" wait_until 5 eval '[ "$(zombies)" = 0 ]'
    kill -TERM "$SPID"
    check "pids: SIGTERM: exits 0" eval 'wait_exit 15 && [ "$EXIT" = 0 ]'
    rm -f "$CONF"/*.toml
else
    echo "skipped: no cgroup v1 pids controller to make a child cgroup in"
fi

# --- memory ---
# (Not in the sanitizer build: ASan's shadow memory counts against the limit, PID 1's too.)
if [ -n "${ASAN_OPTIONS:-}" ]; then
    echo "skipped: the memory limit case under AddressSanitizer"
elif base=$(v1_cgroup memory) && mkdir "$base/sv-field-$$"; then
    MEM_CG=$base/sv-field-$$
    echo $((96 << 20)) >"$MEM_CG/memory.limit_in_bytes"
    [ -e "$MEM_CG/memory.memsw.limit_in_bytes" ] && echo $((96 << 20)) >"$MEM_CG/memory.memsw.limit_in_bytes"
    basic_services
    service hog "command = [\"$PY\", \"-c\", \"x = []\\nwhile True: x.append(bytearray(1 << 20))\"]
restart.delay = \"300ms\""
    CGROUPS=$MEM_CG
    field_pid1 true --socket "$T/sock"
    check "memory: up" up_at "$T/sock"
    check "memory: the OOM-killed service: killed by SIGKILL, with the cgroup's OOM count, restarted with backoff" \
        wait_until 20 log_has "hog: killed by SIGKILL \(out of memory: the memory cgroup's OOM kill count rose to [0-9]+\); restarting in 300ms"
    check "memory: and again, with a longer delay" \
        wait_until 20 log_has "hog: killed by SIGKILL \(out of memory: .*\); restarting in 600ms"
    check "memory: the kernel counted it" eval '[ "$(awk "/^oom_kill / { print \$2 }" "$MEM_CG/memory.oom_control")" -ge 2 ]'
    basic_checks "memory"
    check "memory: PID 1 was not the one killed" eval 'timeout 2 "$BIN" status --socket "$SOCK" >/dev/null'
    graceful_exit "memory"
else
    echo "skipped: no cgroup v1 memory controller to make a child cgroup in"
fi
finish
