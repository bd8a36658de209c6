#!/usr/bin/env bash
# The control socket at start-up: a listener at its path whose backlog is full must not block
# PID 1 (the liveness probe's connect was blocking); the socket is born 0600 without a chmod
# that could follow a symbolic link.
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

start_pid1
check "the control socket is born 0600" test "$(stat -c %a "$SOCK")" = 600
finish
