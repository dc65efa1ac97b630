#!/usr/bin/env bash
# Integration: two zkswarmd instances (nodes n1, n2) against one real ZooKeeper,
# outside Docker, driven over their unix sockets as the engine would.
#
# Shows: one namespace across nodes, the single-node lease conflict, a killed
# node's lease going with its session, restarts losing nothing, a holder that went while
# a node was down dropped from its saved mirror, a lease's deletion applied without a
# read (its parent's child watch told it), ZooKeeper outages answered from the
# mirror, bad requests refused over the socket, and the mirrors following what another
# ZooKeeper client changes in one transaction (a node deleted and made again; a volume
# mounted before the mirror has read it).
#
# Runs in a private mount namespace so the bind mounts it makes vanish with it.
# Env: ZKSWARMD (daemon binary, default build/zkswarmd), ZK_PORT (default 2191), METRICS_PORT
# (default 2246).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
in_private_mount_ns "$@"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_PORT=${ZK_PORT:-2191}
METRICS_PORT=${METRICS_PORT:-2246} # n2's, in one section
SESSION_MS=4000
T=$(mktemp -d /tmp/zkswarm-it.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"

. "$top/tests/integration/daemon.sh"
on_exit "stop_node n1 KILL; stop_node n2 KILL"
# The holders, the single-node volume's exclusive one (its `holder` record) marked with `*`.
knows() { call "$1" VolumeDriver.Get "{\"Name\":\"$2\"}" >/dev/null; }

t_begin "setup"
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 || exit 1
assert_ok "node n1 starts" start_node n1
assert_ok "node n2 starts" start_node n2
assert_ok "socket is mode 0600" test "$(stat -c %a "$T/n1/s.sock")" = 600
wait_until 10 "n1 connected to ZooKeeper" grep -q "mirror: synced" "$T/n1/log"
wait_until 10 "n2 connected to ZooKeeper" grep -q "mirror: synced" "$T/n2/log"

t_begin "one namespace"
assert_ok "Capabilities says global" call n1 VolumeDriver.Capabilities '{}'
assert_eq "$(field .Capabilities.Scope)" global "scope is global"
assert_ok "create db on n1" call n1 VolumeDriver.Create '{"Name":"db","Opts":{"mode":"0750","uid":"1000"}}'
wait_until 5 "n2 lists db" lists n2 db
assert_ok "n2 gets db" call n2 VolumeDriver.Get '{"Name":"db"}'
assert_eq "$(field .Volume.Status.options.mode)" 0750 "n2 sees n1's options"
assert_eq "$(field .Volume.Status.created_by)" n1 "n2 sees who created it"
assert_ok "data directory made with the owner and mode asked" \
	test "$(stat -c '%a %u' "$T/data/db")" = "750 1000"
assert_ok "same create on n2 succeeds" call n2 VolumeDriver.Create '{"Name":"db","Opts":{"mode":"750","uid":"1000"}}'
assert_fails_with "create with other options fails, naming the option" "mode is 0750, asked 0700" \
	call n2 VolumeDriver.Create '{"Name":"db","Opts":{"mode":"0700","uid":"1000"}}'

t_begin "single-node lease"
assert_ok "n1 mounts db" call n1 VolumeDriver.Mount "{\"Name\":\"db\",\"ID\":\"$(mount_id 1)\"}"
assert_eq "$(field .Mountpoint)" "$T/n1/mnt/db" "mountpoint under MOUNT_ROOT"
assert_ok "n1's mountpoint is a mount" mountpoint -q "$T/n1/mnt/db"
assert_fails_with "n2 cannot mount it, and is told who holds it" 'mounted on node `n1`' \
	call n2 VolumeDriver.Mount "{\"Name\":\"db\",\"ID\":\"$(mount_id 2)\"}"
wait_until 5 "n2's Get shows the holder: n1 with 1 mount, exclusive" \
	shows n2 db '.Volume.Status.holders[0] | "\(.node) \(.mounts) \(.exclusive)"' "n1 1 true"
assert_fails_with "remove from n2 is refused, naming n1" 'in use on node `n1`' \
	call n2 VolumeDriver.Remove '{"Name":"db"}'
echo hello >"$T/n1/mnt/db/file"
assert_ok "n1 unmounts" call n1 VolumeDriver.Unmount "{\"Name\":\"db\",\"ID\":\"$(mount_id 1)\"}"
assert_fails "n1's mountpoint is gone" mountpoint -q "$T/n1/mnt/db"
assert_ok "now n2 mounts it" call n2 VolumeDriver.Mount "{\"Name\":\"db\",\"ID\":\"$(mount_id 2)\"}"
assert_eq "$(cat "$T/n2/mnt/db/file" 2>&1)" hello "n2 reads what n1 wrote"
wait_until 5 "n1's Get shows n2 the exclusive holder now" shows n1 db "$EXCLUSIVE" 'n2*'

t_begin "multi-node"
assert_ok "create shared multi-node" call n1 VolumeDriver.Create '{"Name":"shared","Opts":{"access":"multi-node"}}'
assert_ok "n1 mounts shared" call n1 VolumeDriver.Mount "{\"Name\":\"shared\",\"ID\":\"$(mount_id 3)\"}"
assert_ok "n2 mounts shared too" call n2 VolumeDriver.Mount "{\"Name\":\"shared\",\"ID\":\"$(mount_id 4)\"}"
wait_until 5 "n1's Get lists both holders, n1 and n2" shows n1 shared "$HOLDERS" n1,n2

t_begin "a volume record made without its leases parent"
# As by hand or by an early version: no `leases` under it.  A mirror does not watch a
# volume's children (they are named: docs/DESIGN.md, "What is watched"), so it watches the
# missing `leases` for its creation: n1's Mount makes it, and n2 sees n1 holding the volume.
zkcli() { /usr/share/zookeeper/bin/zkCli.sh -server "127.0.0.1:$ZK_PORT" "$@" >"$T/zkcli.out" 2>&1; }
plant_legacy() {
	zkcli create /zkswarm-it/volumes/legacy \
		'{"name":"legacy","options":{"access":"single-node","uid":"0","gid":"0","mode":"0755","readonly":"false","on-remove":"delete"},"created_at":"2025-01-01T00:00:00Z","created_by":"old","token":"0123456789abcdef"}'
	grep -q '^Created' "$T/zkcli.out" || { cat "$T/zkcli.out"; return 1; }
}
assert_ok "a record without leases, made with zkCli.sh" plant_legacy
wait_until 5 "n2 lists legacy" lists n2 legacy
assert_ok "n1 mounts legacy (making its leases parent)" \
	call n1 VolumeDriver.Mount "{\"Name\":\"legacy\",\"ID\":\"$(mount_id 10)\"}"
wait_until 5 "n2 shows n1 holding legacy, exclusive" shows n2 legacy "$EXCLUSIVE" 'n1*'
# A holder lost while its lease stays: the next Mount makes it again with the lease made
# again, so that the leases' child watch tells n2 (a mirror reads the holder with them).
assert_ok "n1's holder of legacy deleted with zkCli.sh" zkcli delete /zkswarm-it/volumes/legacy/holder
wait_until 5 "n2 shows n1 holding legacy, not exclusive" shows n2 legacy "$EXCLUSIVE" n1
assert_ok "n1 mounts legacy a second time" \
	call n1 VolumeDriver.Mount "{\"Name\":\"legacy\",\"ID\":\"$(mount_id 11)\"}"
wait_until 5 "n2 shows n1 holding legacy, exclusive again" shows n2 legacy "$EXCLUSIVE" 'n1*'
for id in 10 11; do
	assert_ok "n1 unmounts legacy ($id)" \
		call n1 VolumeDriver.Unmount "{\"Name\":\"legacy\",\"ID\":\"$(mount_id $id)\"}"
done
assert_ok "remove legacy" call n2 VolumeDriver.Remove '{"Name":"legacy"}'

t_begin "killed node"
t0=$(date +%s%3N)
stop_node n2 KILL
assert_fails_with "right after the kill, n2 still holds db" 'mounted on node `n2`' \
	call n1 VolumeDriver.Mount "{\"Name\":\"db\",\"ID\":\"$(mount_id 5)\"}"
wait_until 20 "n1 mounts db once n2's session expires" \
	call n1 VolumeDriver.Mount "{\"Name\":\"db\",\"ID\":\"$(mount_id 5)\"}"
echo "  lease takeover after kill -9: $(( $(date +%s%3N) - t0 )) ms (session timeout $SESSION_MS ms)"
wait_until 5 "n2's lease on shared is gone: n1 alone holds it" shows n1 shared "$HOLDERS" n1

t_begin "restart keeps everything"
assert_ok "n2 restarts" start_node n2
wait_until 10 "n2 reconciles" grep -q "reconciled leases" "$T/n2/log"
assert_ok "n2 still lists db and shared" call n2 VolumeDriver.List '{}'
assert_eq "$(field '[.Volumes[].Name] | sort | join(",")')" "db,shared" "both volumes listed"
assert_ok "n2 is refused db (n1 has it) but keeps serving" call n2 VolumeDriver.Get '{"Name":"db"}'
assert_contains "$(cat "$T/n2/log")" 'cannot re-establish the lease on `db`' "n2 logs that it lost db"
wait_until 5 "n2 got its lease on shared back (n1 sees both)" shows n1 shared "$HOLDERS" n1,n2
assert_ok "n2 unmounts shared with the ID from before the kill" \
	call n2 VolumeDriver.Unmount "{\"Name\":\"shared\",\"ID\":\"$(mount_id 4)\"}"
assert_ok "n2 unmounts db's stale ID" call n2 VolumeDriver.Unmount "{\"Name\":\"db\",\"ID\":\"$(mount_id 2)\"}"
stop_node n2 TERM
assert_fails "SIGTERM removes the socket" test -e "$T/n2/s.sock"
assert_ok "n2 restarts after SIGTERM" start_node n2
assert_ok "n2 lists both" call n2 VolumeDriver.List '{}'
assert_eq "$(field '[.Volumes[].Name] | sort | join(",")')" "db,shared" "nothing lost"

t_begin "a holder in the saved mirror, gone while the node was down"
# n2 saves its mirror (n1 holding kept) as it stops; n1 unmounts kept meanwhile.  A mirror
# reads a volume's holder only with its leases, never alone: the restart's read of kept's
# leases, none, drops the holder the saved mirror still had (docs/DESIGN.md, "What is
# watched").  Get and the dashboard list holders from the leases alone, so the check reads
# the mirror n2 saves when it stops again.
saved_has() { grep -q "\"/volumes/kept/$1\"" "$T/n2/state/mirror.json"; }
assert_ok "create kept" call n1 VolumeDriver.Create '{"Name":"kept"}'
assert_ok "n1 mounts kept" call n1 VolumeDriver.Mount "{\"Name\":\"kept\",\"ID\":\"$(mount_id 30)\"}"
wait_until 5 "n2 shows n1 holding kept, exclusive" shows n2 kept "$EXCLUSIVE" 'n1*'
stop_node n2 TERM
assert_ok "n2's saved mirror has kept's holder" saved_has holder
assert_ok "and n1's lease" saved_has leases/n1
assert_ok "n1 unmounts kept while n2 is down" \
	call n1 VolumeDriver.Unmount "{\"Name\":\"kept\",\"ID\":\"$(mount_id 30)\"}"
synced=$(synced_count n2)
assert_ok "n2 restarts" start_node n2
wait_until 10 "n2 synced with ZooKeeper" synced_since n2 "$synced"
assert_ok "n2 shows nobody holding kept" shows n2 kept "$EXCLUSIVE" ""
stop_node n2 TERM
assert_fails "n2's mirror, saved again, lacks n1's lease" saved_has leases/n1
assert_fails "and kept's holder" saved_has holder
# The lease's deletion is told by the `leases`' child watch that n2's read of them set: n2
# applies it without a read of its own (kids_watch_set in zk.c), then re-reads the list.
n2_metric() { metric_at "127.0.0.1:$METRICS_PORT" "$1"; }
told() { n2_metric zkswarm_mirror_deletions_told_total; }
told_more_than() { local v; v=$(told); [ -n "$v" ] && [ "$v" -gt "$1" ] || { echo "told: $v"; return 1; }; }
reads() { n2_metric zkswarm_mirror_reads_total; }
reads_more_than() { local v; v=$(reads); [ -n "$v" ] && [ "$v" -gt "$1" ] || { echo "reads: $v"; return 1; }; }
synced=$(synced_count n2)
assert_ok "n2 starts again, with its metrics" start_node n2 METRICS_ADDR="127.0.0.1:$METRICS_PORT"
# Synced first: until then a Get asks ZooKeeper, and the mirror may not have read the lease
wait_until 10 "n2 synced with ZooKeeper again" synced_since n2 "$synced"
assert_ok "n1 mounts kept again" call n1 VolumeDriver.Mount "{\"Name\":\"kept\",\"ID\":\"$(mount_id 31)\"}"
wait_until 10 "n2 shows n1 holding kept, exclusive" shows n2 kept "$EXCLUSIVE" 'n1*'
told0=$(told) reads0=$(reads)
assert_ok "n2's metrics count the deletions told" test -n "$told0"
assert_ok "n2's metrics count its reads, its resync's among them" reads_more_than 0
assert_ok "n1 unmounts kept" call n1 VolumeDriver.Unmount "{\"Name\":\"kept\",\"ID\":\"$(mount_id 31)\"}"
wait_until 5 "n2 shows nobody holding kept" shows n2 kept "$EXCLUSIVE" ""
# Waited for, not checked once: a Get may see the deletion a moment before the watcher counts
# it, and the re-read of the `leases`' list comes after it.
wait_until 5 "n2 applied the lease's deletion without reading it" told_more_than "$told0"
wait_until 5 "n2 counted its re-read of kept's leases" reads_more_than "$reads0"
assert_ok "n2 mounts kept" call n2 VolumeDriver.Mount "{\"Name\":\"kept\",\"ID\":\"$(mount_id 32)\"}"
wait_until 5 "n1 shows n2 holding kept, exclusive" shows n1 kept "$EXCLUSIVE" 'n2*'
assert_ok "n2 unmounts kept" call n2 VolumeDriver.Unmount "{\"Name\":\"kept\",\"ID\":\"$(mount_id 32)\"}"
assert_ok "remove kept" call n1 VolumeDriver.Remove '{"Name":"kept"}'

t_begin "ZooKeeper outage"
"$top/scripts/zk.sh" stop "$T/zk" >/dev/null
wait_until 10 "n1 notices" grep -q "connection lost" "$T/n1/log"
assert_ok "Get still answers from the mirror" call n1 VolumeDriver.Get '{"Name":"db"}'
assert_eq "$(field .Volume.Status.zookeeper)" connecting "Status says ZooKeeper is not connected"
t0=$(date +%s%3N)
assert_fails_with "a write fails, saying ZooKeeper is unreachable" "ZooKeeper is unreachable" \
	call n1 VolumeDriver.Create '{"Name":"during-outage"}'
echo "  write refused in $(( $(date +%s%3N) - t0 )) ms"
stop_node n2 TERM
assert_ok "n2 restarts while ZooKeeper is down" start_node n2
assert_ok "n2 answers Get from its saved mirror" call n2 VolumeDriver.Get '{"Name":"shared"}'
assert_eq "$(field .Volume.Status.stale)" true "marked stale"
assert_ok "n2 lists from its saved mirror" call n2 VolumeDriver.List '{}'
assert_eq "$(field '[.Volumes[].Name] | sort | join(",")')" "db,shared" "both volumes listed while down"
assert_ok "ZooKeeper comes back" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000
wait_until 20 "writes work again without a restart" call n1 VolumeDriver.Create '{"Name":"after-outage"}'
wait_until 10 "n2 sees it" call n2 VolumeDriver.Get '{"Name":"after-outage"}'

t_begin "bad requests over the socket"
assert_fails_with "malformed JSON" "not valid JSON" call n1 VolumeDriver.Create '{"Name":'
assert_fails_with "name with .." "invalid" call n1 VolumeDriver.Create '{"Name":"../etc"}'
assert_fails_with "name with /" "invalid" call n1 VolumeDriver.Create '{"Name":"a/b"}'
assert_fails_with "unknown option lists accepted ones" "accepted options: access" \
	call n1 VolumeDriver.Create '{"Name":"x1","Opts":{"quota":"1G"}}'
assert_fails_with "wrong type" 'field `Name` must be a string' call n1 VolumeDriver.Create '{"Name":5}'
head -c 400000 /dev/zero | tr '\0' 'a' >"$T/big"
assert_fails_with "oversized body" "too large" call n1 VolumeDriver.Create "@$T/big"
assert_fails_with "unknown endpoint" "unknown method" call n1 VolumeDriver.Frobnicate '{}'
assert_ok "still serving" call n1 VolumeDriver.List '{}'
assert_eq "$(field '[.Volumes[].Name] | index("x1")')" null "nothing was created by bad requests"

t_begin "paths outside the data directory"
mkdir -p "$T/outside" && echo precious >"$T/outside/keep"
ln -s "$T/outside" "$T/data/evil"
assert_fails_with "a volume whose directory is a symlink is refused" "not a directory" \
	call n1 VolumeDriver.Create '{"Name":"evil"}'
assert_fails "and not created" call n1 VolumeDriver.Get '{"Name":"evil"}'
rm "$T/data/evil"
assert_ok "create trap" call n1 VolumeDriver.Create '{"Name":"trap"}'
rmdir "$T/data/trap" && ln -s "$T/outside" "$T/data/trap"
assert_fails_with "mounting a volume whose directory became a symlink is refused" "not a directory" \
	call n1 VolumeDriver.Mount "{\"Name\":\"trap\",\"ID\":\"$(mount_id 9)\"}"
assert_fails "nothing is mounted" mountpoint -q "$T/n1/mnt/trap"
assert_ok "removing it" call n1 VolumeDriver.Remove '{"Name":"trap"}'
assert_eq "$(cat "$T/outside/keep" 2>&1)" precious "leaves what the symlink pointed to alone"
assert_ok "create inner" call n1 VolumeDriver.Create '{"Name":"inner"}'
ln -s "$T/outside" "$T/data/inner/link" && ln -s "$T/outside/keep" "$T/data/inner/filelink"
assert_ok "remove a volume holding symlinks to the outside" call n1 VolumeDriver.Remove '{"Name":"inner"}'
assert_eq "$(cat "$T/outside/keep" 2>&1)" precious "the files they point to are untouched"
assert_fails "the volume's directory is gone" test -e "$T/data/inner"
assert_ok "create empty" call n1 VolumeDriver.Create '{"Name":"empty"}'
assert_ok "its directory is made" test -d "$T/data/empty"
assert_ok "remove it" call n1 VolumeDriver.Remove '{"Name":"empty"}'
assert_fails "an empty volume's directory is gone too" test -e "$T/data/empty"

t_begin "mirrors follow changes made in one transaction"
# Another client replaces `churn` (delete and create again) and adds `fresh` in one
# ZooKeeper transaction.  A watcher is then told `/volumes` changed and, after that,
# that `churn` was deleted: the re-read of `/volumes` already shows the new `churn`,
# so a deletion applied without looking again would lose it from the mirror for good.
# Its timing varies with the threads' (the re-read's answer racing the queued deletion:
# docs/DESIGN.md, "Deletions told by a set child watch"): three rounds.
# zk_tx PYTHON [ARG]: PYTHON run with `zk`, a client of the test's ZooKeeper
# (tests/faults/zkread.py), and `arg`
zk_tx() {
	python3 - "$top/tests/faults" "127.0.0.1:$ZK_PORT" "${2:-}" <<-PY
	import json, sys
	sys.path.insert(0, sys.argv[1])
	import zkread
	arg = sys.argv[3]
	with zkread.ZkReader([sys.argv[2]]) as zk:
	$(sed 's/^/    /' <<<"$1")
	PY
}
replace_in_one_transaction() { # replace_in_one_transaction ROUND: churnROUND and freshROUND
	zk_tx 'v = "/zkswarm-it/volumes/"
churn, fresh = v + "churn" + arg, v + "fresh" + arg
data, _ = zk.get(churn)
rec = json.loads(data)
rec["name"] = "fresh" + arg
zk.multi([("create", fresh, json.dumps(rec).encode()), ("delete", churn),
          ("create", churn, data)])' "$1"
}
for r in 1 2 3; do
	assert_ok "create churn$r" call n1 VolumeDriver.Create "{\"Name\":\"churn$r\"}"
	wait_until 5 "n2 knows churn$r" knows n2 churn$r
	assert_ok "churn$r replaced and fresh$r added in one transaction" replace_in_one_transaction $r
	# Once a node lists fresh, its watcher has applied churn's deletion: the read that
	# showed fresh was answered after the transaction, and its events came before that
	# answer.  From then on nothing takes churn away, so waiting for it cannot pass on a
	# passing state; a churn lost for good never comes (the re-read of /volumes may wait
	# for its pace first).
	for n in n1 n2; do
		wait_until 5 "$n lists fresh$r" lists $n fresh$r
		wait_until 5 "$n lists churn$r" lists $n churn$r ||
			echo "    | $n's log about churn$r: $(grep "churn$r\b" "$T/$n/log" | tail -20)"
		assert_ok "$n still gets churn$r" call $n VolumeDriver.Get "{\"Name\":\"churn$r\"}"
	done
	assert_ok "remove churn$r" call n1 VolumeDriver.Remove "{\"Name\":\"churn$r\"}"
	assert_ok "remove fresh$r" call n2 VolumeDriver.Remove "{\"Name\":\"fresh$r\"}"
done

# A node mounts a volume its mirror does not have yet (its thread is still busy with 1,000
# other new nodes): the mount's own write must not leave the mirror a volume without its record.
busy_then() { # busy_then create|delete: 1,000 nodes under /busy, or their removal, in one transaction
	zk_tx "zk.multi([('$1', '/zkswarm-it/busy/%04d' % i, b'x' * 100)[:3 if '$1' == 'create' else 2]
          for i in range(1000)])"
}
assert_ok "an empty /busy" zk_tx "zk.multi([('create', '/zkswarm-it/busy', b'')])"
# n1's thread is busy with /busy's children only once its mirror has /busy (and watches it).
wait_until 5 "n1's mirror read /busy" grep -q 'new nodes under / read.*: /busy' "$T/n1/log"
mount_while_busy() {
	busy_then create &&
		call n2 VolumeDriver.Create '{"Name":"late"}' &&
		call n1 VolumeDriver.Mount "{\"Name\":\"late\",\"ID\":\"$(mount_id 7)\"}"
}
assert_ok "n1 mounts late, made by n2 a moment before, while n1's mirror is busy" mount_while_busy
wait_until 10 "n1's Get of late shows its record (made by n2) and n1 holding it" \
	shows n1 late '.Volume.Status | "\(.created_by) \(.error // "-") \(.holders[0].node)"' "n2 - n1"
assert_ok "n1 unmounts late" call n1 VolumeDriver.Unmount "{\"Name\":\"late\",\"ID\":\"$(mount_id 7)\"}"
assert_ok "remove late" call n2 VolumeDriver.Remove '{"Name":"late"}'
assert_ok "/busy emptied" busy_then delete

t_begin "a mirror never shows a state ZooKeeper never had"
# n2 holds the single-node `solo`; n1's thread is kept busy (1,000 new nodes) while n2
# unmounts and then n1 mounts.  ZooKeeper removed n2's lease before it made n1's (n2's
# Unmount was answered before n1's Mount was sent), and told n1 so before answering its
# Mount: n1's own new lease must never appear beside n2's old one.
assert_ok "create solo (single-node)" call n2 VolumeDriver.Create '{"Name":"solo"}'
assert_ok "n2 mounts solo" call n2 VolumeDriver.Mount "{\"Name\":\"solo\",\"ID\":\"$(mount_id 8)\"}"
wait_until 5 "n1 shows n2 holding solo, exclusive" shows n1 solo "$EXCLUSIVE" 'n2*'
handover_while_busy() {
	busy_then create &&
		call n2 VolumeDriver.Unmount "{\"Name\":\"solo\",\"ID\":\"$(mount_id 8)\"}" >/dev/null &&
		call n1 VolumeDriver.Mount "{\"Name\":\"solo\",\"ID\":\"$(mount_id 9)\"}" >/dev/null &&
		call n1 VolumeDriver.Get '{"Name":"solo"}' >"$T/solo-get-1"
}
assert_ok "n2 unmounts solo and n1 mounts it, while n1's mirror is busy" handover_while_busy
assert_eq "$(jq -r "$HOLDERS" "$T/solo-get-1")" n1 "n1's first Get after its Mount shows n1 alone holding solo"
# never_two NODE VOLUME SECONDS: NODE's Get never shows more than one holder (bounded: 20 Gets)
never_two() {
	local i h
	for ((i = 0; i < 20; i++)); do
		h=$(got "$1" "$2" "$HOLDERS")
		case $h in *,*) echo "Get $i of $2 on $1 shows holders $h"; return 1 ;; esac
		sleep 0.05
	done
}
assert_ok "n1's Gets while its thread catches up never show two holders" never_two n1 solo
wait_until 5 "n2 shows n1 holding solo, exclusive" shows n2 solo "$EXCLUSIVE" 'n1*'
assert_ok "n1 unmounts solo" call n1 VolumeDriver.Unmount "{\"Name\":\"solo\",\"ID\":\"$(mount_id 9)\"}"
wait_until 5 "n2 shows solo held by none" shows n2 solo "$EXCLUSIVE" ""
assert_ok "remove solo" call n2 VolumeDriver.Remove '{"Name":"solo"}'
assert_ok "/busy emptied again" busy_then delete

t_begin "remove"
assert_ok "n1 unmounts db" call n1 VolumeDriver.Unmount "{\"Name\":\"db\",\"ID\":\"$(mount_id 5)\"}"
assert_ok "n1 unmounts shared" call n1 VolumeDriver.Unmount "{\"Name\":\"shared\",\"ID\":\"$(mount_id 3)\"}"
assert_ok "remove db" call n2 VolumeDriver.Remove '{"Name":"db"}'
assert_fails "its data is deleted" test -e "$T/data/db"
wait_until 5 "n1 no longer knows db" eval '! knows n1 db'
assert_ok "removing twice is harmless" call n1 VolumeDriver.Remove '{"Name":"db"}'

stop_node n1 TERM
stop_node n2 TERM
assert_contains "$(tail -1 "$T/n1/log")" "stopped" "n1 stopped cleanly"
check_sanitizer_logs
t_summary
