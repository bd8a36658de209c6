#!/usr/bin/env bash
# Container conditions, capabilities (docker run --cap-drop): PID 1 as root
# - with every capability dropped (no CAP_SETUID, CAP_SETGID, CAP_KILL, CAP_CHOWN, ...): services
#   of its own uid run, stop and are reaped; `capabilities = []` still works; a `user =` it cannot
#   switch to, or a capability it does not hold, is a clear error of that service alone;
# - without CAP_KILL only: a `user =` other than root would be a service it could not stop, so
#   that service is refused with the reason; the others run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/field_lib.sh"

cap_of() { awk -v f="$2:" '$1 == f { print $2 }' "$(ns_proc "$1")/status"; }
basic_services
service bare 'command = ["sleep", "100000"]
capabilities = []'
service nobody 'command = ["sleep", "100001"]
user = "nobody"
restart.max_retries = 2
restart.delay = "50ms"'
service binder 'command = ["sleep", "100002"]
capabilities = ["CAP_NET_BIND_SERVICE"]
restart.max_retries = 2
restart.delay = "50ms"'
service filelog "command = [\"sh\", \"-c\", \"echo written; exec sleep 100003\"]
log.stdout = \"file\"
log.file = \"$T/pub/filelog.log\""

label="all capabilities dropped"
AS="setpriv --bounding-set=-all --inh-caps=-all"
field_pid1 true --socket "$T/sock"
check "$label: up" up_at "$T/sock"
check "$label: PID 1 has no capability" test "$(cap_of "1" CapEff)" = 0000000000000000
basic_checks "$label"
check "$label: capabilities = [] works without CAP_SETPCAP" wait_until 5 eval '[ "$(state_of bare)" = running ]'
check "$label: and the service has none" test "$(cap_of "$(pid_of bare)" CapPrm)" = 0000000000000000
check "$label: a file log works without CAP_CHOWN" wait_until 5 grep -q written "$T/pub/filelog.log"
check "$label: user = nobody: a clear error for that service" \
    wait_until 10 log_has "nobody: cannot switch to user 'nobody' \(uid 65534\): the supervisor \(uid 0\) lacks CAP_SETGID and CAP_SETUID"
check "$label: counted, given up after max_retries" wait_until 10 eval '[ "$(state_of nobody)" = failed ]'
check "$label: a capability it does not hold: a clear error" \
    wait_until 10 log_has "binder: cannot keep CAP_NET_BIND_SERVICE: the supervisor does not hold it"
check "$label: the services it could start all run" eval '[ "$(state_of app)" = running ] && [ "$(state_of filelog)" = running ]'
graceful_exit "$label"

label="without CAP_KILL"
AS="setpriv --bounding-set=-kill --inh-caps=-all"
rm -f "$CONF/binder.toml"
field_pid1 true --socket "$T/sock"
check "$label: up" up_at "$T/sock"
basic_checks "$label"
check "$label: user = nobody is refused: it could not be stopped" \
    wait_until 10 log_has "nobody: cannot switch to user 'nobody' \(uid 65534\): the supervisor \(uid 0\) lacks CAP_KILL, so it could not stop it"
check "$label: no process of nobody's was left running" eval '! in_ns pgrep -u 65534 >/dev/null'
graceful_exit "$label"
finish
