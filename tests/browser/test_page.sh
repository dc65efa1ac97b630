#!/bin/bash
# The dashboard page in real headless browsers: starts the fixture server on a free loopback
# port, runs test_page.mjs in Chromium and in Firefox (one after the other, each with a fresh
# fixture), cleans up even on failure, and prints the closing `N passed, N failed`.
# Heavy on a small machine: run it under `flock /tmp/zks-cluster.lock`.
#   ZKS_BROWSERS="chromium firefox" (default)   ZKS_SCREENSHOT=/path/dashboard-{browser}.png
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
browsers=${ZKS_BROWSERS:-chromium firefox}
passed=0
failed=0
fx_pid=
fx_port=
node_pid=
logdir=$(mktemp -d /tmp/zks-browser.XXXXXX)

# stop pid: SIGTERM, up to 5 s, then SIGKILL
stop() {
	local pid=$1 i
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

cleanup() {
	stop "$node_pid" # the test: puppeteer closes its browser on SIGTERM
	node_pid=
	stop "$fx_pid"
	fx_pid=
}
trap 'cleanup; rm -rf "$logdir"' EXIT
trap 'exit 130' INT TERM

if [ ! -d "$here/node_modules/puppeteer-core" ]; then
	echo "FAIL - tests/browser/node_modules missing: run scripts/browser-deps.sh"
	echo "0 passed, 1 failed"
	exit 1
fi

free_port() {
	"$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_fixture() {
	local port i
	for i in 1 2 3 4 5; do
		port=$(free_port)
		"$py" "$here/fixture_server.py" --port "$port" --hostile >"$logdir/fixture.log" 2>&1 &
		fx_pid=$!
		for _ in $(seq 1 100); do   # up to 10 s for it to answer
			if curl -sf -o /dev/null "http://127.0.0.1:$port/api/v1/cluster"; then
				base="http://127.0.0.1:$port/"
				fx_port=$port
				return 0
			fi
			kill -0 "$fx_pid" 2>/dev/null || break
			sleep 0.1
		done
		cleanup
	done
	cat "$logdir/fixture.log"
	return 1
}

for b in $browsers; do
	if ! start_fixture; then
		echo "FAIL - $b: the fixture server did not start"
		failed=$((failed + 1))
		continue
	fi
	# As root, in a network namespace of its own with the fixture's port carried in (viewer.sh:
	# Chromium fails a fetch in flight when an address of its namespace changes).
	viewer=()
	[ "$(id -u)" != 0 ] || viewer=("$here/viewer.sh" "$logdir" "$fx_port")
	"${viewer[@]}" node "$here/test_page.mjs" --base "$base" --browser "$b" >"$logdir/$b.out" 2>&1 &
	node_pid=$!
	wait "$node_pid"
	node_pid=
	cat "$logdir/$b.out"
	line=$(grep -E "^$b: [0-9]+ passed, [0-9]+ failed$" "$logdir/$b.out" | tail -1)
	if [ -n "$line" ]; then
		p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/')
		f=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/')
		passed=$((passed + p))
		failed=$((failed + f))
	else
		echo "FAIL - $b: no closing line"
		failed=$((failed + 1))
	fi
	cleanup
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
