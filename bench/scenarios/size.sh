# Static binary size: bytes on disk of the stripped, statically linked binaries (readelf says
# whether each is static (no interpreter) and stripped (no symbol table); a dynamic one is
# reported with a note: not comparable).
# Ours: build-static/supervisor. tini-static and dumb-init from Debian, catatonit if installed.
# s6, runit, supervisord are several programs (and a Python runtime): n/a.
scenario_size() {
  local peer path bytes kind
  for peer in ours tini dumb-init catatonit; do
    case $peer in
      ours) path=$OURS_STATIC;;
      tini) path=/usr/bin/tini-static;;
      dumb-init) path=/usr/bin/dumb-init;;
      catatonit) path=/usr/bin/catatonit;;
    esac
    if [ ! -f "$path" ]; then
      record_na size "static binary" bytes "$peer" "$path not installed"
      continue
    fi
    bytes=$(stat -c %s "$path")
    local note=""
    readelf -lW "$path" 2>/dev/null | grep -q 'INTERP' && note="${path##*/} is dynamically linked: not comparable"
    readelf -SW "$path" 2>/dev/null | grep -q ' \.symtab ' && note+="${note:+; }${path##*/} is not stripped: not comparable"
    record size "static binary" bytes "$peer" 1 "$bytes" "$note"
    say size "$peer: $bytes bytes${note:+ ($note)}"
  done
  for peer in s6 runit supervisord; do
    record_na size "static binary" bytes "$peer" "several programs (supervisord: a Python program)"
  done
}
