#!/usr/bin/env bash
# End to end through a real Docker engine: the managed plugin is created from
# `make plugin`, configured with `docker plugin set`, enabled, and used with
# the docker CLI as a user would.  ZooKeeper and (if none runs) dockerd are
# started by the scripts; everything this test makes is removed at the end.
#
# Env: ZK_PORT (default 2192), PLUGIN (default zkswarm-e2e).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

. "$top/tests/e2e/plugin.sh"
PLUGIN=${PLUGIN:-zkswarm-e2e}

e2e_setup "$PLUGIN" "${ZK_PORT:-2192}" || exit 1
assert_ok "plugin listed as enabled" sh -c "docker plugin ls --format '{{.Name}} {{.Enabled}}' | grep -qx '$PLUGIN:latest true'"

t_begin "volume create, ls, inspect"
assert_ok "docker volume create" docker volume create -d "$PLUGIN" -o mode=0777 -o uid=1000 v1
assert_ok "docker volume ls lists it" sh -c "docker volume ls --format '{{.Driver}} {{.Name}}' | grep -qx '$PLUGIN:latest v1'"
assert_ok "docker volume inspect" docker volume inspect v1
assert_eq "$(jq -r '.[0].Scope' <<<"$T_OUT")" global "scope global"
assert_eq "$(jq -r '.[0].Status.options.mode' <<<"$T_OUT")" 0777 "Status shows the options"
assert_eq "$(jq -r '.[0].Status.created_by' <<<"$T_OUT")" e2e-node "Status shows the node that created it"
assert_ok "CreatedAt is a time" sh -c "docker volume inspect -f '{{.CreatedAt}}' v1 | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T'"
assert_ok "its data directory is on the data source, with the owner asked" \
	test "$(stat -c '%a %u' "$T/data/v1")" = "777 1000"
assert_fails_with "an unknown option is refused, listing the accepted ones" "accepted options" \
	docker volume create -d "$PLUGIN" -o quota=10G v2
assert_fails_with "a name that escapes the data directory is refused" "invalid" \
	docker volume create -d "$PLUGIN" ..
# The engine asks Get first and adopts an existing volume without sending
# Create, so other options on a second create change nothing.
assert_ok "create again with other options" docker volume create -d "$PLUGIN" -o mode=0700 v1
assert_eq "$(docker volume inspect -f '{{index .Status.options "mode"}}' v1)" 0777 "the volume keeps its options"

t_begin "containers share the data"
assert_ok "a container writes" docker run --rm --mount "type=volume,source=v1,target=/data,volume-driver=$PLUGIN" \
	"$IMAGE" sh -c 'echo written-by-first > /data/greeting'
assert_ok "a second container reads it" docker run --rm --mount "type=volume,source=v1,target=/data,volume-driver=$PLUGIN" \
	"$IMAGE" cat /data/greeting
assert_eq "$T_OUT" written-by-first "the second container sees the first one's data"
assert_ok "-v name:/path with --volume-driver works too" docker run --rm --volume-driver "$PLUGIN" -v v1:/d "$IMAGE" cat /d/greeting
assert_ok "readonly volume" docker volume create -d "$PLUGIN" -o readonly=true ro
assert_fails "a container cannot write to it" docker run --rm --mount "type=volume,source=ro,target=/data,volume-driver=$PLUGIN" \
	"$IMAGE" touch /data/x

t_begin "an image volume: a size"
assert_ok "docker volume create -o type=image -o size=64M" docker volume create -d "$PLUGIN" -o type=image -o size=64M img
assert_ok "inspect it" docker volume inspect img
assert_eq "$(jq -r '.[0].Status.options.size' <<<"$T_OUT")" 64M "Status shows its size option"
assert_eq "$(jq -r '.[0].Status.size' <<<"$T_OUT")" 64.0M "and its size"
assert_eq "$(stat -c %s "$T/data/img/disk.img")" $((64 << 20)) "a 64M image on the data source"
assert_fails_with "a container writing 80M gets ENOSPC" "No space left on device" \
	docker run --rm --mount "type=volume,source=img,target=/data,volume-driver=$PLUGIN" \
	"$IMAGE" dd if=/dev/zero of=/data/big bs=1M count=80
assert_ok "the next container finds what fit, and writes" \
	docker run --rm --mount "type=volume,source=img,target=/data,volume-driver=$PLUGIN" \
	"$IMAGE" sh -c 'test -s /data/big && rm /data/big && echo in-the-image > /data/greeting'
assert_ok "a container holds it" docker run --rm -d --label "zkswarm-e2e=$PLUGIN" --name zks-img-holder \
	--mount "type=volume,source=img,target=/data,volume-driver=$PLUGIN" "$IMAGE" sleep 600
assert_ok "inspect it" docker volume inspect img
assert_eq "$(jq -r '.[0].Status.used_measured_on' <<<"$T_OUT")" "the mounted filesystem" "use measured on its filesystem"
assert_eq "$(jq -r '.[0].Status.fence' <<<"$T_OUT")" live "fenced, live"
assert_ok "less than 8M used now" test "$(jq -r '.[0].Status.used_bytes' <<<"$T_OUT")" -lt $((8 << 20))

t_begin "in use"
assert_ok "a container holds v1" docker run -d --label "zkswarm-e2e=$PLUGIN" --name zks-holder --mount "type=volume,source=v1,target=/data,volume-driver=$PLUGIN" \
	"$IMAGE" sleep 600
assert_ok "inspect shows this node holding it" docker volume inspect v1
assert_eq "$(jq -r '.[0].Status.holders[0].node' <<<"$T_OUT")/$(jq -r '.[0].Status.holders[0].mounts' <<<"$T_OUT")" \
	"e2e-node/1" "holder and mount count"
assert_fails_with "docker volume rm is refused while in use" "in use" docker volume rm v1

t_begin "plugin disable and enable"
assert_ok "disable -f while a container uses a volume" docker plugin disable -f "$PLUGIN"
assert_ok "enable again" docker plugin enable "$PLUGIN"
assert_ok "volumes are all still listed" sh -c "docker volume ls -q --filter driver=$PLUGIN:latest | sort | tr '\n' ' ' | grep -qx 'img ro v1 '"
assert_ok "inspect still works" docker volume inspect v1
assert_eq "$(jq -r '.[0].Status.holders[0].node' <<<"$T_OUT")" e2e-node "the lease was re-established"
assert_ok "the running container still reads its data" docker exec zks-holder cat /data/greeting
assert_ok "the image volume's container still reads its data" docker exec zks-img-holder cat /data/greeting
assert_eq "$T_OUT" in-the-image "its data"
assert_ok "and still writes" docker exec zks-img-holder sh -c 'echo after-restart > /data/after'
assert_ok "stop the holder" docker rm -f zks-holder
assert_ok "stop the image volume's holder" docker rm -f zks-img-holder
assert_ok "a new container reads the image volume's data" \
	docker run --rm --mount "type=volume,source=img,target=/data,volume-driver=$PLUGIN" "$IMAGE" cat /data/greeting /data/after
assert_eq "$T_OUT" "in-the-image
after-restart" "kept across containers and the plugin's restart"
assert_ok "its image is clean (e2fsck -n)" e2fsck -fn "$T/data/img/disk.img"
assert_ok "a new container reads the data after the restart" docker run --rm --mount "type=volume,source=v1,target=/data,volume-driver=$PLUGIN" \
	"$IMAGE" cat /data/greeting
assert_eq "$T_OUT" written-by-first "data kept"
assert_ok "no holders left" docker volume inspect v1
assert_eq "$(jq -r '.[0].Status.holders | length' <<<"$T_OUT")" 0 "leases released"

# Snapshots and clones through the engine: a container appends numbered records to an image
# volume; zkswarmctl asks the plugin over its socket (as an operator on this node would) for a
# snapshot, which this node, having the volume mounted, takes with its filesystem frozen; a
# clone of it holds records 1..m with no gap, m between the counts read just before and just
# after the request, while the writer goes on.
ZKSWARMCTL=${ZKSWARMCTL:-$top/build/zkswarmctl}
SNAP_SOCK=""
# ctl ARGS...: zkswarmctl on the test's ZooKeeper
ctl() { "$ZKSWARMCTL" --zk-hosts "$ZK_ADDR:$ZK_PORT" --zk-root "$ZK_ROOT" "$@"; }
# records: how many the writer has appended to img2 so far; at_least N
records() { timeout 20 docker exec zks-snap-writer sh -c 'wc -l < /data/records'; }
at_least() {
	local n
	n=$(records) && [ "$n" -ge "$1" ]
}
t_begin "an image volume: a snapshot and a clone"
# shellcheck disable=SC2016 # expanded when the cleanup runs
on_exit 'docker rm -f zks-snap-writer zks-snap-reader >/dev/null 2>&1
	[ -z "$SNAP_SOCK" ] || ctl volume rm-snapshot img2 s1 --socket "$SNAP_SOCK" >/dev/null 2>&1
	docker volume rm clone1 img2 >/dev/null 2>&1; true'
assert_ok "zkswarmctl is built" test -x "$ZKSWARMCTL"
assert_ok "docker volume create -o type=image -o size=64M img2" \
	docker volume create -d "$PLUGIN" -o type=image -o size=64M img2
# Bounded: 30000 records (10 min at most); stopped below.
# shellcheck disable=SC2016 # the container's shell expands them
assert_ok "a container appends numbered records to it" docker run -d --label "zkswarm-e2e=$PLUGIN" \
	--name zks-snap-writer --mount "type=volume,source=img2,target=/data,volume-driver=$PLUGIN" \
	"$IMAGE" sh -c 'i=1; while [ $i -le 30000 ]; do echo $i >>/data/records; i=$((i + 1)); sleep 0.02; done'
wait_until 60 "it has written 100 records" at_least 100
id=$(docker plugin inspect -f '{{.Id}}' "$PLUGIN")
SNAP_SOCK=$(engine_socket "/run/docker/plugins/$id/zkswarm.sock" "$T/plugin.sock")
assert_ok "the plugin's socket, as the engine made it: $SNAP_SOCK$([ ! -L "$SNAP_SOCK" ] || echo " -> $(readlink "$SNAP_SOCK")")" \
	test -S "$SNAP_SOCK"
assert_fails_with "a snapshot of a volume not of type=image is refused" "image volumes only" \
	ctl volume snapshot v1 s1 --socket "$SNAP_SOCK"
before=$(records)
t0=$(date +%s%3N)
assert_ok "zkswarmctl volume snapshot img2 s1 --socket" ctl volume snapshot img2 s1 --socket "$SNAP_SOCK"
took=$(($(date +%s%3N) - t0))
after=$(records)
echo "    records before ${before:-?}, after ${after:-?}; ${took} ms: $T_OUT"
# shellcheck disable=SC2016 # backquotes in the output
assert_contains "$T_OUT" 'img2@s1: taken on node `e2e-node`' "taken on this engine's node"
assert_ok "zkswarmctl volume snapshots img2 --json" ctl --json volume snapshots img2
assert_eq "$(jq -r 'length' <<<"$T_OUT")" 1 "one snapshot recorded"
assert_eq "$(jq -r '.[0] | "\(.snapshot) \(.state) \(.by) \(.requested_by) \(.size)"' <<<"$T_OUT")" \
	"s1 done e2e-node e2e-node $((64 << 20))" "s1 done, taken and asked on e2e-node, 64M"
assert_ok "docker volume inspect img2" docker volume inspect img2
assert_eq "$(jq -r '.[0].Status.snapshots' <<<"$T_OUT")" 1 "Status counts one snapshot"
assert_eq "$(stat -c %s "$T/data/img2/snapshots/s1.img")" $((64 << 20)) "the snapshot: a 64M image beside the volume's"
assert_ok "its filesystem is clean (e2fsck -fn)" e2fsck -fn "$T/data/img2/snapshots/s1.img"

assert_ok "docker volume create -o type=image -o from=img2@s1 clone1" \
	docker volume create -d "$PLUGIN" -o type=image -o from=img2@s1 clone1
assert_ok "docker volume inspect clone1" docker volume inspect clone1
assert_eq "$(jq -r '.[0].Status.options.from' <<<"$T_OUT")" img2@s1 "Status shows where it comes from"
# shellcheck disable=SC2016  # awk's $0, in the container
assert_ok "a container reads clone1's records: 1, 2, ... with no gap" \
	docker run --rm --label "zkswarm-e2e=$PLUGIN" --name zks-snap-reader \
	--mount "type=volume,source=clone1,target=/data,volume-driver=$PLUGIN" "$IMAGE" \
	awk '$0 != NR { bad = NR } END { if (bad || NR == 0) { print "record " bad " out of place"; exit 1 } print NR }' /data/records
m=$T_OUT
assert_ok "clone1 holds records 1..$m: $before <= $m <= $after" \
	test "$m" -ge "${before:-x}" -a "$m" -le "${after:-x}"
wait_until 30 "meanwhile the writer went on writing to img2" at_least $((${after:-0} + 1))
assert_ok "stop the writer" docker rm -f zks-snap-writer
# shellcheck disable=SC2016 # awk's $0, in the container
assert_ok "img2 holds records 1, 2, ... with no gap, more than clone1" \
	docker run --rm --label "zkswarm-e2e=$PLUGIN" --name zks-snap-reader \
	--mount "type=volume,source=img2,target=/data,volume-driver=$PLUGIN" "$IMAGE" \
	awk '$0 != NR { bad = NR } END { if (bad || NR <= '"$m"') { print "record " bad " out of place, " NR " in all"; exit 1 } print NR }' /data/records

assert_fails_with "docker volume rm img2 is refused while it has snapshots" "has snapshots" \
	docker volume rm img2
echo "    $T_OUT"
assert_ok "img2 is still there" docker volume inspect img2
assert_ok "zkswarmctl volume rm-snapshot img2 s1 --socket" ctl volume rm-snapshot img2 s1 --socket "$SNAP_SOCK"
assert_fails "the snapshot's file is gone" test -e "$T/data/img2/snapshots/s1.img"
assert_ok "docker volume inspect img2" docker volume inspect img2
assert_eq "$(jq -r '.[0].Status.snapshots' <<<"$T_OUT")" 0 "Status counts no snapshot"
assert_ok "docker volume rm clone1 img2" docker volume rm clone1 img2
assert_fails "their directories are gone" test -e "$T/data/img2" -o -e "$T/data/clone1"
assert_eq "$(zk_ls /snapshots)" "[]" "no snapshot record left in ZooKeeper"
assert_eq "$(docker ps -aq --filter name=zks-snap-)" "" "no container of the section left"
assert_fails "neither listed by docker volume ls" sh -c "docker volume ls -q --filter driver=$PLUGIN:latest | grep -qx 'img2\|clone1'"

t_begin "remove"
assert_ok "docker volume ls lists v1 as the plugin's" sh -c "docker volume ls -q --filter driver=$PLUGIN:latest | grep -qx v1"
assert_ok "docker volume rm" docker volume rm v1 ro img
assert_fails "the image volume's image is deleted" test -e "$T/data/img"
assert_fails "gone from docker volume ls" sh -c "docker volume ls -q --filter driver=$PLUGIN:latest | grep -qx v1"
assert_fails "its data directory is deleted" test -e "$T/data/v1"
t_summary
