#!/usr/bin/env bash
# The control socket at start-up: a listener at its path whose backlog is full must not block
# PID 1 (the liveness probe's connect was blocking); the socket is born 0600 without a chmod
# that could follow a symbolic link (checked under strace); a regular file at the path is an error.
source "$(dirname "$0")/lib.sh"

# A listener that never accepts, its backlog filled by clients of its own.
"$PY" - "$SOCK" "$T/full" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(0)
clients = []
while True:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.setblocking(False)
    try:
        c.connect(sys.argv[1])
        clients.append(c)
    except BlockingIOError:
        break
open(sys.argv[2], "w").write(str(len(clients)))
time.sleep(100000)
PY
LISTENER=$!
check "the squatter's backlog is full" wait_until 10 test -s "$T/full"
unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$CONF" --socket "$SOCK" >"$T/first.log" 2>&1 &
UPID=$!
check "PID 1 does not hang on it: it exits" wait_exit 10
check "with an error naming the listener" grep -q "cannot start: another process is listening on $SOCK" "$T/first.log"
kill "$LISTENER"; wait "$LISTENER" 2>/dev/null
rm -f "$SOCK"

# A regular file at the socket path is not a socket: PID 1 stops at once, saying so.
: > "$SOCK"
unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$CONF" --socket "$SOCK" >"$T/file.log" 2>&1 &
UPID=$!
check "a regular file at --socket: PID 1 exits within 5 s" wait_exit 5
check "with status 70 and a message naming the path" eval '[ "$EXIT" = 70 ] && grep -q "$SOCK" "$T/file.log"'
check "the file is left alone" test -f "$SOCK"
rm -f "$SOCK"

# Born 0600 by the umask alone: PID 1 traced, no chmod-family call at all (a chmod by path
# after the bind would follow a symbolic link put at the path meanwhile).
# (LeakSanitizer cannot work under ptrace: the sanitizer build checks leaks everywhere else.)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -e trace=/chmod -o "$T/trace" \
  unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$CONF" --socket "$SOCK" >"$LOG" 2>&1 &
UPID=$!
check "PID 1 under strace opens its socket" wait_until 10 test -S "$SOCK"
check "the control socket is born 0600" test "$(stat -c %a "$SOCK")" = 600
check "the client talks to it" eval 'ctl status >/dev/null'
SPID=$(pgrep -P "$(pgrep -P "$UPID")")
kill -TERM "$SPID"
check "PID 1 ends on SIGTERM" wait_exit 10
check "the trace is complete (it saw PID 1 exit)" grep -q "+++ exited with" "$T/trace"
check "no chmod, fchmod or fchmodat was called" eval '! grep -E "chmod" "$T/trace"'
finish
