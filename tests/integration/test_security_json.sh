#!/usr/bin/env bash
# JSON output stays valid for a strict decoder whatever bytes a service sends: json log lines
# (surrogates, overlong forms, F5+ lead bytes, a lone FF) and `status --json` (a STATUS= from
# sd_notify with the same bytes). Python decodes each as strict UTF-8, then as JSON.
source "$(dirname "$0")/lib.sh"

cat >"$T/emit.py" <<'PY'
import os, socket, sys, time
bad = [b"\xed\xa0\x80", b"\xe0\x80\x80", b"\xf5\x80\x80\x80", b"\xff", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\x1b[31m"]
for b in bad:
    sys.stdout.buffer.write(b"bad <" + b + b"> end\n")
sys.stdout.buffer.write(b"good caf\xc3\xa9 \xf0\x9f\x98\x80\n")
sys.stdout.flush()
addr = os.environ["NOTIFY_SOCKET"]
addr = "\0" + addr[1:] if addr.startswith("@") else addr
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1\nSTATUS=st <" + b"|".join(bad) + b">", addr)
time.sleep(100000)
PY
service emitter "command = [\"$PY\", \"$T/emit.py\"]
[ready]
notify = true
[log]
format = \"json\""

cat >"$T/strict.py" <<'PY'
import json, sys
# Strict: bytes -> str by the strict UTF-8 codec (no surrogates, overlongs or F5+), then JSON.
data = open(sys.argv[1], "rb").read()
lines = [l for l in data.split(b"\n") if l.startswith(sys.argv[2].encode())] if len(sys.argv) > 2 else [data]
ok = 0
for l in lines:
    text = l.decode("utf-8", "strict")
    value = json.loads(text)
    ok += 1
print(ok)
PY
start_pid1
check "the emitter is ready" wait_until 10 eval 'ctl status --wait-ready emitter >/dev/null 2>&1'
check "its 8 lines were written" wait_until 10 eval '[ "$(grep -c "\"service\":\"emitter\"" "$LOG")" -ge 8 ]'
check "every json log line decodes as strict UTF-8 JSON" eval '[ "$("$PY" "$T/strict.py" "$LOG" "{" 2>&1)" -ge 8 ]'
check "a well-formed line passes unchanged" eval '"$PY" - "$LOG" <<"PY"
import json, sys
lines = [json.loads(l.decode("utf-8")) for l in open(sys.argv[1], "rb").read().split(b"\n") if l.startswith(b"{")]
assert any(l["line"] == "good caf\u00e9 \U0001F600" for l in lines), lines
assert any(l["line"] == "bad <\ufffd\ufffd\ufffd> end" for l in lines), lines
assert any(l["line"] == "bad <\x1b[31m> end" for l in lines), lines
PY'
ctl status --json >"$T/status.json"
check "status --json decodes as strict UTF-8 JSON with the STATUS= bytes in it" eval '[ "$("$PY" "$T/strict.py" "$T/status.json" 2>&1)" = 1 ] && grep -q "st <" "$T/status.json"'
finish
