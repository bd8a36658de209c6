#!/usr/bin/env bash
# A long randomized run against one PID 1 (field_random.py): FIELD_SECONDS (default 60) of random
# edits, reloads, requests, crashes, orphans, floods and kills, with invariants checked after
# every step. The seed is printed; FIELD_SEED=N replays it. FIELD_CHECK_<NAME>=0 turns one
# invariant off (see field_random.py for the names).
if [ "$(id -u)" != 0 ]; then echo "needs root (unshare --pid)" >&2; exit 1; fi
BIN=${SUPERVISOR_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/supervisor}
SUPERVISOR_BIN=$BIN exec python3 "$(dirname "$0")/field_random.py"
