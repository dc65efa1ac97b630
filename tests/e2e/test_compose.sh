#!/usr/bin/env bash
# End to end through a real Docker engine with its Debian's docker-compose: Debian 12's 1.29
# (package docker-compose, installed by scripts/deps.sh when missing) on Engine 20.10, Debian
# 13's Compose v2 on Engine 26 (ZKSW_ENGINE=26, tests/e2e/engine.sh): a compose file with a zkswarm
# volume (driver_opts, labels), an external zkswarm volume made beforehand with `docker
# volume create`, and a zkswarm network (driver_opts, the plugin's IPAM with a subnet), two
# services on it, one with a fixed address and an alias.  Checked as a user would: docker
# volume/network inspect, the containers themselves (addresses, DNS, data) and ZooKeeper's
# records; then `down` (volumes kept), `up` again (the data is there), `down -v` (the
# project's volume goes, the external one stays).
#
# The tunnel address is on a veth pair this test makes (198.18.5.1, in the engine's network
# namespace); the network is
# 198.18.91.0/24: no VXLAN traffic leaves the machine.
# Env: ZK_PORT (default 2204), PLUGIN (default zkswarm-e2ecomp).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
. "$top/tests/e2e/plugin.sh"
PLUGIN=${PLUGIN:-zkswarm-e2ecomp}
TUNNEL_IF=zkscomp0
PROJECT=zkscomp
EXT=zkscomp-archive # the external volume
VOL=${PROJECT}_shared
NET=${PROJECT}_back
FIXED=198.18.91.10

e2e_engine || exit 1
eip() { in_engine_net ip "$@"; }
eip link del "$TUNNEL_IF" 2>/dev/null
eip link add "$TUNNEL_IF" type veth peer name "${TUNNEL_IF}p" && eip addr add 198.18.5.1/32 dev "$TUNNEL_IF" &&
	eip link set "$TUNNEL_IF" up
on_exit "eip link del $TUNNEL_IF 2>/dev/null"

e2e_setup "$PLUGIN" "${ZK_PORT:-2204}" ADVERTISE_ADDR=198.18.5.1 || exit 1
assert_ok "docker-compose runs" timeout 60 "$COMPOSE" version --short || exit 1
echo "    docker-compose $T_OUT"
compose_major=${T_OUT%%.*} # 1 (Debian 12's 1.29) or 2 (Debian 13's v2)

# Every command bounded: compose and docker CLI calls that hang fail the test instead.
d() { timeout 60 docker "$@"; }
dc() { timeout 180 "$COMPOSE" -p "$PROJECT" -f "$T/compose/docker-compose.yml" "$@"; }
# vol_listed NAME: docker volume ls lists NAME with this plugin as its driver
vol_listed() {
	local out
	out=$(d volume ls --format '{{.Driver}} {{.Name}}') || return 1
	[[ $'\n'$out$'\n' == *$'\n'"$PLUGIN:latest $1"$'\n'* ]]
}
# resolves NAME IP: reader's nslookup of NAME (the engine's embedded DNS) answers IP
resolves() {
	local out
	out=$(dc exec -T reader nslookup "$1" 2>&1) # busybox: non-zero when AAAA has no answer
	[[ $out == *"Name:"*"$1"*"Address"*"$2"* ]]
}

mkdir -p "$T/compose"
cat >"$T/compose/docker-compose.yml" <<YML
version: "3.8"
services:
  writer:
    image: $IMAGE
    command: sleep 600
    stop_signal: SIGKILL
    labels: {zkswarm-e2e: $PLUGIN}
    volumes: [shared:/shared, archive:/archive]
    networks:
      back:
        ipv4_address: $FIXED
        aliases: [store]
  reader:
    image: $IMAGE
    command: sleep 600
    stop_signal: SIGKILL
    labels: {zkswarm-e2e: $PLUGIN}
    volumes: [shared:/shared, archive:/archive]
    networks: [back]
volumes:
  shared:
    driver: $PLUGIN:latest
    driver_opts: {access: multi-node, mode: "0770"}
    labels: {com.example.team: storage}
  archive:
    external: true
    name: $EXT
networks:
  back:
    driver: $PLUGIN:latest
    driver_opts: {mtu: "1400"}
    ipam:
      driver: $PLUGIN:latest
      config:
        - subnet: 198.18.91.0/24
YML
on_exit "timeout 180 '$COMPOSE' -p $PROJECT -f '$T/compose/docker-compose.yml' down -v >/dev/null 2>&1"

t_begin "up"
assert_ok "the external volume is made beforehand" d volume create -d "$PLUGIN" -o access=multi-node "$EXT"
assert_ok "docker-compose up -d" dc up -d
# (stdout alone: Compose v2 warns on stderr that `version` is obsolete; 1.29 needs it)
assert_eq "$(dc ps --services --filter status=running 2>/dev/null | sort | tr '\n' ' ')" "reader writer " \
	"docker-compose ps: both services run"
# Compose compares the existing network's and volume's driver, options and IPAM with the file.
ids() { d ps -q --no-trunc --filter "label=com.docker.compose.project=$PROJECT" | sort | tr '\n' ' '; }
ids_before=$(ids)
assert_ok "a second up -d accepts the existing network and volume" dc up -d
assert_eq "$(ids)" "$ids_before" "and leaves the containers as they are"

t_begin "volumes"
assert_ok "docker volume ls lists $VOL with the plugin as driver" vol_listed "$VOL"
assert_ok "and $EXT" vol_listed "$EXT"
assert_ok "docker volume inspect $VOL" d volume inspect "$VOL"
assert_eq "$(jq -r '.[0].Status.options.access + " " + .[0].Status.options.mode' <<<"$T_OUT")" "multi-node 0770" \
	"Status shows the driver_opts"
assert_eq "$(jq -r '.[0].Labels["com.example.team"]' <<<"$T_OUT")" storage "the label is on the volume"
assert_eq "$(jq -r '.[0].Labels["com.docker.compose.project"]' <<<"$T_OUT")" "$PROJECT" "and compose's project label"
assert_eq "$(stat -c %a "$T/data/$VOL")" 770 "its data directory has mode 0770"
vols=$(zk_ls /volumes)
assert_contains "$vols" "$VOL" "its record is in ZooKeeper"
assert_contains "$vols" "$EXT" "the external volume's too"
assert_ok "writer writes to both volumes" dc exec -T writer sh -c 'echo from-writer >/shared/greeting && echo kept >/archive/note'
assert_ok "reader reads the shared volume" dc exec -T reader cat /shared/greeting
assert_eq "$T_OUT" from-writer "reader sees writer's data"
assert_ok "reader reads the external volume" dc exec -T reader cat /archive/note
assert_eq "$T_OUT" kept "reader sees writer's data on the external volume"

t_begin "network"
assert_ok "docker network inspect $NET" d network inspect "$NET"
net_id=$(jq -r '.[0].Id' <<<"$T_OUT")
assert_eq "$(jq -r '.[0].Driver + " " + .[0].IPAM.Driver + " " + .[0].IPAM.Config[0].Subnet + " mtu=" + .[0].Options.mtu' <<<"$T_OUT")" \
	"$PLUGIN:latest $PLUGIN:latest 198.18.91.0/24 mtu=1400" "driver, IPAM driver, subnet and option as in the file"
assert_ok "writer's addresses" dc exec -T writer ip -4 -o addr show
assert_contains "$T_OUT" "$FIXED/24" "writer has its ipv4_address $FIXED"
assert_eq "$(grep -c ' 198\.18\.91\.' <<<"$T_OUT")" 1 "and no other address in the subnet"
assert_ok "writer's interface on the network" dc exec -T writer sh -c "ip -o link show \$(ip -4 -o addr show | grep -F ' $FIXED/' | awk '{print \$2}')"
assert_contains "$T_OUT" "mtu 1400" "has the network's mtu 1400"
assert_ok "reader's addresses" dc exec -T reader ip -4 -o addr show
reader_ip=$(grep -o ' 198\.18\.91\.[0-9]*/24' <<<"$T_OUT" | cut -d/ -f1 | tr -d ' ')
assert_contains "$reader_ip" "198.18.91." "reader has an address in the subnet ($reader_ip)"
wait_until 10 "reader resolves the alias store to $FIXED (the engine's DNS)" resolves store "$FIXED"
assert_ok "reader reaches store" dc exec -T reader ping -c 2 -W 2 store
assert_ok "writer reaches reader by its service name" dc exec -T writer ping -c 2 -W 2 reader
assert_contains "$(zk_ls /networks)" "$net_id" "the network's record is in ZooKeeper"
assert_contains "$(zk_ls /ipam/subnets)" "198.18.91.0-24" "the subnet is claimed in ZooKeeper"
assert_contains "$(zk_ls /ipam/subnets/198.18.91.0-24/addrs/198.18.91.0-24)" "$FIXED" "writer's address is recorded"

t_begin "down keeps the volumes"
assert_ok "docker-compose down" dc down
assert_eq "$(d ps -aq --filter "label=com.docker.compose.project=$PROJECT")" "" "no container of the project left"
assert_fails "the network is gone" d network inspect "$NET"
assert_eq "$(zk_ls /networks)" "[]" "no network record left in ZooKeeper"
assert_eq "$(zk_ls /ipam/subnets)" "[]" "no subnet claim left in ZooKeeper"
assert_ok "$VOL is still listed" vol_listed "$VOL"
assert_ok "and $EXT" vol_listed "$EXT"
# Why the file names the driver with its tag: compose compares an existing volume's driver
# with the name the engine gives it.
cat >"$T/compose/untagged.yml" <<YML
version: "3.8"
services:
  probe: {image: $IMAGE, network_mode: none, volumes: [shared:/shared]}
volumes:
  shared: {driver: $PLUGIN, driver_opts: {access: multi-node, mode: "0770"}}
YML
untagged() { timeout 180 "$COMPOSE" -p "$PROJECT" -f "$T/compose/untagged.yml" "$@"; }
if [ "$compose_major" = 1 ]; then
	assert_fails_with "the driver named without its tag is refused by compose 1.29 for the existing volume" \
		"uses a different driver ($PLUGIN:latest)" untagged up --no-start
else
	# Compose v2 (2.26) does not compare the driver of an existing volume
	assert_ok "Compose v2 accepts the driver named without its tag for the existing volume" \
		untagged up --no-start
	assert_ok "(its container goes)" untagged rm -f
fi
vols=$(zk_ls /volumes)
assert_ok "and still in ZooKeeper ($vols)" sh -c "case '$vols' in *$VOL*$EXT*|*$EXT*$VOL*) true ;; *) false ;; esac"

t_begin "up again"
# The volume exists now: compose compares its driver and driver_opts with the engine's.
assert_ok "docker-compose up -d" dc up -d
assert_ok "reader finds the data" dc exec -T reader cat /shared/greeting
assert_eq "$T_OUT" from-writer "the same data"
assert_ok "writer's addresses" dc exec -T writer ip -4 -o addr show
assert_contains "$T_OUT" "$FIXED/24" "writer has $FIXED again"

t_begin "down -v"
assert_ok "docker-compose down -v" dc down -v
assert_fails "$VOL is gone from docker volume ls" vol_listed "$VOL"
vols=$(zk_ls /volumes)
assert_not_contains "$vols" "$VOL" "and from ZooKeeper"
assert_fails "its data directory is deleted" test -e "$T/data/$VOL"
assert_contains "$vols" "$EXT" "the external volume stays in ZooKeeper"
assert_ok "and in docker volume ls" vol_listed "$EXT"
assert_ok "with its data" d run --rm --label "zkswarm-e2e=$PLUGIN" \
	--mount "type=volume,source=$EXT,target=/a,volume-driver=$PLUGIN" "$IMAGE" cat /a/note
assert_eq "$T_OUT" kept "the external volume's data is kept"
assert_eq "$(zk_ls /networks)" "[]" "no network record left in ZooKeeper"

t_begin "cleanup"
assert_ok "docker volume rm the external volume" d volume rm "$EXT"
assert_eq "$(zk_ls /volumes)" "[]" "no volume record left in ZooKeeper"
t_summary
