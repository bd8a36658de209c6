#!/usr/bin/env bash
# Not PID 1: the supervisor makes itself a child subreaper, adopts the daemons its services
# leave behind, reaps them, and stops them at shutdown.
source "$(dirname "$0")/lib.sh"

service daemonizer "command = '''setsid sh -c 'echo \$\$ > $T/daemon.pid; exec sleep 100000' & sleep 0.1; exit 0'''
restart.policy = \"never\""
service shortlived "command = '(sleep 0.3; true) & exit 0'
restart.policy = \"never\""
"$BIN" --config-dir "$CONF" --socket "$SOCK" >"$LOG" 2>&1 &
SPID=$!
check "up, not as PID 1" wait_until 10 test -S "$SOCK"
check "the double-forked daemon exists" wait_until 5 test -s "$T/daemon.pid"
daemon=$(cat "$T/daemon.pid")
check "its parent is the supervisor (adopted as a subreaper)" wait_until 5 eval '[ "$(awk "/^PPid/ { print \$2 }" /proc/$daemon/status)" = "$SPID" ]'
zombie_children() { ps -o stat= --ppid "$SPID" | grep -c '^Z' || true; }
check "an adopted orphan that exits is reaped (no zombie child)" wait_until 5 eval '[ "$(zombie_children)" = 0 ] && [ "$(ps -o pid= --ppid "$SPID" | wc -l)" = 1 ]'
kill -TERM "$SPID"
wait "$SPID"
check "SIGTERM: exits 0" test $? = 0
check "the adopted daemon was stopped too" eval '! kill -0 "$daemon" 2>/dev/null'
check "the leftovers were handled" log_has "stopping leftover processes"
finish
