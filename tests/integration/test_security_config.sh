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

finish
