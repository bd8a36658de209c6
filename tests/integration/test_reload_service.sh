#!/usr/bin/env bash
# A service's own reload ([reload] signal, check, watch): `supervisor reload NAME` sends the
# signal (same pid) or, without one, restarts; a failing check refuses the reload with its
# output; a watched file replaced by rename triggers a reload, bursts are debounced, a failing
# check on a watched change leaves the service alone, and a change made while a check runs is
# not lost.
source "$(dirname "$0")/lib.sh"

# check_cfg.sh FILE [SECONDS]: a config check. It reads FILE (and leaves a copy in
# $T/NAME.checked), takes SECONDS as a real check may, then passes if FILE said "valid...".
cat >"$T/check_cfg.sh" <<'EOF'
content=$(cat "$1")
echo "$content" >"${0%/*}/${1##*/}.checked"
sleep "${2:-0}"
case $content in valid*) exit 0 ;; esac
echo "${1##*/} is not valid: $content"
exit 1
EOF
CFG=$CONF/app.cfg  # beside the service files: the loader ignores it
SLOWCFG=$CONF/slow.cfg
echo "valid 0" >"$CFG"
echo "valid 0" >"$SLOWCFG"
replace() { printf '%s\n' "$2" >"$1.tmp" && mv -f "$1.tmp" "$1"; }  # the way generators write

recorder() { echo "command = [\"sh\", \"$T/recorder.sh\", \"$T/$1.signals\"]"; }
service sig "$(recorder sig)
[reload]
signal = \"SIGUSR2\""
service chk "$(recorder chk)
[reload]
signal = \"SIGUSR2\"
check = [\"sh\", \"-c\", \"echo 'chk.conf:3: unknown directive'; exit 1\"]"
service plain 'command = ["sleep", "1001"]'
service web "$(recorder web)
[reload]
signal = \"SIGUSR2\"
check = [\"sh\", \"$T/check_cfg.sh\", \"$CFG\"]
watch = [\"$CFG\"]"
service slow "$(recorder slow)
[reload]
signal = \"SIGUSR2\"
check = [\"sh\", \"$T/check_cfg.sh\", \"$SLOWCFG\", \"1\"]
watch = [\"$SLOWCFG\"]"
start_pid1
ctl status --wait-ready 10s >/dev/null
SIG=$(pid_of sig) CHK=$(pid_of chk) PLAIN=$(pid_of plain) WEB=$(pid_of web) SLOW=$(pid_of slow)
usr2() { recorded "$T/$1.signals" USR2; }
signals() { cat "$T/$1.signals" 2>/dev/null | wc -l; }

# [reload] signal
run_ctl reload sig
check "reload sig: exit 0, says SIGUSR2 was sent" eval '[ "$RC" = 0 ] && out_has "^sig: reloading \(SIGUSR2 to pid $SIG\)"'
check "reload sig: it got SIGUSR2" wait_until 5 eval '[ "$(usr2 sig)" = 1 ]'
check "reload sig: same pid, no other signal" eval '[ "$(pid_of sig)" = "$SIG" ] && [ "$(signals sig)" = 1 ]'

# [reload] check that fails
run_ctl reload chk
check "reload chk: non-zero exit" test "$RC" != 0
check "reload chk: prints the check's output" out_has "chk.conf:3: unknown directive"
check "reload chk: says the reload was refused" out_has "^chk: reload refused: check"
check "reload chk: logged as refused, with the check's output" \
    eval 'log_has "chk: reload refused" && log_has "chk.conf:3: unknown directive"'
check "reload chk: same pid, not a single signal" eval '[ "$(pid_of chk)" = "$CHK" ] && alive "$CHK" && [ "$(signals chk)" = 0 ]'

# No [reload] signal: reload means restart.
run_ctl reload plain
NEW=$(pid_of plain)
check "reload plain: exit 0, restarted with a new pid" eval '[ "$RC" = 0 ] && [ "$NEW" != "$PLAIN" ] && out_has "^plain: running \(pid $NEW\)"'
check "reload plain: the old process is gone, the new one runs" eval 'gone "$PLAIN" && alive "$NEW"'
run_ctl reload nope
check "reload of an unknown service: non-zero" eval '[ "$RC" != 0 ] && out_has "unknown service: nope"'

# [reload] watch: replacing the file by rename reloads web (its check passes: SIGUSR2).
replace "$CFG" "valid 1"
check "a watched file replaced by rename triggers a reload" wait_until 5 eval '[ "$(usr2 web)" = 1 ]'
check "the log says a watched file changed" log_has "web: a watched file changed"

# A burst of 20 replacements gives a few reloads at most (debounced).
TS=$(now_ts)
for i in $(seq 1 20); do replace "$CFG" "valid burst $i"; done
reloads() { log_count_since "$TS" "web: reloading \(SIGUSR2"; }
quiet() { local n=$(reloads); sleep 0.5; [ "$n" -ge 1 ] && [ "$(reloads)" = "$n" ]; }  # > 2 debounce periods
check "the burst triggered a reload, then nothing more" wait_until 10 quiet
echo "# 20 replacements in a burst gave $(reloads) reload(s)"
check "the burst gave fewer than 5 reloads" test "$(reloads)" -lt 5
check "web got one SIGUSR2 per reload" wait_until 5 eval '[ "$(usr2 web)" = $((1 + $(reloads))) ]'

# A watched change that fails the check: web runs on, untouched.
BEFORE=$(signals web)
TS=$(now_ts)
replace "$CFG" "garbage"
check "a failing check on a watched change: reload refused" wait_until 5 eval '[ "$(log_count_since "$TS" "web: reload refused: check")" = 1 ]'
check "the check's output is logged" log_has "app.cfg is not valid: garbage"
check "web still runs on its first pid, no new signal" eval '[ "$(pid_of web)" = "$WEB" ] && alive "$WEB" && [ "$(signals web)" = "$BEFORE" ]'
run_ctl reload web
check "reload web by hand with the bad file: non-zero, with the check's output" eval '[ "$RC" != 0 ] && out_has "app.cfg is not valid: garbage"'
replace "$CFG" "valid again"
check "the fixed file reloads again" wait_until 5 eval '[ "$(signals web)" = $((BEFORE + 1)) ] && [ "$(usr2 web)" -gt 1 ]'
check "web kept its pid throughout" test "$(pid_of web)" = "$WEB"

# A change made while a check runs is not lost: a broken file, fixed while its (one second)
# check runs, ends in a reload with the fixed file.
WEB_SIGNALS=$(signals web)
replace "$SLOWCFG" "garbage"
wait_until 5 grep -qs garbage "$T/slow.cfg.checked"  # the check of "garbage" is running
replace "$SLOWCFG" "valid fixed"
check "the check of the broken file refused the reload" wait_until 5 log_has "slow.cfg is not valid: garbage"
check "the fix made during that check is reloaded (SIGUSR2)" wait_until 5 eval '[ "$(usr2 slow)" = 1 ]'
check "slow kept its pid" eval 'alive "$SLOW" && [ "$(pid_of slow)" = "$SLOW" ]'
check "changes to slow.cfg did not reload web" test "$(signals web)" = "$WEB_SIGNALS"

finish
