#!/usr/bin/env bash
# shellcheck disable=SC2317 # its functions run through until_true and the traps
# viewer.sh - run a browser test's command in a network namespace of its own that has loopback
# alone, with some ports of this namespace's loopback carried into it.
#
# Usage: tests/browser/viewer.sh DIR PORT[,PORT...] COMMAND [ARG...]
#
# Chromium fails every request in flight with net::ERR_NETWORK_CHANGED when an address of its
# network namespace changes; where a test creates docker networks and containers, or anything
# else on the machine adds an interface, a page's fetch failed now and then for that reason
# alone. In a namespace of its own nothing changes. COMMAND's 127.0.0.1:PORT reaches
# 127.0.0.1:PORT of the caller's namespace through a unix socket in DIR (DIR/viewer-PORT.sock),
# with socat at each end. COMMAND's stdin, stdout and stderr are the script's; its exit code is
# the script's. SIGTERM, SIGINT or SIGHUP go on to COMMAND; every socat this script started is
# stopped when it ends. Needs root (unshare --net), socat and iproute2 (scripts/browser-deps.sh).
set -uo pipefail

dir=${1:?DIR}
ports=${2:?PORT[,PORT...]}
shift 2
[ $# -ge 1 ] || { echo "viewer.sh: COMMAND required" >&2; exit 2; }
IFS=, read -r -a list <<<"$ports"

# listening PORT: a socket listens on PORT in this namespace.
listening() { ss -Hltn "sport = :$1" | grep -q .; }
# until_true TENTHS COMMAND...: COMMAND until it succeeds, at most TENTHS times 0.1 s.
until_true() {
	local n=$1 i=0
	shift
	until "$@"; do
		i=$((i + 1))
		[ "$i" -lt "$n" ] || return 1
		sleep 0.1
	done
}
# stop PID...: each socat and the children it forked for connections.
stop() {
	local p
	for p in "$@"; do
		pkill -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	return 0
}

if [ "${ZKS_VIEWER_INSIDE:-}" = 1 ]; then
	# Inside: loopback up, one listener per port, then COMMAND in this process.
	ip link set lo up || exit 1
	for p in "${list[@]}"; do
		socat "TCP-LISTEN:$p,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:$dir/viewer-$p.sock" &
		echo $! >>"$dir/viewer-inside.pids"
	done
	for p in "${list[@]}"; do
		until_true 100 listening "$p" || { echo "viewer.sh: port $p does not listen" >&2; exit 1; }
	done
	unset ZKS_VIEWER_INSIDE
	exec "$@"
fi

outside=()
inside_pid=
finish() {
	local in_pids=()
	[ -z "$inside_pid" ] || kill "$inside_pid" 2>/dev/null
	[ ! -f "$dir/viewer-inside.pids" ] || mapfile -t in_pids <"$dir/viewer-inside.pids"
	stop "${in_pids[@]}" "${outside[@]}"
	rm -f "$dir/viewer-inside.pids"
	for p in "${list[@]}"; do rm -f "$dir/viewer-$p.sock"; done
}
trap finish EXIT
trap '[ -z "$inside_pid" ] || kill -TERM "$inside_pid" 2>/dev/null' TERM INT HUP

rm -f "$dir/viewer-inside.pids"
for p in "${list[@]}"; do
	rm -f "$dir/viewer-$p.sock"
	socat "UNIX-LISTEN:$dir/viewer-$p.sock,fork" "TCP:127.0.0.1:$p" &
	outside+=($!)
done
for p in "${list[@]}"; do
	until_true 100 test -S "$dir/viewer-$p.sock" || { echo "viewer.sh: no socket for port $p" >&2; exit 1; }
done
# An explicit stdin: a command started with & would otherwise read /dev/null.
ZKS_VIEWER_INSIDE=1 unshare --net -- "$0" "$dir" "$ports" "$@" <&0 &
inside_pid=$!
# wait returns early when a trapped signal arrives: wait again until COMMAND has ended.
while :; do
	wait "$inside_pid"
	rc=$?
	kill -0 "$inside_pid" 2>/dev/null || break
done
inside_pid=
exit "$rc"
