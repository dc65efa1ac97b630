#!/usr/bin/env bash
# dockerd.sh - make sure a Docker engine answers on /var/run/docker.sock.
#
# Usage: scripts/dockerd.sh start|stop [--mark FILE] | status | --help
#   start   if an engine already answers `docker info` there, do nothing (say
#           whose it is); else start dockerd in the background, record its pid
#           in /run/zkswarm-dockerd.pid and wait (60 s bound) until it answers.
#           With --mark FILE, a start that starts the engine also writes its
#           pid to FILE: the caller's proof that this engine is its own.
#   stop    stop dockerd only if this script started it (pid file): SIGTERM,
#           bounded wait, SIGKILL fallback (also for its containerd), remove
#           the pid file. An engine we did not start is left alone.  With
#           --mark FILE, only if FILE names that engine: a test stops the
#           engine it started, never one it found running (demo.sh's, say).
#   status  say whether an engine answers and whether we started it.
#
# Env: DOCKERD_LOG (default /var/log/zkswarm-dockerd.log), DOCKERD_TIMEOUT (s,
# default 60), DOCKERD_FLAGS (replaces the default flags below).
# Default flags keep test traffic inside 198.18.0.0/15 and off the host's
# firewall: docker0 is 198.18.254.1/24, new networks come from 198.18.128.0/18,
# and dockerd neither writes iptables rules nor masquerades (--iptables=false
# --ip-masq=false; with iptables on, 20.10 also sets the FORWARD policy to DROP,
# which breaks bridged traffic between test namespaces).
set -euo pipefail

PROG=dockerd.sh
SOCK=/var/run/docker.sock
PIDFILE=/run/zkswarm-dockerd.pid
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/zkswarm-dockerd.log}
DOCKERD_TIMEOUT=${DOCKERD_TIMEOUT:-60}
DEFAULT_FLAGS="--iptables=false --ip-masq=false --bip=198.18.254.1/24
 --default-address-pool base=198.18.128.0/18,size=24"
DOCKERD_FLAGS=${DOCKERD_FLAGS-$DEFAULT_FLAGS}

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }
log() { echo "$PROG: $*"; }
die() { echo "$PROG: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

engine_answers() { timeout 10 docker -H "unix://$SOCK" info >/dev/null 2>&1; }
pid_alive() {  # exists, not a zombie
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}
# our_pid: the pid in PIDFILE if it is a live dockerd; non-zero otherwise
our_pid() {
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid" || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || return 1
  echo "$pid"
}

cmd_status() {
  local pid
  if pid=$(our_pid); then
    if engine_answers; then log "running, started by zkswarm (pid $pid, $PIDFILE)"
    else log "dockerd pid $pid (ours) is alive but not answering on $SOCK"; return 1; fi
  elif engine_answers; then
    log "an engine answers on $SOCK (not started by this script)"
  else
    log "no engine answers on $SOCK"; return 1
  fi
}

cmd_start() {
  local pid t0 i deadline other
  if engine_answers; then
    if pid=$(our_pid); then log "already running (started by zkswarm, pid $pid, $PIDFILE)"
    else log "an engine already answers on $SOCK (not started by this script); using it"; fi
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "not root: cannot start dockerd"
  command -v dockerd >/dev/null || die "dockerd not installed (run scripts/deps.sh)"
  deadline=$(( $(date +%s) + DOCKERD_TIMEOUT ))
  if pid=$(our_pid); then
    log "our dockerd (pid $pid) is alive but not answering yet; waiting"
  else
    rm -f "$PIDFILE"
    # another dockerd that is still starting (or hung) holds /var/run/docker.pid;
    # a second one would refuse to start, so wait for that one instead.
    other=$(cat /var/run/docker.pid 2>/dev/null || true)
    if [[ $other =~ ^[0-9]+$ ]] && pid_alive "$other" &&
       [ "$(cat "/proc/$other/comm" 2>/dev/null)" = dockerd ]; then
      log "another dockerd (pid $other, not ours) is running but not answering; waiting for it"
      until engine_answers; do
        [ "$(date +%s)" -lt "$deadline" ] || die "dockerd pid $other does not answer on $SOCK after ${DOCKERD_TIMEOUT}s"
        sleep 0.5
      done
      log "engine answers (pid $other, not ours)"
      return 0
    fi
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    echo "=== $(date -Is) $PROG start: dockerd $DOCKERD_FLAGS" >>"$DOCKERD_LOG"
    # shellcheck disable=SC2086  # DOCKERD_FLAGS is a word list on purpose
    setsid dockerd $DOCKERD_FLAGS </dev/null >>"$DOCKERD_LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$PIDFILE"
    [ -z "$MARK" ] || echo "$pid" >"$MARK"
  fi
  t0=$(now_ms)
  for ((i = 0; ; i++)); do
    if engine_answers; then
      log "started dockerd pid $pid in $(( $(now_ms) - t0 ))ms (pid file $PIDFILE, log $DOCKERD_LOG)"
      return 0
    fi
    if ! pid_alive "$pid"; then
      rm -f "$PIDFILE"
      echo "---- tail of $DOCKERD_LOG" >&2; tail -n 30 "$DOCKERD_LOG" >&2 || true
      die "dockerd exited during startup"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "---- tail of $DOCKERD_LOG" >&2; tail -n 30 "$DOCKERD_LOG" >&2 || true
      cmd_stop >&2 || true
      die "dockerd did not answer on $SOCK within ${DOCKERD_TIMEOUT}s"
    fi
    sleep 0.2
  done
}

cmd_stop() {
  local pid kids i
  if [ -n "$MARK" ]; then
    pid=$(our_pid) || pid=none
    if [ "$(cat "$MARK" 2>/dev/null)" != "$pid" ]; then
      log "the engine was not started by this caller ($MARK); leaving it alone"
      rm -f "$MARK"; return 0
    fi
    rm -f "$MARK"
  fi
  if ! [ -f "$PIDFILE" ]; then
    log "no $PIDFILE: dockerd was not started by this script; leaving any engine alone"
    return 0
  fi
  if ! pid=$(our_pid); then
    log "dockerd recorded in $PIDFILE is not running; removing the stale pid file"
    rm -f "$PIDFILE"; return 0
  fi
  kids=$(pgrep -P "$pid" || true)       # its managed containerd
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do        # 30 s: dockerd gives containers 15 s
    pid_alive "$pid" || break
    sleep 0.2
  done
  if pid_alive "$pid"; then
    log "dockerd pid $pid ignored SIGTERM for 30s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for k in $kids; do
      if [ "$(cat "/proc/$k/comm" 2>/dev/null)" = containerd ]; then kill -KILL "$k" 2>/dev/null || true; fi
    done
    for ((i = 0; i < 25; i++)); do pid_alive "$pid" || break; sleep 0.2; done
  fi
  pid_alive "$pid" && die "dockerd pid $pid survived SIGKILL"
  rm -f "$PIDFILE"
  log "stopped dockerd pid $pid"
}

MARK=""
if [ "${2:-}" = --mark ]; then
  MARK=${3:?--mark needs a file}
elif [ -n "${2:-}" ]; then
  usage >&2; exit 2
fi
case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
