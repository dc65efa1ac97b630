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

t_begin "remove"
assert_ok "docker volume rm" docker volume rm v1 ro img
assert_fails "the image volume's image is deleted" test -e "$T/data/img"
assert_fails "gone from docker volume ls" sh -c "docker volume ls -q | grep -qx v1"
assert_fails "its data directory is deleted" test -e "$T/data/v1"
t_summary
