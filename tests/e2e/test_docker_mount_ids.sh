#!/usr/bin/env bash
# End to end through a real Docker engine: every engine path that sends Mount
# again with an ID the plugin already counts, or a new ID for a volume already
# mounted, keeps a single-node volume's lease exactly as long as a container
# uses it.  The engine sends one Unmount per Mount (moby's MountPoint.Setup and
# Cleanup); the plugin counts calls, not IDs.
#
#   docker cp from and to a running container   (moby's TestExternalVolumeDriverUnmountOnCp)
#   docker cp on a stopped container
#   docker restart, docker stop + docker start
#   --volumes-from a running container
#
# "Held" is judged as a user would: `docker volume inspect` (Status.holders) and
# a second node (a zkswarmd on the same ZooKeeper, outside Docker) asking Mount:
# refused while a container uses the volume, granted once none does.
# (Engine restarts with live-restore: tests/swarm/test_live_restore.sh.)
#
# Env: ZK_PORT (default 2194), PLUGIN (default zkswarm-e2eid), ZKSWARMD (the
# second node's daemon, default build/zkswarmd).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

. "$top/tests/e2e/plugin.sh"
PLUGIN=${PLUGIN:-zkswarm-e2eid}
ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
SESSION_MS=4000

e2e_setup "$PLUGIN" "${ZK_PORT:-2194}" || exit 1
assert_ok "the second node's daemon is built" make -C "$top" -s "${ZKSWARMD#"$top/"}" || exit 1
. "$top/tests/integration/daemon.sh"
on_exit "stop_node other"
# Its bind mounts are on the host: unmounted before the directory goes.
on_exit "awk -v p='$T/other/mnt/' 'index(\$5, p) == 1 {print \$5}' /proc/self/mountinfo | xargs -r -n1 umount -l"
assert_ok "a second node on the same ZooKeeper" start_node other ZK_ROOT="$ZK_ROOT" || exit 1
# A caller that finds the engine running (as a suite finds demo.sh's) leaves it running.
assert_ok "a second caller of dockerd.sh finds the engine" "$top/scripts/dockerd.sh" start --mark "$T/second.started"
assert_fails "it is not marked as that caller's" test -e "$T/second.started"
assert_ok "that caller's stop" "$top/scripts/dockerd.sh" stop --mark "$T/second.started"
assert_ok "the engine still answers" docker info

# holders VOLUME: "node/mounts,..." from docker volume inspect
holders() {
	docker volume inspect "$1" | jq -r '[.[0].Status.holders[]? | "\(.node)/\(.mounts)"] | join(",")'
}
# held_here VOLUME MOUNTS: this node holds it with MOUNTS mounts, and the other node is refused
held_here() {
	local got
	got=$(holders "$1")
	[ "$got" = "e2e-node/$2" ] || { echo "docker volume inspect shows holders '$got'"; return 1; }
	if call other VolumeDriver.Mount "{\"Name\":\"$1\",\"ID\":\"probe\"}"; then
		call other VolumeDriver.Unmount "{\"Name\":\"$1\",\"ID\":\"probe\"}"
		echo "the other node was granted a mount"
		return 1
	fi
}
# free_here VOLUME: no holder, and the other node can mount it (and gives it back)
free_here() {
	local got
	got=$(holders "$1")
	[ -z "$got" ] || { echo "docker volume inspect shows holders '$got'"; return 1; }
	call other VolumeDriver.Mount "{\"Name\":\"$1\",\"ID\":\"probe\"}" || return 1
	call other VolumeDriver.Unmount "{\"Name\":\"$1\",\"ID\":\"probe\"}"
}
run_holder() { # NAME VOLUME [docker run flags...]: a container that keeps the volume mounted
	local name=$1 vol=$2
	shift 2
	docker run -d --label "zkswarm-e2e=$PLUGIN" --name "$name" "$@" \
		--mount "type=volume,source=$vol,target=/data,volume-driver=$PLUGIN" "$IMAGE" sleep 600
}

t_begin "docker cp on a running container"
assert_ok "a single-node volume" docker volume create -d "$PLUGIN" cpv
assert_ok "a container uses it" run_holder zks-cp cpv
assert_ok "held by this node, 1 mount" held_here cpv 1
echo from-host >"$T/in.txt"
assert_ok "docker cp into the container" docker cp "$T/in.txt" zks-cp:/data/in.txt
assert_ok "still held, 1 mount, after the copy in" held_here cpv 1
assert_ok "docker cp out of the container" docker cp zks-cp:/data/in.txt "$T/out.txt"
assert_eq "$(cat "$T/out.txt" 2>/dev/null)" from-host "the copy went through the volume"
assert_ok "still held, 1 mount, after the copy out" held_here cpv 1
assert_ok "the container still writes to its volume" docker exec zks-cp sh -c 'echo more >> /data/in.txt'
assert_ok "the container stops" docker rm -f zks-cp
assert_ok "released: no holder, the other node can mount it" free_here cpv

t_begin "docker cp on a stopped container"
assert_ok "a stopped container with the volume" docker create --label "zkswarm-e2e=$PLUGIN" --name zks-cps \
	--mount "type=volume,source=cpv,target=/data,volume-driver=$PLUGIN" "$IMAGE" true
assert_ok "docker cp out of it" docker cp zks-cps:/data/in.txt "$T/out2.txt"
assert_eq "$(cat "$T/out2.txt" 2>/dev/null)" "$(printf 'from-host\nmore')" "the data the running container wrote"
assert_ok "released after the copy" free_here cpv
assert_ok "remove it" docker rm zks-cps

t_begin "docker restart"
assert_ok "a container uses the volume" run_holder zks-rs cpv
assert_ok "docker restart" docker restart -t 1 zks-rs
assert_ok "held, 1 mount, after the restart" held_here cpv 1
assert_ok "docker stop" docker stop -t 1 zks-rs
# Engine 20.10 answers docker stop once the container is marked stopped, before its clean-up
# (moby handleContainerExit: SetStopped, then Cleanup) sends the volume's Unmount.
wait_until 10 "released when stopped" free_here cpv
assert_ok "docker start of the stopped container" docker start zks-rs
assert_ok "held, 1 mount, after the start" held_here cpv 1
assert_ok "docker cp while running again" docker cp zks-rs:/data/in.txt "$T/out3.txt"
assert_ok "still held, 1 mount" held_here cpv 1
assert_ok "the container goes" docker rm -f zks-rs
assert_ok "released" free_here cpv

t_begin "--volumes-from"
assert_ok "a container uses the volume" run_holder zks-vf1 cpv
assert_ok "a second container takes its volumes" docker run -d --label "zkswarm-e2e=$PLUGIN" --name zks-vf2 \
	--volumes-from zks-vf1 "$IMAGE" sleep 600
assert_ok "held, 2 mounts" held_here cpv 2
assert_ok "the second container sees the data" docker exec zks-vf2 cat /data/in.txt
assert_ok "docker cp from the second one" docker cp zks-vf2:/data/in.txt "$T/out4.txt"
assert_ok "the second container goes" docker rm -f zks-vf2
assert_ok "still held by the first, 1 mount" held_here cpv 1
assert_ok "the first goes" docker rm -f zks-vf1
assert_ok "released" free_here cpv

t_begin "cleanup"
assert_ok "docker volume rm" docker volume rm cpv
t_summary
