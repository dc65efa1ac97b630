# shellcheck shell=bash
# tests/e2e/plugin.sh - shared set-up of the end-to-end tests, sourced after
# tests/lib.sh: a ZooKeeper for the test, a Docker engine (started only if
# none runs; ZKSW_ENGINE picks which: tests/e2e/engine.sh), the busybox image,
# and the plugin from `make plugin` created under a test name, configured and
# enabled.  Everything is undone at exit.
#
#   e2e_engine                                the engine alone (before e2e_setup, for
#                                             a test that needs its namespace first)
#   e2e_setup PLUGIN ZK_PORT [KEY=VALUE...]   extra `docker plugin set` settings
#   zk_ls PATH                                children of a znode under the test's ZK_ROOT
# Containers a test makes carry the label zkswarm-e2e=PLUGIN: the cleanup removes
# those, and no other test's.
# Sets T (a temporary directory), IMAGE, ZK_ROOT, ZK_ADDR.
. "$top/tests/e2e/engine.sh"

IMAGE=zkswarm-bb:latest

e2e_cleanup_docker() {
	local plugin=$1 v n
	for c in $(docker ps -aq --filter "label=zkswarm-e2e=$plugin" 2>/dev/null); do docker rm -f "$c" >/dev/null 2>&1; done
	for v in $(docker volume ls -q --filter driver="$plugin:latest" 2>/dev/null); do
		docker volume rm -f "$v" >/dev/null 2>&1
	done
	for n in $(docker network ls -q --filter driver="$plugin:latest" 2>/dev/null); do
		docker network rm "$n" >/dev/null 2>&1
	done
	docker plugin disable -f "$plugin" >/dev/null 2>&1
	docker plugin rm -f "$plugin" >/dev/null 2>&1
	return 0
}

E2E_ENGINE_UP=0
e2e_engine() {
	[ "$E2E_ENGINE_UP" = 0 ] || return 0
	T=$(mktemp -d /tmp/zkswarm-e2e.XXXXXX)
	on_exit "rm -rf '$T'"
	t_begin "setup"
	assert_ok "packages present" "$top/scripts/deps.sh" || return 1
	# Stopped at the end only if this test started it: an engine found running stays.
	# The engine first: Engine 26's network namespace brings ZK_ADDR.
	assert_ok "a Docker engine $ENGINE runs" engine_start "$T/dockerd.started" || return 1
	on_exit "engine_stop '$T/dockerd.started' >/dev/null"
	E2E_ENGINE_UP=1
}

e2e_setup() {
	local plugin=$1 port=$2
	shift 2
	ZK_ROOT=/zkswarm-$plugin
	ZK_PORT=$port
	e2e_engine || return 1
	assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$port" --tick 1000 \
		--address "$ZK_ADDR" || return 1
	on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
	assert_ok "test image" "$top/scripts/image.sh" "$IMAGE" || return 1
	assert_ok "make plugin" make -C "$top" -s plugin || return 1
	# A marker makes this bundle's rootfs differ from an installed zkswarm's:
	# the engine refuses a second plugin with byte-identical content.
	cp -a "$top/plugin" "$T/bundle" && echo "$plugin $T" >"$T/bundle/rootfs/etc/zkswarm-bundle"
	mkdir -p "$T/data" "$T/state"
	e2e_cleanup_docker "$plugin"
	on_exit "e2e_cleanup_docker '$plugin'"
	assert_ok "docker plugin create" docker plugin create "$plugin" "$T/bundle" || return 1
	assert_ok "docker plugin set" docker plugin set "$plugin" ZK_HOSTS="$ZK_ADDR:$port" \
		ZK_ROOT="$ZK_ROOT" NODE_ID=e2e-node ZK_SESSION_TIMEOUT_MS=4000 LOG_LEVEL=debug \
		data.source="$T/data" state.source="$T/state" "$@" || return 1
	assert_ok "docker plugin enable" docker plugin enable "$plugin" || return 1
}

zk_ls() { zkcli_ls "$ZK_ADDR:$ZK_PORT" "$ZK_ROOT$1"; }
