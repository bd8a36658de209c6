#!/usr/bin/env bash
# PID 1 started with a NOTIFY_SOCKET of its own (Podman --sdnotify=container, a systemd unit):
# no service inherits it; PID 1 tells it READY=1 once every service is ready, and STOPPING=1
# as it shuts down.
source "$(dirname "$0")/lib.sh"

# The outer manager: a datagram socket that records every message.
"$PY" - "$T/outer.sock" "$T/outer.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    msg = s.recv(4096)
    with open(sys.argv[2], "ab") as f:
        f.write(msg + b"\n")
PY
wait_until 10 test -S "$T/outer.sock"

cat >"$T/plain.sh" <<EOF2
# A service without [ready] notify tries to speak for the container.
echo "plain sees NOTIFY_SOCKET=[\${NOTIFY_SOCKET-}]" >"$T/plain.env"
[ -n "\${NOTIFY_SOCKET-}" ] && "$PY" -c 'import os, socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1\nSTATUS=forged", os.environ["NOTIFY_SOCKET"])'
exec sleep 100000
EOF2
cat >"$T/late.py" <<'PY'
import os, socket, sys, time
open(sys.argv[1], "w").write(os.environ["NOTIFY_SOCKET"])
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
addr = os.environ["NOTIFY_SOCKET"]
addr = "\0" + addr[1:] if addr.startswith("@") else addr
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", addr)
time.sleep(100000)
PY
service plain "command = [\"/bin/sh\", \"$T/plain.sh\"]"
service late "command = [\"$PY\", \"$T/late.py\", \"$T/late.env\", \"$T/go\"]
[ready]
notify = true"

NOTIFY_SOCKET=$T/outer.sock start_pid1
check "a service without [ready] notify gets no NOTIFY_SOCKET" wait_until 10 grep -q "plain sees NOTIFY_SOCKET=\[\]" "$T/plain.env"
check "a notify service gets its own, not PID 1's" wait_until 10 eval '[ -s "$T/late.env" ] && ! grep -q outer.sock "$T/late.env"'
check "no READY=1 while a service is not ready" eval '! grep -q READY=1 "$T/outer.log" 2>/dev/null'
touch "$T/go"
check "READY=1 once every service is ready" wait_until 10 grep -qx READY=1 "$T/outer.log"
check "sent once" test "$(grep -c READY=1 "$T/outer.log")" = 1
ctl shutdown >/dev/null
check "STOPPING=1 at shutdown" wait_until 10 grep -qx STOPPING=1 "$T/outer.log"
wait_exit 10
finish
