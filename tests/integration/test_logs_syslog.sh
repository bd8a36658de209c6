#!/usr/bin/env bash
# Syslog copies to a real rsyslogd over unix, udp and tcp; the tcp destination goes down and
# comes back: supervision goes on meanwhile, lines written after it is back arrive, drops are
# counted and reported. Also a console nobody reads: supervision goes on, drops are reported.
source "$(dirname "$0")/lib.sh"
command -v rsyslogd >/dev/null || { echo "rsyslogd is not installed"; exit 1; }

port() { /usr/bin/python3 -c 'import socket, sys; s=socket.socket(type=socket.SOCK_DGRAM if sys.argv[1]=="u" else socket.SOCK_STREAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"; }
PU=$(port u) PT=$(port t)
mkdir -p "$T/rs"
cat >"$T/rs/rsyslog.conf" <<CONF
global(workDirectory="$T/rs")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$T/rs/log.sock" RateLimit.Interval="0")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$PU")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$PT")
template(name="t" type="string" string="%programname% %msg:::drop-last-lf%\n")
action(type="omfile" file="$T/rs/received.log" template="t")
CONF
RS=""
start_rsyslog() { rsyslogd -n -f "$T/rs/rsyslog.conf" -i "$T/rs/pid" >"$T/rs/out" 2>&1 & RS=$!; wait_until 10 test -S "$T/rs/log.sock"; wait_until 10 eval 'ss -ltn | grep -q ":$PT "'; }
stop_rsyslog() { kill -TERM "$RS" 2>/dev/null; wait "$RS" 2>/dev/null; rm -f "$T/rs/log.sock" "$T/rs/pid"; RS=""; }
trap 'stop_rsyslog; cleanup' EXIT
start_rsyslog

writer() { echo "command = \"i=0; while [ \$i -lt 300 ]; do i=\$((i+1)); echo $1 line \$i; sleep 0.01; done; exec sleep 100000\"
log.syslog = \"$2\""; }
service viaunix "$(writer viaunix "unix://$T/rs/log.sock")"
service viaudp "$(writer viaudp "udp://127.0.0.1:$PU")"
service viatcp "$(writer viatcp "tcp://127.0.0.1:$PT")"
service crashy 'command = ["sh", "-c", "exit 1"]
restart.delay = "100ms"
restart.factor = 1.0'
start_pid1
got() { grep -cE "^$1 +$1 line " "$T/rs/received.log" 2>/dev/null || true; }
check "unix: every line arrived, tagged with the service" wait_until 20 eval '[ "$(got viaunix)" = 300 ]'
check "udp: every line arrived" wait_until 20 eval '[ "$(got viaudp)" = 300 ]'
check "tcp: every line arrived" wait_until 20 eval '[ "$(got viatcp)" = 300 ]'

# The tcp destination goes down; a service writes 200,000 lines (more than its queue holds) meanwhile.
stop_rsyslog
mv "$T/rs/received.log" "$T/rs/before.log"
service burst "command = \"i=0; while [ \$i -lt 200000 ]; do i=\$((i+1)); echo burst line \$i; done; touch $T/burst.done; exec sleep 100000\"
log.syslog = \"tcp://127.0.0.1:$PT\""
ctl reload >/dev/null
check "while it is down, the burst is written (never blocked)" wait_until 30 test -e "$T/burst.done"
check "the log says why: connection refused (not \"Bad file descriptor\")" \
    eval 'wait_until 10 log_has "syslog tcp://127.0.0.1:$PT: cannot connect: Connection refused" && ! log_has "Bad file descriptor"'
restarts=$(ctl status --json crashy | sed -n 's/.*"restarts": \([0-9]*\).*/\1/p')
check "and supervision goes on: status answers at once" eval 'timeout 1 "$BIN" status --socket "$SOCK" >/dev/null'
check "a crash-looping service keeps being restarted" wait_until 5 eval '[ "$(ctl status --json crashy | sed -n "s/.*\"restarts\": \([0-9]*\).*/\1/p")" -gt "$restarts" ]'
start_rsyslog
check "back up: the supervisor reconnects and delivers" wait_until 30 eval '[ "$(got burst)" -gt 0 ]'
check "the drops are counted and reported" wait_until 30 log_has "burst: [0-9]+ lines? dropped while tcp://127.0.0.1:$PT was unreachable or slow"
dropped=$(grep -oE "burst: [0-9]+ lines? dropped" "$LOG" | awk '{ s += $2 } END { print s + 0 }')
check "arrived + dropped = written, and no line twice ($(got burst) + $dropped)" wait_until 20 eval '
    [ $(( $(got burst) + dropped )) -ge 200000 ] && [ -z "$(grep "^burst " "$T/rs/received.log" | sort | uniq -d | head -1)" ]'
finish
