#!/bin/bash
# run-serf.sh ROLE: this container's Serf agent (exec'ed, so the supervisor signals Serf itself).
# Node name = hostname, bound to the container's own address, tag role=ROLE. Every role but
# `balancer` retry-joins SERF_JOIN until it succeeds (a web app started before `ha` joins once
# `ha` is up) and leaves gracefully on SIGINT or SIGTERM (serf.json).
# ROLE=balancer wires the membership events to member-handler.sh and does NOT leave on a signal
# (serf-balancer.json): the backends then see `ha` as failed and try to reconnect to a failed
# member every second (serf.json: one failed member picked at random each time), so a
# re-created `ha` gets them all back (after a graceful leave they would never return); a restarted
# one rejoins at once the members its snapshot file remembers.
# SERF_PROFILE picks Serf's timing profile (Serf's default: lan). The lab's service files set
# "local" (every container is on one host's bridge): 200 ms probe timeout, suspicion 3 s (18 s at
# most), so a crashed web app is declared failed ~4-7 s after the crash instead of ~15 s with
# "lan" (measured in the lab, tests/integration/test_lab_e2e.sh step 5).
# Env (defaults): SERF_NODE (hostname), SERF_BIND (first non-loopback IPv4, port 7946),
#   SERF_JOIN (ha; none for the balancer; space-separated list allowed), SERF_RETRY_INTERVAL (2s),
#   SERF_RPC (127.0.0.1:7373), SERF_HANDLER (member-handler.sh beside this script),
#   SERF_SNAPSHOT (balancer only: /var/lib/serf/balancer.snapshot; "" = none), SERF_PROFILE (lan).
set -euo pipefail
role=${1:?usage: run-serf.sh ROLE   (balancer | backend | ...)}
here=$(cd "$(dirname "$0")" && pwd)
own_ip() { hostname -I 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) { print $i; exit } }'; }
bind=${SERF_BIND:-$(own_ip)}
args=(agent -node "${SERF_NODE:-$(hostname)}" -bind "${bind:-0.0.0.0}" -rpc-addr "${SERF_RPC:-127.0.0.1:7373}"
      -tag "role=$role" -config-file "$here/serf.json")
[ -z "${SERF_PROFILE:-}" ] || args+=(-profile "$SERF_PROFILE")
if [ "$role" = balancer ]; then
  join=${SERF_JOIN:-}
  # Serf keeps a handler's output to itself (debug level): send the handler's lines to our stderr.
  handler="HANDLER_LOG=/proc/$$/fd/2 ${SERF_HANDLER:-$here/member-handler.sh}"
  snapshot=${SERF_SNAPSHOT-/var/lib/serf/balancer.snapshot}
  [ -z "$snapshot" ] || { mkdir -p "$(dirname "$snapshot")"; args+=(-snapshot "$snapshot"); }
  args+=(-config-file "$here/serf-balancer.json"
         -event-handler "member-join,member-leave,member-failed,member-update,member-reap=$handler")
else
  join=${SERF_JOIN-ha}
fi
for j in $join; do args+=(-retry-join "$j"); done
[ -z "$join" ] || args+=(-retry-interval "${SERF_RETRY_INTERVAL:-2s}")
exec serf "${args[@]}"
