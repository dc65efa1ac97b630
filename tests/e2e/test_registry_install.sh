#!/usr/bin/env bash
# End to end: the plugin as users get it, `docker plugin install` from a
# registry.  A local registry (Debian's docker-registry, on 127.0.0.1:5000
# with storage in a temporary directory) receives `docker plugin push`; the
# local copy is removed; `docker plugin install` brings it back with its
# settings; a volume and a network then work through the installed plugin.
# Env: ZK_PORT (default 2189), REGISTRY_PORT (default 5000), ZKSW_ENGINE
# (tests/e2e/engine.sh: the registry, the tunnel address and the engine share its
# network namespace, so 127.0.0.1 is the engine's own loopback).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
. "$top/tests/e2e/engine.sh"
ZK_PORT=${ZK_PORT:-2189}
REGISTRY_PORT=${REGISTRY_PORT:-5000}
REF=127.0.0.1:$REGISTRY_PORT/zkswarm-reg:1.0
IMAGE=zkswarm-bb:latest
TUNNEL_IF=zkreg0
T=$(mktemp -d /tmp/zkswarm-reg.XXXXXX)
on_exit "rm -rf '$T'"

cleanup() {
	docker rm -f zkreg-c1 zkreg-c2 >/dev/null 2>&1
	docker volume rm -f regvol >/dev/null 2>&1
	docker network rm regnet >/dev/null 2>&1
	docker plugin disable -f "$REF" >/dev/null 2>&1
	docker plugin rm -f "$REF" >/dev/null 2>&1
	return 0
}

t_begin "setup"
assert_ok "packages present" "$top/scripts/deps.sh"
assert_ok "a Docker engine $ENGINE runs" engine_start "$T/dockerd.started" || exit 1
on_exit "engine_stop '$T/dockerd.started' >/dev/null"
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 \
	--address "$ZK_ADDR" || exit 1
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
assert_ok "test image" "$top/scripts/image.sh" "$IMAGE"
cat >"$T/registry.yml" <<CFG
version: 0.1
storage:
  filesystem:
    rootdirectory: $T/registry
http:
  addr: 127.0.0.1:$REGISTRY_PORT
CFG
# nsenter execs the registry: $! is the registry's pid
"${ENGINE_NET[@]}" docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
echo $! >"$T/registry.pid"
on_exit "kill \$(cat '$T/registry.pid') 2>/dev/null"
wait_until 10 "the registry answers" in_engine_net curl -sf "http://127.0.0.1:$REGISTRY_PORT/v2/"
eip() { in_engine_net ip "$@"; }
eip link del "$TUNNEL_IF" 2>/dev/null
eip link add "$TUNNEL_IF" type veth peer name "${TUNNEL_IF}p" && eip addr add 198.18.4.1/32 dev "$TUNNEL_IF" &&
	eip link set "$TUNNEL_IF" up
on_exit "eip link del $TUNNEL_IF 2>/dev/null"
cleanup
on_exit cleanup
mkdir -p "$T/data" "$T/state"

t_begin "push"
assert_ok "make plugin" make -C "$top" -s plugin
cp -a "$top/plugin" "$T/bundle" && echo "registry $T" >"$T/bundle/rootfs/etc/zkswarm-bundle"
assert_ok "docker plugin create" docker plugin create "$REF" "$T/bundle"
assert_ok "docker plugin push" docker plugin push "$REF"
assert_ok "the local copy goes" docker plugin rm -f "$REF"

t_begin "install"
assert_ok "docker plugin install with settings" docker plugin install --grant-all-permissions "$REF" \
	ZK_HOSTS="$ZK_ADDR:$ZK_PORT" ZK_ROOT=/zkswarm-reg NODE_ID=reg-node ADVERTISE_ADDR=198.18.4.1 \
	data.source="$T/data" state.source="$T/state"
assert_ok "installed and enabled" sh -c "docker plugin ls --format '{{.Name}} {{.Enabled}}' | grep -qx '$REF true'"
assert_contains "$(docker plugin inspect -f '{{.Settings.Env}}' "$REF")" "ZK_HOSTS=$ZK_ADDR:$ZK_PORT" "its settings were applied"

t_begin "use"
assert_ok "a volume through the installed plugin" docker volume create -d "$REF" regvol
assert_ok "a container writes to it" docker run --rm --mount "type=volume,source=regvol,target=/d,volume-driver=$REF" "$IMAGE" sh -c 'echo ok > /d/f'
assert_ok "another reads it" docker run --rm --mount "type=volume,source=regvol,target=/d,volume-driver=$REF" "$IMAGE" cat /d/f
assert_eq "$T_OUT" ok "the data is there"
assert_ok "a network through the installed plugin" docker network create -d "$REF" --ipam-driver "$REF" \
	--subnet 198.18.66.0/24 regnet
assert_ok "two containers on it" sh -c "docker run -d --name zkreg-c1 --network regnet $IMAGE sleep 300 >/dev/null &&
	docker run -d --name zkreg-c2 --network regnet $IMAGE sleep 300 >/dev/null"
ip2=$(docker inspect -f '{{(index .NetworkSettings.Networks "regnet").IPAddress}}' zkreg-c2)
assert_ok "they reach each other ($ip2)" docker exec zkreg-c1 ping -c 2 -W 2 "$ip2"
t_summary
