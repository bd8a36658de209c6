#!/usr/bin/env bash
# What a new user meets first: a typo in CMD, an odd file in the config directory, a control
# socket that cannot be made (a non-root uid, a read-only root, a missing directory, one in
# use). PID 1 never crashes, never hangs, never exits without a word, and runs the services
# whether or not it could make its control socket.
source "$(dirname "$0")/lib.sh"

U=4321  # a uid with no passwd entry; /tmp/supervisor-$U is its private socket directory
chmod 755 "$T" "$CONF"
trap 'rm -rf "/tmp/supervisor-$U"; cleanup' EXIT
rm -rf "/tmp/supervisor-$U"

# Runs `unshare ... CMD...` as PID 1 in the background, output in $LOG; $UPID, $SPID set.
pid1() {
    unshare --pid --fork --mount-proc --kill-child "$@" >"$LOG" 2>&1 &
    UPID=$!
    wait_until 5 eval 'SPID=$(pgrep -P "$UPID"); [ -n "$SPID" ]'
}
sv_running() { in_ns pgrep -x sleep >/dev/null; }
no_zombie() { ! in_ns ps -e -o stat= | grep -q '^Z'; }

# ---- a typo in the command -----------------------------------------------------------------
pid1 "$BIN" --config-dir "$CONF" --socket "" -- nosuchcmd
check "-- nosuchcmd: PID 1 exits 127 (not a crash)" eval 'wait_exit 10 && [ "$EXIT" = 127 ]'
check "-- nosuchcmd: the log names the command" log_has "main: cannot find 'nosuchcmd' in PATH"

service app 'command = ["nosuchcmd"]
critical = true
restart.policy = "never"'
service other 'command = ["sleep", "1000"]'
pid1 "$BIN" --config-dir "$CONF" --socket ""
check "a critical service with a missing binary: PID 1 exits 127" eval 'wait_exit 10 && [ "$EXIT" = 127 ]'
check "... after saying why" log_has "app: cannot find 'nosuchcmd' in PATH"
rm -f "$CONF"/*.toml

# ---- odd files in the config directory ------------------------------------------------------
service ok 'command = ["sleep", "1000"]'
mkfifo "$CONF/fifo.toml"
OUT=$(timeout 10 "$BIN" check --config-dir "$CONF" 2>&1); RC=$?
check "check with a FIFO named *.toml ends (78), naming it" eval '[ "$RC" = 78 ] && out_has "fifo.toml: cannot read: is a FIFO, not a regular file"'
rm "$CONF/fifo.toml"
head -c 20000000 /dev/zero | tr '\0' '#' >"$CONF/big.toml"
mkdir "$CONF/dir.toml"
ln -s /dev/zero "$CONF/zero.toml"
OUT=$(timeout 10 "$BIN" check --config-dir "$CONF" 2>&1); RC=$?
check "check: a 20 MB file is refused by its size" out_has "big.toml: cannot read: is 20000000 bytes, over the limit of 1MiB"
check "check: a directory named *.toml is refused" out_has "dir.toml: cannot read: is a directory, not a regular file"
check "check: a link to /dev/zero is refused" out_has "zero.toml: cannot read: is a device, not a regular file"
rm -rf "$CONF/big.toml" "$CONF/dir.toml" "$CONF/zero.toml"

start_pid1
wait_until 5 eval '[ "$(state_of ok)" = running ]'
pid=$(pid_of ok)
mkfifo "$CONF/fifo.toml"
head -c 20000000 /dev/zero | tr '\0' '#' >"$CONF/big.toml"
kill -HUP "$SPID"
check "SIGHUP with a FIFO and a 20 MB file: the reload is refused, naming both" \
    wait_until 10 eval 'log_has "fifo.toml: cannot read: is a FIFO" && log_has "big.toml: cannot read: is 20000000 bytes"'
check "... PID 1 still answers, the service untouched" eval '[ "$(state_of ok)" = running ] && [ "$(pid_of ok)" = "$pid" ]'
# (ASan's shadow memory and quarantine make RSS meaningless in the sanitizer build.)
[ -n "${ASAN_OPTIONS:-}" ] || check "... and its RSS stayed small (under 30 MB)" eval '[ "$(awk "/VmRSS/ { print \$2 }" /proc/$SPID/status)" -lt 30000 ]'
kill -TERM "$SPID"
check "... and SIGTERM still stops it: exit 0" eval 'wait_exit 10 && [ "$EXIT" = 0 ]'
rm -f "$CONF/fifo.toml" "$CONF/big.toml"

# ---- set-up failures are said, not silent ------------------------------------------------------
pid1 "$BIN" --config-dir "$CONF" --socket "$T/missing/dir/sock"
check "--socket in a missing directory: exit 70 with the cause" \
    eval 'wait_exit 5 && [ "$EXIT" = 70 ] && log_has "cannot start: cannot use $T/missing/dir for $T/missing/dir/sock: No such file or directory"'
start_pid1
"$BIN" --config-dir "$CONF" --socket "$SOCK" >"$T/second.log" 2>&1
RC=$?
check "--socket already in use: exit 70 with the cause" eval '[ "$RC" = 70 ] && grep -q "another supervisor is listening on $SOCK" "$T/second.log"'
kill -TERM "$SPID"; wait_exit 10

# ---- the control socket where a container lets us make one -------------------------------------
as_u() { setpriv --reuid "$U" --regid "$U" --clear-groups env -u SUPERVISOR_SOCKET -u XDG_RUNTIME_DIR HOME=/ "$@"; }
pid1 setpriv --reuid "$U" --regid "$U" --clear-groups env -u SUPERVISOR_SOCKET -u XDG_RUNTIME_DIR "$BIN" --config-dir "$CONF"
check "uid $U, no passwd entry, /run not writable: the service runs" wait_until 5 sv_running
check "... the socket is /tmp/supervisor-$U/supervisor.sock, said once" \
    eval 'wait_until 5 log_has "control socket at /tmp/supervisor-$U/supervisor.sock \(cannot listen on /run/supervisor.sock"'
check "... the directory is 0700 and its own" eval '[ "$(stat -c %a:%u "/tmp/supervisor-$U")" = "700:$U" ]'
check "... the client, as the same uid, finds it without --socket" eval 'as_u "$BIN" status ok | grep -q running'
check "... status --wait-ready works (a HEALTHCHECK)" as_u "$BIN" status --wait-ready 5s
kill -TERM "$SPID"
check "... SIGTERM: graceful exit 0" eval 'wait_exit 10 && [ "$EXIT" = 0 ]'

mkdir -m 700 "$T/xdg"; chown "$U:$U" "$T/xdg"
pid1 setpriv --reuid "$U" --regid "$U" --clear-groups env -u SUPERVISOR_SOCKET XDG_RUNTIME_DIR="$T/xdg" "$BIN" --config-dir "$CONF"
check "with XDG_RUNTIME_DIR: the socket is made there" wait_until 5 test -S "$T/xdg/supervisor.sock"
check "... and the client with the same XDG_RUNTIME_DIR finds it" \
    eval 'setpriv --reuid "$U" --regid "$U" --clear-groups env XDG_RUNTIME_DIR="$T/xdg" "$BIN" status ok | grep -q running'
kill -TERM "$SPID"; wait_exit 10

rm -rf "/tmp/supervisor-$U"
mkdir -m 755 "/tmp/supervisor-$U"  # someone else's directory at our private name
pid1 setpriv --reuid "$U" --regid "$U" --clear-groups env -u SUPERVISOR_SOCKET -u XDG_RUNTIME_DIR "$BIN" --config-dir "$CONF"
check "a /tmp/supervisor-UID made by someone else is not used; the service runs anyway" \
    eval 'wait_until 5 sv_running && wait_until 5 log_has "no control socket \(.*/tmp/supervisor-$U is not a directory of uid $U closed to others"'
kill -TERM "$SPID"; wait_exit 10
rm -rf "/tmp/supervisor-$U"

# A read-only root (docker run --read-only): no socket anywhere, the services run all the same.
pid1 sh -c "mount -o remount,bind,ro / && exec env -u SUPERVISOR_SOCKET -u XDG_RUNTIME_DIR '$BIN' --config-dir '$CONF'"
check "read-only root: the service runs" wait_until 5 sv_running
check "... one warning says there is no control socket and why" \
    eval 'wait_until 5 log_has "warn.*no control socket \(cannot listen on /run/supervisor.sock: read-only file system" && [ "$(grep -c "no control socket" "$LOG")" = 1 ]'
in_ns pkill -KILL -x sleep
check "... a killed service is restarted and reaped" eval 'wait_until 5 log_has "ok: killed by SIGKILL" && wait_until 5 sv_running && no_zombie'
kill -TERM "$SPID"
check "... SIGTERM: graceful exit 0" eval 'wait_exit 10 && [ "$EXIT" = 0 ]'

# The same with a tmpfs on /run (docker run --read-only --tmpfs /run): the default socket.
pid1 sh -c "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /run && exec env -u SUPERVISOR_SOCKET '$BIN' --config-dir '$CONF'"
check "read-only root with a tmpfs /run: the socket is /run/supervisor.sock" wait_until 5 in_ns test -S /run/supervisor.sock
check "... and the client finds it there" eval 'in_ns env -u SUPERVISOR_SOCKET "$BIN" status --wait-ready 5s'
kill -TERM "$SPID"
check "... SIGTERM: graceful exit 0" eval 'wait_exit 10 && [ "$EXIT" = 0 ]'

finish
