#!/usr/bin/env bash
# Integration: configuration volumes' records (src/core/configs.c) over the
# ZooKeeper store, through tests/integration/configs_zk.c: CHECK steps in
# ZooKeeper's transactions, binary contents with NUL bytes through store_get and
# the mirror, a file of ZKS_CONFIG_FILE_MAX bytes (one more refused), two
# clients changing one config at once, the history's bound, a rollback, the
# nodes' reports and a Remove in one transaction.  Prints how long a change takes.
#
# Env: CONFIGS_ZK (default build/tests/configs_zk, built if missing; give
# build-asan/tests/configs_zk for a sanitizer run), ZK_PORT (default 2197).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

ZK_PORT=${ZK_PORT:-2197}
T=$(mktemp -d /tmp/zkswarm-configs.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"

if [ -n "${CONFIGS_ZK:-}" ]; then
	DRIVER=$CONFIGS_ZK
else
	DRIVER=$top/build/tests/configs_zk
	assert_ok "build the driver" make -C "$top" -s build/tests/configs_zk || exit 1
fi
[ -x "$DRIVER" ] || { fail "no driver at $DRIVER"; exit 1; }

t_begin "configs over ZooKeeper"
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 || exit 1
timeout 300 "$DRIVER" "127.0.0.1:$ZK_PORT" >"$T/out" 2>&1
rc=$?
sed -e 's/^/    | /' "$T/out"
assert_contains "$(tail -n 1 "$T/out")" " 0 failed" "every check of the driver passed"
assert_eq "$rc" 0 "the driver exits 0"
t_summary
