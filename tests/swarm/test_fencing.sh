#!/usr/bin/env bash
# Hard fencing of image volumes across real nodes (scripts/cluster.sh: two standalone
# engines in their own namespaces, the ZooKeeper ensemble, the plugin on both with a 9 s
# session timeout; the image file on DIR/data, the storage both nodes see).
#
# A container on node1 (A) appends numbered, node-tagged records ("nodeA N", one every
# ~20 ms) to a file in an image volume, and node1 is cut off from ZooKeeper while it writes
# (DROP rules for the ensemble's client ports in node1's network namespace).
#   - A short cut (ended as soon as A's log shows the freeze): A thaws in the same session,
#     the writer goes on and never sees an error, no record is lost; node2 cannot mount the
#     volume meanwhile (`mounted on node`).
#   - A long cut (twice, a fresh volume each time): the session expires; a container on
#     node2 (B) mounts the volume and appends "nodeB N"; the cut ends; A shuts the
#     filesystem down and its writer gets an error.  Then the file holds every record A's
#     writer was told was written, none after B's first, all of B's; `e2fsck -fn` of the
#     image is clean; the fence record names node2 with a larger token; and the plugins'
#     logs put A's freeze before B's mount.  The times are printed.
#
# A failing run leaves nothing frozen or blocked: the cleanup removes the rules, thaws
# every filesystem of node1's processes, then takes the cluster down.
# Env: CLUSTER_DIR (default: a new /tmp/zkswarm-fence.XXXXXX, removed at the end unless a
# check failed), ZKSW_DOCKER (the docker CLI, default /usr/bin/docker).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

C=${CLUSTER_DIR:-$(mktemp -d /tmp/zkswarm-fence.XXXXXX)}
IMAGE=zkswarm-bb:latest
DRV=zkswarm:latest
SESSION_MS=9000
DOCKER=${ZKSW_DOCKER:-}
if [ -z "$DOCKER" ]; then
	if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
export ZKSW_DOCKER=$DOCKER
dk() { local k=$1; shift; timeout 60 "$DOCKER" -H "unix://$C/node$k.sock" "$@"; }
now_ms() { date +%s%3N; }

# ---- the cut: DROP rules for the ensemble's client ports in node1's namespace ----------
# The rules sit in a chain of their own; a cut is one jump to it from OUTPUT, so that it
# begins and ends with one quick command (a short cut must end well before the session
# would expire: a SYN the rule dropped is sent again only 1 s, then 3 s, later).
CUT=ZKSW-CUT
ipt1() { nsenter --net="/run/netns/zksw$(cat "$C/slot")-node1" iptables -w 5 "$@"; }
# cut_chain: the chain, one DROP rule per ZooKeeper server
cut_chain() {
	local hp
	ipt1 -N "$CUT" || return 1
	for hp in $(tr ',' ' ' <"$C/zk-hosts"); do
		ipt1 -A "$CUT" -p tcp -d "${hp%:*}" --dport "${hp##*:}" -j DROP || return 1
	done
}
cut_on() { ipt1 -I OUTPUT -j "$CUT"; }
# cut_off: no jump left (also after a run that failed between two cuts)
cut_off() {
	local i
	[ -f "$C/slot" ] || return 0
	for ((i = 0; i < 10; i++)); do ipt1 -D OUTPUT -j "$CUT" 2>/dev/null || return 0; done
}
# thaw_node1: fsfreeze -u every ext4 filesystem that node1's processes see (a run stopped
# while frozen must not leave its writer blocked, nor keep the cluster from going down)
thaw_node1() {
	local p t
	for p in $("$top/scripts/cluster.sh" pids "$C" 1 2>/dev/null); do
		awk '{ for (i = 7; i < NF; i++) if ($i == "-") break }
			$(i + 1) == "ext4" && $(i + 2) ~ /^\/dev\/loop/ { print $5 }' \
			"/proc/$p/mountinfo" 2>/dev/null | while read -r t; do
			fsfreeze -u "/proc/$p/root$t" 2>/dev/null || true
		done
	done
}

# ---- the containers ----------------------------------------------------------------------
# shellcheck disable=SC2016 # expanded by the container's shell
WRITER='i=0
while [ $i -lt 6000 ] && [ ! -e /data/stop ]; do
	i=$((i + 1))
	echo "$TAG $i" >>/data/records || { echo "failed at $i"; exit 3; }
	sleep 0.02
done'
mnt() { echo "type=volume,source=$1,target=/data,volume-driver=$DRV"; }
# writer K NAME VOLUME TAG [COUNT]: a container on node K appending "TAG N" (at most COUNT)
writer() {
	dk "$1" rm -f "$2" >/dev/null 2>&1
	dk "$1" run -d --name "$2" -e TAG="$4" --mount "$(mnt "$3")" "$IMAGE" \
		sh -c "${WRITER/6000/${5:-6000}}"
}
state_is() { local s; s=$(dk "$1" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$2") && [ "$s" = "$3" ]; }
records() { dk "$1" exec "$2" sh -c 'wc -l </data/records'; }
grows_past() { local n; n=$(records "$1" "$2") && [ "$n" -gt "$3" ]; }
holders() { dk "$1" volume inspect "$2" | jq -r '[.[0].Status.holders[]? | .node] | join(",")'; }
no_holder() { local h; h=$(holders 1 "$1") && [ -z "$h" ]; }
# read_on_b VOLUME: the records file, as a container on node2 reads it
read_on_b() { dk 2 run --rm --mount "$(mnt "$1")" "$IMAGE" cat /data/records >"$C/$1.records"; }

# ---- the logs ----------------------------------------------------------------------------
# log_at K TEXT: the plugin's own time (epoch ms) of its first log line on node K with TEXT
log_at() {
	local ts
	ts=$(grep -F -- "$2" "$C/node$1.log" | head -n 1 | sed -n 's/.*msg="\([0-9T:.-]*Z\) .*/\1/p')
	[ -n "$ts" ] && date -d "$ts" +%s%3N
}
logged() { grep -qF -- "$2" "$C/node$1.log"; }
# expired_at SID: when the ensemble expired session SID (its leader's log)
expired_at() {
	local line
	line=$(grep -h "Expiring session $1," "$C"/zk/zk*/zookeeper.log 2>/dev/null | tail -n 1)
	[ -n "$line" ] && date -d "$(cut -c1-23 <<<"$line" | tr , .)" +%s%3N
}
session_of_node1() { grep -o 'session 0x[0-9a-f]* established' "$C/node1.log" | tail -n 1 | cut -d' ' -f2; }
rel() { awk -v ms="$(($1 - $2))" 'BEGIN { printf "%+.1f s", ms / 1000 }'; }
# the numbers of TAG's records in FILE, one line, and 1..N for comparison
numbers() { awk -v tag="$1" '$1 == tag { printf "%s ", $2 }' "$2"; }
one_to() { if [ "$1" -gt 0 ]; then seq -s ' ' 1 "$1" | sed 's/$/ /'; fi; }
a_after_b() { awk '$1 == "nodeB" { b = 1 } $1 == "nodeA" && b { n++ } END { print n + 0 }' "$1"; }

on_exit "if [ \"\$T_FAIL\" -eq 0 ]; then rm -rf '$C'; else echo 'logs kept in $C'; fi"
on_exit "'$top/scripts/cluster.sh' down '$C'"
on_exit thaw_node1
on_exit cut_off
t_begin "setup"
assert_ok "scripts/cluster.sh up (2 standalone engines, session timeout ${SESSION_MS} ms)" \
	"$top/scripts/cluster.sh" up "$C" --nodes 2 --no-swarm --set ZK_SESSION_TIMEOUT_MS=$SESSION_MS || exit 1
"$top/scripts/cluster.sh" zk-hosts "$C" >"$C/zk-hosts"
wait_until 20 "node1's session has the ${SESSION_MS} ms timeout" logged 1 "(timeout $SESSION_MS ms)" || exit 1
assert_ok "the cut's rules in node1's namespace (iptables $CUT, not used yet)" cut_chain || exit 1

t_begin "a short cut: frozen, thawed, nothing lost"
V=fence-short
assert_ok "an image volume" dk 1 volume create -d "$DRV" -o type=image -o size=64M "$V"
assert_ok "A's writer starts on node1" writer 1 wa-short "$V" nodeA
wait_until 20 "A writes" grows_past 1 wa-short 0
sid=$(session_of_node1)
t0=$(now_ms)
assert_ok "node1 is cut off from ZooKeeper" cut_on
wait_until 15 "node1 freezes \`$V\`" logged 1 "froze \`$V\`"
end_at=$(now_ms)
assert_ok "the cut ends at once" cut_off
frozen_at=$(log_at 1 "froze \`$V\`")
frozen=$(records 1 wa-short)
assert_ok "it froze within the session timeout" test $((frozen_at - t0)) -lt "$SESSION_MS"
wait_until 20 "node1 thaws it" logged 1 "thawed \`$V\`"
echo "    after the cut: A froze at $(rel "$frozen_at" "$t0") ($frozen records), the cut ended at" \
	"$(rel "$end_at" "$t0"), A thawed at $(rel "$(log_at 1 "thawed \`$V\`")" "$t0")"
assert_eq "$(session_of_node1)" "$sid" "node1 kept its session ($sid)"
wait_until 10 "A's writer goes on" grows_past 1 wa-short "$frozen"
assert_fails_with "node2 cannot mount it meanwhile" "mounted on node \`node1\`" writer 2 wb-short "$V" nodeB 1
dk 2 rm -f wb-short >/dev/null 2>&1
assert_ok "A's writer is told to stop" dk 1 exec wa-short touch /data/stop
wait_until 10 "A's writer ends without an error" state_is 1 wa-short "exited 0"
assert_ok "A's container goes" dk 1 rm wa-short
wait_until 10 "node1 released it" no_holder "$V"
assert_ok "node2 reads the file" read_on_b "$V"
n=$(grep -c '^nodeA ' "$C/$V.records")
assert_ok "more records than at the freeze ($n > $frozen)" test "$n" -gt "$frozen"
assert_eq "$(numbers nodeA "$C/$V.records")" "$(one_to "$n")" "numbered 1 to $n, none missing"
wait_until 10 "node2 released it" no_holder "$V"
assert_eq "$(losetup -j "$C/data/$V/disk.img")" "" "no loop device left on its image"
assert_ok "the image is clean (e2fsck -fn)" e2fsck -fn "$C/data/$V/disk.img"

# long_cut ROUND: the whole scenario with the session lost, on a fresh volume
long_cut() {
	local V=fence-long$1 sid t0 frozen_at frozen tok_a exp_at b_at end_at shut_at failed n m
	t_begin "a long cut ($1): A frozen and shut down, B mounts after the expiry"
	assert_ok "an image volume" dk 1 volume create -d "$DRV" -o type=image -o size=64M "$V"
	assert_ok "A's writer starts on node1" writer 1 "wa$1" "$V" nodeA
	wait_until 20 "A writes" grows_past 1 "wa$1" 0
	tok_a=$(jq -r .token "$C/data/$V/fence.json")
	assert_eq "$(jq -r .node "$C/data/$V/fence.json")" node1 "the fence record names node1"
	sid=$(session_of_node1)
	t0=$(now_ms)
	assert_ok "node1 is cut off from ZooKeeper" cut_on
	wait_until 15 "node1 freezes \`$V\`" logged 1 "froze \`$V\`"
	frozen_at=$(log_at 1 "froze \`$V\`")
	frozen=$(records 1 "wa$1")
	# B tries until its task mounts the volume: only once node1's session has expired.
	wait_until 30 "a task on node2 mounts it and appends (after the expiry)" writer 2 "wb$1" "$V" nodeB 50
	# the engine copies the plugin's lines into its log on a goroutine of its own
	wait_until 10 "node2's log has the mount" logged 2 "volumes: mounted \`$V\`"
	b_at=$(log_at 2 "volumes: mounted \`$V\`")
	wait_until 20 "B's task ends without an error" state_is 2 "wb$1" "exited 0"
	assert_eq "$(records 1 "wa$1")" "$frozen" "not one record of A's while frozen ($frozen)"
	end_at=$(now_ms)
	assert_ok "the cut ends" cut_off
	wait_until 30 "node1 shuts the filesystem down" logged 1 "shut down the filesystem of \`$V\`"
	shut_at=$(log_at 1 "shut down the filesystem of \`$V\`")
	wait_until 20 "A's writer gets an error" state_is 1 "wa$1" "exited 3"
	failed=$(dk 1 logs "wa$1" 2>&1 | sed -n 's/^failed at //p')
	assert_eq "$failed" $((frozen + 1)) "the first record it was refused is the one after the freeze"
	exp_at=$(expired_at "$sid")
	echo "    after the cut: A froze at $(rel "$frozen_at" "$t0"), ZooKeeper expired its session" \
		"at $(if [ -n "$exp_at" ]; then rel "$exp_at" "$t0"; else echo '? (not in its log)'; fi)," \
		"B mounted at $(rel "$b_at" "$t0"), the cut ended at $(rel "$end_at" "$t0")," \
		"A shut down at $(rel "$shut_at" "$t0")"
	assert_ok "A froze before B mounted" test "$frozen_at" -lt "$b_at"
	assert_ok "ZooKeeper's log has the expiry of $sid" test -n "$exp_at"
	assert_ok "A froze before the expiry" test "$frozen_at" -lt "${exp_at:-0}"
	assert_ok "B mounted after the expiry" test "${exp_at:-0}" -le "$b_at"
	assert_ok "A's container goes" dk 1 rm "wa$1"
	assert_ok "B's container goes" dk 2 rm "wb$1"
	wait_until 10 "nobody holds it" no_holder "$V"
	assert_eq "$(jq -r .node "$C/data/$V/fence.json")" node2 "the fence record names node2"
	assert_ok "with a larger token than node1's ($tok_a)" \
		test $(($(jq -r .token "$C/data/$V/fence.json"))) -gt $((tok_a))
	assert_ok "node2 reads the file" read_on_b "$V"
	wait_until 10 "node2 released it" no_holder "$V"
	n=$(grep -c '^nodeA ' "$C/$V.records")
	m=$(grep -c '^nodeB ' "$C/$V.records")
	assert_eq "$n" "$frozen" "every record A wrote before the freeze, and no more"
	assert_eq "$(numbers nodeA "$C/$V.records")" "$(one_to "$frozen")" "numbered 1 to $frozen, none missing"
	assert_eq "$(a_after_b "$C/$V.records")" 0 "no record of A's after B's first"
	assert_eq "$(numbers nodeB "$C/$V.records")" "$(one_to 50)" "B's 50 records, all there ($m)"
	assert_eq "$(losetup -j "$C/data/$V/disk.img")" "" "no loop device left on its image"
	assert_ok "the image is clean (e2fsck -fn)" e2fsck -fn "$C/data/$V/disk.img"
	assert_ok "the volume is removed" dk 2 volume rm "$V"
}
long_cut 1
long_cut 2
t_summary
