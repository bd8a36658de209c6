#!/usr/bin/env bash
# Container conditions, a bare image (distroless, scratch): no /dev/log, no /etc/passwd,
# /etc/group, /etc/hosts or /etc/resolv.conf, /proc mounted hidepid=2; and PID 1's stdout and
# stderr closed, or a pipe nobody reads (that one: test_logs_stuck_console.sh).
# Services run, stop and are reaped; what cannot work says why, once, for that service alone.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/field_lib.sh"

mkdir -p "$T/etc" "$T/dev"
cp /etc/ld.so.cache "$T/etc/"
BARE_ETC="mount --bind $T/etc /etc"
# A /dev of its own with only the usual devices, set aside in $T/dev.host first (all of it in
# PID 1's mount namespace: nothing is mounted out here).
DEVS="null zero full random urandom"
mkdir -p "$T/dev.host" && for d in $DEVS; do touch "$T/dev.host/$d"; done
BARE_DEV="for d in $DEVS; do mount --bind /dev/\$d $T/dev.host/\$d || exit 1; done &&
    mount -t tmpfs -o mode=755 tmpfs /dev &&
    for d in $DEVS; do touch /dev/\$d && mount --bind $T/dev.host/\$d /dev/\$d || exit 1; done"

basic_services
service syslogged 'command = ["sh", "-c", "while :; do echo tick; sleep 0.2; done"]
log.syslog = "unix:///dev/log"'
service hosted 'command = ["sh", "-c", "while :; do echo tock; sleep 0.2; done"]
log.syslog = "udp://loghost.invalid:514"'
service named 'command = ["sleep", "100000"]
user = "nobody"
restart.max_retries = 2
restart.delay = "50ms"'
service numeric 'command = ["sleep", "100001"]
user = "65534"'
uid_gid() { awk '/^Uid/ { u = $2 } /^Gid/ { g = $2 } END { print u ":" g }' "$(ns_proc "$1")/status"; }

label="bare /etc and /dev, hidepid=2"
PROC_OPTS=hidepid=2
field_pid1 "$BARE_ETC && $BARE_DEV" --socket "$T/sock"
check "$label: up" up_at "$T/sock"
check "$label: the namespace really has no /dev/log, /etc/passwd, /etc/hosts" \
    eval '! in_ns test -e /dev/log && ! in_ns test -e /etc/passwd && ! in_ns test -e /etc/hosts'
check "$label: and /proc is hidepid=2" eval 'in_ns grep -q " /proc proc .*hidepid=" /proc/self/mounts'
basic_checks "$label"
check "$label: no /dev/log: said once, with the reason" \
    wait_until 10 eval '[ "$(grep -c "syslog unix:///dev/log: cannot connect.*No such file or directory; retrying" "$LOG")" = 1 ]'
check "$label: and the service's lines still reach the console" wait_until 5 log_has "^syslogged \| tick"
check "$label: a syslog host that cannot be resolved: said with the reason" \
    wait_until 15 log_has "syslog udp://loghost.invalid:514: cannot resolve host"
check "$label: and its lines still reach the console" log_has "^hosted \| tock"
check "$label: no passwd: user = nobody is an unknown user of that service" \
    wait_until 10 log_has "named: unknown user 'nobody' \(not in /etc/passwd\)"
check "$label: counted, given up after max_retries" wait_until 10 eval '[ "$(state_of named)" = failed ]'
check "$label: user = 65534 runs as uid 65534, gid 65534 (a bare uid never gets group 0)" wait_until 5 eval '[ "$(uid_gid "$(pid_of numeric)")" = 65534:65534 ]'
check "$label: the others run" eval '[ "$(state_of syslogged)" = running ] && [ "$(state_of hosted)" = running ]'
graceful_exit "$label"
PROC_OPTS=""

# hidepid=2 with a non-root PID 1: it still sees and reaps its own processes.
rm -f "$CONF/named.toml" "$CONF/numeric.toml" "$CONF/syslogged.toml" "$CONF/hosted.toml"
label="hidepid=2, PID 1 as uid 1000"
PROC_OPTS=hidepid=2
AS="setpriv --reuid 1000 --regid 1000 --clear-groups"
field_pid1 true --socket "$T/pub/sock"
check "$label: up" up_at "$T/pub/sock"
basic_checks "$label"
graceful_exit "$label"
PROC_OPTS="" AS=""

# PID 1 with stdout and stderr closed (docker run -d with a broken log driver, or a caller that
# closed them): its descriptors 0-2 must not be taken by its own sockets and pipes.
label="stdin, stdout and stderr closed"
service chatty 'command = ["sh", "-c", "while :; do echo chat; echo err >&2; sleep 0.1; done"]'
unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$CONF" --socket "$T/sock" <&- >&- 2>&- &
UPID=$!
check "$label: up" up_at "$T/sock"
basic_checks "$label"
check "$label: the chatty service runs" wait_until 5 eval '[ "$(state_of chatty)" = running ]'
check "$label: descriptors 0-2 of PID 1 are /dev/null" eval '( for fd in 0 1 2; do [ "$(readlink "/proc/$SPID/fd/$fd")" = /dev/null ] || exit 1; done )'
check "$label: status answers" eval 'timeout 2 "$BIN" status --socket "$SOCK" >/dev/null'
check "$label: and chatty was never restarted (its writes never failed)" test "$(restarts_of chatty)" = 0
graceful_exit "$label"
finish
