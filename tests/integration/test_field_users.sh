#!/usr/bin/env bash
# Container conditions, users: PID 1 as uid 1000 (docker run --user 1000), and as an arbitrary uid
# with no passwd entry and HOME unset (OpenShift). Services run as that uid, crash loops are
# restarted, orphans reaped, the client of the same uid is served, a `user =` that cannot be
# switched to is a clear error of that service alone, and SIGTERM stops everything gracefully.
# With no --socket, the socket falls back to a directory of that uid's under /tmp (the lead's
# socket-fallback change; until it is merged that last part fails).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/field_lib.sh"

basic_services
service rooted 'command = ["sleep", "1000"]
user = "root"
restart.max_retries = 2
restart.delay = "50ms"'
uid_of() { awk '/^Uid/ { print $2 }' "$(ns_proc "$1")/status"; }

for who in 1000 123456; do
    rm -rf "$T/run" && mkdir -p "$T/run" && chown "$who" "$T/run"
    if [ "$who" = 1000 ]; then
        AS="setpriv --reuid 1000 --regid 1000 --clear-groups"
        label="uid 1000"
    else
        AS="env -u HOME -u USER -u LOGNAME setpriv --reuid 123456 --regid 0 --clear-groups"
        label="uid 123456, no passwd entry, no HOME"
        check "$label: indeed not in /etc/passwd" eval '! getent passwd 123456 >/dev/null'
    fi
    field_pid1 true --socket "$T/run/sock"
    check "$label: up" up_at "$T/run/sock"
    basic_checks "$label"
    check "$label: app runs as uid $who" test "$(uid_of "$(pid_of app)")" = "$who"
    check "$label: the client of the same uid is served" eval 'setpriv --reuid "$who" --regid 0 --clear-groups env -u HOME "$BIN" status --socket "$SOCK" >/dev/null'
    check "$label: user = root cannot be switched to: a clear error for that service" \
        wait_until 10 log_has "rooted: cannot switch to user 'root' \(uid 0\): the supervisor \(uid $who\) lacks CAP_SETGID and CAP_SETUID; restarting in"
    check "$label: counted, and given up after max_retries" wait_until 10 eval '[ "$(state_of rooted)" = failed ] && log_has "rooted: gave up after 2 failed starts"'
    check "$label: the other services are untouched" eval '[ "$(state_of app)" = running ]'
    graceful_exit "$label"
    check "$label: nothing logged at error level but rooted's" eval '! grep -E "supervisor (error|critical):" "$LOG" | grep -vq "rooted:"'
done

# uid 1000 with no --socket: /run/supervisor.sock cannot be made (/run is root's), so the socket
# falls back to /tmp/supervisor-1000/ (XDG_RUNTIME_DIR unset), and the client of that uid finds
# it the same way. /tmp is a fresh tmpfs in the namespace; the test dir is seen as /srv.
label="uid 1000, default socket"
TV=/srv NSCONF=/srv/conf
basic_services
AS="env -u SUPERVISOR_SOCKET -u XDG_RUNTIME_DIR setpriv --reuid 1000 --regid 1000 --clear-groups"
field_pid1 "mount --bind $T /srv && mount -t tmpfs -o mode=1777 tmpfs /tmp"
if check_up "$label: the socket falls back to /tmp/supervisor-1000/" wait_until 10 sock_in_tmp 1000; then
    check "$label: a directory of its own, mode 0700" eval '[ "$(stat -c %a:%u "/proc/$SPID/root/tmp/supervisor-1000")" = 700:1000 ]'
    basic_checks "$label"
    check "$label: the client of uid 1000 finds it the same way" \
        eval 'in_ns env -u SUPERVISOR_SOCKET -u XDG_RUNTIME_DIR setpriv --reuid 1000 --regid 1000 --clear-groups "$BIN" status app | grep -q running'
fi
graceful_exit "$label"
finish
