#!/usr/bin/env bash
# scripts/demo.sh - the main job on a fresh Debian machine, as root:
# installs what is missing, starts a local ZooKeeper (127.0.0.1:2181, data in
# /var/lib/zkswarm/zookeeper) unless one answers there, starts a Docker engine
# if none runs, builds the plugin, creates and enables it as `zkswarm`, and
# shows a volume and a network working.  ZooKeeper, the engine and the plugin are left
# running for you to use; run it again to rebuild and re-enable the plugin.
#
# Usage: scripts/demo.sh [--help]
set -euo pipefail
if [[ ${1:-} == --help ]]; then
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
fi
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
PLUGIN=zkswarm
IMAGE=zkswarm-bb:latest
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "packages"
scripts/deps.sh

say "build"
make -j2 all
make plugin

say "ZooKeeper on 127.0.0.1:2181"
if [ "$(echo ruok | nc -w 2 127.0.0.1 2181 2>/dev/null || true)" = imok ]; then
	echo "a ZooKeeper server already answers on 127.0.0.1:2181; using it"
else
	scripts/zk.sh start /var/lib/zkswarm/zookeeper --port 2181
fi

say "Docker engine"
scripts/dockerd.sh start
scripts/image.sh "$IMAGE"

say "plugin $PLUGIN"
if docker plugin inspect "$PLUGIN" >/dev/null 2>&1; then
	# Its volumes stay in ZooKeeper; the rebuilt plugin serves them again.
	docker plugin disable -f "$PLUGIN" >/dev/null 2>&1 || true
	docker plugin rm -f "$PLUGIN"
fi
mkdir -p /var/lib/zkswarm/volumes /var/lib/zkswarm/state
docker plugin create "$PLUGIN" plugin/
docker plugin set "$PLUGIN" ZK_HOSTS=127.0.0.1:2181
docker plugin enable "$PLUGIN"
docker plugin ls

say "a volume"
docker volume rm -f demo-vol >/dev/null 2>&1 || true
docker volume create -d "$PLUGIN" -o access=single-node -o mode=0755 demo-vol
docker run --rm --mount "type=volume,source=demo-vol,target=/data,volume-driver=$PLUGIN" \
	"$IMAGE" sh -c 'echo "written at $(date)" > /data/hello'
echo "a second container reads: $(docker run --rm --mount "type=volume,source=demo-vol,target=/data,volume-driver=$PLUGIN" "$IMAGE" cat /data/hello)"
docker volume ls --filter driver="$PLUGIN:latest"
echo "docker volume inspect demo-vol (Status is the cluster's view, from ZooKeeper):"
docker volume inspect demo-vol | jq '.[0] | {Name, Driver, Scope, CreatedAt, Status}'
docker volume rm demo-vol

say "a network"
docker rm -f demo-a demo-b >/dev/null 2>&1 || true
docker network rm demo-net >/dev/null 2>&1 || true
# Network plugins are named with their tag (the engine resolves "zkswarm" alone only for volumes).
docker network create -d "$PLUGIN:latest" --ipam-driver "$PLUGIN:latest" --subnet 198.18.100.0/24 demo-net
docker run -d --name demo-a --network demo-net "$IMAGE" sleep 300 >/dev/null
docker run -d --name demo-b --network demo-net "$IMAGE" sleep 300 >/dev/null
a=$(docker inspect -f '{{(index .NetworkSettings.Networks "demo-net").IPAddress}}' demo-a)
b=$(docker inspect -f '{{(index .NetworkSettings.Networks "demo-net").IPAddress}}' demo-b)
echo "demo-a has $a, demo-b has $b (both from ZooKeeper); demo-a pings demo-b:"
docker exec demo-a ping -c 2 -W 2 "$b"
docker network inspect demo-net | jq '.[0] | {Name, Driver, IPAM: .IPAM.Config, Containers: [.Containers[] | {Name, IPv4Address}]}'
docker rm -f demo-a demo-b >/dev/null
docker network rm demo-net

say "done"
cat <<MSG
The plugin '$PLUGIN' is enabled against ZooKeeper 127.0.0.1:2181. Try:
  docker volume create -d $PLUGIN -o access=multi-node shared
  docker run --rm --mount type=volume,source=shared,target=/data,volume-driver=$PLUGIN $IMAGE ls /data
  docker network create -d $PLUGIN:latest --ipam-driver $PLUGIN:latest --subnet 198.18.101.0/24 mynet
MSG
