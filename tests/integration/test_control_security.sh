#!/usr/bin/env bash
# The control socket: mode 0600, peers checked with SO_PEERCRED (another uid is refused with a
# clear message), and malformed, oversized, silent or too many requests get an error or a close
# without hurting PID 1 (it answers afterwards, and has no more fds than before).
source "$(dirname "$0")/lib.sh"

service web "command = [\"sh\", \"$T/recorder.sh\", \"$T/web.signals\"]"
start_pid1
ctl status --wait-ready 10s >/dev/null
WEB=$(pid_of web)
FDS=$(fd_count)

# Permissions
check "the socket is mode 0600, owned by root" test "$(stat -c '%a %U' "$SOCK")" = "600 root"
chmod 0755 "$T"
cp "$BIN" "$T/client"
as_nobody() { OUT=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$T/client" "$@" --socket "$SOCK" 2>&1); RC=$?; }
as_nobody status
check "uid 65534, socket 0600: cannot connect, exit 3, says why" \
    eval '[ "$RC" = 3 ] && out_has "Permission denied" && out_has "only root or the supervisor.s own user"'
chmod 0666 "$SOCK"  # let the connect through: now the server itself must refuse by uid
# Twenty times each: the refusal must be the clear message every time, not a send error.
refused() {
    local i
    for i in $(seq 1 20); do
        as_nobody "$@"
        [ "$RC" != 0 ] && out_has "^permission denied: uid 65534 may not control the supervisor" || { echo "# $* -> exit $RC: $OUT"; return 1; }
    done
}
check "uid 65534, socket 0666: status refused by SO_PEERCRED, non-zero, clear message (20 tries)" refused status
check "uid 65534: stop refused, same message" refused stop web
check "uid 65534: shutdown refused, same message" refused shutdown
chmod 0600 "$SOCK"
check "web untouched by the refused requests" eval '[ "$(pid_of web)" = "$WEB" ] && [ ! -e "$T/web.signals" ]'

# Malformed input straight on the socket. Each case prints "NAME: ERR <first line>", "NAME: OK",
# "NAME: closed" (no answer), or "NAME: sent" (the client left without reading).
cat >"$T/raw.py" <<'EOF'
import random, socket, sys, time

path = sys.argv[1]

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)  # blocking: waits while the listen backlog is full
    s.settimeout(15)
    return s

def answer(s):
    data = b""
    try:
        while chunk := s.recv(65536):
            data += chunk
    except (ConnectionResetError, socket.timeout) as e:
        if not data:
            return "closed" if isinstance(e, ConnectionResetError) else "hung"
    s.close()
    if not data:
        return "closed"
    first, _, rest = data.partition(b"\n")
    return (first.decode() + " " + rest.decode(errors="replace").split("\n")[0]).strip()

def ask(name, payload, half_close=False):
    s = connect()
    try:
        s.sendall(payload)
        if half_close:
            s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        pass
    print(f"{name}: {answer(s)}", flush=True)

case = sys.argv[2]
if case == "idle":  # connects, sends nothing, stays: the server's 10 s timeout answers
    print(f"idle: {answer(connect())}", flush=True)
elif case == "malformed":
    ask("empty", b"\n")
    ask("cr", b"\r\n")
    ask("spaces", b"   \t \n")
    ask("10k", b"a" * 10240)
    ask("10k-line", b"status " + b"x" * 10240 + b"\n")
    rnd = random.Random(1)
    ask("binary", bytes(rnd.randrange(256) for _ in range(2048)), half_close=True)
    ask("control", b"status\x01\x1b[2J\n")
    ask("nul", b"status\x00web\n")
    ask("verb", b"frobnicate web\n")
    ask("option", b"stop --force web\n")
    ask("eof", b"status web", half_close=True)  # no newline, then EOF: still a request
    s = connect(); s.close(); print("silent: sent", flush=True)
    s = connect(); s.sendall(b"stat"); s.close(); print("partial: sent", flush=True)
    s = connect(); s.sendall(b"restart web\n"); s.close(); print("gone-before-answer: sent", flush=True)
elif case == "many":  # 200 connections at once, then a request on each
    socks = [connect() for _ in range(200)]
    for s in socks:
        try:
            s.sendall(b"status web\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
    results = [answer(s).split(" ")[0] for s in socks]
    print("many: " + " ".join(f"{r}={results.count(r)}" for r in sorted(set(results))), flush=True)
elif case == "hold":  # takes every one of the 64 slots with idle connections until killed
    socks = [connect() for _ in range(65)]
    print("held", flush=True)
    time.sleep(30)
EOF
"$PY" "$T/raw.py" "$SOCK" idle >"$T/idle.out" 2>&1 &
IDLE=$!
"$PY" "$T/raw.py" "$SOCK" malformed >"$T/raw.out" 2>&1
"$PY" "$T/raw.py" "$SOCK" many >>"$T/raw.out" 2>&1
sed 's/^/# /' "$T/raw.out"
said() { grep -qE -- "^$1: $2" "$T/raw.out"; }
check "empty line: ERR" said empty "ERR empty request"
check "CR LF only: ERR" said cr "ERR empty request"
check "blanks only: ERR" said spaces "ERR empty request"
check "10 KB without newline: ERR or close" said 10k "(ERR request too long|closed)"
check "a 10 KB line: ERR or close" said 10k-line "(ERR request too long|closed)"
check "binary garbage: ERR or close" said binary "(ERR |closed)"
check "control characters: ERR" said control "ERR request has control characters"
check "a NUL byte: ERR" said nul "ERR request has control characters"
check "unknown verb: ERR" said verb 'ERR unknown command "frobnicate"'
check "unknown option: ERR" said option "ERR stop: unknown option --force"
check "a request ended by EOF instead of a newline: answered" said eof "OK NAME"
check "200 connections at once: each answered or closed, some served" said many "(ERR=[0-9]+ )?OK=[0-9]+( closed=[0-9]+)?$"
# With every slot taken by idle clients, the client says so, every time (not a send error).
"$PY" "$T/raw.py" "$SOCK" hold >"$T/hold.out" 2>&1 &
HOLD=$!
full() {
    local i
    # 10 tries: well inside the 10 s after which the server drops the idle holders, even in the
    # sanitizer build.
    for i in $(seq 1 10); do
        run_ctl status
        [ "$RC" != 0 ] && out_has "too many connections; try again" || { echo "# try $i: exit $RC: $OUT"; return 1; }
    done
}
wait_until 10 grep -q held "$T/hold.out"
check "all slots taken: status fails with \"too many connections\" (10 tries)" full
kill "$HOLD"; wait "$HOLD" 2>/dev/null
check "a silent client: ERR after the server's timeout" eval 'wait "$IDLE"; grep -q "^idle: ERR no request received in time" "$T/idle.out"'

# PID 1 is unharmed.
check "PID 1 is alive" alive 1
run_ctl status
check "status still works" eval '[ "$RC" = 0 ] && out_has "^web "'
restarted() { [ "$(state_of web)" = running ] && [ "$(pid_of web)" != "$WEB" ]; }
check "the restart whose client left before the answer was carried out" wait_until 10 restarted
fds_back() { [ "$(fd_count)" -le "$FDS" ]; }
check "no fd growth (PID 1 back to $FDS fds)" wait_until 10 fds_back
echo "# fds: $FDS before, $(fd_count) after"

finish
