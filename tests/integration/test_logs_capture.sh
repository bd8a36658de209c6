#!/usr/bin/env bash
# Log capture: prefixes and streams, no interleaving inside a line, partial and overlong lines,
# bytes that are not UTF-8, json and plain formats, inherit/null/file modes with rotation,
# 1,000,000 lines from four services without a loss, and a console nobody reads.
source "$(dirname "$0")/lib.sh"
out_lines() { grep -c "$1" "$LOG" || true; }

service pre 'command = "echo to stdout; echo to stderr >&2; printf \"no newline at the end\""
restart.policy = "never"'
service long 'command = "head -c 100000 /dev/zero | tr \"\\\\0\" L; echo"
restart.policy = "never"'
service bytes 'command = "printf \"caf\\\\303\\\\251 \\\\377\\\\376 end\\\\n\""
restart.policy = "never"'
service js 'command = "printf \"a \\\\042quoted\\\\042 \\\\377 line\\\\n\"; echo err >&2"
restart.policy = "never"
log.format = "json"'
service pl 'command = "echo plain line"
restart.policy = "never"
log.format = "plain"'
service inh 'command = "echo straight through; exec sleep 100000"
log.stdout = "inherit"'
service nul 'command = "echo into the void; exec sleep 100000"
log.stdout = "null"'
service fil "command = \"i=0; while [ \$i -lt 3000 ]; do i=\$((i+1)); echo file line \$i; done; echo to console >&2\"
restart.policy = \"never\"
[log]
stdout = \"file\"
file = \"$T/fil.log\"
max_size = \"16KiB\"
max_files = 3"
# A burst of small writes makes the reader rest between reads; the line after the burst must
# still come while the service lives on (its pipe stays open: no EOF to flush it).
service burst 'command = "awk \"BEGIN { for (i = 1; i <= 200000; i++) { print \\\"burst \\\" i; fflush() } }\"; echo end of the burst; exec sleep 100000"'
# Busy pipes get 1 MiB, quiet ones keep the kernel's 64 KiB, and at most 16 are enlarged at once.
service quiet 'command = "echo one line; exec sleep 100000"'
for n in $(seq -w 1 20); do
    service "b$n" 'command = "yes 0123456789012345678901234567890123456789 | head -c 2000000; echo; echo burst over; exec sleep 100000"'
done
pipe_size() { in_ns /usr/bin/python3 -c 'import fcntl, os, sys
fd = os.open("/proc/%s/fd/1" % sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
print(fcntl.fcntl(fd, 1032))  # F_GETPIPE_SZ' "$1"; }
for n in 1 2 3 4; do
    service "n$n" "command = [\"awk\", \"BEGIN { for (i = 1; i <= 250000; i++) printf \\\"n$n %07d xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\\\n\\\", i }\"]
restart.policy = \"never\""
done
start_pid1
check "a burst of small writes: every line, the last one while the service still runs" eval '
    wait_until 20 grep -qx "burst | end of the burst" "$LOG" && [ "$(grep -c "^burst | burst " "$LOG")" = 200000 ]'
check "the bursts of 20 more services all came through" wait_until 30 eval '[ "$(grep -c "^b[0-9]* | burst over\$" "$LOG")" = 20 ]'
check "a quiet service's pipe keeps the default 64 KiB" test "$(pipe_size "$(pid_of quiet)")" = 65536
big=0; for name in burst $(seq -f b%02g 1 20); do [ "$(pipe_size "$(pid_of "$name")")" = 1048576 ] && big=$((big + 1)); done
echo "of 21 busy services, $big have 1 MiB pipes"
check "busy ones get 1 MiB, but no more than 16 at once (the kernel counts pipe room per user)" test "$big" = 16
check "every service ran" wait_until 60 eval '[ "$(ctl status | grep -c " exited ")" = 10 ]'
kill -TERM "$SPID"; wait_exit 20

check "stdout: NAME | line" grep -qx "pre | to stdout" "$LOG"
check "stderr: NAME:err | line" grep -qx "pre:err | to stderr" "$LOG"
check "a last line without newline is flushed at exit" grep -qx "pre | no newline at the end" "$LOG"
check "an overlong line: 16 KiB pieces, later ones marked, no byte lost" eval '
    [ "$(grep -c "^long | L" "$LOG")" = 1 ] && [ "$(grep -c "^long + L" "$LOG")" = 6 ] &&
    [ "$(grep -E "^long [|+] " "$LOG" | cut -c8- | tr -d "\n" | wc -c)" = 100000 ]'
check "bytes that are not UTF-8 pass through unharmed" eval '[ "$(grep -a "^bytes | " "$LOG" | cut -c9- | od -An -tx1 | xargs)" = "63 61 66 c3 a9 20 ff fe 20 65 6e 64 0a" ]'
check "json: valid JSON per line, fields, invalid UTF-8 as U+FFFD" eval 'grep "^{" "$LOG" | grep "\"service\":\"js\"" | /usr/bin/python3 -c "
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert {r[\"stream\"] for r in rows} == {\"stdout\", \"stderr\"}, rows
assert any(r[\"line\"] == \"a \\\"quoted\\\" \ufffd line\" for r in rows), rows
assert all(set(r) >= {\"time\", \"service\", \"stream\", \"line\"} for r in rows)"'
check "plain: the line alone" grep -qx "plain line" "$LOG"
check "inherit: straight to PID 1's stdout, no prefix" grep -qx "straight through" "$LOG"
check "null: nothing" eval '! grep -q "into the void" "$LOG"'
check "file: rotated by size into file, .1, .2, .3 and no .4" eval '[ -s "$T/fil.log" ] && [ -s "$T/fil.log.3" ] && [ ! -e "$T/fil.log.4" ]'
check "file: no file over max_size" eval '[ -z "$(find "$T" -name "fil.log*" -size +16k)" ]'
check "file: the newest lines in the file, no line split" eval 'tail -1 "$T/fil.log" | grep -qx "fil | file line 3000" && ! grep -vhE "^fil \| file line [0-9]+$" "$T"/fil.log*'
check "file mode for stdout, stderr still on the console" grep -qx "fil:err | to console" "$LOG"
check "1,000,000 lines from 4 services at once: every one, once, in order, none torn" eval '
    grep -aE "^n[1-4] [|] " "$LOG" | awk "
        \$3 !~ /^n[1-4]\$/ || length(\$4) != 7 || length(\$0) != 56 { bad++ }
        { seq = \$4 + 0; if (seq != last[\$1] + 1) bad++; last[\$1] = seq; n++ }
        END { exit !(n == 1000000 && bad == 0 && last[\"n1\"] == 250000 && last[\"n4\"] == 250000) }"'
finish
