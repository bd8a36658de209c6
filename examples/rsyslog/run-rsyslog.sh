#!/bin/sh
# run-rsyslog.sh forwarder|collector: rsyslogd in the foreground (-n) with this folder's config,
# after filling in the defaults of the LOG_* variables the config reads (see the .conf headers).
# Extra arguments go to rsyslogd (e.g. -N1 to only check the config).
set -eu
role=${1:?usage: run-rsyslog.sh forwarder|collector [rsyslogd options]}; shift
here=$(cd "$(dirname "$0")" && pwd)
case $role in
  forwarder)
    : "${LOG_TARGET:=logs}" "${LOG_TARGET_PORT:=601}" "${LOG_UDP_PORT:=514}" \
      "${LOG_SOCKET:=/dev/log}" "${LOG_QUEUE_SIZE:=10000}" "${LOG_ECHO:=udp}"
    export LOG_TARGET LOG_TARGET_PORT LOG_UDP_PORT LOG_SOCKET LOG_QUEUE_SIZE LOG_ECHO ;;
  collector)
    : "${LOG_LISTEN:=0.0.0.0}" "${LOG_TCP_PORT:=601}" "${LOG_UDP_PORT:=514}" \
      "${LOG_FILE:=/var/log/central/all.log}" "${LOG_ECHO:=0}"
    export LOG_LISTEN LOG_TCP_PORT LOG_UDP_PORT LOG_FILE LOG_ECHO ;;
  *) echo "run-rsyslog.sh: unknown role '$role' (forwarder | collector)" >&2; exit 2 ;;
esac
exec rsyslogd -n -f "$here/$role.conf" -i "${LOG_PIDFILE:-/run/rsyslogd-$role.pid}" "$@"
