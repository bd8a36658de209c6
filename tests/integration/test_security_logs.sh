#!/usr/bin/env bash
# [log] file as a root PID 1 with a service (nobody) that can write the log's directory: a
# symbolic link at the log path to a root-owned file, a dangling link, a FIFO, and a directory
# the service owns. PID 1 appends to none of them, creates nothing where a link points, never
# blocks (status keeps answering), and says why it refuses.
source "$(dirname "$0")/lib.sh"
chmod 755 "$T"
mkdir -m 1777 "$T/sticky"          # like /tmp: anyone may create, nobody may replace root's files
mkdir "$T/owned" && chown nobody "$T/owned"   # a log directory the service owns
printf 'root:x:0:0::/root:/bin/sh\n' >"$T/target" && chmod 644 "$T/target"   # a root-owned 0644 file

# Each attacker plants its trap, then prints the line PID 1 would append.
attacker() {  # NAME LOGDIR SETUP
    cat >"$T/$1.sh" <<EOF2
$3
echo 'evil::0:0::/root:/bin/sh'
exec sleep 100000
EOF2
    service "$1" "command = [\"/bin/sh\", \"$T/$1.sh\"]
user = \"nobody\"
[log]
stdout = \"file\"
file = \"$2/$1.log\""
}
attacker symlink "$T/sticky" "ln -s $T/target $T/sticky/symlink.log"
attacker dangling "$T/sticky" "ln -s $T/created-by-root $T/sticky/dangling.log"
attacker fifo "$T/sticky" "mkfifo $T/sticky/fifo.log; (exec 3<>$T/sticky/fifo.log; sleep 100000) &"
attacker owned "$T/owned" "ln -s $T/target $T/owned/owned.log"
service honest "command = [\"/bin/sh\", \"-c\", \"echo honest line; exec sleep 100000\"]
[log]
stdout = \"file\"
file = \"$T/sticky/honest.log\""

# Rotation (renameat within the held directory): the service plants links at the names the
# rotation renames to, then writes enough for several rotations of a 4 KiB file.
cat >"$T/rot.sh" <<EOF2
ln -s $T/target $T/sticky/rot.log.1
ln -s $T/target $T/sticky/rot.log.2
i=0; while [ \$i -lt 40 ]; do printf 'evil::0:0::/root:/bin/sh %0500d\\n' \$i; i=\$((i + 1)); done
echo rotated-done
exec sleep 100000
EOF2
service rot "command = [\"/bin/sh\", \"$T/rot.sh\"]
user = \"nobody\"
[log]
stdout = \"file\"
file = \"$T/sticky/rot.log\"
max_size = \"4KiB\"
max_files = 3"

start_pid1
check "the symlink attack is refused, saying why" wait_until 10 log_has "symlink: refusing to write $T/sticky/symlink.log: it is a symbolic link"
check "the root-owned target is untouched" eval '! grep -q evil "$T/target"'
check "a dangling link: refused" wait_until 10 log_has "dangling: refusing to write $T/sticky/dangling.log: it is a symbolic link"
check "and nothing created where it points" test ! -e "$T/created-by-root"
check "a FIFO (with a reader): refused, PID 1 not blocked" wait_until 10 log_has "fifo: refusing to write $T/sticky/fifo.log: it is a FIFO"
check "a directory the service owns: refused, naming the owner and the fix" wait_until 10 log_has "owned: refusing to write $T/owned/owned.log: its directory $T/owned is owned by uid [0-9]+ \(not root\).*fix: chown root"
check "rotation: the last line reached the current file" wait_until 10 grep -q rotated-done "$T/sticky/rot.log"
check "  rot.log, rot.log.1 and rot.log.2 are root's regular files, no longer links" eval \
    'for f in rot.log rot.log.1 rot.log.2; do [ -f "$T/sticky/$f" ] && [ ! -L "$T/sticky/$f" ] && [ "$(stat -c %u "$T/sticky/$f")" = 0 ] || exit 1; done'
check "  rot.log.3 the oldest kept, no rot.log.4 (max_files = 3), each file at most 4 KiB" eval \
    '[ -f "$T/sticky/rot.log.3" ] && [ ! -e "$T/sticky/rot.log.4" ] && [ "$(stat -c %s "$T/sticky/rot.log.1")" -le 4096 ]'
check "  the root-owned file the links pointed to is untouched" eval '[ "$(cat "$T/target")" = "root:x:0:0::/root:/bin/sh" ]'
check "status still answers" eval 'ctl status >/dev/null'
check "an honest service's file in the same sticky directory is written" wait_until 10 grep -q "honest line" "$T/sticky/honest.log"
finish
