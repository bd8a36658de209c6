#!/usr/bin/env bash
# `supervisor logs`: each service's recent lines kept in PID 1 ([log] buffer) with what the
# supervisor said about it; -n counts, both streams in order, a line longer than the buffer,
# followers across a crash-restart and a reload, ten followers on 1,000,000 lines (a stopped one
# loses lines, counted; the others and the console lose none), the end of -f at shutdown, a
# follower killed while its lines flow, at most 16 followers, and other uids refused.
source "$(dirname "$0")/lib.sh"
# The fast followers write to tmpfs: on a disk, writeback throttling makes them slow readers.
SHM=$(mktemp -d /dev/shm/sv-logs.XXXXXX)
trap 'rm -rf "$SHM"; cleanup' EXIT
# follow FILE ARGS...: `logs -f ARGS` in the background, the client's own pid in $!
follow() { local out=$1; shift; "$BIN" logs -f "$@" --socket "$SOCK" >"$out" 2>&1 & }

service counter 'command = "i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo line $i; done; echo done >&2; exec sleep 100000"'
# Each line waits for the one before it to be in PID 1's buffer: the order between the two
# pipes is then the order they were written in, however the loop happens to read them.
cat >"$T/both.sh" <<EOS
kept() { until "$BIN" logs -n all both --socket "$SOCK" | grep -qx "\$1"; do :; done; }
for i in 1 2 3 4 5; do
    echo "out \$i"; kept "both | out \$i"
    echo "err \$i" >&2; kept "both:err | err \$i"
done
exec sleep 100000
EOS
service both "command = [\"sh\", \"$T/both.sh\"]"
# (it waits until its start is logged: any line after the long one would push it out)
service big 'command = "until [ -e '"$T/big.go"' ]; do sleep 0.01; done; head -c 5000 /dev/zero | tr \"\\\\0\" x; echo; exec sleep 100000"
log.buffer = "1KiB"'
service flap 'command = "echo hello from $$; exec sleep 100000"
restart.delay = "100ms"'
service quiet 'command = "exec sleep 100000"
log.buffer = "0"'
service flood 'command = "echo ready; while [ ! -e '"$T/go"' ]; do sleep 0.01; done; awk \"BEGIN { for (i = 1; i <= 1000000; i++) printf \\\"flood %07d\\\\n\\\", i; print \\\"flood over\\\" }\"; exec sleep 100000"
enabled = false'
service chatty 'command = "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.005; done"
enabled = false'
service notready 'command = "exec sleep 100000"
enabled = false
ready.tcp = "127.0.0.1:1"
ready.interval = "200ms"'
start_pid1
ctl status --wait-ready 10s >/dev/null
touch "$T/big.go"

# -n: exact counts of the last lines
check "counter wrote its 100 lines" wait_until 10 eval '[ "$(ctl logs -n all counter | grep -c "^counter | line")" = 100 ]'
check "-n 5: exactly 5 lines, the last ones" eval '[ "$(ctl logs -n 5 counter | wc -l)" = 5 ] && [ "$(ctl logs -n 5 counter)" = "$(ctl logs -n all counter | tail -5)" ]'
check "default: the last 30" eval '[ "$(ctl logs counter | wc -l)" = 30 ]'
check "-n 0: nothing, exit 0" eval '[ -z "$(ctl logs -n 0 counter)" ]'
check "-n all: the 100 lines in order, the supervisor's start among them" eval '
    ctl logs -n all counter | grep "^counter | line" | awk "{ if (\$4 != NR) bad++ } END { exit bad || NR != 100 }" &&
    ctl logs -n all counter | grep -qE "^supervisor \| counter: started \(pid [0-9]+\)$"'
check "several services: N per service, interleaved by the order they came" eval '
    out=$(ctl logs -n 3 counter flap); [ "$(grep -c "counter" <<<"$out")" = 3 ] && [ "$(grep -c "flap" <<<"$out")" = 2 ] &&
    [ "$(wc -l <<<"$out")" = 5 ]'
check "several services: one time order across them (not grouped by service)" eval 'ctl logs --json -n all counter flap | $PY -c "
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert {r[\"service\"] for r in rows} == {\"counter\", \"flap\"}, rows
assert [r[\"time\"] for r in rows] == sorted(r[\"time\"] for r in rows), rows
"'
check "all services when none is named" eval 'out=$(ctl logs -n all); grep -q "^counter | line 1$" <<<"$out" && grep -q "^flap | hello" <<<"$out"'
check "--json: one object per line with time, service, stream" eval 'ctl logs --json -n all counter | $PY -c "
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert [r[\"line\"] for r in rows if r[\"stream\"] == \"stdout\"] == [\"line %d\" % i for i in range(1, 101)], rows
assert any(r[\"stream\"] == \"stderr\" and r[\"line\"] == \"done\" for r in rows)
assert any(r[\"stream\"] == \"supervisor\" and r[\"line\"].startswith(\"started (pid\") and r[\"level\"] == \"info\" for r in rows)
assert all(r[\"service\"] == \"counter\" and r[\"time\"].endswith(\"Z\") for r in rows)"'
check "--since: a duration back, and a time" eval '
    [ "$(ctl logs -n all --since 1h counter | wc -l)" = "$(ctl logs -n all counter | wc -l)" ] &&
    [ -z "$(ctl logs -n all --since "$(date -u -d "+1 min" +%Y-%m-%dT%H:%M:%SZ)" counter)" ]'
run_ctl logs counter nosuch
check "an unknown service: exit 1, the valid names listed" eval '[ "$RC" = 1 ] && out_has "unknown service: nosuch" && out_has "services: big, both, chatty, counter, flap, flood, notready, quiet"'
run_ctl logs -n many
check "a usage error: exit 2" eval '[ "$RC" = 2 ] && out_has "is not a number of lines"'
check "buffer \"0\": nothing kept" eval '[ -z "$(ctl logs -n all quiet)" ]'

# Both streams, in the order they were written
check "stdout and stderr lines in the order written" wait_until 20 eval '
    [ "$(ctl logs -n all both | grep -E "^both(:err)? \| " | xargs)" = "both | out 1 both:err | err 1 both | out 2 both:err | err 2 both | out 3 both:err | err 3 both | out 4 both:err | err 4 both | out 5 both:err | err 5" ]'

# A line longer than the whole buffer (1 KiB): kept cut, the loss said; the lines after it kept
check "a line longer than the buffer: cut to fit, with how much was lost" wait_until 10 eval '
    line=$(ctl logs -n all big | grep "^big | x"); [ "$(grep -o x <<<"$line" | wc -l)" = 992 ] &&
    grep -q "\[... 4008 more bytes not kept: the line is longer than \[log\] buffer\]$" <<<"$line"'
check "the console has the whole line" eval '[ "$(grep "^big | x" "$LOG" | tr -cd x | wc -c)" = 5000 ]'

# The supervisor's own messages: why a service is not ready, once per new reason
ctl start notready --timeout 300ms >/dev/null 2>&1
check "not ready: the probe's answer is kept with the service's lines, once" wait_until 10 eval '
    [ "$(ctl logs -n all notready | grep -c "^supervisor | notready: not ready: cannot connect to 127.0.0.1:1")" = 1 ]'

# status NAME: the table, then the last lines
check "status NAME ends with its last 10 lines" eval '[ "$(ctl status counter | tail -10)" = "$(ctl logs -n 10 counter)" ] && [ "$(ctl status counter | wc -l)" = 13 ]'

# A follower across a crash-restart and a reload, and one of all services that sees a new one
follow "$T/f.flap" -n 1 flap
FLAP_F=$!
follow "$T/f.all" -n 1
ALL_F=$!
OLD=$(pid_of flap)
check "two followers in place" wait_until 10 eval '[ -s "$T/f.flap" ] && [ -s "$T/f.all" ]'
ctl signal flap KILL >/dev/null
check "follower: the crash and the restart" wait_until 10 eval '
    grep -qE "^supervisor \| flap: killed by SIGKILL; restarting in" "$T/f.flap" && grep -qE "^flap \| hello from [0-9]+$" "$T/f.flap" &&
    grep -qE "^supervisor \| flap: started" "$T/f.flap"'
check "the restarted run's line" eval 'NEW=$(pid_of flap); [ "$NEW" != "$OLD" ] && grep -qx "flap | hello from $NEW" "$T/f.flap"'
service flap 'command = "echo version two; exec sleep 100000"
restart.delay = "100ms"'
service newcomer 'command = "echo I came with a reload; exec sleep 100000"'
ctl reload >/dev/null
check "follower: across a reload, the new command's line" wait_until 10 grep -qx "flap | version two" "$T/f.flap"
check "following all: a service added by the reload appears" wait_until 10 grep -qx "newcomer | I came with a reload" "$T/f.all"
check "following one: only its lines" eval '! grep -q "newcomer" "$T/f.flap"'
check "the followers still run" eval 'kill -0 $FLAP_F && kill -0 $ALL_F'
kill $ALL_F 2>/dev/null

# Ten followers while flood writes 1,000,000 lines: nine read, one is stopped. Flood waits
# for $T/go, so that every follower is in place (it printed flood's first line) before.
ctl start flood >/dev/null
for i in 1 2 3 4 5 6 7 8 9; do follow "$SHM/fast.$i" -n all flood; done
follow "$SHM/slow" -n all flood
SLOW=$!
in_place() { local f; for f in "$SHM"/fast.? "$SHM/slow"; do grep -q "^flood | ready$" "$f" || return 1; done; }
check "ten followers in place" wait_until 10 in_place
kill -STOP $SLOW
touch "$T/go"
check "the console: every flood line" wait_until 120 eval '[ "$(grep -c "^flood | flood " "$LOG")" = 1000001 ]'
check "...in order, none torn" eval 'grep "^flood | flood [0-9]" "$LOG" | awk "NR <= 1000000 { if (\$4 != sprintf(\"%07d\", NR)) bad++ } END { exit bad != 0 }"'
all_fast() { local i; for i in 1 2 3 4 5 6 7 8 9; do grep -q "^flood | flood over$" "$SHM/fast.$i" || return 1; done; }
check "nine fast followers got to the end" wait_until 60 all_fast
fast_ok() {
    local i
    for i in 1 2 3 4 5 6 7 8 9; do
        grep -q "dropped" "$SHM/fast.$i" && { echo "# fast.$i: $(grep dropped "$SHM/fast.$i")"; return 1; }
        [ "$(grep -c "^flood | flood " "$SHM/fast.$i")" = 1000001 ] || { echo "# fast.$i: $(grep -c "^flood | " "$SHM/fast.$i") lines"; return 1; }
    done
    grep "^flood | flood [0-9]" "$SHM/fast.1" | awk '{ if ($4 != sprintf("%07d", NR)) bad++ } END { exit bad != 0 }'
}
check "...each every line once, in order, no drop" fast_ok
check "PID 1 answers while a follower is stopped" eval 'ctl status flood >/dev/null'
kill -CONT $SLOW
# What came while it was full is lost (the end of the flood too); the count comes last, and
# with what it received makes what a fast follower got.
slow_accounted() {
    received=$(grep -vc "lines\? dropped (this reader was too slow)" "$SHM/slow")
    dropped=$(grep -oE "^\.\.\. [0-9]+ lines? dropped" "$SHM/slow" | awk '{ n += $2 } END { print n + 0 }')
    [ $((received + dropped)) = "$(wc -l <"$SHM/fast.1")" ]
}
check "the stopped follower, resumed: received + dropped (as told) = what a fast one got" wait_until 30 slow_accounted
echo "# slow follower: $received received + $dropped dropped"
check "...it did lose lines, and the count is its last line" eval '[ "$dropped" -gt 0 ] &&
    tail -1 "$SHM/slow" | grep -qE "^\.\.\. [0-9]+ lines dropped \(this reader was too slow\)$"'
check "...what it got came in order" eval 'grep "^flood | flood [0-9]" "$SHM/slow" | awk "{ if (\$4 <= last) bad++; last = \$4 } END { exit bad != 0 }"'

# At most 16 followers (11 follow now); a follower that leaves mid-stream frees its place
FDS=$(fd_count)
MORE=()
for i in 1 2 3 4 5; do follow "$T/more.$i" -n 1 counter; MORE+=($!); done
more_in_place() { local f; for f in "$T"/more.*; do [ -s "$f" ] || return 1; done; }
check "five more followers in place" wait_until 10 more_in_place
run_ctl logs -f counter
check "the 17th follower is refused, exit 1, with why" eval '[ "$RC" = 1 ] && out_has "too many followers: 16"'
check "logs without -f still answers" eval 'ctl logs -n 1 counter | grep -q counter'
kill -9 "${MORE[4]}"
check "a follower that left (killed) frees its place" wait_until 10 eval '
    timeout 1 "$BIN" logs -f -n 0 counter --socket "$SOCK" >/dev/null 2>&1; [ $? = 124 ]'
for p in $(jobs -p); do [ "$p" = "$UPID" ] || [ "$p" = "$FLAP_F" ] || kill -9 "$p" 2>/dev/null; done
check "every follower that left has its descriptor closed" wait_until 10 eval '[ "$(fd_count)" -le $((FDS - 10)) ]'
check "PID 1 still answers, flap still running" eval '[ "$(state_of flap)" = running ]'

# A follower killed while lines are flowing to it
ctl start chatty >/dev/null
FDS=$(fd_count)
follow "$T/chatty" -n 0 chatty
CHATTY_F=$!
check "a follower of a busy service gets its lines" wait_until 10 eval '[ "$(grep -c "^chatty | tick" "$T/chatty")" -ge 50 ]'
kill -9 $CHATTY_F
check "...killed mid-stream: its descriptor is closed" wait_until 10 eval '[ "$(fd_count)" -le "$FDS" ]'
SEEN=$(grep -c "^chatty | tick" "$LOG")
check "...and the service's lines go on to the console, PID 1 answers" wait_until 10 eval '
    [ "$(grep -c "^chatty | tick" "$LOG")" -gt $((SEEN + 20)) ] && [ "$(state_of chatty)" = running ]'
follow "$T/chatty2" -n 0 chatty
CHATTY_F=$!
check "...a new follower gets lines again" wait_until 10 eval '[ "$(grep -c "^chatty | tick" "$T/chatty2")" -ge 20 ]'
kill -9 $CHATTY_F
ctl stop chatty >/dev/null

# A client that asks for everything and never reads: its answer is dropped after 10 s. (A
# buffer of 4 MiB, full: more than the kernel's socket buffers take.)
service hoard 'command = "seq -f \"hoard %08g\" 1 300000; echo hoarded; exec sleep 100000"
log.buffer = "4MiB"'
ctl reload >/dev/null
check "hoard's 4 MiB buffer is full" wait_until 20 eval 'ctl logs -n 1 hoard | grep -q "^hoard | hoarded$"'
FDS=$(fd_count)
"$PY" - "$SOCK" "$T/noread" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(b"logs -n all --json --timeout 60000ms\n")
open(sys.argv[2], "w").write("sent")
time.sleep(60)
PY
NOREAD=$!
check "a client that never reads logs -n all --json: its connection is open at first" eval '
    wait_until 5 test -s "$T/noread" && wait_until 5 eval "[ \$(fd_count) -gt $FDS ]"'
T0=$EPOCHREALTIME
check "...PID 1 answers others meanwhile" eval 'ctl status >/dev/null'
check "...and closes it within 10 s (plus 5 of slack), dropping the answer" wait_until 15 eval '[ "$(fd_count)" -le "$FDS" ]'
echo "     closed after $(awk "BEGIN { print $EPOCHREALTIME - $T0 }")s"
kill "$NOREAD" 2>/dev/null; wait "$NOREAD" 2>/dev/null
rm -f "$CONF/hoard.toml"; ctl reload >/dev/null

# Other uids: refused like every control request
chmod 0755 "$T"
cp "$BIN" "$T/client"
as_nobody() { OUT=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$T/client" "$@" --socket "$SOCK" 2>&1); RC=$?; }
as_nobody logs
check "uid 65534, socket 0600: logs cannot connect (exit 3)" eval '[ "$RC" = 3 ] && out_has "Permission denied"'
chmod 0666 "$SOCK"
as_nobody logs -n all flap
check "uid 65534, socket 0666: logs refused by SO_PEERCRED" eval '[ "$RC" = 1 ] && out_has "^permission denied: uid 65534 may not control the supervisor" && ! out_has "flap \|"'
as_nobody logs -f flap
check "uid 65534: logs -f refused too, at once" eval '[ "$RC" = 1 ] && out_has "^permission denied: uid 65534"'
chmod 0600 "$SOCK"

# -f ends, exit 0, when the supervisor exits, with the services' last words
kill -TERM "$SPID"
check "the flap follower ends with exit 0 when the supervisor exits" eval 'wait_until 20 eval "! kill -0 $FLAP_F 2>/dev/null" && wait $FLAP_F'
check "...after the service's last words" grep -qE "^supervisor \| flap: stopped" "$T/f.flap"
wait_exit 20
check "the supervisor exited 0" test "$EXIT" = 0
finish
