#!/usr/bin/env bash
# A service's notify socket hears only the service: its name is not predictable, another process
# of the namespace that learns it cannot say READY=1 for the service, and STATUS= reaches
# `status` without control characters (no ANSI escapes on an operator's terminal).
source "$(dirname "$0")/lib.sh"
cat >"$T/svc.py" <<'PY'
import os, socket, sys, time
open(sys.argv[1], "w").write(os.environ["NOTIFY_SOCKET"])
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
addr = os.environ["NOTIFY_SOCKET"]
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1\nSTATUS=up \x1b[2J\x1b[31mred\rcr", "\0" + addr[1:])
time.sleep(100000)
PY
service svc "command = [\"$PY\", \"$T/svc.py\", \"$T/addr\", \"$T/go\"]
[ready]
notify = true"
start_pid1
check "the service got its socket" wait_until 10 test -s "$T/addr"
check "its name has 128 random bits" grep -qE '^@supervisor/svc/[0-9a-f]{32}$' "$T/addr"
# Another process of the namespace (not of the service's process group) that knows the name.
# One as root that stays alive (its process group is checked), one as nobody that exits at once.
in_ns "$PY" -c 'import socket, sys, time; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1\nSTATUS=forged", "\0" + sys.argv[1][1:]); time.sleep(2)' "$(cat "$T/addr")" &
in_ns setpriv --reuid=65534 --regid=65534 --clear-groups "$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1\nSTATUS=forged", "\0" + sys.argv[1][1:])' "$(cat "$T/addr")"
check "a forged READY=1 from outside the service is not heard" eval '! ctl status --wait-ready svc --timeout 1s >/dev/null 2>&1 && ! status_row svc | grep -q forged'
touch "$T/go"
check "the service's own READY=1 is" eval 'ctl status --wait-ready svc --timeout 10s >/dev/null'
ctl status svc >"$T/status"
check "its STATUS= is shown without control characters" eval 'grep -q "up \[2J\[31mredcr" "$T/status" && ! grep -q $'"'"'\x1b'"'"' "$T/status"'
finish
