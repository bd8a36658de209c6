#!/usr/bin/env bash
# `supervisor check` verifies the image, not just the syntax (issue 15): what a valid file names
# must exist where it will run, each failure at file:line:col; --syntax-only skips that;
# --root DIR checks an unpacked image tree from outside; every error (per-file and dependency)
# in one report; files that are not loaded are named as warnings.
source "$(dirname "$0")/lib.sh"

run_check() { OUT=$(timeout 10 "$BIN" check "$@" 2>&1); RC=$?; }

# ---- the image: what a valid file names must exist ------------------------------------------
service web 'command = ["no-such-binary"]
user = "nosuchuser"
group = "nosuchgroup"
directory = "/no/such/dir"
environment_file = ["/no/such.env", "-/no/optional.env", "'"$T"'/bad.env"]
[ready]
command = ["no-ready-probe"]
[health]
command = ["/bin/no-health-probe"]
[reload]
check = ["no-reload-check"]
watch = ["/no/where/app.conf"]
[log]
stdout = "file"
file = "/etc/passwd/logs/web.log"'
printf 'GOOD=1\nthis line has no equals sign\n' >"$T/bad.env"
run_check --config-dir "$CONF"
check "check: an image problem is exit 78" test "$RC" = 78
check "command's program not in PATH, at file:line:col" out_has "web.toml:1:11: \`command\`: cannot find 'no-such-binary' in PATH"
check "user not in /etc/passwd" out_has "web.toml:2:8: \`user\`: no user 'nosuchuser' in /etc/passwd"
check "group not in /etc/group" out_has "web.toml:3:9: \`group\`: no group 'nosuchgroup' in /etc/group"
check "directory missing" out_has "web.toml:4:13: \`directory\`: /no/such/dir does not exist"
check "a missing environment_file" out_has "web.toml:5:21: \`environment_file\`: /no/such.env: "
check "a missing optional (-) environment_file is fine" eval '! out_has "optional.env"'
check "an environment_file that does not parse, with its line" out_has "web.toml:5:[0-9]+: \`environment_file\`: $T/bad.env: line 2: not KEY=value"
check "readiness command not in PATH" out_has "web.toml:7:11: \`ready.command\`: cannot find 'no-ready-probe'"
check "health command not executable" out_has "web.toml:9:11: \`health.command\`: /bin/no-health-probe does not exist"
check "reload check not in PATH" out_has "web.toml:11:9: \`reload.check\`: cannot find 'no-reload-check'"
check "a watch path whose directory is missing" out_has "web.toml:12:10: \`reload.watch\`: the directory /no/where does not exist"
check "a log file whose directory cannot be made" out_has "web.toml:15:8: \`log.file\`: /etc/passwd is not a directory"
check "all of them at once, counted" out_has "^11 errors in "
run_check --config-dir "$CONF" --syntax-only
check "--syntax-only: the same file is valid" eval '[ "$RC" = 0 ] && out_has "1 service, all valid \(syntax only\)"'
service web 'command = "exec sleep 1"
user = "0"
directory = "/"
environment_file = ["-/no/optional.env"]'
run_check --config-dir "$CONF"
check "a shell command, a bare uid and an existing directory pass" eval '[ "$RC" = 0 ] && out_has "1 service, all valid$"'
rm -f "$CONF"/*.toml

# PATH: an environment file's comes after `environment` (as at a start), and is never shown
chmod 755 "$T"
printf 'PATH=/secret-looking/bin\n' >"$T/path.env"
service web "command = [\"sleep\", \"1\"]
environment = { PATH = \"/bin:/usr/bin\" }
environment_file = [\"$T/path.env\"]"
run_check --config-dir "$CONF"
check "an environment file's PATH wins over environment's (sleep is not found in it)" \
    eval '[ "$RC" = 78 ] && out_has "web.toml:1:11: \`command\`: cannot find .sleep. in PATH \(as an environment_file sets it\)"'
check "...and its value is not shown" eval '! out_has secret-looking'
start_pid1
check "at a start too: the same failure, the value not shown" wait_until 10 eval \
    'grep -q "web: cannot find .sleep. in PATH (as an environment_file sets it)" "$LOG" && ! grep -q secret-looking "$LOG"'
ctl shutdown >/dev/null; wait_exit 10
rm -f "$CONF"/*.toml
service web 'command = ["/etc/passwd"]'
run_check --config-dir "$CONF"
check "a program that is a file but not executable" eval '[ "$RC" = 78 ] && out_has "web.toml:1:11: \`command\`: /etc/passwd is not an executable file"'
rm -f "$CONF"/*.toml

# ---- inside the image: what the supervisor would refuse at run time (trust.hpp) -------------
mkdir -p "$T/open"
cp /bin/true "$T/open/tool"
printf 'A=1\n' >"$T/open/app.env"
chmod 777 "$T/open"
service web "command = [\"$T/open/tool\"]
environment_file = [\"$T/open/app.env\"]"
run_check --config-dir "$CONF"
check "a program run as root that others could replace: refused, as at run time" \
    out_has "web.toml:1:11: \`command\`: refused at run time: $T/open/tool .*writable by every user"
check "an environment file others could change: refused, as at run time" \
    out_has "web.toml:2:21: \`environment_file\`: refused to read $T/open/app.env: .*writable by every user"
service web "command = [\"$T/open/tool\"]
user = \"nobody\""
run_check --config-dir "$CONF"
check "the same program run as another user is not refused" eval '[ "$RC" = 0 ]'
rm -f "$CONF"/*.toml

# ---- --root: an unpacked image, every path inside it ----------------------------------------
IMG=$T/image
mkdir -p "$IMG/etc/supervisor.d" "$IMG/usr/bin" "$IMG/etc/alternatives" "$IMG/srv/app" "$IMG/etc/app"
ln -s usr/bin "$IMG/bin"
cp /bin/true "$IMG/usr/bin/real-tool"
ln -s /usr/bin/real-tool "$IMG/etc/alternatives/tool"   # absolute links resolve inside the image
ln -s /etc/alternatives/tool "$IMG/usr/bin/tool"
cp /bin/true "$IMG/usr/bin/sh"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/srv/app:/bin/sh\n' >"$IMG/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$IMG/etc/group"
printf '# app settings\nexport MODE="production"\n' >"$IMG/etc/app/app.env"
cat >"$IMG/etc/supervisor.d/app.toml" <<'EOF'
command = ["tool", "--serve"]
user = "app"
group = "app"
directory = "/srv/app"
environment_file = ["/etc/app/app.env"]
[ready]
command = ["/bin/tool"]
EOF
run_check --root "$IMG"
check "--root: a good image passes (links resolved inside it)" eval '[ "$RC" = 0 ] && out_has "^$IMG/etc/supervisor.d: 1 service, all valid$"'
sed -i 's/tool", "--serve"/sleep", "1000"/' "$IMG/etc/supervisor.d/app.toml"
grep -v '^app:' "$IMG/etc/passwd" >"$IMG/etc/passwd.new" && mv "$IMG/etc/passwd.new" "$IMG/etc/passwd"
rm "$IMG/etc/app/app.env"
run_check --root "$IMG"
check "--root: a program of the host (sleep) that the image lacks is an error" out_has "app.toml:1:11: \`command\`: cannot find 'sleep' in PATH"
check "--root: the image's /etc/passwd is read, not the host's" out_has "app.toml:2:8: \`user\`: no user 'app' in /etc/passwd"
check "--root: environment files are looked up in the image" out_has "app.toml:5:21: \`environment_file\`: /etc/app/app.env: "
check "--root: exit 78" test "$RC" = 78
run_check --root "$IMG" --syntax-only
check "--root --syntax-only: the files alone" test "$RC" = 0

# ---- every error at once, dependencies included ---------------------------------------------
service web 'command = ["sleep", "1000"]'
service app 'command = ["sleep", "1000"]
after = ["wbe"]
restrat = { policy = "never" }'
service x 'command = ["sleep", "1000"]
after = ["y"]'
service y 'command = ["sleep", "1000"]
after = ["x"]'
service broken 'command = ["sleep", "1"'
run_check --config-dir "$CONF"
check "dependency error with line:col and did-you-mean, beside per-file errors" \
    out_has "app.toml:2:10: \`after\`: unknown service \"wbe\" \(no wbe.toml\); did you mean \"web\"\?"
check "... the per-file error of the same file in the same report" out_has "app.toml:3:1: unknown key \`restrat\`"
check "... the syntax error of another file too" out_has "broken.toml:[0-9]+:[0-9]+: "
check "... and a cycle, at its position" out_has "y.toml:2:10: dependency cycle: x -> y -> x"
check "... all counted in one report" out_has "^4 errors in "
rm -f "$CONF"/*.toml

# ---- files that are not loaded are named ----------------------------------------------------
service web 'command = ["sleep", "1000"]'
echo 'command: sleep' >"$CONF/db.yaml"
echo 'read me' >"$CONF/README"
echo 'command = ["sleep", "1"]' >"$CONF/Cache.TOML"
echo 'command = ["sleep", "1"]' >"$CONF/.editor-backup.toml"
mkdir "$CONF/subdir"
run_check --config-dir "$CONF"
check "warnings do not fail the check" eval '[ "$RC" = 0 ] && out_has "1 service, all valid, 3 warnings$"'
check "a wrong extension is named" out_has "db.yaml: warning: not loaded: only NAME.toml files are service files"
check "a wrong case is named, with the fix" out_has "Cache.TOML: warning: not loaded: service files end in \".toml\", in lower case \(rename it Cache.toml\)"
check "README is named" out_has "/README: warning: not loaded"
check "dotfiles and directories are not" eval '! out_has "editor-backup|subdir"'
start_pid1
check "at boot the same warnings are logged" wait_until 5 log_has "warning: .*Cache.TOML: not loaded"
echo 'command: x' >"$CONF/extra.yml"
ctl reload >/dev/null
check "... and at reload" wait_until 5 log_has "warning: reload: .*extra.yml: not loaded"
finish
