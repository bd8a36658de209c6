#!/usr/bin/env bash
# PID 1's stdout is a socket (not reopenable through /proc) shared with the `--` command, which
# inherits it: PID 1 must not make it non-blocking (the command would get EAGAIN; Python raised
# BlockingIOError after 256 KiB). A slow reader on the other end of a socketpair; the command
# writes 4 MiB and must finish with all of it delivered.
source "$(dirname "$0")/lib.sh"
"$PY" - "$BIN" "$CONF" "$SOCK" "$LOG" "$PY" >"$T/result" 2>&1 <<'PY'
import os, socket, subprocess, sys, time
binary, conf, sock, log, py = sys.argv[1:]
writer = "import sys\nfor _ in range(64): sys.stdout.buffer.write(b'x' * 65535 + b'\\n')\nsys.stdout.flush()\n"
a, b = socket.socketpair()
p = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", binary, "--config-dir", conf,
                      "--socket", sock, "--", py, "-c", writer], stdout=a, stderr=open(log, "wb"))
a.close()
got = 0
deadline = time.time() + 60
b.settimeout(1)
while time.time() < deadline:
    try:
        chunk = b.recv(65536)
    except socket.timeout:
        if p.poll() is not None: break
        continue
    if not chunk: break
    got += chunk.count(b"\n")
    time.sleep(0.01)  # a slow reader: the socket's buffer stays full
print("lines", got, "exit", p.wait(timeout=30))
PY
cat "$T/result"
check "the command wrote all 64 lines through the shared socket" grep -q "^lines 64 " "$T/result"
check "and exited 0 (no EAGAIN / BlockingIOError)" grep -q " exit 0$" "$T/result"
check "no BlockingIOError in the log" eval '! grep -q BlockingIOError "$LOG"'
finish
