#!/usr/bin/env bash
# An engine restart with live-restore, through real engines (scripts/cluster.sh:
# two standalone engines in their own namespaces, the ZooKeeper ensemble, the
# plugin on both).  The engine restarts while a container uses a single-node
# volume; the container and the plugin keep running, the engine restores its own
# count of the mount without a new Mount, and sends the Unmount when the container
# stops.  The lease must be held exactly as long as the container runs: node2
# cannot use the volume until then, and can afterwards.
#
# Env: CLUSTER_DIR (default: a new /tmp/zkswarm-lr.XXXXXX, removed at the end
# unless a check failed), ZKSW_DOCKER (the docker CLI, default /usr/bin/docker).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

C=${CLUSTER_DIR:-$(mktemp -d /tmp/zkswarm-lr.XXXXXX)}
IMAGE=zkswarm-bb:latest
DRV=zkswarm:latest
DOCKER=${ZKSW_DOCKER:-}
if [ -z "$DOCKER" ]; then
	if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
export ZKSW_DOCKER=$DOCKER
dk() { local k=$1; shift; timeout 60 "$DOCKER" -H "unix://$C/node$k.sock" "$@"; }

# holders K VOLUME: "node/mounts,..." as node K's docker volume inspect shows them
holders() { dk "$1" volume inspect "$2" | jq -r '[.[0].Status.holders[]? | "\(.node)/\(.mounts)"] | join(",")'; }
holders_are() { local got; got=$(holders "$1" "$2"); [ "$got" = "$3" ] || { echo "holders '$got'"; return 1; }; }
# used_on K VOLUME: a container on node K mounts the volume and exits
used_on() { dk "$1" run --rm --mount "type=volume,source=$2,target=/data,volume-driver=$DRV" "$IMAGE" cat /data/f; }

on_exit "if [ \"\$T_FAIL\" -eq 0 ]; then rm -rf '$C'; else echo 'logs kept in $C'; fi"
on_exit "'$top/scripts/cluster.sh' down '$C'"
assert_ok "scripts/cluster.sh up (2 standalone engines with live-restore)" \
	"$top/scripts/cluster.sh" up "$C" --nodes 2 --no-swarm --live-restore || exit 1

# restart_node1: its engine restarts; CONTAINER keeps running, and so does the plugin
restart_node1() {
	local c=$1 started plugin
	started=$(dk 1 inspect -f '{{.State.StartedAt}}' "$c")
	plugin=$("$top/scripts/cluster.sh" plugin-pid "$C" 1)
	assert_ok "node1's engine restarts (SIGTERM, started again)" "$top/scripts/cluster.sh" restart-engine "$C" 1
	assert_eq "$(dk 1 inspect -f '{{.State.Running}} {{.State.StartedAt}}' "$c")" "true $started" \
		"the container kept running through the restart"
	assert_eq "$("$top/scripts/cluster.sh" plugin-pid "$C" 1)" "$plugin" "the plugin kept running (pid $plugin)"
	wait_until 30 "the plugin answers through the restarted engine" dk 1 volume inspect lr
}
holder_container() { # NAME: a container on node1 that writes to lr and keeps it mounted
	dk 1 run -d --name "$1" --mount "type=volume,source=lr,target=/data,volume-driver=$DRV" "$IMAGE" \
		sh -c 'echo kept > /data/f; sleep 600'
}

t_begin "live-restore"
assert_ok "a single-node volume" dk 1 volume create -d "$DRV" lr
assert_ok "a container on node1 uses it" holder_container lr1
wait_until 20 "it has written its file" dk 1 exec lr1 cat /data/f
assert_ok "held by node1, 1 mount" holders_are 1 lr node1/1
restart_node1 lr1
assert_ok "still held by node1, 1 mount" holders_are 1 lr node1/1
assert_ok "the container still reads its volume" dk 1 exec lr1 cat /data/f
assert_fails_with "node2 cannot use it" "mounted on node \`node1\`" used_on 2 lr
assert_ok "the container stops" dk 1 rm -f lr1
wait_until 10 "released: no holder" holders_are 1 lr ""
assert_ok "node2 uses it now" used_on 2 lr
assert_eq "$T_OUT" kept "node2 sees node1's data"

t_begin "docker cp after live-restore"
assert_ok "a container on node1 uses it" holder_container lr2
wait_until 20 "it has written its file" dk 1 exec lr2 cat /data/f
restart_node1 lr2
assert_ok "docker cp from the restored container" dk 1 cp lr2:/data/f "$C/f.out"
assert_ok "still held by node1, 1 mount, after the copy" holders_are 1 lr node1/1
assert_fails_with "node2 cannot use it while the container runs" "mounted on node \`node1\`" used_on 2 lr
assert_ok "the container stops" dk 1 rm -f lr2
# Engines before 23.0.7/24.0.5 do not restore their count of a live-restored mount
# (moby#44422, fixed by moby#45754): the copy's Unmount ends it for the engine, which
# then sends none when the container stops.  The plugin cannot tell that Unmount from
# the one after a copy on a container that never restarted: it keeps the lease (the
# safe side) until the mount is unmounted.
engine=$(dk 1 version -f '{{.Server.Version}}')
if [ "$(printf '%s\n' "$engine" 23.0.7 | sort -V | head -n 1)" = 23.0.7 ]; then
	wait_until 10 "released: no holder (Engine $engine)" holders_are 1 lr ""
	assert_ok "node2 uses it now" used_on 2 lr
	assert_ok "docker volume rm" dk 2 volume rm lr
else
	assert_ok "Engine $engine sent no Unmount (moby#44422): the lease is kept, never given to a second node" \
		holders_are 1 lr node1/1
	assert_fails_with "node2 still cannot use it" "mounted on node \`node1\`" used_on 2 lr
fi
t_summary
