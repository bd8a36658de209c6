#!/usr/bin/env bash
# Container conditions, shared PID namespace (Kubernetes shareProcessNamespace): PID 1 is a pause
# process that never reaps, and the supervisor is entered into the namespace as an ordinary
# process. It must make itself a subreaper: its services' orphans come to it, not to the pause
# process, and are reaped; SIGTERM stops everything it started, adopted daemons included, and
# leaves the pause process alone.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/field_lib.sh"

unshare --pid --fork --mount-proc --kill-child sleep 1000000 &
PAUSE_U=$!
wait_until 5 eval 'PAUSE=$(pgrep -P "$PAUSE_U") && [ -n "$PAUSE" ]'
basic_services
service daemonizer "command = '''setsid sh -c 'echo \$\$ > $T/daemon.pid; exec sleep 100000' & sleep 0.1; exit 0'''
restart.policy = \"never\""
nsenter -t "$PAUSE" -p -m -- "$BIN" --config-dir "$CONF" --socket "$T/sock" >"$LOG" 2>&1 &
UPID=$!
check "up in the pause process's namespace" up_at "$T/sock"
NSPID=$(awk '/^NSpid/ { print $3 }' "/proc/$SPID/status")
check "the supervisor is not PID 1 there (pid $NSPID)" eval '[ -n "$NSPID" ] && [ "$NSPID" != 1 ]'
basic_checks "shared namespace" "$NSPID"
check "a double-forked daemon is adopted by the supervisor, not by the pause process" \
    wait_until 5 eval 'd=$(cat "$T/daemon.pid" 2>/dev/null) && [ "$(ppid_in_ns "$d")" = "$NSPID" ]'
daemon=$(cat "$T/daemon.pid")
graceful_exit "shared namespace"
in_pause() { nsenter -t "$PAUSE" -p -m -- "$@"; }
check "the adopted daemon was stopped too" eval '! in_pause test -e "/proc/$daemon"'
check "nothing of the supervisor's is left: the pause process alone (and ps)" \
    eval '[ "$(in_pause ps -e -o pid= | awk "\$1 != 1" | wc -l)" = 1 ]'
check "the pause process lives on" kill -0 "$PAUSE"
finish
