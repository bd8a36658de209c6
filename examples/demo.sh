#!/usr/bin/env bash
# The demo: the example services in examples/basic supervised by our binary as PID 1 of a fresh
# PID namespace. Shows start order, output tagging, crash/backoff/give-up, a live reload and a
# graceful shutdown. Cleans up everything it started, also when interrupted.
set -euo pipefail
BIN=$(readlink -f "${1:-build/supervisor}")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/supervisor-demo.XXXXXX)
cp "$HERE"/basic/*.toml "$WORK"/ && mkdir -p "$WORK/d" && mv "$WORK"/*.toml "$WORK/d/"
SOCK=$WORK/sock
UNSHARE=""
cleanup() {
  [ -n "$UNSHARE" ] && kill -9 "$UNSHARE" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ctl() { "$BIN" "$@" --socket "$SOCK"; }

say "starting the supervisor as PID 1 of a new PID namespace (services in $WORK/d)"
unshare --pid --fork --mount-proc --kill-child "$BIN" --config-dir "$WORK/d" --socket "$SOCK" &
UNSHARE=$!
ctl status --wait-ready 10s || true

say "status (setup ran first, worker waited for it)"
ctl status
sleep 3
say "flaky crashed and is being restarted with backoff"
ctl status flaky || true

say "adding a service: drop a file and send SIGHUP (reload); nothing else restarts"
cat > "$WORK/d/hello.toml" <<'TOML'
command = "echo 'hello: added by a reload'; exec sleep 1000"
TOML
PID1=$(pgrep -P "$UNSHARE")
kill -HUP "$PID1"
sleep 1
ctl status

say "restarting one service by hand"
ctl restart worker

sleep 4
say "flaky gave up after 3 failed starts"
ctl status flaky || true

say "graceful shutdown: SIGTERM to PID 1"
kill -TERM "$PID1"
wait "$UNSHARE" && rc=0 || rc=$?
UNSHARE=""
say "PID 1 exited with status $rc"
