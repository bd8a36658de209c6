#!/usr/bin/env bash
# 500 SIGHUPs in about a second while services come and go in the directory: the reloads are
# coalesced, the end state matches the directory exactly, PID 1 neither dies nor leaks fds,
# and a service that did not change keeps its pid through it all.
source "$(dirname "$0")/lib.sh"

service keep "command = [\"sh\", \"$T/recorder.sh\", \"$T/keep.signals\"]"
service r1 'command = ["sleep", "1001"]'
service r2 'command = ["sleep", "1002"]'
start_pid1
ctl status --wait-ready 10s >/dev/null
KEEP=$(pid_of keep)
FDS=$(fd_count)

# 10 rounds of 50 SIGHUPs, 0.1 s apart, while the directory changes under them: rounds 1-8
# each add a service x<round> and remove the previous one; round 9 makes the final set
# (r1, r2 out; n1, n2 in); round 10 only signals.
T0=$EPOCHREALTIME
for round in $(seq 1 10); do
    if [ "$round" -le 8 ]; then
        service "x$round" "command = [\"sleep\", \"3$round\"]"
        rm -f "$CONF/x$((round - 1)).toml"
    elif [ "$round" = 9 ]; then
        rm -f "$CONF"/x*.toml "$CONF/r1.toml" "$CONF/r2.toml"
        service n1 'command = ["sleep", "4001"]'
        service n2 'command = ["sleep", "4002"]'
    fi
    for i in $(seq 1 50); do kill -HUP "$SPID"; done
    sleep 0.1
done
echo "# 500 SIGHUPs in $(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $T0 }")s gave $(grep -c 'reloaded ' "$LOG") reloads;" \
    "$(grep -c 'added (x' "$LOG") of 8 churn services were seen"

# Services of PID 1 (its children) are exactly those of the directory, each running.
dir_names() { (cd "$CONF" && ls *.toml | sed 's/\.toml$//' | sort | xargs); }
status_pids() { ctl status | awk 'NR > 1 { print $5 }' | sort -n | xargs; }
child_pids() { in_ns ps -o pid= --ppid 1 | sort -n | xargs; }
all_running() { ! ctl status | awk 'NR > 1 { print $2 }' | grep -vqx running; }
matches() { [ "$(names)" = "$(dir_names)" ] && all_running && [ "$(status_pids)" = "$(child_pids)" ]; }
check "the running set converges to the directory (keep, n1, n2)" wait_until 20 matches
check "the directory is keep, n1, n2" test "$(dir_names)" = "keep n1 n2"
check "PID 1 is alive" alive 1
check "status still answers" eval 'ctl status keep >/dev/null'
check "no churn or removed service left a process" eval '! in_ns ps -eo args= | grep -Eq "^sleep (3[0-9]+|100[12])$"'
fds_back() { [ "$(fd_count)" -le $((FDS + 1)) ]; }
check "PID 1's fd count is back to $FDS (within 1)" wait_until 10 fds_back
echo "# fds: $FDS before, $(fd_count) after"
check "keep kept its pid" test "$(pid_of keep)" = "$KEEP"
check "keep never got a signal" test ! -e "$T/keep.signals"

finish
