#!/bin/bash
# render.sh NODES_DIR TEMPLATE OUT: writes the HAProxy config OUT from TEMPLATE, with the line
# "# @SERVERS@" replaced by one `server NAME ADDR:PORT check` per file in NODES_DIR (file name =
# member name, content = its address), sorted by name. OUT is replaced atomically (temp file in
# its directory + rename) and only once `haproxy -c` accepts the result; an identical result
# leaves OUT untouched. On failure OUT is untouched, haproxy's message goes to stderr, exit 1.
# Env: BACKEND_PORT (3000), HAPROXY_BIN (haproxy). Dot-files in NODES_DIR are ignored.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 NODES_DIR TEMPLATE OUT" >&2; exit 2; }
nodes=$1 template=$2 out=$3
port=${BACKEND_PORT:-3000}
marker='# @SERVERS@'
export LC_ALL=C

[ "$(grep -cx "$marker" "$template")" = 1 ] || { echo "render: $template needs exactly one '$marker' line" >&2; exit 1; }
tmp=$(mktemp "$(dirname "$out")/.$(basename "$out").XXXXXX")
trap 'rm -f "$tmp" "$tmp.servers" "$tmp.check"' EXIT

for f in "$nodes"/*; do
  [ -f "$f" ] || continue
  name=${f##*/}
  addr=$(head -n1 "$f" | tr -d '[:space:]')
  if ! [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$ ]]; then echo "render: skipping bad member name '$name'" >&2; continue; fi
  if [[ $addr =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then :
  elif [[ $addr =~ ^[0-9A-Fa-f:.]+$ && $addr == *:* ]]; then addr="[$addr]"
  else echo "render: skipping $name: bad address '$addr'" >&2; continue; fi
  printf '    server %s %s:%s check\n' "$name" "$addr" "$port"
done | sort > "$tmp.servers"

awk -v marker="$marker" -v servers="$tmp.servers" \
  '$0 == marker { while ((getline l < servers) > 0) print l; next } { print }' "$template" > "$tmp"

if ! "${HAPROXY_BIN:-haproxy}" -c -f "$tmp" > "$tmp.check" 2>&1; then
  echo "render: haproxy rejected the generated config, $out left as it was:" >&2
  cat "$tmp.check" >&2
  exit 1
fi
if cmp -s "$tmp" "$out"; then exit 0; fi
chmod 644 "$tmp"
mv -f "$tmp" "$out"
