#!/usr/bin/env bash
# lab.sh: the lab's "containers" as Linux namespaces on this machine, no Docker engine needed.
# A library (source it: lab_up, lab_down, lab_exec, lab_kill, lab_cleanup, lab_pid1, ...) and a CLI:
#
#   lab.sh up NAME ROLE [IP]   start a container. ROLE: ha | logs | webapp (the images'
#                              files and service files), or client (a network namespace only)
#   lab.sh down NAME [TIMEOUT] SIGTERM to its PID 1 (a `docker stop`), SIGKILL after TIMEOUT
#                              (30s), then its network is removed
#   lab.sh exec NAME CMD...    run CMD inside it (a `docker exec`)
#   lab.sh kill NAME SIGNAL    send SIGNAL to its PID 1 (a `docker kill -s`)
#   lab.sh pid NAME            the host pid of its PID 1
#   lab.sh ready NAME [TIMEOUT] `supervisor status --wait-ready TIMEOUT` inside it
#   lab.sh logs NAME           its PID 1's output (a `docker logs`)
#   lab.sh ls                  the containers: name, role, address, PID 1, state
#   lab.sh cleanup             remove every namespace, veth, bridge, mount and process made
#
# The network: one bridge `heig` (192.168.42.0/24) inside its own network namespace `lab-switch`,
# one veth pair per container (`v-NAME` on the bridge, `eth0` in the container's namespace
# `lab-NAME`). Nothing is created in the host's network namespace.
# Default addresses: ha .42, logs .2, client .100, sN (N = 1..23) .N*11 (s1 .11, s2 .22, ...),
# anything else the first free address from .101 up.
#
# A container: `ip netns exec lab-NAME unshare --pid --fork --mount-proc --uts --mount`, where
# `lab.sh __init` builds its root file system and then execs the supervisor as PID 1:
#   - an overlay of the host's / (the "image": Debian with the packages installed here) with a
#     tmpfs upper layer, so the container can write anywhere and the host is never touched;
#     pivot_root into it, so `exec` and the services see only the container's tree;
#   - the files the Dockerfiles COPY, at the same paths, bind-mounted read-only from this repo:
#     /usr/local/bin/supervisor, /etc/supervisor.d (services/ROLE; ha and logs also get
#     /etc/supervisor-logs.d), /usr/local/lib/lab/{haproxy/render.sh,serf,rsyslog}, /srv/app;
#     /etc/haproxy is a writable per-container copy (host's /etc/haproxy + haproxy.cfg.tmpl);
#     LAB_RW_CONFIG=1 makes /etc/supervisor.d a writable copy too (STATE/NAME/supervisor.d);
#   - writable per-container /nodes and /var/log (STATE/NAME/nodes, STATE/NAME/log, readable
#     from the host), /run and /tmp (tmpfs), its own /dev (a tmpfs with null, zero, full,
#     random, urandom, tty bound from the host's, so /dev/log is its own), /etc/hosts listing
#     localhost, itself, ha and logs (what Docker's DNS would answer), hostname NAME;
#   - environment as Docker would give it: PATH, HOSTNAME, HOME, plus the image's and compose's
#     (logs: SUPERVISOR_CONFIG_DIR=/etc/supervisor-logs.d; webapp: TAG=webapp).
# PID 1's output goes to STATE/NAME/console.log. When PID 1 exits, its exit status is written to
# STATE/NAME/exit (as unshare reports it: util-linux 2.38 says 1 for a PID 1 killed by a signal)
# and its network is removed.
#
# Env: LAB_STATE (/tmp/lab-state), LAB_SUPERVISOR (the repo's build/supervisor), LAB_RW_CONFIG,
#      LAB_REPO (the repository holding this file).
# Needs root, iproute2, util-linux (unshare, nsenter, pivot_root, setsid), overlayfs.

LAB_SH=$(readlink -f "${BASH_SOURCE[0]}")
LAB_REPO=${LAB_REPO:-$(cd "$(dirname "$LAB_SH")/../.." && pwd)}
LAB_STATE=${LAB_STATE:-/tmp/lab-state}
LAB_SUPERVISOR=${LAB_SUPERVISOR:-$LAB_REPO/build/supervisor}
LAB_SUBNET=192.168.42
LAB_BRIDGE=heig
LAB_SWITCH=lab-switch
LAB_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LAB_STATE LAB_SUPERVISOR LAB_REPO

lab_err() { echo "lab: $*" >&2; }
lab_dir() { echo "$LAB_STATE/$1"; }
lab_names() { local d; for d in "$LAB_STATE"/*/; do [ -e "$d/role" ] && basename "$d"; done 2>/dev/null; }
lab_role() { cat "$LAB_STATE/$1/role" 2>/dev/null; }
lab_ip() { cat "$LAB_STATE/$1/ip" 2>/dev/null; }
# lab_pid1 NAME: host pid of the container's PID 1 while it runs; fails otherwise.
lab_pid1() {
  local p
  p=$(cat "$LAB_STATE/$1/pid" 2>/dev/null) || return 1
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ ! -e "$LAB_STATE/$1/exit" ] && echo "$p"
}
lab_running() { lab_pid1 "$1" > /dev/null; }
# lab_wait SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds or the deadline passes.
lab_wait() { local end=$((SECONDS + $1)); shift; until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.1; done; }
lab_netns_exists() { [ -e "/run/netns/$1" ]; }

lab_default_ip() {  # NAME ROLE
  local name=$1 role=$2 n i used
  case $role in ha) echo "$LAB_SUBNET.42"; return ;; logs) echo "$LAB_SUBNET.2"; return ;;
                client) echo "$LAB_SUBNET.100"; return ;; esac
  if [[ $name =~ ^s([0-9]+)$ ]]; then
    n=$((10#${BASH_REMATCH[1]}))
    if [ "$n" -ge 1 ] && [ "$n" -le 23 ]; then echo "$LAB_SUBNET.$((n * 11))"; return; fi
  fi
  used=" $(cat "$LAB_STATE"/*/ip 2>/dev/null | xargs) "
  for i in $(seq 101 250); do
    [[ $used == *" $LAB_SUBNET.$i "* ]] || { echo "$LAB_SUBNET.$i"; return; }
  done
  return 1
}

# The bridge, in its own network namespace.
lab_switch() {
  lab_netns_exists "$LAB_SWITCH" && return 0
  mkdir -p "$LAB_STATE"
  [ -d /run/netns ] || touch "$LAB_STATE/.made-run-netns"  # cleanup unmounts it again
  ip netns add "$LAB_SWITCH" || return 1
  ip netns exec "$LAB_SWITCH" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$LAB_SWITCH" link add "$LAB_BRIDGE" type bridge || return 1
  ip -n "$LAB_SWITCH" link set "$LAB_BRIDGE" up
  ip -n "$LAB_SWITCH" link set lo up
}

# lab_net NAME IP: namespace lab-NAME with eth0 = IP/24 on the bridge (veth v-NAME in lab-switch).
lab_net() {
  local name=$1 ip=$2 ns=lab-$1
  lab_switch || return 1
  ip netns add "$ns" || return 1
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$LAB_SWITCH" link add "v-$name" type veth peer name eth0 netns "$ns" || return 1
  ip -n "$LAB_SWITCH" link set "v-$name" master "$LAB_BRIDGE" up || return 1
  ip -n "$ns" addr add "$ip/24" dev eth0 || return 1
  ip -n "$ns" link set eth0 up && ip -n "$ns" link set lo up
}

lab_net_down() {  # NAME
  ip -n "$LAB_SWITCH" link del "v-$1" 2>/dev/null
  ip netns del "lab-$1" 2>/dev/null
  return 0
}

# lab_up NAME ROLE [IP]
lab_up() {
  local name=${1:-} role=${2:-} ip=${3:-} d p u end
  if ! [[ $name =~ ^[a-z0-9][a-z0-9-]{0,11}$ ]]; then lab_err "bad name '$name' (a-z 0-9 -, at most 12)"; return 2; fi
  case $role in ha|logs|webapp|client) ;; *) lab_err "unknown role '$role' (ha | logs | webapp | client)"; return 2 ;; esac
  [ "$(id -u)" = 0 ] || { lab_err "needs root"; return 1; }
  d=$(lab_dir "$name")
  if [ -e "$d/role" ]; then
    if [ "$role" = client ] || lab_running "$name"; then lab_err "$name is already up"; return 1; fi
    lab_remove "$name"  # a stopped container of that name: replace it
  fi
  if [ "$role" != client ] && [ ! -x "$LAB_SUPERVISOR" ]; then
    lab_err "no supervisor binary at $LAB_SUPERVISOR (make build, or set LAB_SUPERVISOR)"; return 1
  fi
  [ -n "$ip" ] || ip=$(lab_default_ip "$name" "$role") || { lab_err "no free address"; return 1; }
  if grep -qx "$ip" "$LAB_STATE"/*/ip 2>/dev/null; then lab_err "$ip is taken"; return 1; fi
  mkdir -p "$d" && echo "$ip" > "$d/ip" && echo "$role" > "$d/role" || return 1
  if ! lab_net "$name" "$ip"; then lab_err "$name: network setup failed"; lab_remove "$name"; return 1; fi
  [ "$role" = client ] && return 0

  mkdir -p "$d/nodes" "$d/log" "$d/mnt"
  if [ "$role" != webapp ]; then
    mkdir -p "$d/haproxy" && cp -a /etc/haproxy/. "$d/haproxy/" 2>/dev/null
    cp "$LAB_REPO/examples/haproxy/haproxy.cfg.tmpl" "$d/haproxy/haproxy.cfg.tmpl"
  fi
  if [ -n "${LAB_RW_CONFIG:-}" ]; then
    local src=ha; [ "$role" = webapp ] && src=webapp
    mkdir -p "$d/supervisor.d" && chmod 755 "$d/supervisor.d"
    install -m 644 "$LAB_REPO/services/$src"/*.toml "$d/supervisor.d/"
  fi
  : > "$d/console.log"
  # The container: setsid, so that a Ctrl-C in the caller's terminal does not reach it.
  setsid bash -c '
    echo $$ > "$3/wrapper.pid"
    ip netns exec "lab-$1" unshare --pid --fork --mount-proc --uts --mount --kill-child -- \
      bash "$2" __init "$1" &
    echo $! > "$3/unshare.pid"
    wait $!; rc=$?
    ip -n '"$LAB_SWITCH"' link del "v-$1" 2>/dev/null; ip netns del "lab-$1" 2>/dev/null
    echo "$rc" > "$3/exit.tmp" && mv "$3/exit.tmp" "$3/exit"
  ' lab-wrapper "$name" "$LAB_SH" "$d" < /dev/null >> "$d/console.log" 2>&1 &
  # PID 1 is the child of unshare; it is ours once it runs the supervisor.
  end=$((SECONDS + 15))
  while :; do
    u=$(cat "$d/unshare.pid" 2>/dev/null)
    p=""; [ -n "$u" ] && p=$(cat "/proc/$u/task/$u/children" 2>/dev/null | awk '{print $1}')
    if [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = supervisor ]; then
      echo "$p" > "$d/pid"; return 0
    fi
    if [ -e "$d/exit" ] || [ $SECONDS -ge $end ]; then
      lab_err "$name did not start; its output:"; sed 's/^/  /' "$d/console.log" >&2
      lab_remove "$name"; return 1
    fi
    sleep 0.05
  done
}

# Inside the new namespaces (network, mount, UTS, PID; we are PID 1): build the root, exec PID 1.
lab_init() {
  set -eu
  local name=$1 d role ip R m
  d=$(lab_dir "$name"); role=$(lab_role "$name"); ip=$(lab_ip "$name")
  hostname "$name"
  mount -t tmpfs -o mode=755 "lab-$name" "$d/mnt"
  mkdir "$d/mnt/upper" "$d/mnt/work" "$d/mnt/root"
  R=$d/mnt/root
  mount -t overlay -o "lowerdir=/,upperdir=$d/mnt/upper,workdir=$d/mnt/work" "lab-$name-root" "$R"
  mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
  mount --rbind /sys "$R/sys"
  # /dev: our own, with the host's harmless character devices
  mount -t tmpfs -o mode=755,nosuid "lab-$name-dev" "$R/dev"
  for m in null zero full random urandom tty; do touch "$R/dev/$m"; mount --bind "/dev/$m" "$R/dev/$m"; done
  ln -s /proc/self/fd "$R/dev/fd"; ln -s fd/0 "$R/dev/stdin"; ln -s fd/1 "$R/dev/stdout"; ln -s fd/2 "$R/dev/stderr"
  mkdir -m 1777 "$R/dev/shm"; mount -t tmpfs -o nosuid,nodev "lab-$name-shm" "$R/dev/shm"
  mkdir -m 755 "$R/dev/pts"
  # writable per container
  mount -t tmpfs -o mode=755,nosuid,nodev "lab-$name-run" "$R/run"
  mount -t tmpfs -o mode=1777,nosuid,nodev "lab-$name-tmp" "$R/tmp"
  mkdir -p "$R/nodes" "$R/var/log"
  mount --bind "$d/nodes" "$R/nodes"
  mount --bind "$d/log" "$R/var/log"
  # the image's files (Dockerfile COPY), read-only from the repo
  ro() {  # ro SRC DST: bind SRC read-only at DST (a file or a directory)
    if [ -d "$1" ]; then mkdir -p "$2"; else mkdir -p "$(dirname "$2")"; touch "$2"; fi
    mount --bind "$1" "$2"; mount -o remount,bind,ro "$2"
  }
  ro "$LAB_SUPERVISOR" "$R/usr/local/bin/supervisor"
  ro "$LAB_REPO/examples/serf" "$R/usr/local/lib/lab/serf"
  ro "$LAB_REPO/examples/rsyslog" "$R/usr/local/lib/lab/rsyslog"
  local cfg=ha; [ "$role" = webapp ] && cfg=webapp
  if [ -d "$d/supervisor.d" ]; then mkdir -p "$R/etc/supervisor.d"; mount --bind "$d/supervisor.d" "$R/etc/supervisor.d"
  else ro "$LAB_REPO/services/$cfg" "$R/etc/supervisor.d"; fi
  local env=(PATH="$LAB_PATH" HOSTNAME="$name" HOME=/root)
  if [ "$role" = webapp ]; then
    ro "$LAB_REPO/examples/webapp" "$R/srv/app"
    env+=(TAG=webapp)
  else
    ro "$LAB_REPO/examples/haproxy/render.sh" "$R/usr/local/lib/lab/haproxy/render.sh"
    ro "$LAB_REPO/services/logs" "$R/etc/supervisor-logs.d"
    mkdir -p "$R/etc/haproxy"; mount --bind "$d/haproxy" "$R/etc/haproxy"
    mkdir -p "$R/var/log/central" "$R/run/haproxy"   # RUN mkdir -p /nodes /var/log/central /run/haproxy
    [ "$role" = logs ] && env+=(SUPERVISOR_CONFIG_DIR=/etc/supervisor-logs.d)
  fi
  # names: what Docker's embedded DNS would answer on the network heig
  rm -f "$R/etc/hosts" "$R/etc/hostname" "$R/etc/resolv.conf"
  {
    echo "127.0.0.1 localhost"
    echo "$ip $name"
    [ "$name" = ha ] || echo "$LAB_SUBNET.42 ha"
    [ "$name" = logs ] || echo "$LAB_SUBNET.2 logs"
  } > "$R/etc/hosts"
  echo "$name" > "$R/etc/hostname"
  echo "# lab: no DNS server; names are in /etc/hosts" > "$R/etc/resolv.conf"
  # into the new root; the host's tree is gone from this mount namespace
  cd "$R"; mkdir .oldroot
  pivot_root . .oldroot
  cd /; umount -l /.oldroot; rmdir /.oldroot
  exec env -i "${env[@]}" /usr/local/bin/supervisor
}

# lab_exec NAME CMD...: CMD in the container's namespaces and root, with its environment.
lab_exec() {
  local name=${1:?usage: lab_exec NAME CMD...} p role env
  shift
  [ $# -gt 0 ] || { lab_err "usage: lab.sh exec NAME CMD..."; return 2; }
  role=$(lab_role "$name") || { lab_err "no container $name"; return 1; }
  if [ "$role" = client ]; then ip netns exec "lab-$name" "$@"; return; fi
  p=$(lab_pid1 "$name") || { lab_err "$name is not running"; return 1; }
  env=(PATH="$LAB_PATH" HOSTNAME="$name" HOME=/root)
  [ "$role" = logs ] && env+=(SUPERVISOR_CONFIG_DIR=/etc/supervisor-logs.d)
  [ "$role" = webapp ] && env+=(TAG=webapp)
  nsenter -t "$p" -m -u -n -p -r -w -- env -i "${env[@]}" "$@"
}

lab_kill() {  # NAME SIGNAL
  local p
  p=$(lab_pid1 "$1") || { lab_err "$1 is not running"; return 1; }
  local sig=${2:?usage: lab_kill NAME SIGNAL}
  sig=${sig#SIG}; [ "$sig" = 9 ] && sig=KILL
  echo "$sig" > "$LAB_STATE/$1/signal"  # the last signal sent, for `ls`
  kill -s "$sig" "$p"
}

# lab_stopped NAME: PID 1 has exited and its wrapper has removed the network.
lab_stopped() { [ -e "$LAB_STATE/$1/exit" ]; }

# lab_down NAME [TIMEOUT]: SIGTERM to PID 1, SIGKILL after TIMEOUT s (30), then remove it all.
lab_down() {
  local name=${1:?usage: lab_down NAME [TIMEOUT]} t=${2:-30} role
  role=$(lab_role "$name") || { lab_err "no container $name"; return 1; }
  if [ "$role" != client ] && lab_running "$name"; then
    lab_kill "$name" TERM
    if ! lab_wait "$t" lab_stopped "$name"; then
      lab_err "$name: PID 1 still running after ${t}s, SIGKILL"
      lab_kill "$name" KILL
      lab_wait 10 lab_stopped "$name"
    fi
  fi
  lab_remove "$name"
}

# lab_remove NAME: kill whatever is left of it (SIGKILL) and remove its network and state.
lab_remove() {
  local name=$1 d p w
  d=$(lab_dir "$name")
  for p in $(cat "$d/pid" "$d/unshare.pid" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  lab_netns_exists "lab-$name" && for p in $(ip netns pids "lab-$name" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  w=$(cat "$d/wrapper.pid" 2>/dev/null)
  [ -n "$w" ] && lab_wait 10 eval "! kill -0 $w 2>/dev/null"
  lab_net_down "$name"
  rm -rf "$d"
}

# lab_cleanup: everything this file made, whatever state it is in. Safe to run twice.
lab_cleanup() {
  local n p
  trap '' INT TERM HUP  # finish cleaning even if interrupted again
  for n in $(lab_names); do
    for p in $(cat "$LAB_STATE/$n/pid" "$LAB_STATE/$n/unshare.pid" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  done
  for n in $(lab_names); do lab_remove "$n"; done
  # namespaces without state (a state dir removed by hand, an interrupted `up`)
  for n in $(ip netns list 2>/dev/null | awk '$1 ~ /^lab-/ { print $1 }'); do
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    [ "$n" = "$LAB_SWITCH" ] || ip netns del "$n" 2>/dev/null
  done
  ip netns del "$LAB_SWITCH" 2>/dev/null
  if [ -e "$LAB_STATE/.made-run-netns" ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
    umount /run/netns 2>/dev/null; rmdir /run/netns 2>/dev/null
  fi
  rm -rf "$LAB_STATE"
  trap - INT TERM HUP
  return 0
}

lab_ls() {
  local n st p
  printf '%-8s %-7s %-15s %-8s %s\n' NAME ROLE ADDRESS PID1 STATE
  for n in $(lab_names); do
    p=$(cat "$LAB_STATE/$n/pid" 2>/dev/null); st=running
    if [ "$(lab_role "$n")" = client ]; then st="network only"; p=-
    elif [ -e "$LAB_STATE/$n/exit" ]; then
      st="exited ($(cat "$LAB_STATE/$n/exit"))"
      # util-linux 2.38's unshare reports a child killed by a signal as status 1
      [ "$(cat "$LAB_STATE/$n/signal" 2>/dev/null)" = KILL ] && st="killed (SIGKILL)"
    fi
    printf '%-8s %-7s %-15s %-8s %s\n' "$n" "$(lab_role "$n")" "$(lab_ip "$n")" "${p:--}" "$st"
  done
}

lab_main() {
  local cmd=${1:-help}; shift || true
  case $cmd in
    up) lab_up "$@" ;;
    down) lab_down "$@" ;;
    exec) lab_exec "$@" ;;
    kill) lab_kill "$@" ;;
    pid) lab_pid1 "${1:?usage: lab.sh pid NAME}" ;;
    ready) lab_exec "${1:?usage: lab.sh ready NAME [TIMEOUT]}" supervisor status --wait-ready "${2:-30s}" ;;
    logs) cat "$LAB_STATE/${1:?usage: lab.sh logs NAME}/console.log" ;;
    ls) lab_ls ;;
    cleanup) lab_cleanup ;;
    __init) lab_init "$@" ;;
    help|-h|--help) sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$LAB_SH" ;;
    *) lab_err "unknown command '$cmd' (lab.sh help)"; return 2 ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then lab_main "$@"; fi
