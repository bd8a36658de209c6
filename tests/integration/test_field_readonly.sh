#!/usr/bin/env bash
# Container conditions, read-only root (docker run --read-only, readOnlyRootFilesystem): / is a
# read-only bind in PID 1's mount namespace, the config directory and /proc in place.
# - a writable /run: the default socket /run/supervisor.sock, found by the client by default;
# - /run read-only: the documented fallback, $XDG_RUNTIME_DIR/supervisor.sock, else a socket
#   under /tmp/supervisor-UID/, else no socket and one warning; the services run in every case;
# - an explicit --socket that cannot be made: an error naming it, exit status 70.
# `status --wait-ready` works as a HEALTHCHECK wherever a socket could be made.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/field_lib.sh"

# Inside the namespace the test dir is /srv (so /tmp can be a fresh tmpfs, not the host's /tmp).
TV=/srv
NSCONF=/srv/conf
basic_services
BIND="mount --bind $T /srv"
RO="mount -o remount,bind,ro /"
AS="env -u SUPERVISOR_SOCKET -u XDG_RUNTIME_DIR"
client_in_ns() { in_ns env -u SUPERVISOR_SOCKET -u XDG_RUNTIME_DIR "$@" "$BIN" status --wait-ready 5s >/dev/null; }

label="read-only root, writable /run"
field_pid1 "$BIND && mount -t tmpfs tmpfs /run && $RO"
check_up "$label: up, default socket /run/supervisor.sock" up_in_ns /run/supervisor.sock
check "$label: / is read-only there" eval '! in_ns touch /etc/.supervisor-field-test 2>/dev/null'
basic_checks "$label"
check "$label: the client finds the default socket (status --wait-ready)" client_in_ns
graceful_exit "$label"

label="read-only root and /run, XDG_RUNTIME_DIR set"
mkdir -p "$T/xdg" && chmod 700 "$T/xdg"
AS="env -u SUPERVISOR_SOCKET XDG_RUNTIME_DIR=/srv/xdg"
field_pid1 "$BIND && $RO"
if check_up "$label: the socket falls back to \$XDG_RUNTIME_DIR/supervisor.sock" up_in_ns /srv/xdg/supervisor.sock; then
    basic_checks "$label"
    check "$label: the client finds it the same way" client_in_ns XDG_RUNTIME_DIR=/srv/xdg
fi
graceful_exit "$label"

label="read-only root and /run, no XDG_RUNTIME_DIR"
AS="env -u SUPERVISOR_SOCKET -u XDG_RUNTIME_DIR"
field_pid1 "$BIND && mount -t tmpfs tmpfs /tmp && $RO"
if check_up "$label: the socket falls back to /tmp/supervisor-0/" wait_until 10 sock_in_tmp 0; then
    check "$label: only its owner may enter /tmp/supervisor-0" eval '[ "$(stat -c %a:%u "/proc/$SPID/root/tmp/supervisor-0")" = 700:0 ]'
    basic_checks "$label"
    check "$label: the client finds it the same way" client_in_ns
fi
graceful_exit "$label"

label="read-only root, /run and /tmp"
field_pid1 "$BIND && $RO"
wait_until 10 eval 'SPID=$(pgrep -P "$UPID") && [ -n "$SPID" ]'
check "$label: the services run all the same" wait_until 10 eval 'in_ns pgrep -f "recorder.sh /srv/pub/app.signals" >/dev/null'
check "$label: one warning says there is no control socket" wait_until 5 eval '[ "$(grep -c "supervisor warn.*socket" "$LOG")" = 1 ]'
check "$label: and no error" eval '! grep -qE "supervisor (error|critical)" "$LOG"'
check "$label: orphans reaped" wait_until 5 eval '[ "$(zombies)" = 0 ]'
check "$label: the client says the supervisor cannot be reached (exit 3)" eval 'client_in_ns; [ $? = 3 ]'
graceful_exit "$label"

label="read-only root, explicit --socket"
field_pid1 "$BIND && $RO" --socket /run/supervisor-explicit.sock
check "$label: refused with exit status 70" eval 'wait_exit 10 && [ "$EXIT" = 70 ]'
check "$label: the error names the socket and the reason" grep -qiE "/run/supervisor-explicit.sock.*read-only file system" "$LOG"
check "$label: nothing was started" eval '! log_has "started \(pid"'
finish
