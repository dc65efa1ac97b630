#!/usr/bin/env bash
# Integration: a node's mirror after its ZooKeeper connection drops and comes back.
#
# n1 reaches ZooKeeper through tests/integration/tcp_cut.py (a loopback proxy the test cuts
# and heals), n2 directly; session timeout 10 s.
#
# - Same session: cut for a few seconds while n2 creates 20 volumes, removes 10, mounts one, unmounts
#   one n1 saw mounted, and removes a volume and makes it again with another mode.  After the
#   heal n1 keeps its session and catches up from the watch events ZooKeeper delivers again
#   (one `mirror: caught up after reconnecting: N changes read in M ms (session 0x.. kept)`
#   line, no second `mirror: synced`): its List is n2's, its Gets show the holders and the
#   new record; its watches live on (n2 sees n1's mount, n1 sees what n2 does next).
# - New session: cut past the session timeout while n2 changes things; after the heal n1
#   gets a new session and reads the whole tree again (a second `mirror: synced`), its List
#   is n2's and its lease is back.
# - Watches: 100 volumes more cost ZooKeeper at most 2 watches per volume per mirroring
#   daemon (its record's data, its `leases`' children: no data watch on the empty `leases`,
#   no child watch on the record, whose children are named; docs/DESIGN.md, "What is
#   watched"; 4, then 3 before; `mntr`'s zk_watch_count, 20 slack); the figure is printed.
#   Removed one at a time, they leave no watch behind (the count is back, 3 slack).
#
# Runs in a private mount namespace (bind mounts vanish with it).
# Env: ZKSWARMD, ZK_PORT (default 2217), PROXY_PORT (default 2218).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
in_private_mount_ns "$@"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_PORT=${ZK_PORT:-2217}
PROXY_PORT=${PROXY_PORT:-2218}
SESSION_MS=10000
# The changes made while n1 is cut off must be done within this many seconds of the cut,
# so that n1 is back well inside the session timeout (n1 writes just before the cut, so
# ZooKeeper has heard from its session then; it would expire 10 s later).
CUT_BUDGET_S=6
T=$(mktemp -d /tmp/zkswarm-catchup.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
. "$top/tests/integration/daemon.sh"
on_exit "stop_node n1 KILL; stop_node n2 KILL"
# Mounts a killed daemon leaves (private namespace), so that the directory can go.
on_exit "umount -R '$T'/n*/mnt/* 2>/dev/null || true"
# The proxy (it also goes by itself once this shell is gone): TERM, a bounded wait until it
# is gone or a zombie (a cleanup runs in a subshell, which cannot reap it), then KILL.
proxy_alive() { local st; st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ "$st" != Z ]; }
stop_proxy() {
	[ -n "${proxy_pid:-}" ] || return 0
	kill "$proxy_pid" 2>/dev/null
	for _ in $(seq 50); do proxy_alive "$proxy_pid" || return 0; sleep 0.1; done
	kill -KILL "$proxy_pid" 2>/dev/null
	return 0
}
on_exit stop_proxy

create() { call "$1" VolumeDriver.Create "{\"Name\":\"$2\"${3:+,\"Opts\":$3}}" >/dev/null; }
remove() { call "$1" VolumeDriver.Remove "{\"Name\":\"$2\"}" >/dev/null; }
mnt() { call "$1" VolumeDriver.Mount "{\"Name\":\"$2\",\"ID\":\"$(mount_id "$3")\"}" >/dev/null; }
umnt() { call "$1" VolumeDriver.Unmount "{\"Name\":\"$2\",\"ID\":\"$(mount_id "$3")\"}" >/dev/null; }
# Requests for batch: "create NAME [OPTS_JSON]", "remove NAME", "mount NAME N", "unmount NAME N"
B=()
b_create() { B+=("create:$1" VolumeDriver.Create "{\"Name\":\"$1\"${2:+,\"Opts\":$2}}"); }
b_remove() { B+=("remove:$1" VolumeDriver.Remove "{\"Name\":\"$1\"}"); }
b_mount() { B+=("mount:$1" VolumeDriver.Mount "{\"Name\":\"$1\",\"ID\":\"$(mount_id "$2")\"}"); }
b_unmount() { B+=("unmount:$1" VolumeDriver.Unmount "{\"Name\":\"$1\",\"ID\":\"$(mount_id "$2")\"}"); }
# batch NODE: POST the requests in B to NODE in order, all with one curl (a loaded machine
# forks slowly: a process per request once made a cut last 6 s), each bounded (30 s);
# prints the labels of those not answered 200 and fails if any; empties B.
batch() {
	local args=() n=$((${#B[@]} / 3)) i out
	for ((i = 0; i < ${#B[@]}; i += 3)); do
		[ "$i" = 0 ] || args+=(--next)
		args+=(-sS --max-time 30 --unix-socket "$T/$1/s.sock" -X POST --data-binary "${B[i + 2]}"
			-o /dev/null -w "%{http_code} ${B[i]}\n" "http://zkswarm/${B[i + 1]}")
	done
	B=()
	[ "$n" -gt 0 ] || return 0
	out=$(curl "${args[@]}" 2>&1)
	[ "$(grep -c '^200 ' <<<"$out")" = "$n" ] && return 0
	grep -v '^200 ' <<<"$out"
	return 1
}
# names NODE: the names NODE's List gives, sorted, one a line
names() { call "$1" VolumeDriver.List '{}' | jq -r '.Volumes[].Name' | sort; }
# same_lists: n1 and n2 list the same names (a diff if not)
same_lists() {
	local a b
	a=$(names n1) || { echo "n1's List failed"; return 1; }
	b=$(names n2) || { echo "n2's List failed"; return 1; }
	[ "$a" = "$b" ] && return 0
	echo "n1's List (<) is not n2's (>):"
	diff <(echo "$a") <(echo "$b") | grep '^[<>]' | head -20
	return 1
}
# lists_all NODE PREFIX COUNT: NODE lists exactly COUNT names starting with PREFIX
lists_all() { [ "$(names "$1" | grep -c "^$2")" = "$3" ]; }
session_of_n1() { grep -o 'session 0x[0-9a-f]* established' "$T/n1/log" | tail -1 | awk '{print $2}'; }
# proxy_says N TEXT: the proxy's log has at least N lines starting with TEXT
proxy_says() { [ "$(grep -c "^$2" "$T/proxy.log")" -ge "$1" ]; }
# n1_says N REGEX: n1's log has at least N lines matching REGEX (grep -E)
n1_says() { [ "$(grep -cE "$2" "$T/n1/log")" -ge "$1" ]; }
now_ms() { date +%s%3N; }
cut() {
	kill -USR1 "$proxy_pid"
	cuts=$((cuts + 1))
	wait_until 5 "the proxy cut its connections (cut $cuts)" proxy_says 1 "cut $cuts:"
}
heal() {
	kill -USR2 "$proxy_pid"
	heals=$((heals + 1))
	wait_until 5 "the proxy forwards again (heal $heals)" proxy_says 1 "healed $heals"
}
cuts=0 heals=0

t_begin "setup"
# forceSync=no: no fsync per write, so that a busy disk does not stretch the cut.
assert_ok "ZooKeeper starts (tick 500 ms: sessions up to 10 s)" \
	env ZK_EXTRA_CFG=forceSync=no "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 500 || exit 1
python3 "$top/tests/integration/tcp_cut.py" "$PROXY_PORT" "$ZK_PORT" --ppid $$ >"$T/proxy.log" 2>&1 &
proxy_pid=$!
wait_until 10 "the proxy listens on $PROXY_PORT" proxy_says 1 listening || exit 1
assert_ok "n1 starts, through the proxy" start_node n1 "ZK_HOSTS=127.0.0.1:$PROXY_PORT" || exit 1
assert_ok "n2 starts, directly" start_node n2 || exit 1
wait_until 20 "both mirrors synced" sh -c \
	"grep -q 'mirror: synced' '$T/n1/log' && grep -q 'mirror: synced' '$T/n2/log'" || exit 1
assert_ok "n1 talks to ZooKeeper through the proxy" proxy_says 1 open
assert_contains "$(grep -o 'established (timeout [0-9]* ms)' "$T/n1/log" | tail -1)" \
	"timeout 10000 ms" "n1's session timeout is 10 s"

t_begin "same session: n1 catches up"
for i in $(seq -w 1 30); do b_create "old$i"; done
assert_ok "n2 creates old01..old30" batch n2
assert_ok "n2 mounts old01" mnt n2 old01 1
wait_until 15 "n1 lists the 30" lists_all n1 old 30
wait_until 10 "n1 sees old01 mounted by n2" shows n1 old01 "$HOLDERS" n2
wait_until 10 "n1 sees old03's default mode" shows n1 old03 .Volume.Status.options.mode 0755
sid=$(session_of_n1)
assert_ok "n1's session is known" test -n "$sid"
synced0=$(synced_count n1)
assert_eq "$synced0" 1 "n1 has synced its mirror once so far"
assert_ok "n1 creates pre (ZooKeeper hears from n1's session right before the cut)" create n1 pre
t0=$(now_ms)
cut
wait_until 5 "n1 loses its connection" n1_says 1 'zookeeper: connection lost'
lost_ms=$(($(now_ms) - t0))
assert_ok "ZooKeeper itself is still there for n2" call n2 VolumeDriver.List '{}'
for i in $(seq -w 1 20); do b_create "new$i"; done
for i in $(seq 21 30); do b_remove "old$i"; done
b_mount old02 2
b_unmount old01 1
b_remove old03
b_create old03 '{"mode":"0700"}'
assert_ok "n2 makes its 34 changes while n1 is cut off" batch n2
changes_ms=$(($(now_ms) - t0))
assert_ok "they took at most ${CUT_BUDGET_S}s from the cut (${changes_ms} ms; n1 saw the loss after ${lost_ms} ms)" \
	test "$changes_ms" -le $((CUT_BUDGET_S * 1000))
assert_ok "n1 still lists old21 (cut off, it saw nothing of it)" lists_all n1 old21 1
heal
healed_ms=$(($(now_ms) - t0))
echo "    (cut for ${healed_ms} ms; n1's client tried $(grep -c '^refused while cut' "$T/proxy.log") connections meanwhile)"
wait_until 15 "n1 is back with its session ($sid kept)" n1_says 1 "session $sid kept"
wait_until 15 "n1 logs that it caught up" n1_says 1 \
	"mirror: caught up after reconnecting: [0-9]+ changes read in [0-9]+ ms \(session $sid kept\)"
caught=$(grep -o 'mirror: caught up after reconnecting.*' "$T/n1/log" | tail -1)
[ -z "$caught" ] || echo "    ($caught)"
wait_until 15 "n1's List is n2's" same_lists
assert_ok "n1 lists the 20 new ones" lists_all n1 new 20
assert_ok "and 20 old ones: old21..old30 are gone" lists_all n1 old 20
wait_until 10 "n1 sees old02 mounted by n2" shows n1 old02 "$HOLDERS" n2
wait_until 10 "n1 sees old01 free" shows n1 old01 "$HOLDERS" ""
wait_until 10 "n1 sees old03's new mode" shows n1 old03 .Volume.Status.options.mode 0700
assert_eq "$(grep -c 'mirror: caught up after reconnecting' "$T/n1/log")" 1 \
	"exactly one caught-up line"
assert_eq "$(synced_count n1)" "$synced0" "no full resync: still one \`mirror: synced\` line"
assert_ok "n1 mounts old04 (nobody holds it)" mnt n1 old04 4
wait_until 10 "n2 sees n1 holding old04" shows n2 old04 "$HOLDERS" n1
assert_ok "n2 creates after1" create n2 after1
wait_until 10 "n1 lists after1 (its child watch lives)" lists_all n1 after1 1
assert_ok "n2 unmounts old02" umnt n2 old02 2
wait_until 10 "n1 sees old02 free (the watches on the old records live)" shows n1 old02 "$HOLDERS" ""
assert_ok "n2 removes old05" remove n2 old05
wait_until 10 "n1 no longer lists old05" lists_all n1 old05 0
wait_until 10 "n1's List is still n2's" same_lists
assert_eq "$(synced_count n1)" "$synced0" "still no second \`mirror: synced\` line"

t_begin "new session: n1 reads everything again"
caught_lines=$(grep -c 'mirror: caught up after reconnecting' "$T/n1/log")
cut
wait_until 5 "n1 loses its connection again" n1_says 2 'zookeeper: connection lost'
for i in $(seq -w 1 5); do b_create "exp$i"; done
b_remove old06
b_remove old07
b_remove new01
b_create new01 '{"mode":"0711"}'
assert_ok "n2 makes its 9 changes while n1 is cut off" batch n2
wait_until 30 "ZooKeeper expires n1's session" grep -q "Expiring session $sid" "$T/zk/zookeeper.log"
wait_until 10 "n2 sees n1's lease on old04 go with it" shows n2 old04 "$HOLDERS" ""
heal
wait_until 20 "n1 learns its session expired" n1_says 1 "session $sid expired; starting a new one"
wait_until 20 "n1 gets a new session" sh -c "[ -n \"\$(grep -o 'session 0x[0-9a-f]* established' '$T/n1/log' | tail -1 | grep -v ' $sid ')\" ]"
sid2=$(session_of_n1)
assert_ok "a session other than $sid ($sid2)" test "$sid2" != "$sid"
wait_until 20 "n1 reads the whole tree again (a second \`mirror: synced\`)" \
	synced_since n1 "$synced0"
wait_until 15 "n1's List is n2's" same_lists
wait_until 10 "n1 sees new01's new mode" shows n1 new01 .Volume.Status.options.mode 0711
wait_until 15 "n2 sees n1 holding old04 again (lease re-established)" shows n2 old04 "$HOLDERS" n1
assert_eq "$(grep -c 'mirror: caught up after reconnecting' "$T/n1/log")" "$caught_lines" \
	"no caught-up line for the new session"

t_begin "watches per volume"
wait_until 20 "ZooKeeper's watch count is steady" watches_settled
w0=$W
for i in $(seq -w 1 100); do b_create "w$i"; done
assert_ok "n2 creates w001..w100" batch n2
wait_until 20 "n1 lists the 100" lists_all n1 w 100
wait_until 20 "n2 lists the 100" lists_all n2 w 100
wait_until 20 "ZooKeeper's watch count is steady" watches_settled
w1=$W
grew=$((w1 - w0))
echo "    (watches: $w0 before, $w1 after: $grew for 100 volumes on 2 daemons," \
	"$(awk -v g="$grew" 'BEGIN { printf "%.2f", g / 200 }') per volume per daemon)"
assert_ok "at most 2 per volume per daemon: grew by $grew, bound $((2 * 100 * 2 + 20))" \
	test "$grew" -le $((2 * 100 * 2 + 20))
# Removed, the volumes leave no watch behind.  One at a time (each change alone, as most
# are), a mirror's re-read of a `leases` deleted with its record may come before it hears
# of the record's deletion; it watches the missing `leases` for its return only while the
# record is there (watch_if_lacking in zk.c); an exists watch stayed after about 1 in 10.
remove_each() { # remove_each FIRST LAST: n2 removes wFIRST..wLAST, each gone on n1 before the next
	local i
	for i in $(seq -f %03g "$1" "$2"); do
		call n2 VolumeDriver.Remove "{\"Name\":\"w$i\"}" >/dev/null || return 1
		for _ in $(seq 200); do lists_all n1 "w$i" 0 && break; sleep 0.05; done
		lists_all n1 "w$i" 0 || { echo "n1 still lists w$i"; return 1; }
	done
}
# Within 3 of what it was: under a loaded CI run it once stayed 2 above (not explained yet;
# back to what it was in every run since, idle or loaded); the build before the deletions
# told left 4 and 9 above in two idle runs.
watches_back() { W=$(watches) && [ -n "$W" ] && [ "$W" -le $((w0 + 3)) ]; }
assert_ok "n2 removes w001..w100 one at a time" remove_each 1 100
wait_until 20 "ZooKeeper's watch count is steady" watches_settled
wait_until 30 "ZooKeeper's watch count back within 3 of what it was ($w0)" watches_back
echo "    (watches: $w0 before the 100 volumes, $W after their removal)"

stop_node n1 TERM
stop_node n2 TERM
check_sanitizer_logs
t_summary
