#!/usr/bin/env bash
# No service that does not run as root can change what PID 1 will execute (trust.hpp): service
# files writable by a group (group 0 included) or through an ACL are refused, with the fix named;
# a bare numeric uid runs with group nogroup, not 0; a program PID 1 would run as root from a
# directory a user owns is refused (a service's command and the programs of its readiness,
# health and reload checks); a refused directory is not read at all (a FIFO there
# cannot block `check`).
source "$(dirname "$0")/lib.sh"
chmod 755 "$T"
check_conf() { OUT=$(timeout 10 "$BIN" check --config-dir "${1:-$CONF}" 2>&1); RC=$?; }

# The audit's attack: a root:root 0664 service file, and a service running as a bare uid.
service victim 'command = ["sleep", "100000"]'
chmod 664 "$CONF/victim.toml"
check_conf
check "a group-writable (root:root 0664) service file is refused by check (exit 78)" test "$RC" = 78
check "the message names the group and the fix, chmod g-w" out_has 'victim.toml: refused: the file is writable by group 0 .*fix: chmod g-w'
chmod 644 "$CONF/victim.toml"

# A bare uid, as `docker run --user 12345`: before, gid 0 (root) and so every group-0 file.
cat >"$T/bare.sh" <<EOF2
id -g >"$T/pub/gid"
echo 'command = ["id"]' >>"$CONF/victim.toml" 2>/dev/null && echo wrote >"$T/pub/wrote"
exec sleep 100000
EOF2
mkdir -m 1777 "$T/pub"
service bare "command = [\"/bin/sh\", \"$T/bare.sh\"]
user = \"12345\""
start_pid1
check "the bare uid's service runs" wait_until 10 test -s "$T/pub/gid"
check "with gid 65534 (nogroup), not 0" test "$(cat "$T/pub/gid")" = 65534
check "and cannot write a service file" test ! -e "$T/pub/wrote"

# A root service whose program sits in a directory a user owns: that user could replace it.
mkdir "$T/userdir" && cp /bin/sleep "$T/userdir/prog" && chown 12345 "$T/userdir"
service rootprog "command = [\"$T/userdir/prog\", \"100000\"]
[restart]
policy = \"never\""
ctl reload >/dev/null 2>&1
check "a program PID 1 would run as root from a user's directory is refused" wait_until 10 log_has "rootprog: refused to run $T/userdir/prog with the supervisor's privileges: $T/userdir, a directory above it, is owned by uid 12345"
check "and did not run" test "$(state_of rootprog)" = failed
rm -f "$CONF/rootprog.toml"

# The same rule for the programs of checks PID 1 runs as root: readiness, health, reload check.
# (The program would exit 0 and make each check pass, so a pass below means it did not run.)
cp /bin/true "$T/userdir/ok"
service rdycheck "command = [\"sleep\", \"100000\"]
[ready]
command = [\"$T/userdir/ok\"]
interval = \"100ms\""
service hlthcheck "command = [\"sleep\", \"100000\"]
[health]
command = [\"$T/userdir/ok\"]
interval = \"100ms\"
retries = 1"
service rldcheck "command = [\"sleep\", \"100000\"]
[reload]
signal = \"SIGHUP\"
check = [\"$T/userdir/ok\"]"
ctl reload >/dev/null 2>&1
check "a readiness check program in a user's directory is refused, naming the directory" \
  wait_until 10 log_has "rdycheck: .*refused to run $T/userdir/ok with the supervisor's privileges: $T/userdir, a directory above it, is owned by uid 12345"
check "and the service is not ready" test "$(ctl status rdycheck 2>/dev/null | awk 'NR == 2 { print $3 }')" = no
check "a health check program there is refused too" \
  wait_until 10 log_has "hlthcheck: .*refused to run $T/userdir/ok with the supervisor's privileges"
run_ctl reload rldcheck
check "a reload check program there is refused: the reload fails (exit 1), naming it" \
  eval '[ "$RC" = 1 ] && out_has "refused to run $T/userdir/ok with the supervisor.s privileges"'
rm -f "$CONF/rdycheck.toml" "$CONF/hlthcheck.toml" "$CONF/rldcheck.toml"
ctl reload >/dev/null 2>&1

# A POSIX ACL granting user 12345 write: the mode shows the ACL's mask as group write.
service acl 'command = ["sleep", "1"]'
if "$PY" - "$CONF/acl.toml" <<'PY' 2>/dev/null
import os, struct, sys
# version 2; USER_OBJ rw, USER 12345 rw, GROUP_OBJ r, MASK rw, OTHER r
entries = [(1, 6, 0xFFFFFFFF), (2, 6, 12345), (4, 4, 0xFFFFFFFF), (0x10, 6, 0xFFFFFFFF), (0x20, 4, 0xFFFFFFFF)]
os.setxattr(sys.argv[1], "system.posix_acl_access", struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries))
PY
then
    check_conf
    check "a service file an ACL lets user 12345 write is refused, naming chmod g-w" eval '[ "$RC" = 78 ] && out_has "acl.toml: refused: .*ACL.*fix: chmod g-w"'
else
    echo "skip - this file system takes no POSIX ACL"
fi
rm -f "$CONF/acl.toml"

# A refused directory is not read: a FIFO named *.toml in a world-writable directory.
mkdir -m 777 "$T/open" && mkfifo "$T/open/evil.toml"
check_conf "$T/open"
check "a world-writable directory is refused without reading it (no hang on a FIFO)" eval '[ "$RC" = 78 ] && out_has "open: refused: the directory is writable by every user.*fix: chmod o-w" && ! out_has evil'
finish
