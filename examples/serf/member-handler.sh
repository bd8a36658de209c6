#!/bin/bash
# Serf event handler on the balancer: keeps one file per live backend in NODES_DIR (name = member
# name, content = its address), re-renders the HAProxy config and, only if it changed, reloads
# HAProxy. Serf sets SERF_EVENT and writes one line per member on stdin:
#   NAME<TAB>ADDRESS<TAB>ROLE<TAB>TAGS        (TAGS = k=v,k=v in no fixed order; ROLE may be empty)
# Only members with role=backend are kept. The whole update runs under an exclusive flock.
# Env (defaults): NODES_DIR (/nodes), HAPROXY_TEMPLATE (/etc/haproxy/haproxy.cfg.tmpl),
#   HAPROXY_CFG (/etc/haproxy/haproxy.cfg), HAPROXY_RELOAD_CMD (supervisor reload haproxy),
#   HAPROXY_RENDER (../haproxy/render.sh next to this script), HANDLER_LOCK (NODES_DIR/.lock),
#   HANDLER_LOG (a file to append the log line to instead of stderr; run-serf.sh sets it).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
nodes=${NODES_DIR:-/nodes}
template=${HAPROXY_TEMPLATE:-/etc/haproxy/haproxy.cfg.tmpl}
cfg=${HAPROXY_CFG:-/etc/haproxy/haproxy.cfg}
reload=${HAPROXY_RELOAD_CMD:-supervisor reload haproxy}
render=${HAPROXY_RENDER:-$here/../haproxy/render.sh}
event=${SERF_EVENT:-}
if [ -n "${HANDLER_LOG:-}" ]; then exec 2>>"$HANDLER_LOG"; fi
log() { echo "member-handler: $event: $*" >&2; }

case $event in
  member-join|member-update|member-leave|member-failed|member-reap) ;;
  *) exit 0 ;;  # user events and queries are not ours
esac

# Read all of stdin before locking; awk keeps empty fields (bash `read` would merge two tabs).
lines=$(awk -F'\t' 'NF >= 2 { print $1 "\t" $2 "\t" ($3 == "" ? "-" : $3) }')

mkdir -p "$nodes"
exec 9>"${HANDLER_LOCK:-$nodes/.lock}"
flock -w 60 9 || { log "could not lock ${HANDLER_LOCK:-$nodes/.lock}"; exit 1; }

done_=() ignored=()
while IFS=$'\t' read -r name addr role; do
  [ -n "$name" ] || continue
  if ! [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$ ]]; then ignored+=("bad name '$name'"); continue; fi
  case $event in
    member-join|member-update)
      if [ "$role" = backend ]; then
        printf '%s\n' "$addr" > "$nodes/.$name.tmp" && mv -f "$nodes/.$name.tmp" "$nodes/$name"
        done_+=("+$name=$addr")
      elif [ -e "$nodes/$name" ]; then  # an update that dropped the backend role
        rm -f "$nodes/$name"; done_+=("-$name")
      else ignored+=("$name($role)"); fi ;;
    *) if [ -e "$nodes/$name" ]; then rm -f "$nodes/$name"; done_+=("-$name"); else ignored+=("$name($role)"); fi ;;
  esac
done <<< "$lines"

if [ ${#done_[@]} -eq 0 ]; then log "nothing to do for ${ignored[*]:-no member}"; exit 0; fi
before=$(cksum 2>/dev/null < "$cfg")
if ! err=$("$render" "$nodes" "$template" "$cfg" 2>&1); then
  log "${done_[*]}; render failed, $cfg unchanged: $(echo "$err" | grep -m1 ALERT || echo "$err" | head -n1)"
  exit 1
fi
count=$(ls "$nodes" | wc -l)
pending=$nodes/.reload-pending  # left by a failed reload: the next event retries it
what="config rewritten"
if [ "$before" = "$(cksum < "$cfg")" ]; then
  [ -e "$pending" ] || { log "${done_[*]}; $count backends; config unchanged, no reload"; exit 0; }
  what="config unchanged, earlier reload failed"
fi
if out=$(sh -c "$reload" 2>&1); then
  rm -f "$pending"
  log "${done_[*]}; $count backends; $what, reloaded"
else
  touch "$pending"
  log "${done_[*]}; $count backends; $what, reload FAILED (retried next event): $(echo "$out" | tr '\n' ' ')"
  exit 1
fi
