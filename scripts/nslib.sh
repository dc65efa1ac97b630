# shellcheck shell=bash
# nslib.sh - sourced by the scripts that run Docker engines in namespaces of their
# own (cluster.sh, engine26.sh): which processes belong to such an engine, and
# killing them all.
#
#   pid_alive PID            it exists and is not a zombie
#   ns_pids MNT NET          the processes in the mount namespace MNT and the network
#                            namespace NET (inode numbers, recorded at the engine's
#                            start: dockerd, containerd, the shims) and all their
#                            descendants (containers, plugins), one pid a line
#   ns_kill_all FUNC         SIGSTOP then SIGKILL the pids FUNC prints, until it
#                            prints none (bounded: 20 rounds); 0 if none is left

pid_alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

ns_pids() {
	local mnt=$1 net=$2
	[ -n "$mnt" ] && [ -n "$net" ] || return 0
	{
		echo "== mnt"; stat -L -c '%n %i' /proc/[0-9]*/ns/mnt 2>/dev/null || true
		echo "== net"; stat -L -c '%n %i' /proc/[0-9]*/ns/net 2>/dev/null || true
		echo "== ps"; ps -e -o pid=,ppid=
	} | awk -v mnt="$mnt" -v net="$net" '
		/^== / { part = $2; next }
		part == "mnt" { split($1, a, "/"); if ($2 == mnt) m[a[3]] = 1; next }
		part == "net" { split($1, a, "/"); if ($2 == net && (a[3] in m)) root[a[3]] = 1; next }
		part == "ps" { parent[$1] = $2; pids[n++] = $1 }
		END {
			for (i = 0; i < n; i++) {
				p = pids[i]; q = p
				for (d = 0; d < 64 && q > 1; d++) {
					if (q in root) { print p; break }
					q = parent[q]
				}
			}
		}'
}

ns_kill_all() {
	local f=$1 pids i
	for ((i = 0; i < 20; i++)); do
		pids=$("$f" | tr '\n' ' ')
		[ -n "${pids// /}" ] || return 0
		# shellcheck disable=SC2086
		kill -STOP $pids 2>/dev/null || true
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
		sleep 0.3
	done
	pids=$("$f" | tr '\n' ' ')
	[ -z "${pids// /}" ] || { echo "still alive after SIGKILL: $pids" >&2; return 1; }
}
