#!/usr/bin/env bash
# End to end: `docker plugin upgrade` with a volume mounted and containers on a zkswarm
# network (tests/e2e/engine.sh picks the engine).  Two bundles of this checkout, the one
# marked "previous" and the one marked "this" (the upgrade's mechanics, not a change of
# code between them), go to a local registry as REF:1 and REF:2; REF:1 is installed and
# used, then disabled (-f: in use), upgraded to REF:2 and enabled: the lease, the mount
# and the containers' connectivity must survive, and new containers work.  The upgrade as
# an operator must do it (README, "Upgrading the plugin"): --skip-remote-check (another
# reference), then the mount sources set again (the upgrade resets them), then enable.
# Env: ZK_PORT (default 2207), REGISTRY_PORT (default 5000).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
. "$top/tests/e2e/engine.sh"
ZK_PORT=${ZK_PORT:-2207}
REGISTRY_PORT=${REGISTRY_PORT:-5000}
REF=127.0.0.1:$REGISTRY_PORT/zkswarm-up
P=$REF:1 # the plugin's name, before and after the upgrade
IMAGE=zkswarm-bb:latest
TUNNEL_IF=zkup0
declare -A diff_ids
T=$(mktemp -d /tmp/zkswarm-up.XXXXXX)
on_exit "rm -rf '$T'"

cleanup() {
	docker rm -f zkup-c1 zkup-c2 zkup-c3 >/dev/null 2>&1
	docker volume rm -f upvol >/dev/null 2>&1
	docker network rm upnet >/dev/null 2>&1
	docker plugin disable -f "$P" >/dev/null 2>&1
	docker plugin rm -f "$P" "$REF:2" >/dev/null 2>&1
	return 0
}

t_begin "setup"
assert_ok "a Docker engine $ENGINE runs" engine_start "$T/dockerd.started" || exit 1
on_exit "engine_stop '$T/dockerd.started' >/dev/null"
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 \
	--address "$ZK_ADDR" || exit 1
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
assert_ok "test image" "$top/scripts/image.sh" "$IMAGE"
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
	"$T/registry" "$REGISTRY_PORT" >"$T/registry.yml"
"${ENGINE_NET[@]}" docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
echo $! >"$T/registry.pid"
on_exit "kill \$(cat '$T/registry.pid') 2>/dev/null"
wait_until 10 "the registry answers" in_engine_net curl -sf "http://127.0.0.1:$REGISTRY_PORT/v2/"
eip() { in_engine_net ip "$@"; }
eip link del "$TUNNEL_IF" 2>/dev/null
eip link add "$TUNNEL_IF" type veth peer name "${TUNNEL_IF}p" && eip addr add 198.18.7.1/32 dev "$TUNNEL_IF" &&
	eip link set "$TUNNEL_IF" up
on_exit "eip link del $TUNNEL_IF 2>/dev/null"
cleanup
on_exit cleanup
mkdir -p "$T/data" "$T/state"
assert_ok "make plugin" make -C "$top" -s plugin
for v in 1 2; do
	cp -a "$top/plugin" "$T/b$v" && echo "upgrade $v $T" >"$T/b$v/rootfs/etc/zkswarm-bundle"
	assert_ok "docker plugin create and push $REF:$v" sh -c "docker plugin create '$REF:$v' '$T/b$v' >/dev/null &&
		docker plugin push '$REF:$v' >/dev/null"
	# the layer of bundle v (they differ by the marker)
	diff_ids[$v]=$(docker plugin inspect -f '{{.Config.Rootfs.DiffIds}}' "$REF:$v")
	assert_ok "the local copy goes" docker plugin rm -f "$REF:$v"
done
assert_ok "the two bundles' layers differ (1: ${diff_ids[1]}, 2: ${diff_ids[2]})" test "${diff_ids[1]}" != "${diff_ids[2]}"
assert_ok "docker plugin install $P" docker plugin install --grant-all-permissions "$P" \
	ZK_HOSTS="$ZK_ADDR:$ZK_PORT" ZK_ROOT=/zkswarm-up NODE_ID=up-node ADVERTISE_ADDR=198.18.7.1 \
	ZK_SESSION_TIMEOUT_MS=4000 data.source="$T/data" state.source="$T/state"

zk_ls() { zkcli_ls "$ZK_ADDR:$ZK_PORT" "/zkswarm-up$1"; }
ip_of() { docker inspect -f '{{(index .NetworkSettings.Networks "upnet").IPAddress}}' "$1"; }
holder() { docker volume inspect upvol | jq -r '.[0].Status.holders[0].node + "/" + (.[0].Status.holders[0].mounts | tostring)'; }

t_begin "before"
assert_ok "a volume and a network" sh -c "docker volume create -d '$P' upvol >/dev/null &&
	docker network create -d '$P' --ipam-driver '$P' --subnet 198.18.70.0/24 upnet >/dev/null"
assert_ok "c1 holds the volume, on the network" docker run -d --name zkup-c1 --network upnet \
	--mount "type=volume,source=upvol,target=/data,volume-driver=$P" "$IMAGE" sh -c 'echo before >/data/f; exec sleep 600'
assert_ok "c2 on the network" docker run -d --name zkup-c2 --network upnet "$IMAGE" sleep 600
ip1=$(ip_of zkup-c1) ip2=$(ip_of zkup-c2)
assert_ok "c1 reaches c2 ($ip2)" docker exec zkup-c1 ping -c 1 -W 2 "$ip2"
assert_eq "$(holder)" "up-node/1" "the lease: this node, one mount"

t_begin "upgrade"
assert_ok "docker plugin disable -f (in use)" docker plugin disable -f "$P"
# --skip-remote-check: REF:2 is not the reference REF:1 was installed from, and without it
# the CLI asks "Plugin images do not match, are you sure? [y/N]"; with no terminal the
# answer is no and CLI 28 (the host's) exits 0 having upgraded nothing ("cancelled" is no
# error to it), so its output and the plugin's reference say whether it happened.
assert_ok "docker plugin upgrade $P $REF:2" sh -c "docker plugin upgrade --grant-all-permissions --skip-remote-check \
	'$P' '$REF:2' </dev/null"
assert_contains "$T_OUT" "Upgraded plugin $P to $REF:2" "the engine upgraded it"
assert_eq "$(docker plugin inspect -f '{{.PluginReference}} {{.Config.Rootfs.DiffIds}}' "$P")" \
	"$REF:2 ${diff_ids[2]}" "now from $REF:2, its layer"
# The engine keeps `docker plugin set`'s env values (Settings.Env) but a mount's source
# lives in the plugin's Config (moby plugin/v2 Set: *mount.Source = value), which the
# upgrade replaces with REF:2's: data and state are back to their defaults and must be set
# again before enabling (README, "Upgrading the plugin").
assert_contains "$(docker plugin inspect -f '{{json .Settings.Env}}' "$P")" "\"NODE_ID=up-node\"" \
	"the env settings survive the upgrade"
assert_ok "docker plugin set the data and state sources again" docker plugin set "$P" \
	data.source="$T/data" state.source="$T/state"
assert_ok "docker plugin enable" docker plugin enable "$P"
assert_eq "$(docker plugin inspect -f '{{.Enabled}}' "$P")" true "enabled"
# What runs: the bundle marker in the root of the running daemon.
bundles() { for p in $(pgrep -x zkswarmd); do cat "/proc/$p/root/etc/zkswarm-bundle" 2>/dev/null; done; }
wait_until 15 "the daemon running now is $REF:2's bundle" sh -c "$(declare -f bundles); bundles | grep -qx 'upgrade 2 $T'"
assert_not_contains "$(bundles)" "upgrade 1 $T" "and $REF:1's runs no more"

t_begin "after"
lease_back() { [ "$(holder)" = "up-node/1" ]; }
wait_until 20 "the lease is held again (up-node/1)" lease_back
assert_ok "c1 still reads its mount" docker exec zkup-c1 cat /data/f
assert_eq "$T_OUT" before "the data written before"
assert_ok "and writes to it" docker exec zkup-c1 sh -c 'echo after >/data/f'
assert_eq "$(cat "$T/data/upvol/f")" after "on the data source"
assert_ok "c1 reaches c2" docker exec zkup-c1 ping -c 1 -W 2 "$ip2"
assert_ok "c2 reaches c1" docker exec zkup-c2 ping -c 1 -W 2 "$ip1"
assert_contains "$(zk_ls /ipam/subnets/198.18.70.0-24/addrs/198.18.70.0-24)" "$ip1" "c1's address is still recorded"
assert_ok "a new container on the network reaches c1" docker run --rm --name zkup-c3 --network upnet "$IMAGE" \
	ping -c 1 -W 2 "$ip1"
assert_ok "remove the containers" docker rm -f zkup-c1 zkup-c2
assert_ok "docker network rm and volume rm" sh -c 'docker network rm upnet >/dev/null && docker volume rm upvol >/dev/null'
assert_eq "$(zk_ls /networks)" "[]" "no network record left in ZooKeeper"
assert_eq "$(zk_ls /volumes)" "[]" "no volume record left in ZooKeeper"
t_summary
