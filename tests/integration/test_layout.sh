#!/usr/bin/env bash
# Integration: the record layout 2 (docs/DESIGN.md, "Records in ZooKeeper"; records.h,
# ZKS_LAYOUT) against one real ZooKeeper, with zkswarmd instances driven over their sockets.
#
# Shows: a volume that nothing mounts has no children in ZooKeeper and costs a mirror one
# watch; the first Mount makes `leases` and sets the record's data in the same transaction
# (every mirror's data watch tells it), the last Unmount deletes `leases`; a change of an
# unmounted record that is no touch is shown everywhere and leaves no watch; a writer of the
# earlier layout (one that makes `leases` without touching the record) registered: every
# mirror watches the childless records' `leases` again and sees what it makes; and a daemon
# of the previous version (built from LAYOUT1_REV) beside two of this one: each sees the
# others' leases, a volume it mounts is refused to the others' Remove, and its leaving
# lets the others trust childless records again, and the reaper's leader delete the empty
# `leases` it left.
#
# Runs in a private mount namespace so the bind mounts it makes vanish with it.
# Env: ZKSWARMD (daemon binary, default build/zkswarmd), ZK_PORT (default 2233),
# METRICS_PORT (default 2247), LAYOUT1_ZKSWARMD (a daemon of layout 1 to use instead of
# building LAYOUT1_REV).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
in_private_mount_ns "$@"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_PORT=${ZK_PORT:-2233}
METRICS_PORT=${METRICS_PORT:-2247}
# shellcheck disable=SC2034 # daemon.sh reads it
SESSION_MS=4000
# The last commit whose daemon writes layout 1 (its registration has no "layout").
LAYOUT1_REV=f392d0cde7a1a95d416ca387901b13642c535914
ROOT=/zkswarm-it
T=$(mktemp -d /tmp/zkswarm-it.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"

. "$top/tests/integration/daemon.sh"
on_exit "stop_node n1 KILL; stop_node n2 KILL; stop_node n3 KILL; stop_node old KILL"
mount() { call "$1" VolumeDriver.Mount "{\"Name\":\"$2\",\"ID\":\"$(mount_id "$3")\"}" >/dev/null; }
unmount() { call "$1" VolumeDriver.Unmount "{\"Name\":\"$2\",\"ID\":\"$(mount_id "$3")\"}" >/dev/null; }

# zk CMD ARG: ZooKeeper itself (tests/faults/zkread.py), paths under ROOT.
#   kids PATH              its children, sorted, comma separated
#   get PATH               its data
#   stat PATH              "VERSION NUMCHILDREN DATA"
#   multi JSON             one transaction of ["create", PATH, DATA] / ["set", PATH, DATA] /
#                          ["delete", PATH]
zk() { timeout 30 python3 "$top/tests/faults/zkread.py" "127.0.0.1:$ZK_PORT" --root "$ROOT" "$@"; }
kids_are() { local k; k=$(zk kids "$1") && [ "$k" = "$2" ] || { echo "children of $1: ${k:-none}"; return 1; }; }
# rule_logs NODE WORD: how many lines NODE logged saying every writer keeps the layout rule
# (WORD keeps) or that one does not (WORD breaks).
rule_logs() {
	case $2 in
	keeps) grep -c 'every writer under /nodes keeps the layout rule' "$T/$1/log" ;;
	breaks) grep -c 'does not keep the layout rule' "$T/$1/log" ;;
	esac
}
more_than() { [ "$(rule_logs "$1" "$2")" -gt "$3" ]; }

t_begin "setup"
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 || exit 1
assert_ok "node n1 starts" start_node n1
assert_ok "node n2 starts" start_node n2
wait_until 10 "n1 synced" grep -q "mirror: synced" "$T/n1/log"
wait_until 10 "n2 synced" grep -q "mirror: synced" "$T/n2/log"
wait_until 10 "n1 registered with layout 2" eval 'zk stat /nodes/n1 | grep -q "\"layout\":2"'

t_begin "a volume nothing mounts has no children"
assert_ok "create solo (single-node) on n1" call n1 VolumeDriver.Create '{"Name":"solo"}'
assert_ok "create many (multi-node) on n1" call n1 VolumeDriver.Create '{"Name":"many","Opts":{"access":"multi-node"}}'
assert_ok "solo has no children in ZooKeeper" kids_are /volumes/solo ""
assert_ok "many neither" kids_are /volumes/many ""
wait_until 5 "n2 lists solo" lists n2 solo
assert_ok "n2 shows solo mounted nowhere" shows n2 solo "$EXCLUSIVE" ""

t_begin "the first Mount makes leases and touches the record"
read -r v0 _ data0 < <(zk stat /volumes/solo)
assert_ok "n1 mounts solo" mount n1 solo 1
assert_ok "solo has leases and holder" kids_are /volumes/solo holder,leases
assert_ok "solo's leases hold n1's" kids_are /volumes/solo/leases n1
read -r v1 _ data1 < <(zk stat /volumes/solo)
assert_eq "$v1" "$((v0 + 1))" "the record's version went up by one (the touch)"
assert_eq "$data1" "$data0" "the record's bytes are unchanged"
wait_until 5 "n2 shows n1 holding solo, exclusive" shows n2 solo "$EXCLUSIVE" 'n1*'
assert_fails_with "n2 cannot mount solo, and is told who holds it" 'mounted on node `n1`' \
	call n2 VolumeDriver.Mount "{\"Name\":\"solo\",\"ID\":\"$(mount_id 2)\"}"
assert_ok "n1 mounts many" mount n1 many 3
read -r v2 _ _ < <(zk stat /volumes/many)
assert_ok "n2 mounts many too" mount n2 many 4
read -r v3 _ _ < <(zk stat /volumes/many)
assert_eq "$v3" "$v2" "the second node's Mount does not touch the record (leases was there)"
wait_until 5 "n1 shows both holding many" shows n1 many "$EXCLUSIVE" n1,n2

t_begin "the last Unmount deletes leases"
assert_ok "n1 unmounts solo" unmount n1 solo 1
assert_ok "solo has no children again" kids_are /volumes/solo ""
wait_until 5 "n2 shows solo mounted nowhere" shows n2 solo "$EXCLUSIVE" ""
assert_ok "n2 now mounts solo" mount n2 solo 2
wait_until 5 "n1 shows n2 holding solo, exclusive" shows n1 solo "$EXCLUSIVE" 'n2*'
assert_ok "n2 unmounts solo" unmount n2 solo 2
assert_ok "n1 unmounts many" unmount n1 many 3
assert_ok "many keeps leases while n2 holds it" kids_are /volumes/many/leases n2
assert_ok "n2 unmounts many" unmount n2 many 4
assert_ok "many has no children" kids_are /volumes/many ""
wait_until 5 "n1 shows many mounted nowhere" shows n1 many "$EXCLUSIVE" ""

t_begin "a volume nothing mounts costs a mirror one watch"
# Two cold starts of n3 (an empty state directory each), the second with 100 volumes more
# (written in one transaction by another client): n3's watches in ZooKeeper (mntr's
# zk_watch_count with n3 synced, less the count with n3 stopped) grow by one per volume, two
# in layout 1.  Its reads (zkswarm_mirror_reads_total at "synced") are printed: a resync
# made again after a lost connection, on a loaded machine, reads everything twice.
cold_start_n3() {
	local w0
	stop_node n3 TERM
	rm -rf "$T/n3"
	wait_until 20 "the watch count is steady with n3 stopped ($1)" watches_settled
	w0=$W
	assert_ok "n3 starts with an empty state directory ($1)" \
		start_node n3 METRICS_ADDR="127.0.0.1:$METRICS_PORT"
	wait_until 20 "n3 synced ($1)" grep -q "mirror: synced" "$T/n3/log"
	COLD_READS=$(metric_at "127.0.0.1:$METRICS_PORT" zkswarm_mirror_reads_total)
	wait_until 20 "the watch count is steady with n3 synced ($1)" watches_settled
	COLD_WATCHES=$((W - w0))
}
cold_start_n3 "before"
r0=$COLD_READS wa=$COLD_WATCHES
bulk='['
for i in $(seq 100); do
	bulk+="[\"create\",\"/volumes/bulk$i\",\"{\\\"name\\\":\\\"bulk$i\\\",\\\"options\\\":{\\\"access\\\":\\\"single-node\\\",\\\"uid\\\":\\\"0\\\",\\\"gid\\\":\\\"0\\\",\\\"mode\\\":\\\"0755\\\",\\\"readonly\\\":\\\"false\\\",\\\"on-remove\\\":\\\"delete\\\"},\\\"created_at\\\":\\\"2026-12-07T00:00:00Z\\\",\\\"created_by\\\":\\\"bulk\\\",\\\"token\\\":\\\"0123456789abcdef\\\"}\"]"
	[ "$i" = 100 ] || bulk+=','
done
bulk+=']'
assert_ok "100 volumes written in one transaction" zk multi "$bulk"
wait_until 10 "n1 lists bulk100" lists n1 bulk100
cold_start_n3 "after"
r1=$COLD_READS wb=$COLD_WATCHES
echo "  n3's cold start: $wa watches and ${r0:-?} reads, then $wb and ${r1:-?} with 100 volumes more"
assert_ok "100 volumes cost n3 100 watches more (+$((wb - wa)); two each would be 200)" \
	test "$((wb - wa))" -ge 98 -a "$((wb - wa))" -le 102
stop_node n3 TERM

t_begin "a change of a record nothing mounts that is no touch"
# A mirror reads an unmounted record's `leases` together with the record when the record
# changes (zk.c refresh_touched: most such changes are a first Mount's touch).  A change by
# another client that is no touch: every mirror shows it, and the read of the missing
# `leases` leaves no watch behind; a Mount after it is seen as before.
wait_until 20 "the watch count is steady before" watches_settled
w0=$W
rec=$(zk get /volumes/bulk1) && rec=${rec/\"created_by\":\"bulk\"/\"created_by\":\"by-hand\"}
assert_ok "bulk1's record set by hand (created_by by-hand)" zk multi "$(jq -cn --arg d "$rec" '[["set","/volumes/bulk1",$d]]')"
wait_until 5 "n2 shows it" shows n2 bulk1 .Volume.Status.created_by by-hand
wait_until 5 "n1 too" shows n1 bulk1 .Volume.Status.created_by by-hand
assert_ok "bulk1 still has no children" kids_are /volumes/bulk1 ""
wait_until 20 "the watch count is steady after" watches_settled
assert_ok "no watch more ($w0 before, $W after)" test "$W" = "$w0"
assert_ok "n1 mounts bulk1" mount n1 bulk1 11
wait_until 5 "n2 shows n1 holding bulk1" shows n2 bulk1 "$EXCLUSIVE" 'n1*'
assert_ok "n1 unmounts bulk1" unmount n1 bulk1 11
wait_until 5 "n2 shows bulk1 mounted nowhere" shows n2 bulk1 "$EXCLUSIVE" ""

t_begin "a writer of layout 1 registers"
# As an earlier version: a registration without "layout", then `leases` and a lease made
# under a childless record without touching it.  The mirrors watch for that again (their
# absent pass) and see it.
b1=$(rule_logs n1 breaks) b2=$(rule_logs n2 breaks) k2=$(rule_logs n2 keeps)
assert_ok "an old writer's registration appears" zk multi '[["create","/nodes/old1","{\"address\":\"\"}"]]'
wait_until 10 "n1 logs that a writer does not keep the rule" more_than n1 breaks "$b1"
wait_until 10 "n2 too" more_than n2 breaks "$b2"
wait_until 10 "n2 watched the childless records' leases" grep -q "named children watched for their creation" "$T/n2/log"
assert_ok "the old writer mounts solo: leases and its lease, no touch" \
	zk multi '[["create","/volumes/solo/leases",""],["create","/volumes/solo/leases/old1","{\"node\":\"old1\",\"mounts\":[\"x\"]}"]]'
wait_until 5 "n2 shows old1 holding solo" shows n2 solo "$EXCLUSIVE" old1
wait_until 5 "n1 too" shows n1 solo "$EXCLUSIVE" old1
assert_fails_with "n1's Remove of solo is refused, naming old1" 'in use on node `old1`' \
	call n1 VolumeDriver.Remove '{"Name":"solo"}'
assert_ok "the old writer leaves" zk multi '[["delete","/volumes/solo/leases/old1"],["delete","/volumes/solo/leases"],["delete","/nodes/old1"]]'
wait_until 10 "n2 logs that every writer keeps the rule again" more_than n2 keeps "$k2"
wait_until 5 "n2 shows solo mounted nowhere" shows n2 solo "$EXCLUSIVE" ""

t_begin "a daemon of the previous version beside"
old_daemon() {
	if [ -n "${LAYOUT1_ZKSWARMD:-}" ]; then
		cp "$LAYOUT1_ZKSWARMD" "$T/layout1-zkswarmd"
		return
	fi
	mkdir -p "$T/layout1" &&
		git -C "$top" archive "$LAYOUT1_REV" | tar -x -C "$T/layout1" &&
		make -C "$T/layout1" -s -j2 build/zkswarmd >"$T/layout1.make.log" 2>&1 &&
		cp "$T/layout1/build/zkswarmd" "$T/layout1-zkswarmd"
}
assert_ok "the daemon of $LAYOUT1_REV (layout 1) is built" old_daemon
start_old() { local ZKSWARMD=$T/layout1-zkswarmd; start_node old; }
b1=$(rule_logs n1 breaks) k1=$(rule_logs n1 keeps)
assert_ok "old starts (layout 1)" start_old
wait_until 10 "old synced" grep -q "mirror: synced" "$T/old/log"
wait_until 10 "n1 logs that a writer does not keep the rule" more_than n1 breaks "$b1"
# many has had no children since before old registered: n2 read it trusting the rule, and its
# absent pass watches for the `leases` old makes.
assert_ok "old mounts many, childless since before it came" mount old many 9
wait_until 5 "n2 shows old holding many" shows n2 many "$EXCLUSIVE" old
assert_ok "old unmounts many" unmount old many 9
assert_ok "create mixed on n1 (no leases)" call n1 VolumeDriver.Create '{"Name":"mixed"}'
assert_ok "mixed has no children" kids_are /volumes/mixed ""
wait_until 5 "old lists mixed" lists old mixed
assert_ok "old mounts mixed (it makes leases, without a touch)" mount old mixed 5
assert_ok "mixed's leases hold old's" kids_are /volumes/mixed/leases old
wait_until 5 "n2 shows old holding mixed, exclusive" shows n2 mixed "$EXCLUSIVE" 'old*'
assert_fails_with "n1 cannot mount mixed, and is told old holds it" 'mounted on node `old`' \
	call n1 VolumeDriver.Mount "{\"Name\":\"mixed\",\"ID\":\"$(mount_id 6)\"}"
assert_fails_with "n1's Remove of mixed is refused, naming old" 'in use on node `old`' \
	call n1 VolumeDriver.Remove '{"Name":"mixed"}'
assert_ok "old unmounts mixed (its leases stays)" unmount old mixed 5
wait_until 5 "n2 shows mixed mounted nowhere" shows n2 mixed "$EXCLUSIVE" ""
assert_ok "n1 mounts mixed" mount n1 mixed 6
wait_until 5 "old shows n1 holding mixed, exclusive" shows old mixed "$EXCLUSIVE" 'n1*'
assert_ok "n1 unmounts mixed (the last: leases goes)" unmount n1 mixed 6
assert_ok "mixed has no children again" kids_are /volumes/mixed ""
wait_until 5 "old shows mixed mounted nowhere" shows old mixed "$EXCLUSIVE" ""
assert_ok "old mounts mixed again (it makes leases again)" mount old mixed 7
wait_until 5 "n1 shows old holding mixed" shows n1 mixed "$EXCLUSIVE" 'old*'
assert_ok "old unmounts mixed" unmount old mixed 7
assert_ok "create from-old on old (layout 1: with leases)" call old VolumeDriver.Create '{"Name":"from-old"}'
assert_ok "from-old has an empty leases" kids_are /volumes/from-old leases
assert_ok "n2 mounts from-old" mount n2 from-old 8
wait_until 5 "old shows n2 holding from-old" shows old from-old "$EXCLUSIVE" 'n2*'
assert_ok "n2 unmounts from-old (the last: leases goes)" unmount n2 from-old 8
assert_ok "from-old has no children now" kids_are /volumes/from-old ""
wait_until 5 "old shows from-old mounted nowhere" shows old from-old "$EXCLUSIVE" ""
assert_ok "create kept-empty on old (layout 1: with leases)" call old VolumeDriver.Create '{"Name":"kept-empty"}'
assert_ok "kept-empty has an empty leases" kids_are /volumes/kept-empty leases
read -r ve _ _ < <(zk stat /volumes/kept-empty)
stop_node old TERM
wait_until 10 "with old gone, n1 logs that every writer keeps the rule again" more_than n1 keeps "$k1"

t_begin "the reaper's leader deletes an empty leases"
# Once every registered node keeps layout 2, the leader deletes the empty `leases` an earlier
# version left (paced), without touching the record: the volume costs a mirror one read again.
wait_until 10 "kept-empty's empty leases is deleted" kids_are /volumes/kept-empty ""
read -r ve2 _ _ < <(zk stat /volumes/kept-empty)
assert_eq "$ve2" "$ve" "kept-empty's record is not touched"
# (logged once the pass that deleted it is over)
wait_until 5 "the leader logs the sweep" eval 'grep -q "deleting the empty .leases. of volumes nothing mounts" "$T/n1/log" "$T/n2/log"'
wait_until 10 "and then that none is left" eval 'grep -q "empty .leases. deleted; none left" "$T/n1/log" "$T/n2/log"'
wait_until 5 "n1 shows kept-empty mounted nowhere" shows n1 kept-empty "$EXCLUSIVE" ""
assert_ok "n2 mounts kept-empty (leases made again, with the touch)" mount n2 kept-empty 10
read -r ve3 _ _ < <(zk stat /volumes/kept-empty)
assert_eq "$ve3" "$((ve + 1))" "the record's version went up by one"
wait_until 5 "n1 shows n2 holding kept-empty" shows n1 kept-empty "$EXCLUSIVE" 'n2*'
assert_ok "n2 unmounts kept-empty" unmount n2 kept-empty 10

t_begin "remove"
for v in solo many mixed from-old kept-empty; do
	assert_ok "remove $v" call n2 VolumeDriver.Remove "{\"Name\":\"$v\"}"
done
assert_ok "no volume record left but the bulk ones" eval '[ "$(zk kids /volumes | tr , "\n" | grep -vc "^bulk")" = 0 ]'

stop_node n1 TERM
stop_node n2 TERM
assert_contains "$(tail -1 "$T/n1/log")" "stopped" "n1 stopped cleanly"
check_sanitizer_logs
t_summary
