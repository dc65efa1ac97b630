# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154  # sets variables for the test that sources it; top is its
# tests/e2e/engine.sh - which Docker engine an end-to-end test runs against, sourced
# after tests/lib.sh (by plugin.sh and the tests that do their own set-up).
#
# ZKSW_ENGINE unset or 20: the host's engine (Debian 12's 20.10, scripts/dockerd.sh),
# on the host's network namespace.  ZKSW_ENGINE=26: Debian 13's Engine 26 from
# scripts/engine26.sh (its trixie root built on first use), in a network namespace of
# its own, reached through DOCKER_HOST (exported here: every docker command goes there).
#
#   engine_start MARK / engine_stop MARK   start the engine unless one answers / stop it
#                                          only if this test started it (MARK file)
#   in_engine_net CMD...                   CMD in the engine's network namespace (ip,
#                                          a registry the engine pulls from)
#   engine_path PATH                       the host's way to PATH as the engine sees it
#                                          (PATH, or /proc/DOCKERD/root/PATH: 26 has a
#                                          root and a /run of its own)
#   engine_socket PATH LINK                the host's way to the unix socket PATH as the
#                                          engine sees it: engine_path's, or, longer than
#                                          a socket's address may be (107), LINK made a
#                                          symbolic link to it
#   ENGINE_NET                             the words in_engine_net puts before CMD
#                                          (none, or an nsenter that execs CMD): for
#                                          `"${ENGINE_NET[@]}" CMD &`, whose $! is CMD's
#   ZK_ADDR                                the address of a ZooKeeper for the test that
#                                          the plugin reaches (127.0.0.1, or the host's
#                                          end of the engine's veth)
#   ENGINE                                 20 or 26 (for messages and names)
#   COMPOSE                                the docker-compose of the engine's Debian:
#                                          12's 1.29 (Python), 13's v2 (2.26, Go; from
#                                          Engine 26's root, run on the host)

ENGINE=${ZKSW_ENGINE:-20}
case $ENGINE in
20)
	ZK_ADDR=127.0.0.1
	COMPOSE=docker-compose
	engine_start() { "$top/scripts/dockerd.sh" start --mark "$1"; }
	engine_stop() { "$top/scripts/dockerd.sh" stop --mark "$1"; }
	ENGINE_NET=()
	engine_path() { echo "$1"; }
	;;
26)
	eval "$("$top/scripts/engine26.sh" env)"
	export DOCKER_HOST
	ZK_ADDR=$ZKSW_E26_HOST_ADDR
	COMPOSE=$ZKSW_E26_COMPOSE
	engine_start() { "$top/scripts/engine26.sh" start --mark "$1"; }
	engine_stop() { "$top/scripts/engine26.sh" stop --mark "$1"; }
	ENGINE_NET=(nsenter --net="/run/netns/$ZKSW_E26_NETNS")
	# dockerd's root (pivot_root) in its mount namespace, seen through its /proc entry
	engine_path() { echo "/proc/$(cat "$ZKSW_E26_PID_FILE")/root$1"; }
	;;
*)
	echo "ZKSW_ENGINE=$ENGINE: 20 or 26" >&2
	exit 2
	;;
esac
in_engine_net() { "${ENGINE_NET[@]}" "$@"; }
engine_socket() {
	local p
	p=$(engine_path "$1") || return 1
	if [ ${#p} -gt 107 ]; then
		ln -sfn "$p" "$2" || return 1
		p=$2
	fi
	echo "$p"
}
