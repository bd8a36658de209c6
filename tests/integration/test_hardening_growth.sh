#!/usr/bin/env bash
# Leaks and growth: 10,000 restarts of a crashing service and 1,000 reloads leave PID 1's RSS
# and open-fd count flat (measured after a warm-up and at the end).
source "$(dirname "$0")/lib.sh"

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$SPID/status"; }
# A crashing service has the descriptors of its last runs open (exec status, stdout and stderr
# pipes until their EOF is read) at any moment: the fewest of a few samples, give or take a few.
fds() { local n min=1000; for _ in 1 2 3 4 5 6 7 8 9 10; do n=$(fd_count); [ "$n" -lt "$min" ] && min=$n; done; echo "$min"; }
restarts_of() { ctl status --json crash | sed -n 's/.*"restarts": \([0-9]*\).*/\1/p'; }

service crash '
command = ["/bin/false"]
[restart]
delay = "0"
factor = 1.0
max_delay = "0"'
service steady 'command = ["sleep", "100000"]'
service flip 'command = ["sleep", "1"]
description = "0"'
start_pid1
check "PID 1 up" wait_until 10 test -n "$SPID"

check "warm-up: 1,000 restarts" wait_until 60 eval '[ "$(restarts_of)" -ge 1000 ]'
rss0=$(rss_kb) fd0=$(fds)
check "10,000 restarts of a crashing service" wait_until 120 eval '[ "$(restarts_of)" -ge 10000 ]'
rss1=$(rss_kb) fd1=$(fds)
echo "after 1,000 restarts: RSS ${rss0} kB, $fd0 fds; after 10,000: RSS ${rss1} kB, $fd1 fds"
check "RSS flat across 9,000 restarts (+$((rss1 - rss0)) kB, under 256 kB)" test $((rss1 - rss0)) -lt 256
check "open fds flat across 9,000 restarts (a leak of one per restart would be thousands)" test "$fd1" -le $((fd0 + 4))

# 1,000 reloads, each changing one service (so each restarts it), through the client.
steady=$(pid_of steady)
for i in $(seq 1 100); do service flip "command = [\"sleep\", \"1\"]
description = \"$i\""; ctl reload >/dev/null; done
rss0=$(rss_kb) fd0=$(fds)
for i in $(seq 101 1000); do service flip "command = [\"sleep\", \"1\"]
description = \"$i\""; ctl reload >/dev/null; done
rss1=$(rss_kb) fd1=$(fds)
echo "after 100 reloads: RSS ${rss0} kB, $fd0 fds; after 1,000: RSS ${rss1} kB, $fd1 fds"
check "RSS flat across 900 reloads (+$((rss1 - rss0)) kB, under 256 kB)" test $((rss1 - rss0)) -lt 256
check "open fds flat across 900 reloads" test "$fd1" -le $((fd0 + 4))
check "the unchanged service was never touched" test "$(pid_of steady)" = "$steady"
check "the last reload's spec is running" eval 'ctl status --json flip | grep -q "\"description\": \"1000\""'
kill -TERM "$SPID"
check "PID 1 exits 0" eval 'wait_exit 15 && [ "$EXIT" = 0 ]'
finish
