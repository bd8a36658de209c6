#!/usr/bin/env bash
# Values a service file gives are taken whole or refused: durations and sizes past their
# documented maximum, and uids/gids past uid_t, are errors naming the key; never wrapped around
# into a negative timeout, a 1 GiB log or uid 0.
source "$(dirname "$0")/lib.sh"

check_conf() { OUT=$("$BIN" check --config-dir "$CONF" 2>&1); RC=$?; }

service overflow 'command = ["sleep", "1"]
[stop]
timeout = "999999999999h999999999999h999999999999h"
[restart]
delay = "999999999999h"
max_delay = "999999999999h"'
check_conf
check "check refuses durations that overflow (exit 78)" test "$RC" = 78
check "naming stop.timeout and the maximum" out_has 'overflow.toml:3:11: `stop.timeout`: ".*" is longer than the maximum duration \(10000h\)'
check "naming restart.delay" out_has '`restart.delay`: "999999999999h" is longer than the maximum duration'
rm -f "$CONF/overflow.toml"

service bigsize 'command = ["sleep", "1"]
[log]
stdout = "file"
file = "/tmp/never.log"
max_size = "17179869185GiB"'
check_conf
check "check refuses a size that wraps to 1GiB, naming log.max_size" eval '[ "$RC" = 78 ] && out_has "\`log.max_size\` is larger than the maximum size \(1TiB\)"'
rm -f "$CONF/bigsize.toml"

service bigid 'command = ["id"]
user = "4294967296"'
check_conf
check "check refuses user = 4294967296 (it ran as uid 0), naming the key" eval '[ "$RC" = 78 ] && out_has "bigid.toml:2:8: .user.: 4294967296 is not a uid"'
rm -f "$CONF/bigid.toml"

# A start that fails at once (an unknown user) with a readiness check: restarts after its
# backoff (100ms), not after start_timeout (90s) as when that timer replaced the backoff's.
service nouser 'command = ["sleep", "100000"]
user = "no-such-user-here"
[ready]
tcp = "127.0.0.1:1"
[restart]
delay = "100ms"
max_delay = "100ms"'
start_pid1
check "a start failing at once restarts after its backoff, not after start_timeout" wait_until 10 eval '[ "$(ctl status nouser | awk "NR == 2 { print \$7 }")" -ge 3 ]'
check "status shows the backoff's delay" eval 'status_row nouser | grep -qE "restarting in [0-9]{1,3}ms"'
finish
