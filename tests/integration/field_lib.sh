# Helpers for the container-condition matrix (test_field_*.sh). Source lib.sh first.
#   field_pid1 SETUP ARGS...  the supervisor as PID 1 of fresh PID and mount namespaces. SETUP is
#                             shell run first inside them, as root (mounts); then the supervisor is
#                             exec'd (so it is PID 1) with --config-dir $CONF and ARGS, prefixed by
#                             the words of $AS (e.g. "setpriv --reuid 1000 ..."). /proc is mounted
#                             with the options in $PROC_OPTS; the whole namespace is in the cgroup
#                             directories of $CGROUPS. Sets $UPID; call up_at SOCKET next.
#   up_at SOCKET              wait for the control socket; sets $SPID and $SOCK
#   up_in_ns PATH             the same for a socket at PATH inside PID 1's mount namespace
#                             ($SOCK becomes /proc/$SPID/root/PATH)
#   zombies                   how many zombies the namespace holds
#   basic_services            app (a recorder), orphaner (crash loop leaving an orphan each run)
#   basic_checks LABEL        the services run, as children of PID 1, orphans reaped, no zombie
#   graceful_exit LABEL       SIGTERM: app got TERM, PID 1 exits 0
# The test dir is made world-readable and $T/pub world-writable, for non-root supervisors.
chmod 755 "$T"
mkdir -p "$T/pub" && chmod 1777 "$T/pub"
PROC_OPTS=""
AS=""
export CGROUPS="" # cgroup directories PID 1 is put in (pids, memory limits)
TV=$T     # $T as the supervisor sees it (a test may bind it elsewhere in the namespace)
NSCONF="" # --config-dir as the supervisor sees it, when not $CONF

field_pid1() {
    local setup=$1
    shift
    # shellcheck disable=SC2086 # $AS is a list of words
    # shellcheck disable=SC2016 # expanded by that sh
    sh -c 'for cg in $CGROUPS; do echo $$ >"$cg/cgroup.procs" || exit 1; done; exec "$@"' join \
        unshare --pid --fork --mount --propagation private --kill-child \
        sh -c "mount -t proc ${PROC_OPTS:+-o $PROC_OPTS} proc /proc && $setup"' && exec "$@"' field \
        $AS "$BIN" --config-dir "${NSCONF:-$CONF}" "$@" >"$LOG" 2>&1 &
    UPID=$!
}

# PID 1's socket under its /tmp/supervisor-UID (the fallback when /run is not writable); sets
# $SPID and $SOCK.
sock_in_tmp() {
    SPID=$(pgrep -P "$UPID") && [ -n "$SPID" ] || return 1
    local found
    found=$(find "/proc/$SPID/root/tmp/supervisor-$1" -maxdepth 1 -type s 2>/dev/null | head -n 1)
    [ -n "$found" ] && SOCK=$found
}

up_at() {
    SOCK=$1
    wait_until 10 test -S "$SOCK" || { echo "PID 1 did not open $SOCK; log:" >&2; cat "$LOG" >&2; return 1; }
    SPID=$(pgrep -P "$UPID")
}

up_in_ns() {
    wait_until 10 eval 'SPID=$(pgrep -P "$UPID") && [ -n "$SPID" ]' || return 1
    SOCK=/proc/$SPID/root$1
    wait_until 10 test -S "$SOCK" || { echo "PID 1 did not open $1; log:" >&2; cat "$LOG" >&2; return 1; }
}

# check_up DESC CMD...: one assertion like check, that also returns whether it held
check_up() {
    local desc=$1
    shift
    if "$@"; then check "$desc" true; else check "$desc" false; return 1; fi
}

zombies() { grep -l "^State:.Z" "/proc/$SPID/root/proc/"[0-9]*/status 2>/dev/null | wc -l; }
# /proc of the namespace, read from here (the namespace's own /etc may lack what awk needs)
ns_proc() { echo "/proc/$SPID/root/proc/$1"; }
ppid_in_ns() { awk '/^PPid/ { print $2 }' "$(ns_proc "$1")/status" 2>/dev/null; }
restarts_of() { ctl status --json "$1" | sed -n 's/.*"restarts": \([0-9]*\).*/\1/p'; }

basic_services() {
    service app "command = [\"sh\", \"$TV/recorder.sh\", \"$TV/pub/app.signals\"]"
    service orphaner 'command = ["sh", "-c", "sleep 0.3 & exit 1"]
restart.delay = "100ms"
restart.factor = 1.0'
}

basic_checks() {
    local label=$1 parent=${2:-1}
    check "$label: app runs" wait_until 10 eval '[ "$(state_of app)" = running ]'
    local pid
    pid=$(pid_of app)
    check "$label: app's pid is alive and a child of the supervisor" eval 'alive "$pid" && [ "$(ppid_in_ns "$pid")" = "$parent" ]'
    check "$label: a crash loop is restarted with backoff" wait_until 10 eval '[ "$(restarts_of orphaner)" -ge 3 ]'
    check "$label: every orphan is reaped (no zombie)" wait_until 5 eval '[ "$(zombies)" = 0 ]'
}

graceful_exit() {
    local label=$1
    rm -f "$T/pub/app.signals"
    kill -TERM "$SPID"
    check "$label: SIGTERM: PID 1 exits 0" eval 'wait_exit 15 && [ "$EXIT" = 0 ]'
    check "$label: app was stopped gracefully (got SIGTERM)" test "$(recorded "$T/pub/app.signals" TERM)" = 1
}
