#!/usr/bin/env bash
# zk.sh - start and stop Apache ZooKeeper servers (Debian's 3.8 jars) on loopback
# for tests: one standalone server, or a 3-server ensemble with fault helpers.
#
# Usage:
#   scripts/zk.sh start DIR [--port P] [--tick MS] [--address A]
#                                  one server (default 2181, tick 2000, address
#                                  127.0.0.1; another IPv4 address for clients in
#                                  other network namespaces)
#   scripts/zk.sh ensemble-start DIR [--base-port P] [--tick MS] [--address A]
#                                  [--sync-limit N] [--peer-base Q] [--observers K]
#                                  3 servers, client ports P..P+2 (default 2181),
#                                  peer ports Q.., election ports Q+100.. (Q defaults
#                                  to P+100), tick 500,
#                                  all on address A (default 127.0.0.1); a follower
#                                  that hears nothing from the leader for N ticks
#                                  (default 2) leaves the quorum and drops its clients:
#                                  keep N x tick below a third of the clients' session
#                                  timeout (docs/ZOOKEEPER.md, section 3); and K
#                                  observers (default 0, at most 4: members 4.., the
#                                  ports that follow P+2, Q+2 and Q+102), which vote on
#                                  nothing, serve clients and forward their writes
#                                  to the leader
#   scripts/zk.sh stop DIR         stop every server DIR's pid files name
#   scripts/zk.sh status DIR       one line per server: N, port, pid, mode
#   scripts/zk.sh leader DIR       print N (1..3) of the ensemble's leader
#   scripts/zk.sh kill DIR [N] [SIG]   send SIG (default KILL) to member N (or the
#                                  single server); STOP/CONT freeze and thaw
#   scripts/zk.sh restart DIR [N]  stop member N (or the single server) if running,
#                                  start it again with its old config, wait for it
#   scripts/zk.sh mntr PORT [KEY] [--address A] [--timeout S]
#                                  the `mntr` four-letter word of the server on
#                                  A:PORT (A default 127.0.0.1, S default 3): the
#                                  whole reply, or only KEY's value (e.g.
#                                  zk_packets_received); empty, and still exit 0, when
#                                  nothing answers within S seconds or KEY is not in it
#
# Every server listens on 127.0.0.1 only (or on its --address),
# runs as `java ... QuorumPeerMain` (not zkServer.sh, which reads
# /etc/zookeeper/conf/environment), with a small heap, four-letter words
# srvr,stat,mntr,ruok and no admin server. Per server directory: zoo.cfg, data/
# (with myid), pid, zookeeper.log (log4j), zookeeper.out (JVM stdout/stderr).
# minSessionTimeout is ZooKeeper's default 2*tick.
# Env: ZK_JAVA (default java), ZK_HEAP (default 256m), ZK_JAVA_OPTS (extra JVM
# flags), ZK_START_TIMEOUT (s, default 30), ZK_QUORUM_TIMEOUT (s, default 60),
# ZK_EXTRA_CFG (extra zoo.cfg lines, newline separated).
set -euo pipefail

PROG=zk.sh
ZK_JAVA=${ZK_JAVA:-java}
ZK_HEAP=${ZK_HEAP:-256m}
ZK_START_TIMEOUT=${ZK_START_TIMEOUT:-30}
ZK_QUORUM_TIMEOUT=${ZK_QUORUM_TIMEOUT:-60}
ZK_CP=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar
ZK_MAIN=org.apache.zookeeper.server.quorum.QuorumPeerMain
ENSEMBLE_SIZE=3

usage() { sed -n '2,/^[^#]/p' "$0" | sed -n 's/^# \{0,1\}//p'; }
die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*"; }
now_ms() { date +%s%3N; }

# ---- four-letter words over bash /dev/tcp (no nc needed) -------------------
# zk_4lw PORT WORD [ADDR] [SECS]: prints the reply; non-zero if nothing answered (SECS
# bound, default 3). ADDR defaults to 127.0.0.1 (also below).
# shellcheck disable=SC2016  # $1/$2/$3 expand in the inner bash
zk_4lw() {
  timeout "${4:-3}" bash -c 'exec 3<>"/dev/tcp/$3/$1" && printf %s "$2" >&3 && cat <&3' \
    _ "$1" "$2" "${3:-127.0.0.1}" 2>/dev/null
}
# port_open PORT [ADDR]
# shellcheck disable=SC2016
port_open() { timeout 1 bash -c 'exec 3<>"/dev/tcp/$2/$1"' _ "$1" "${2:-127.0.0.1}" 2>/dev/null; }
# mode_of PORT [ADDR]: leader|follower|standalone|"" (not serving / not answering)
mode_of() { zk_4lw "$1" srvr "${2:-}" | sed -n 's/^Mode: //p' | head -n1 || true; }

# ---- one server directory M -------------------------------------------------
m_port() { sed -n 's/^clientPort=//p' "$1/zoo.cfg" 2>/dev/null | head -n1; }
m_addr() { sed -n 's/^clientPortAddress=//p' "$1/zoo.cfg" 2>/dev/null | head -n1; }

# pid_alive PID: exists and is not a zombie (an unreaped SIGKILLed JVM is "dead")
pid_alive() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# m_pid M: print the pid recorded in M/pid if that process is still our java
# running M's zoo.cfg (guards against pid reuse); non-zero otherwise.
m_pid() {
  local m=$1 pid
  [ -f "$m/pid" ] || return 1
  pid=$(cat "$m/pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$m/zoo.cfg" || return 1
  pid_alive "$pid" || return 1
  echo "$pid"
}

write_log4j() {
  cat >"$1/log4j.properties" <<EOF
log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=$1/zookeeper.log
log4j.appender.FILE.Append=true
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n
EOF
}

# common_cfg M PORT TICK [ADDR]
common_cfg() {
  cat <<EOF
tickTime=$3
dataDir=$1/data
clientPort=$2
clientPortAddress=${4:-127.0.0.1}
admin.enableServer=false
4lw.commands.whitelist=srvr,stat,mntr,ruok
maxClientCnxns=200
EOF
  if [ -n "${ZK_EXTRA_CFG:-}" ]; then printf '%s\n' "$ZK_EXTRA_CFG"; fi
}

# m_launch M: start the JVM for M (config already written), record its pid.
m_launch() {
  local m=$1 port addr pid
  port=$(m_port "$m")
  addr=$(m_addr "$m")
  [ -n "$port" ] || die "$m/zoo.cfg has no clientPort"
  if port_open "$port" "$addr"; then
    die "port ${addr:-127.0.0.1}:$port is already in use by another process (not $m)"
  fi
  mkdir -p "$m/data"
  write_log4j "$m"
  echo "=== $(date -Is) start" >>"$m/zookeeper.out"
  # shellcheck disable=SC2086
  setsid "$ZK_JAVA" -Xmx"$ZK_HEAP" -Xms32m -XX:+UseSerialGC -XX:-UsePerfData \
    -Djava.net.preferIPv4Stack=true \
    -Dzookeeper.log.dir="$m" -Dlog4j.configuration="file:$m/log4j.properties" \
    -Dzookeeper.jmx.log4j.disable=true \
    ${ZK_JAVA_OPTS:-} -cp "$ZK_CP" "$ZK_MAIN" "$m/zoo.cfg" \
    </dev/null >>"$m/zookeeper.out" 2>&1 &
  pid=$!
  echo "$pid" >"$m/pid"
}

show_logs() {
  local m=$1
  echo "---- tail of $m/zookeeper.out" >&2
  tail -n 20 "$m/zookeeper.out" >&2 2>/dev/null || true
  echo "---- tail of $m/zookeeper.log" >&2
  tail -n 40 "$m/zookeeper.log" >&2 2>/dev/null || true
}

# m_wait M TIMEOUT_S MODE_REGEX: wait until M's srvr reports a matching Mode.
m_wait() {
  local m=$1 timeout=$2 want=$3 port addr mode deadline
  port=$(m_port "$m")
  addr=$(m_addr "$m")
  deadline=$(( $(date +%s) + timeout ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    m_pid "$m" >/dev/null || { echo "$PROG: server in $m exited" >&2; return 1; }
    mode=$(mode_of "$port" "$addr")
    if [[ -n $mode && $mode =~ ^($want)$ ]]; then return 0; fi
    sleep 0.2
  done
  echo "$PROG: server in $m (port $port) not serving ($want) after ${timeout}s" >&2
  return 1
}

# m_stop M: SIGTERM, bounded wait, SIGKILL; removes M/pid.
m_stop() {
  local m=$1 pid i
  if pid=$(m_pid "$m"); then
    kill -CONT "$pid" 2>/dev/null || true   # a frozen (SIGSTOP) JVM cannot exit
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do          # 10 s
      pid_alive "$pid" || break
      sleep 0.2
    done
    if pid_alive "$pid"; then
      log "pid $pid ($m) ignored SIGTERM for 10s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 25; i++)); do pid_alive "$pid" || break; sleep 0.2; done
    fi
    pid_alive "$pid" && die "pid $pid ($m) survived SIGKILL"
    log "stopped pid $pid ($m)"
  else
    log "not running ($m)"
  fi
  rm -f "$m/pid"
}

members() {  # members DIR: the server directories under DIR (single and/or ensemble)
  local d=$1 m
  [ -f "$d/zoo.cfg" ] && echo "$d"
  for m in "$d"/zk[0-9]*; do [ -f "$m/zoo.cfg" ] && echo "$m"; done
  return 0
}

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd -P); }
check_port() {
  if ! [[ $1 =~ ^[0-9]+$ ]] || [ "$1" -lt 1024 ] || [ "$1" -gt 65000 ]; then die "bad port: $1"; fi
}
check_addr() {
  if ! [[ $1 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then die "bad address (IPv4 expected): $1"; fi
}
check_tick() {
  if ! [[ $1 =~ ^[0-9]+$ ]] || [ "$1" -lt 100 ]; then die "bad tick (ms): $1"; fi
}

# ---- commands ---------------------------------------------------------------
cmd_start() {
  local dir port=2181 tick=2000 addr=127.0.0.1 pid t0
  [ $# -ge 1 ] || die "start: DIR required"
  dir=$(abs_dir "$1"); shift
  while [ $# -gt 0 ]; do
    case $1 in
      --port) port=${2:?}; shift 2 ;;
      --tick) tick=${2:?}; shift 2 ;;
      --address) addr=${2:?}; shift 2 ;;
      *) die "start: unknown option $1" ;;
    esac
  done
  check_port "$port"; check_tick "$tick"; check_addr "$addr"
  if pid=$(m_pid "$dir"); then
    log "already running: pid $pid, port $(m_port "$dir") ($dir)"
    return 0
  fi
  common_cfg "$dir" "$port" "$tick" "$addr" >"$dir/zoo.cfg"
  t0=$(now_ms)
  m_launch "$dir"
  if ! m_wait "$dir" "$ZK_START_TIMEOUT" standalone; then
    show_logs "$dir"; m_stop "$dir" >/dev/null 2>&1 || true
    die "start failed ($dir)"
  fi
  log "started pid $(cat "$dir/pid") on $addr:$port tick ${tick}ms in $(( $(now_ms) - t0 ))ms ($dir)"
}

cmd_ensemble_start() {
  local dir base=2181 tick=500 addr=127.0.0.1 sync_limit=2 peer="" observers=0 n m cfg t0 lead alive all
  [ $# -ge 1 ] || die "ensemble-start: DIR required"
  dir=$(abs_dir "$1"); shift
  while [ $# -gt 0 ]; do
    case $1 in
      --base-port) base=${2:?}; shift 2 ;;
      --tick) tick=${2:?}; shift 2 ;;
      --address) addr=${2:?}; shift 2 ;;
      --sync-limit) sync_limit=${2:?}; shift 2 ;;
      --peer-base) peer=${2:?}; shift 2 ;;
      --observers) observers=${2:?}; shift 2 ;;
      *) die "ensemble-start: unknown option $1" ;;
    esac
  done
  check_port "$base"; check_tick "$tick"; check_addr "$addr"
  peer=${peer:-$((base + 100))}; check_port "$peer"
  if ! [[ $sync_limit =~ ^[1-9][0-9]?$ ]]; then die "bad sync limit (ticks, 1-99): $sync_limit"; fi
  if ! [[ $observers =~ ^[0-4]$ ]]; then die "bad observer count (0-4): $observers"; fi
  all=$((ENSEMBLE_SIZE + observers))
  t0=$(now_ms)
  # check every port first, so that a conflict leaves nothing half started
  for ((n = 1; n <= all; n++)); do
    m_pid "$dir/zk$n" >/dev/null && continue
    for p in $((base + n - 1)) $((peer + n - 1)) $((peer + 100 + n - 1)); do
      if port_open "$p" "$addr"; then die "port $addr:$p (for zk$n) is already in use"; fi
    done
  done
  for ((n = 1; n <= all; n++)); do
    m=$dir/zk$n
    mkdir -p "$m/data"
    if m_pid "$m" >/dev/null; then log "zk$n already running (pid $(cat "$m/pid"))"; continue; fi
    cfg=$(common_cfg "$m" $((base + n - 1)) "$tick" "$addr"
          echo "initLimit=10"; echo "syncLimit=$sync_limit"
          [ "$n" -le "$ENSEMBLE_SIZE" ] || echo "peerType=observer"
          for ((i = 1; i <= all; i++)); do
            echo "server.$i=$addr:$((peer + i - 1)):$((peer + 100 + i - 1))$([ "$i" -le "$ENSEMBLE_SIZE" ] || echo :observer)"
          done)
    echo "$cfg" >"$m/zoo.cfg"
    echo "$n" >"$m/data/myid"
    m_launch "$m"
  done
  # quorum: every member serving as leader or follower, exactly one leader, every
  # observer serving as one
  local deadline=$(( $(date +%s) + ZK_QUORUM_TIMEOUT )) modes ok
  while :; do
    ok=1; alive=1; modes=""
    for ((n = 1; n <= all; n++)); do
      m_pid "$dir/zk$n" >/dev/null || alive=0
      modes+="$(mode_of $((base + n - 1)) "$addr") "
    done
    [ "$alive" = 1 ] || { ok=0; break; }
    [[ $modes =~ ^(leader|follower)\ (leader|follower)\ (leader|follower)\ (observer\ ){$observers}$ ]] &&
      [ "$(grep -o leader <<<"$modes" | wc -l)" = 1 ] && break
    [ "$(date +%s)" -lt "$deadline" ] || { ok=0; break; }
    sleep 0.2
  done
  if [ "$ok" != 1 ]; then
    echo "$PROG: no quorum after ${ZK_QUORUM_TIMEOUT}s (modes: ${modes:-none}; all alive: $alive)" >&2
    for ((n = 1; n <= all; n++)); do show_logs "$dir/zk$n"; done
    cmd_stop "$dir" >/dev/null 2>&1 || true
    die "ensemble-start failed ($dir)"
  fi
  lead=$(cmd_leader "$dir")
  log "ensemble up in $(( $(now_ms) - t0 ))ms: $addr ports $base-$((base + all - 1)), leader zk$lead, $observers observer(s), tick ${tick}ms ($dir)"
}

cmd_stop() {
  local dir m any=0
  [ $# -eq 1 ] || die "stop: DIR required"
  [ -d "$1" ] || { log "nothing to stop ($1 does not exist)"; return 0; }
  dir=$(cd "$1" && pwd -P)
  while read -r m; do
    [ -n "$m" ] || continue
    any=1; m_stop "$m"
  done < <(members "$dir")
  [ "$any" = 1 ] || log "no servers recorded in $dir"
}

cmd_status() {
  local dir m pid
  [ $# -eq 1 ] || die "status: DIR required"
  dir=$(cd "$1" && pwd -P) || die "no such dir $1"
  while read -r m; do
    [ -n "$m" ] || continue
    pid=$(m_pid "$m") || pid=-
    printf '%s port=%s pid=%s mode=%s\n' "$(basename "$m")" "$(m_port "$m")" "$pid" \
      "$(mode_of "$(m_port "$m")" "$(m_addr "$m")")"
  done < <(members "$dir")
}

cmd_leader() {
  local dir n
  [ $# -eq 1 ] || die "leader: DIR required"
  dir=$(cd "$1" && pwd -P) || die "no such dir $1"
  for ((n = 1; n <= ENSEMBLE_SIZE; n++)); do
    [ -f "$dir/zk$n/zoo.cfg" ] || continue
    m_pid "$dir/zk$n" >/dev/null || continue
    if [ "$(mode_of "$(m_port "$dir/zk$n")" "$(m_addr "$dir/zk$n")")" = leader ]; then echo "$n"; return 0; fi
  done
  echo "$PROG: no leader in $dir" >&2
  return 1
}

member_dir() {  # member_dir DIR [N]
  local dir
  dir=$(cd "$1" && pwd -P) || die "no such dir $1"
  if [ -n "${2:-}" ]; then
    [[ $2 =~ ^[0-9]+$ ]] || die "bad member number: $2"
    [ -f "$dir/zk$2/zoo.cfg" ] || die "no member zk$2 in $dir"
    echo "$dir/zk$2"
  else
    [ -f "$dir/zoo.cfg" ] || die "no single server in $dir (give N for an ensemble member)"
    echo "$dir"
  fi
}

cmd_kill() {
  local m n="" sig=KILL pid
  [ $# -ge 1 ] || die "kill: DIR required"
  if [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]]; then n=$2; fi
  if [ -n "$n" ]; then sig=${3:-KILL}; else sig=${2:-KILL}; fi
  m=$(member_dir "$1" "$n")
  pid=$(m_pid "$m") || die "kill: no running server in $m"
  kill -s "$sig" "$pid"
  if [ "$sig" = KILL ] || [ "$sig" = 9 ]; then
    local i
    for ((i = 0; i < 25; i++)); do pid_alive "$pid" || break; sleep 0.2; done
  fi
  log "sent SIG$sig to pid $pid ($m)"
}

cmd_restart() {
  local m n=${2:-} t0 dir alive=0 k want
  [ $# -ge 1 ] || die "restart: DIR required"
  m=$(member_dir "$1" "$n")
  m_stop "$m" >/dev/null
  t0=$(now_ms)
  m_launch "$m"
  if [ -z "$n" ]; then
    want=standalone
  else
    # it can only serve if a quorum (2 of 3) is alive with it
    dir=$(dirname "$m")
    for ((k = 1; k <= ENSEMBLE_SIZE; k++)); do m_pid "$dir/zk$k" >/dev/null && alive=$((alive + 1)); done
    if [ "$alive" -ge 2 ]; then want='leader|follower'; else want=''; fi
    if [ -n "$want" ] && grep -qx 'peerType=observer' "$m/zoo.cfg"; then want=observer; fi
  fi
  if [ -n "$want" ]; then
    if ! m_wait "$m" "$ZK_QUORUM_TIMEOUT" "$want"; then show_logs "$m"; die "restart failed ($m)"; fi
    log "restarted pid $(cat "$m/pid") as $(mode_of "$(m_port "$m")" "$(m_addr "$m")") in $(( $(now_ms) - t0 ))ms ($m)"
  else
    # no quorum possible: just wait until it accepts connections
    local deadline=$(( $(date +%s) + ZK_START_TIMEOUT ))
    until [ "$(zk_4lw "$(m_port "$m")" ruok "$(m_addr "$m")")" = imok ]; do
      m_pid "$m" >/dev/null || { show_logs "$m"; die "restart: server in $m exited"; }
      [ "$(date +%s)" -lt "$deadline" ] || { show_logs "$m"; die "restart: $m not answering"; }
      sleep 0.2
    done
    log "restarted pid $(cat "$m/pid") (no quorum yet) ($m)"
  fi
}

# mntr PORT [KEY] [--address A] [--timeout S]: never fails for want of an answer (the
# callers sample counters and take "" as "no figure")
cmd_mntr() {
  local port="" key="" addr=127.0.0.1 secs=3
  while [ $# -gt 0 ]; do
    case $1 in
      --address) [ $# -ge 2 ] || die "mntr: --address needs a value"; addr=$2; shift 2 ;;
      --timeout) [ $# -ge 2 ] || die "mntr: --timeout needs a value"; secs=$2; shift 2 ;;
      -*) die "mntr: unknown option $1" ;;
      *)
        if [ -z "$port" ]; then port=$1
        elif [ -z "$key" ]; then key=$1
        else die "mntr: too many arguments"; fi
        shift ;;
    esac
  done
  [[ $port =~ ^[0-9]+$ ]] || die "mntr: PORT required (a number)"
  [[ $secs =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "mntr: bad --timeout: $secs"
  if [ -z "$key" ]; then
    zk_4lw "$port" mntr "$addr" "$secs" || true
  else
    # mntr's lines are KEY<tab>VALUE
    { zk_4lw "$port" mntr "$addr" "$secs" || true; } | awk -F '\t' -v k="$key" '$1 == k { print $2 }'
  fi
}

main() {
  [ $# -ge 1 ] || { usage >&2; exit 2; }
  local c=$1; shift
  case $c in
    -h|--help|help) usage ;;
    start) cmd_start "$@" ;;
    ensemble-start) cmd_ensemble_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    leader) cmd_leader "$@" ;;
    kill) cmd_kill "$@" ;;
    restart) cmd_restart "$@" ;;
    mntr) cmd_mntr "$@" ;;
    *) echo "$PROG: unknown command: $c" >&2; usage >&2; exit 2 ;;
  esac
}
main "$@"
