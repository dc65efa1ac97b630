#!/usr/bin/env bash
# tests/run.sh - the whole test suite, as CI runs it (`.ci/run` calls this).
#
#   1. installs what is missing (scripts/deps.sh), builds, and checks that every C file
#      is formatted as .clang-format says (make format-check);
#   2. unit tests (cmocka): plain, under ASan+UBSan, and under valgrind; the
#      request path under libFuzzer for 60 s (FUZZ_SECONDS);
#   3. the dashboard's page in headless Chromium and Firefox (tests/browser, its
#      dependencies from scripts/browser-deps.sh) against the fixture server;
#      integration tests: the daemon, built with ASan+UBSan, against a real
#      ZooKeeper that the test starts (test_dashboard_page.sh: the real page in both
#      browsers on two daemons); then fault injection (tests/faults): a
#      3-server ensemble and three instances under a workload, faults, invariants;
#   4. end-to-end tests through a real Docker engine and the managed plugin: the
#      host's Engine 20.10, then Debian 13's Engine 26 (scripts/engine26.sh: its
#      root built on first use, ~70 s, and cached in /var/cache/zkswarm);
#   5. swarm tests: a real multi-node Docker Swarm on this machine
#      (scripts/cluster.sh), one cluster per test script.
#
# Every step runs even if an earlier one failed and says how long it took; the
# last line adds up the tests of all steps: "N passed, N failed".  Exit status 0 only if all passed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

SAN_CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
log=$(mktemp -d /tmp/zkswarm-suite.XXXXXX)
trap 'rm -rf "$log"' EXIT

passed=0 failed=0 steps_failed=()

# step NAME CMD...: run it, show its output, add its counts to the totals.
step() {
	local name=$1 rc=0 p f t0
	shift
	echo "===== $name"
	t0=$(date +%s)
	"$@" 2>&1 | tee "$log/$name.out"
	rc=${PIPESTATUS[0]}
	# cmocka: "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s), listed below:"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log/$name.out" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log/$name.out" | awk '{s+=$1} END {print s+0}')
	# tests/lib.sh: "N passed, N failed"
	p=$((p + $(sed -n 's/^\([0-9]*\) passed, [0-9]* failed$/\1/p' "$log/$name.out" | awk '{s+=$1} END {print s+0}')))
	f=$((f + $(sed -n 's/^[0-9]* passed, \([0-9]*\) failed$/\1/p' "$log/$name.out" | awk '{s+=$1} END {print s+0}')))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # it failed without counting a test: count the step
	fi
	echo "===== $name: exit $rc, $p passed, $f failed, $(($(date +%s) - t0)) s"
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$rc" -eq 0 ] || steps_failed+=("$name")
}

step deps scripts/deps.sh
step browser-deps scripts/browser-deps.sh
step build make -j2 all
# Every C file as .clang-format has it ("N passed, N failed": one per file).
step format make format-check
step unit make -j2 check
step unit-sanitizers make -j2 asan-check
step unit-valgrind make -j2 valgrind
# libFuzzer over the request path: regressions first, then a bounded run (make fuzz-run
# FUZZ_SECONDS=600 for a longer one); prints its figures and "N passed, N failed".
step fuzz make fuzz-run FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
# The page against tests/browser/fixture_server.py, in both browsers (~1.5 min).
step browser-page bash tests/browser/test_page.sh
step build-sanitized-daemon make -j2 BUILD=build-asan CFLAGS="$SAN_CFLAGS" \
	LDFLAGS="-fsanitize=address,undefined" build-asan/zkswarmd build-asan/zkswarmctl \
	build-asan/tests/netlink_driver build-asan/tests/configs_zk
for t in tests/integration/test_*.sh; do
	step "integration-$(basename "$t" .sh)" env ZKSWARMD="$top/build-asan/zkswarmd" \
		ZKSWARMCTL="$top/build-asan/zkswarmctl" \
		NETLINK_DRIVER="$top/build-asan/tests/netlink_driver" \
		CONFIGS_ZK="$top/build-asan/tests/configs_zk" bash "$t"
done
# The daemon under valgrind's memcheck too (the plain build), on the two-node test.
step integration-valgrind env ZKSWARMD="$top/build/zkswarmd" ZKSWARMD_VALGRIND=1 \
	bash tests/integration/test_two_nodes.sh
for t in tests/faults/test_*.sh; do
	step "faults-$(basename "$t" .sh)" env ZKSWARMD="$top/build-asan/zkswarmd" bash "$t"
done
for t in tests/e2e/test_*.sh; do
	# a swarm of its own engine: Engine 26's below (20.10's swarms are tests/swarm's)
	[ "$t" != tests/e2e/test_swarm_one_node.sh ] || continue
	step "e2e-$(basename "$t" .sh)" bash "$t"
done
# The same against Engine 26, one engine for these steps (the first builds the root
# if it is not there, then starts the engine; the tests find it running).
step e2e26-engine bash -c 'scripts/engine26.sh build && scripts/engine26.sh start'
for t in test_docker_volumes test_docker_networks test_registry_install test_compose test_network_scope \
	test_swarm_one_node test_plugin_upgrade; do
	step "e2e26-$t" env ZKSW_ENGINE=26 bash "tests/e2e/$t.sh"
done
step e2e26-engine-stop scripts/engine26.sh stop
for t in tests/swarm/test_*.sh; do
	step "swarm-$(basename "$t" .sh)" bash "$t"
done

echo
if [ ${#steps_failed[@]} -gt 0 ]; then
	echo "failed steps: ${steps_failed[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#steps_failed[@]} -eq 0 ]
