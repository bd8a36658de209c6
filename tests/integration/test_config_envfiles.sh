#!/usr/bin/env bash
# environment_file and secrets (issue 15): KEY=value files with the usual quoting and comments,
# '-' for an optional file, read again at each start; secret files (Docker and Kubernetes
# convention) put their content, trailing newline stripped, in a variable. Unreadable, oversized
# or untrusted files are a clear start failure; a secret's value appears nowhere in the
# supervisor's own output (log at debug level, status, status --json, errors).
source "$(dirname "$0")/lib.sh"

SECRET='s3cr3t-Value-7f1d'
mkdir -p "$T/etc" "$T/secrets"
cat >"$T/etc/app.env" <<'EOF'
# a comment, then a blank line

PLAIN=hello world   # a comment after a value
export EXPORTED=yes
SINGLE='$HOME "is" literal'
DOUBLE="line1\nline2 \"quoted\" \$NOT"
MULTI="first
second"
EMPTY=
OVERRIDE=from-file
EOF
printf '%s\n' "$SECRET" >"$T/secrets/db"
printf 'alpha\n\n' >"$T/secrets/two-newlines"

service app "command = [\"sh\", \"-c\", \"printf '%s|' \\\"\$TWO\\\" > $T/two.out; env > $T/app.out; exec sleep 100000\"]
environment = { OVERRIDE = \"from-toml\" }
environment_file = [\"$T/etc/app.env\", \"-$T/etc/missing.env\"]
secrets = { DB_PASSWORD = \"$T/secrets/db\", TWO = \"$T/secrets/two-newlines\" }"
start_pid1 --log-level debug
envline() { grep -a "^$1=" "$T/app.out" | head -1; }
check "the service started with its files" wait_until 5 grep -q '^DB_PASSWORD=' "$T/app.out"
check "unquoted value trimmed, comment after it dropped" test "$(envline PLAIN)" = "PLAIN=hello world"
check "export KEY=value" test "$(envline EXPORTED)" = "EXPORTED=yes"
check "single quotes are literal" test "$(envline SINGLE)" = 'SINGLE=$HOME "is" literal'
check "double quotes take escapes" eval '[ "$(grep -a -A1 "^DOUBLE=" "$T/app.out")" = "DOUBLE=line1
line2 \"quoted\" \$NOT" ]'
check "a quoted value spans lines" eval '[ "$(grep -a -A1 "^MULTI=" "$T/app.out")" = "MULTI=first
second" ]'
check "an empty value" test "$(envline EMPTY)" = "EMPTY="
check "the file overrides environment" test "$(envline OVERRIDE)" = "OVERRIDE=from-file"
check "a missing optional (-) file is skipped" test "$(state_of app)" = running
check "the secret's content is the variable, newline stripped" test "$(envline DB_PASSWORD)" = "DB_PASSWORD=$SECRET"
check "only one trailing newline is stripped" eval '[ "$(cat "$T/two.out")" = "alpha
|" ]'

# read at each start
sed -i 's/^PLAIN=.*/PLAIN=changed/' "$T/etc/app.env"
rm -f "$T/app.out"
ctl restart app >/dev/null
check "the file is read again at each start" wait_until 5 eval '[ "$(envline PLAIN)" = "PLAIN=changed" ]'

# failures: missing, oversized, malformed, untrusted; each a clear start failure
service nofile "command = [\"sleep\", \"100000\"]
environment_file = [\"$T/etc/nope.env\"]
[restart]
policy = \"never\""
head -c 70000 /dev/zero | tr '\0' 'x' | sed 's/^/BIG=/' >"$T/etc/big.env"
service big "command = [\"sleep\", \"100000\"]
environment_file = [\"$T/etc/big.env\"]
[restart]
policy = \"never\""
printf 'OK=1\n%s\n' "$SECRET" >"$T/etc/malformed.env"   # a line that is a value: never echoed
service malformed "command = [\"sleep\", \"100000\"]
environment_file = [\"$T/etc/malformed.env\"]
[restart]
policy = \"never\""
service nosecret "command = [\"sleep\", \"100000\"]
secrets = { API_KEY = \"$T/secrets/none\" }
[restart]
policy = \"never\""
mkdir -p "$T/open"
printf '%s' "$SECRET" >"$T/open/db"
chmod 666 "$T/open/db"
service untrusted "command = [\"sleep\", \"100000\"]
secrets = { DB_PASSWORD = \"$T/open/db\" }
[restart]
policy = \"never\""
ctl reload >/dev/null
reason_has() { ctl status "$1" 2>/dev/null | grep -qE -- "$2"; }
check "a missing environment file: failed, saying so" wait_until 5 reason_has nofile "environment_file $T/etc/nope.env: .*No such file"
check "an oversized one: failed, naming the limit" wait_until 5 reason_has big "big.env: .*over the limit of 64KiB"
check "a malformed one: failed with its line" wait_until 5 reason_has malformed "malformed.env: line 2: not KEY=value"
check "a missing secret: failed, naming the variable and file" wait_until 5 reason_has nosecret "secret API_KEY: $T/secrets/none: .*No such file"
check "a secret file others can write: refused" wait_until 5 reason_has untrusted "refused to read secret DB_PASSWORD: $T/open/db: .*writable by every user"
check "the failures are in the log too" log_has "nofile: .*environment_file $T/etc/nope.env"

# the value appears nowhere in the supervisor's output
run_ctl status
STATUS=$OUT
run_ctl status --json
JSON=$OUT
run_ctl start malformed
check "start of a failing service says why, without the value" eval '[ "$RC" = 1 ] && out_has "line 2: not KEY=value" && ! out_has "$SECRET"'
check "the secret's value is not in status" eval '! grep -qF -- "$SECRET" <<<"$STATUS"'
check "... nor in status --json" eval '! grep -qF -- "$SECRET" <<<"$JSON"'
check "... nor in PID 1's log (debug level)" eval '! grep -qF -- "$SECRET" "$LOG"'
check "... which did log the services (the check can fail)" log_has "app: started"
ctl shutdown >/dev/null
wait_exit 10
check "... nor after shutdown" eval '! grep -qF -- "$SECRET" "$LOG"'
finish
