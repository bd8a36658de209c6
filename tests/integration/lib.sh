# Helpers for the reload and control tests (test_reload_*.sh, test_control_*.sh).
# Source it first thing; it makes a temp dir and a cleanup trap:
#   $T     the test's temp dir (removed at exit)   $CONF  the service directory ($T/conf)
#   $SOCK  the control socket ($T/sock)             $LOG   PID 1's stdout+stderr ($T/log)
#   $UPID  host pid of `unshare`                    $SPID  host pid of the supervisor (PID 1 inside)
# Functions:
#   start_pid1 [ARGS...]      run the supervisor as PID 1 of a new PID namespace; wait for its socket
#   ctl ARGS...               the client, on $SOCK
#   run_ctl ARGS...           the client; sets $OUT (stdout and stderr) and $RC
#   timed_ctl ARGS...         run_ctl, and sets $TOOK (seconds it took, with a fraction)
#   in_ns CMD...              run CMD in PID 1's namespaces (its /proc, its pids)
#   alive PID / gone PID      a pid of the namespace exists and is no zombie / does not exist
#   pid_of NAME, state_of NAME, names      from `status`
#   status_row NAME           the service's row of `status NAME` (its last lines follow the table)
#   wait_until SECONDS CMD... poll CMD until it succeeds; 1 at the deadline
#   wait_exit SECONDS         wait for PID 1 to exit; sets $EXIT (its exit status)
#   check DESC CMD...         one assertion: runs CMD, counts and prints ok/FAIL
#   log_has ERE, out_has ERE  PID 1's log / $OUT matches
#   now_ts; log_count_since TS ERE         lines of the log stamped TS or later that match
#   fd_count                  open fds of PID 1
#   service NAME TEXT         write $CONF/NAME.toml atomically (write, then rename)
#   recorded FILE SIG         how many times a recorder (below) got SIG
#   finish                    print "N passed, M failed", clean up, exit 0 only if none failed
# $T/recorder.sh FILE [EXIT_SIGNAL] is a service that appends the name of every signal it gets
# to FILE, one a line, and exits 0 on EXIT_SIGNAL (default TERM).
# (tests/integration/lib.sh did not exist yet when these were written; the helpers keep the
# names it was announced with.)
set -u
if [ "$(id -u)" != 0 ]; then echo "needs root (unshare --pid)" >&2; exit 1; fi

BIN=${SUPERVISOR_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/supervisor}
PY=$(command -v /usr/bin/python3 || command -v python3)
T=$(mktemp -d /tmp/sv-test.XXXXXX)
CONF=$T/conf
SOCK=$T/sock
LOG=$T/log
UPID=""
SPID=""
PASSED=0
FAILED=0
mkdir -p "$CONF"

# Some tests mount a fresh tmpfs on /tmp inside their namespaces: a binary under /tmp (a clone
# there) would vanish from under them, so it runs from a copy elsewhere.
BIN_COPY=""
case "$BIN" in
    /tmp/*)
        BIN_COPY=$(mktemp -d /var/tmp/sv-bin.XXXXXX)
        chmod 755 "$BIN_COPY"
        cp "$BIN" "$BIN_COPY/supervisor"
        BIN=$BIN_COPY/supervisor
        ;;
esac

cleanup() {
    [ -n "$BIN_COPY" ] && rm -rf "$BIN_COPY"
    local job
    # --kill-child: when unshare dies, PID 1 dies, and with it every process of its namespace.
    for job in $(jobs -p); do kill -9 "$job" 2>/dev/null; done
    { wait; } 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$T/recorder.sh" <<'EOF'
out=$1 stop=${2:-TERM}
for s in HUP INT QUIT USR1 USR2 ALRM TERM CONT; do
    if [ "$s" = "$stop" ]; then trap "echo $s >>$out; exit 0" "$s"; else trap "echo $s >>$out" "$s"; fi
done
while :; do sleep 5 & wait $!; done
EOF

start_pid1() {
    unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$CONF" --socket "$SOCK" "$@" >"$LOG" 2>&1 &
    UPID=$!
    wait_until 10 test -S "$SOCK" || { echo "PID 1 did not open $SOCK; log:" >&2; cat "$LOG" >&2; return 1; }
    SPID=$(pgrep -P "$UPID")
}

ctl() { "$BIN" "$@" --socket "$SOCK"; }
run_ctl() { OUT=$("$BIN" "$@" --socket "$SOCK" 2>&1); RC=$?; }
timed_ctl() {
    local t0=$EPOCHREALTIME
    run_ctl "$@"
    TOOK=$(awk "BEGIN { print $EPOCHREALTIME - $t0 }")
}

in_ns() { nsenter -t "$SPID" -p -m -- "$@"; }
alive() { [ -n "$1" ] && [ "$1" != - ] && in_ns grep -q '^State:.[^Z]' "/proc/$1/status" 2>/dev/null; }
gone() { ! in_ns test -e "/proc/$1"; }

# From the status table: NAME STATE READY HEALTH PID ...
pid_of() { ctl status "$1" 2>/dev/null | awk 'NR == 2 { print $5 }'; }
state_of() { ctl status "$1" 2>/dev/null | awk 'NR == 2 { print $2 }'; }
status_row() { ctl status "$1" 2>/dev/null | sed -n 2p; }
names() { ctl status 2>/dev/null | awk 'NR > 1 { print $1 }' | sort | xargs; }

wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}

pid1_exited() { [ ! -e "/proc/$UPID" ] || grep -q '^State:.Z' "/proc/$UPID/status" 2>/dev/null; }
wait_exit() {
    EXIT=""
    wait_until "$1" pid1_exited || return 1
    wait "$UPID"
    EXIT=$?
    UPID=""
}

check() {
    local desc=$1
    shift
    if "$@"; then
        PASSED=$((PASSED + 1))
        echo "ok   - $desc"
    else
        FAILED=$((FAILED + 1))
        echo "FAIL - $desc"
    fi
}

log_has() { grep -qE -- "$1" "$LOG"; }
out_has() { grep -qE -- "$1" <<<"$OUT"; }
now_ts() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
log_count_since() { awk -v ts="$1" -v re="$2" '$1 >= ts && $0 ~ re' "$LOG" | wc -l; }
fd_count() { ls "/proc/$SPID/fd" | wc -l; }
recorded() { cat "$1" 2>/dev/null | grep -c "^$2\$"; }

service() {
    printf '%s\n' "$2" >"$CONF/.$1.tmp" && mv -f "$CONF/.$1.tmp" "$CONF/$1.toml"
}

finish() {
    if [ "$FAILED" -gt 0 ] && [ -s "$LOG" ]; then
        echo "--- PID 1 log (last 40 lines) ---"
        tail -n 40 "$LOG"
    fi
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
    exit
}
