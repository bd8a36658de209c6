#!/usr/bin/env bash
# Least privilege: user/group/supplementary groups dropped as /proc shows them, no_new_privs,
# capabilities kept when dropping root, service files writable by others refused, secrets from
# the environment never in the logs, and fork() failing (RLIMIT_NPROC) is a counted failed start.
source "$(dirname "$0")/lib.sh"

# Users of our own, seen only by PID 1's mount namespace (bind-mounted over /etc/passwd, /etc/group).
cp /etc/passwd "$T/passwd" && cp /etc/group "$T/group"
echo "svtest:x:4242:4242:test user:/home/svtest:/bin/sh" >>"$T/passwd"
echo "svtest:x:4242:" >>"$T/group"
echo "svextra:x:4343:svtest" >>"$T/group"
mkdir -m 1777 "$T/pub" && chmod 711 "$T"   # somewhere nobody may write
status_of() { in_ns awk -v k="$2:" '$1 == k { $1 = ""; print substr($0, 2) }' "/proc/$(pid_of "$1")/status"; }

service dropped 'command = ["sleep", "100000"]
user = "svtest"
no_new_privs = true'
service regrouped 'command = ["sleep", "100001"]
user = "svtest"
group = "svextra"'
service binder "command = [\"/usr/bin/python3\", \"-c\", \"import socket,time; s=socket.socket(); s.bind(('127.0.0.1', 80)); s.listen(); open('$T/pub/bound','w').write('ok'); time.sleep(100000)\"]
user = \"nobody\"
capabilities = [\"CAP_NET_BIND_SERVICE\"]"
service plain_nobody "command = [\"/usr/bin/python3\", \"-c\", \"import socket; s=socket.socket(); s.bind(('127.0.0.1', 81))\"]
user = \"nobody\"
[restart]
policy = \"never\""
service secret 'command = ["/nonexistent/secret-service"]
environment = { DB_PASSWORD = "hunter2-very-secret" }
[restart]
policy = "never"'

unshare --pid --fork --mount-proc --mount --net --kill-child sh -c '
    mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && ip link set lo up && shift 2 && exec "$@"' \
    sh "$T/passwd" "$T/group" "$BIN" --config-dir "$CONF" --socket "$SOCK" --log-level debug >"$LOG" 2>&1 &
UPID=$!
check "PID 1 up" wait_until 10 test -S "$SOCK"
SPID=$(pgrep -P "$UPID")
wait_until 10 eval '[ "$(state_of regrouped)" = running ] && [ "$(state_of dropped)" = running ]'

check "user = svtest: uid 4242 in /proc (real, effective, saved, fs)" test "$(status_of dropped Uid)" = "4242 4242 4242 4242"
check "its primary group 4242" test "$(status_of dropped Gid)" = "4242 4242 4242 4242"
check "its supplementary groups from /etc/group (initgroups)" test "$(status_of dropped Groups | xargs)" = "4242 4343"
check "no_new_privs = true: NoNewPrivs 1" test "$(status_of dropped NoNewPrivs)" = 1
check "without no_new_privs: NoNewPrivs 0" test "$(status_of regrouped NoNewPrivs)" = 0
check "group = svextra: gid 4343" test "$(status_of regrouped Gid | awk '{ print $1 }')" = 4343
check "a dropped user has no capabilities left" test "$(status_of dropped CapEff)" = 0000000000000000
check "capabilities = [CAP_NET_BIND_SERVICE] as nobody: binds port 80" wait_until 10 test -s "$T/pub/bound"
check "and holds exactly that capability (effective and ambient)" eval '[ "$(status_of binder CapEff)" = 0000000000000400 ] && [ "$(status_of binder CapAmb)" = 0000000000000400 ] && [ "$(status_of binder CapBnd)" = 0000000000000400 ]'
check "nobody without it cannot bind port 81" wait_until 10 eval '[ "$(state_of plain_nobody)" = failed ] && grep -q "plain_nobody:err | PermissionError" "$LOG"'
check "the secret service's failure is reported" wait_until 10 log_has "secret: cannot (execute|find)"
ctl status --json >"$T/status.json"
check "no secret from the environment in the log or in status" eval '! grep -q hunter2 "$LOG" "$T/status.json"'

# A service file anyone may write is refused: at boot, by check, and at reload.
service open 'command = ["sleep", "1"]'
chmod 666 "$CONF/open.toml"
run_ctl reload
check "reload refuses a world-writable service file" eval '[ "$RC" != 0 ] && out_has "open.toml: refused: the file is writable by every user"'
check "check refuses it too (exit 78)" eval '"$BIN" check --config-dir "$CONF" 2>/dev/null; [ $? = 78 ]'
chmod 644 "$CONF/open.toml" && chmod 777 "$CONF"
check "a world-writable config directory is refused" eval '! "$BIN" check --config-dir "$CONF" 2>&1 | grep -q "all valid"'
chmod 755 "$CONF" && rm "$CONF/open.toml"
kill -TERM "$SPID"
wait_exit 15

# fork() failing: a supervisor running as nobody with RLIMIT_NPROC=2 cannot fork its services:
# each attempt is a failed start with backoff, and it keeps serving.
mkdir -p "$T/nproc/conf" && chown -R 65534 "$T/nproc" && chmod 755 "$T"
cat >"$T/nproc/conf/a.toml" <<'TOML'
command = ["sleep", "1000"]
TOML
cat >"$T/nproc/conf/b.toml" <<'TOML'
command = ["sleep", "1001"]
[restart]
delay = "200ms"
TOML
chown 0 "$T/nproc/conf"/*.toml "$T/nproc/conf"
setpriv --reuid 65534 --regid 65534 --clear-groups prlimit --nproc=2 \
    "$BIN" --config-dir "$T/nproc/conf" --socket "$T/nproc/sock" >"$T/nproc.log" 2>&1 &
NPID=$!
check "fork failing is reported as a failed start, with backoff" wait_until 10 grep -qE "cannot fork: Resource temporarily unavailable; restarting in" "$T/nproc.log"
check "the supervisor keeps serving" eval 'setpriv --reuid 65534 --regid 65534 --clear-groups "$BIN" status --socket "$T/nproc/sock" >/dev/null'
kill -TERM "$NPID"; wait "$NPID"
check "and exits 0 on SIGTERM" test $? = 0
finish
