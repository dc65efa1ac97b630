#!/usr/bin/env bash
# Integration: snapshots and clones of image volumes, on two real daemons and a real ZooKeeper.
#
# - A snapshot taken while a writer appends numbered records is consistent: the snapshot
#   file passes `e2fsck -fn`, and a clone of it holds the records 1..m, no gap, no partial
#   line, m between the counts just before and just after the request; the writer never
#   fails and goes on after it.
# - A snapshot requested on node n2 of a volume mounted on n1 is taken on n1 (the record's
#   `by`, the took line in n1's log only); with nobody mounting it, the requesting node takes
#   it (holding the volume's lease meanwhile, free again afterwards).
# - A snapshot that fails (its directory cannot be made) says why and where, leaves no record
#   and the filesystem thawed; the same name works once the cause is gone.  Asked for on both
#   nodes at once, one name is taken once, the other ask "already exists".
# - zkswarmctl: `volume snapshot`, `volume snapshots [--json]`, `volume rm-snapshot`.
# - Refusals change nothing (no record in ZooKeeper, no file): a directory volume, no such
#   volume, a name taken, bad names, a clone from a snapshot that is not there or of another
#   size, `from` without type=image, removing a volume that has snapshots.
#
# Runs in a private mount namespace (mounts vanish with it).  ZooKeeper's records are read
# with tests/faults/zkread.py (zkCli.sh starts a JVM per call).
# Env: ZKSWARMD, ZKSWARMCTL, ZK_PORT (default 2216).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
in_private_mount_ns "$@"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZKSWARMCTL=${ZKSWARMCTL:-$top/build/zkswarmctl}
ZK_PORT=${ZK_PORT:-2216}
SESSION_MS=9000
T=$(mktemp -d /tmp/zkswarm-snapshot.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
. "$top/tests/integration/daemon.sh"
on_exit "stop_node n1 KILL; stop_node n2 KILL"
# Mounts a killed daemon leaves (private namespace), so that the directory can go.
on_exit "umount -R '$T'/n*/mnt/* 2>/dev/null || true"
on_exit "[ -z \"\${writer:-}\" ] || kill \$writer 2>/dev/null"
# A test that stops while the filesystem is frozen must not leave the writer blocked in it.
on_exit "fsfreeze -u '$T/n1/mnt/img' 2>/dev/null || true"

status() { call "$1" VolumeDriver.Get "{\"Name\":\"$2\"}" | jq -r ".Volume.Status$3"; }
# status_is NODE VOLUME JQ VALUE: for wait_until (a node's mirror follows ZooKeeper)
status_is() { [ "$(status "$1" "$2" "$3")" = "$4" ]; }
snap() { call "$1" Zkswarm.VolumeSnapshot "{\"Name\":\"$2\",\"Snapshot\":\"$3\"}"; }
rmsnap() { call "$1" Zkswarm.VolumeRemoveSnapshot "{\"Name\":\"$2\",\"Snapshot\":\"$3\"}"; }
ctl() { "$ZKSWARMCTL" --zk-hosts "127.0.0.1:$ZK_PORT" --zk-root /zkswarm-it "$@"; }
# shellcheck disable=SC2069 # its stderr only, on stdout
ctl_stderr() { ctl "$@" 2>&1 >/dev/null; }
# zk get PATH | zk ls PATH: ZooKeeper itself; exit 1 if there is no such node.
zk() { python3 "$top/tests/faults/zkread.py" "127.0.0.1:$ZK_PORT" --timeout 3 "$@"; }
record() { zk get "/zkswarm-it/snapshots/$1"; }
# the snapshot records in ZooKeeper, on one line
records() { zk ls /zkswarm-it/snapshots 2>/dev/null | tr '\n' ' '; }
# consecutive FILE: lines "n1 1".."n1 N", none missing, none partial; prints N
consecutive() {
	[ "$(tail -c1 "$1" | od -An -tx1 | tr -d ' ')" = 0a ] || { echo "no newline at the end"; return 1; }
	awk '$0 != "n1 " NR { print "line " NR ": " $0; bad = 1; exit } END { if (!bad) print NR; exit bad }' "$1"
}
# the loop devices of this test's files
loops() { losetup -l -n -O NAME,BACK-FILE | grep -F "$T/" || true; }
IMG=$T/data/img/disk.img
SNAPS=$T/data/img/snapshots
MNT=$T/n1/mnt/img

t_begin "setup"
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 || exit 1
assert_ok "n1 starts" start_node n1
assert_ok "n2 starts" start_node n2
wait_until 10 "both synced" sh -c "grep -q 'mirror: synced' '$T/n1/log' && grep -q 'mirror: synced' '$T/n2/log'"
assert_ok "create a 64M image volume" \
	call n1 VolumeDriver.Create '{"Name":"img","Opts":{"type":"image","size":"64M"}}'
assert_eq "$(status n2 img .snapshots)" 0 "Status: no snapshots yet"
assert_ok "n1 mounts it" call n1 VolumeDriver.Mount "{\"Name\":\"img\",\"ID\":\"$(mount_id 1)\"}"
assert_ok "mounted on n1" mountpoint -q "$MNT"

t_begin "a snapshot while a writer writes, asked on n2, taken on n1"
( # a record about every 2 ms; the number of the one that failed, if one did
	for i in $(seq 1 20000); do
		echo "n1 $i" >>"$MNT/records" || { echo "$i" >"$T/writer.failed"; exit 1; }
		sleep 0.002
	done
) &
writer=$!
wait_until 10 "the writer has written 200 records" sh -c "test \$(wc -l <'$MNT/records') -ge 200"
before=$(wc -l <"$MNT/records")
assert_ok "n2 asks for img@s1" snap n2 img s1
after=$(wc -l <"$MNT/records")
reply=$T_OUT
echo "    records: $before before the request, $after after the answer"
# (no Err, or an empty one: as the plugin protocol's other answers)
assert_eq "$(jq -r '.Err // ""' <<<"$reply")" "" "no error"
assert_eq "$(jq -r '.Snapshot | [.volume, .snapshot, .state] | join(" ")' <<<"$reply")" "img s1 done" \
	"the answer has the record, done"
rec=$(record img@s1)
assert_eq "$(jq -r .state <<<"$rec")" "done" "ZooKeeper: /zkswarm-it/snapshots/img@s1 is done"
assert_eq "$(jq -r .volume,.snapshot <<<"$rec" | tr '\n' ' ')" "img s1 " "its volume and name"
assert_eq "$(jq -r .requested_by <<<"$rec")" n2 "requested by n2"
assert_eq "$(jq -r .by <<<"$rec")" n1 "taken by n1, which has it mounted"
assert_eq "$(jq -r '.size | type' <<<"$rec"),$(jq -r .size <<<"$rec")" "number,$((64 << 20))" \
	"its size: a number, 64M"
assert_eq "$(jq -r .method <<<"$rec")" copy "method copy (ext4: no reflinks)"
assert_eq "$(jq -r '[.requested_at, .taken_at] | map(. != null) | all' <<<"$rec")" true \
	"requested_at and taken_at are there"
assert_eq "$(jq -r 'has("error")' <<<"$rec")" false "no error field"
assert_eq "$(jq -cS .Snapshot <<<"$reply")" "$(jq -cS . <<<"$rec")" "the answer's record is ZooKeeper's"
assert_ok "n1's log: took img@s1" grep -qF 'snapshots: took `img@s1`' "$T/n1/log"
grep -F 'snapshots: took `img@s1`' "$T/n1/log" | sed 's/^/    n1: /'
assert_fails "n2's log has no took line" grep -qF 'snapshots: took `img@s1`' "$T/n2/log"
assert_eq "$(stat -c %s "$SNAPS/s1.img")" $((64 << 20)) "the snapshot file is 64M"
assert_ok "and sparse (under 32M allocated)" test "$(stat -c %b "$SNAPS/s1.img")" -lt $((32 << 11))
assert_ok "the snapshot is a clean filesystem (e2fsck -fn)" e2fsck -fn "$SNAPS/s1.img"
wait_until 5 "the writer goes on after it" sh -c "test \$(wc -l <'$MNT/records') -gt $after"
assert_fails "the writer never saw an error" test -e "$T/writer.failed"
assert_ok "img is still mounted on n1" mountpoint -q "$MNT"
assert_eq "$(status n2 img '.holders[0].node')" n1 "n1 still holds it"
assert_eq "$(status n2 img .snapshots)" 1 "Status: 1 snapshot"

t_begin "a clone of img@s1 holds the data as of the snapshot"
sum_s1=$(md5sum <"$SNAPS/s1.img")
assert_ok "n2 creates c1 from img@s1" \
	call n2 VolumeDriver.Create '{"Name":"c1","Opts":{"type":"image","from":"img@s1"}}'
assert_eq "$(stat -c %s "$T/data/c1/disk.img")" $((64 << 20)) "its image is the snapshot's size"
assert_eq "$(status n1 c1 .options.from)" img@s1 "its options record from"
assert_eq "$(status n1 c1 .size)" 64.0M "Status: its size"
assert_ok "n2 mounts c1" call n2 VolumeDriver.Mount "{\"Name\":\"c1\",\"ID\":\"$(mount_id 2)\"}"
C1=$T/n2/mnt/c1/records
if assert_ok "its records are n1 1..n1 m, no gap, no partial line" consecutive "$C1"; then
	m=$T_OUT
	assert_ok "m = $m, between $before (before the request) and $after (after the answer)" \
		test "$m" -ge "$before" -a "$m" -le "$after"
	assert_ok "the live volume has more records by now ($(wc -l <"$MNT/records") > $m)" \
		test "$(wc -l <"$MNT/records")" -gt "$m"
fi
assert_ok "the clone is writable" sh -c "echo clone >>'$T/n2/mnt/c1/marker'"
assert_ok "n2 unmounts c1" call n2 VolumeDriver.Unmount "{\"Name\":\"c1\",\"ID\":\"$(mount_id 2)\"}"
assert_eq "$(md5sum <"$SNAPS/s1.img")" "$sum_s1" "the snapshot file did not change"

t_begin "nobody mounts it: the requesting node takes the snapshot"
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
writer=
assert_fails "the writer never saw an error" test -e "$T/writer.failed"
written=$(wc -l <"$MNT/records")
assert_ok "n1 unmounts img" call n1 VolumeDriver.Unmount "{\"Name\":\"img\",\"ID\":\"$(mount_id 1)\"}"
assert_fails "not mounted any more" mountpoint -q "$MNT"
assert_ok "zkswarmctl volume snapshot img s2 --socket n2" \
	ctl volume snapshot img s2 --socket "$T/n2/s.sock"
assert_contains "$T_OUT" 'taken on node `n2`' "it says n2 took it"
rec=$(record img@s2)
assert_eq "$(jq -r '[.state, .requested_by, .by] | join(" ")' <<<"$rec")" "done n2 n2" \
	"ZooKeeper: done, requested by n2, taken by n2"
assert_ok "n2's log: took img@s2" grep -qF 'snapshots: took `img@s2`' "$T/n2/log"
assert_fails "n1's log has no such line" grep -qF 'snapshots: took `img@s2`' "$T/n1/log"
wait_until 5 "nobody holds img afterwards" status_is n1 img '.holders | length' 0
assert_ok "the snapshot is a clean filesystem (e2fsck -fn)" e2fsck -fn "$SNAPS/s2.img"
assert_ok "n1 can mount img again (the lease is free)" \
	call n1 VolumeDriver.Mount "{\"Name\":\"img\",\"ID\":\"$(mount_id 3)\"}"
assert_ok "n1 unmounts it" call n1 VolumeDriver.Unmount "{\"Name\":\"img\",\"ID\":\"$(mount_id 3)\"}"
assert_ok "n1 creates c2 from img@s2" \
	call n1 VolumeDriver.Create '{"Name":"c2","Opts":{"type":"image","from":"img@s2"}}'
assert_ok "n1 mounts c2" call n1 VolumeDriver.Mount "{\"Name\":\"c2\",\"ID\":\"$(mount_id 4)\"}"
assert_ok "c2 has every record" consecutive "$T/n1/mnt/c2/records"
assert_eq "$T_OUT" "$written" "all $written of them"
assert_ok "n1 unmounts c2" call n1 VolumeDriver.Unmount "{\"Name\":\"c2\",\"ID\":\"$(mount_id 4)\"}"

t_begin "a name chosen when none is given"
t0=$(date -u +%s)
assert_ok "n1 asks for a snapshot of img without a name" \
	call n1 Zkswarm.VolumeSnapshot '{"Name":"img"}'
t1=$(date -u +%s)
auto=$(jq -r .Snapshot.snapshot <<<"$T_OUT")
if assert_ok "named snap-YYYYMMDDTHHMMSSZ ($auto)" \
	bash -c '[[ $1 =~ ^snap-[0-9]{8}T[0-9]{6}Z$ ]]' - "$auto"; then
	at=$(date -u -d "${auto:5:4}-${auto:9:2}-${auto:11:2}T${auto:14:2}:${auto:16:2}:${auto:18:2}Z" +%s)
	assert_ok "its time is now, in UTC" test "$at" -ge $((t0 - 1)) -a "$at" -le $((t1 + 1))
fi
assert_ok "its file is there" test -f "$SNAPS/$auto.img"
assert_ok "remove it" rmsnap n1 img "$auto"
assert_fails "its file is gone" test -e "$SNAPS/$auto.img"
assert_fails "its record is gone" record "img@$auto"
name64=a$(printf '%063d' 0)
assert_ok "a name of 64 characters is fine" snap n2 img "$name64"
assert_ok "remove it" rmsnap n2 img "$name64"

t_begin "a snapshot that fails, and two asks for one name at once"
assert_ok "create f (16M)" call n1 VolumeDriver.Create '{"Name":"f","Opts":{"type":"image","size":"16M"}}'
assert_ok "n1 mounts it" call n1 VolumeDriver.Mount "{\"Name\":\"f\",\"ID\":\"$(mount_id 7)\"}"
# Its snapshots directory cannot be made: a file is in the way.
touch "$T/data/f/snapshots"
assert_fails_with "asked on n2, it fails on n1 with the reason" 'failed on node `n1`' snap n2 f s1
assert_contains "$T_OUT" "Not a directory" "the reason"
assert_ok "f is thawed: writes go on" timeout 5 sh -c "echo after >>'$T/n1/mnt/f/marker'"
assert_fails "no record is left" record f@s1
assert_eq "$(status n1 f .snapshots)" 0 "Status: no snapshots"
rm -f "$T/data/f/snapshots"
assert_ok "once the cause is gone, the same name works" snap n2 f s1
snap n1 f both >"$T/both.1" 2>&1 &
p1=$!
snap n2 f both >"$T/both.2" 2>&1 &
p2=$!
wait "$p1"
r1=$?
wait "$p2"
r2=$?
assert_eq "$(((r1 == 0) + (r2 == 0)))" 1 "asked on n1 and n2 at once: one is taken"
assert_contains "$(cat "$T/both.1" "$T/both.2")" "already exists" "the other already exists"
wait_until 5 "Status: 2 snapshots" status_is n2 f .snapshots 2
assert_ok "remove f@s1" rmsnap n2 f s1
assert_ok "remove f@both" rmsnap n1 f both
assert_ok "n1 unmounts f" call n1 VolumeDriver.Unmount "{\"Name\":\"f\",\"ID\":\"$(mount_id 7)\"}"
assert_ok "remove f" call n1 VolumeDriver.Remove '{"Name":"f"}'

t_begin "refusals change nothing"
assert_ok "a directory volume" call n1 VolumeDriver.Create '{"Name":"plain","Opts":{}}'
recs=$(records)
assert_eq "$recs" "img@s1 img@s2 " "ZooKeeper has img@s1 and img@s2"
s1rec=$(record img@s1)
s1time=$(stat -c %Y.%s "$SNAPS/s1.img")
assert_fails_with "a snapshot of a directory volume" "image volumes only" snap n1 plain x
assert_fails_with "of a volume that does not exist" "no such volume" snap n2 ghost x
assert_fails "nothing made for either" test -e "$T/data/plain/snapshots" -o -e "$T/data/ghost"
assert_fails_with "a name that exists" "already exists" snap n2 img s1
assert_eq "$(record img@s1)" "$s1rec" "img@s1's record is as it was"
assert_eq "$(stat -c %Y.%s "$SNAPS/s1.img")" "$s1time" "and its file"
for bad in ../x a@b a/b -a .a _a 'a b' "a$(printf '%064d' 0)"; do
	assert_fails_with "bad snapshot name '${bad:0:12}'" "snapshot name" snap n1 img "$bad"
done
assert_eq "$(records)" "$recs" "ZooKeeper: still img@s1 and img@s2 only"
assert_eq "$(ls "$SNAPS" | tr '\n' ' ')" "s1.img s2.img " "no other snapshot file"
assert_fails_with "zkswarmctl: no such volume (on stderr, exit 1)" "no such volume" \
	ctl_stderr volume snapshot ghost x --socket "$T/n1/s.sock"
assert_eq "$T_RC" 1 "its exit status is 1"
assert_fails_with "a clone from a snapshot that is not there" "no snapshot" \
	call n2 VolumeDriver.Create '{"Name":"c9","Opts":{"type":"image","from":"img@nope"}}'
assert_fails_with "of another size" "its snapshot's size" \
	call n2 VolumeDriver.Create '{"Name":"c9","Opts":{"type":"image","from":"img@s1","size":"128M"}}'
assert_fails_with "from without type=image" "type=image only" \
	call n2 VolumeDriver.Create '{"Name":"c9","Opts":{"from":"img@s1"}}'
assert_fails "nothing made on disk" test -e "$T/data/c9"
assert_eq "$(call n1 VolumeDriver.List '{}' | jq '[.Volumes[] | select(.Name == "c9")] | length')" 0 \
	"nothing listed"
assert_ok "the snapshot's own size is fine" \
	call n2 VolumeDriver.Create '{"Name":"c3","Opts":{"type":"image","from":"img@s1","size":"64M"}}'
assert_ok "remove c3" call n2 VolumeDriver.Remove '{"Name":"c3"}'
assert_ok "remove the directory volume" call n1 VolumeDriver.Remove '{"Name":"plain"}'

t_begin "list and remove"
assert_ok "zkswarmctl volume snapshots img --json" ctl volume snapshots img --json
assert_eq "$(jq -r 'map("\(.snapshot):\(.state)") | sort | join(" ")' <<<"$T_OUT")" "s1:done s2:done" \
	"an array of s1 and s2, done"
assert_ok "zkswarmctl volume snapshots img" ctl volume snapshots img
assert_contains "$T_OUT" s1 "the table shows s1"
assert_contains "$T_OUT" s2 "and s2"
assert_eq "$(status n2 img '.snapshots | type'),$(status n2 img .snapshots)" number,2 \
	"Status: snapshots is the number 2"
assert_fails_with "removing img is refused" "has snapshots" call n1 VolumeDriver.Remove '{"Name":"img"}'
assert_ok "img is still there" test -f "$IMG" -a -f "$SNAPS/s1.img"
assert_eq "$(records)" "img@s1 img@s2 " "and so are its snapshots' records"
assert_ok "n2 removes img@s1" rmsnap n2 img s1
assert_fails "its file is gone" test -e "$SNAPS/s1.img"
assert_fails "its record is gone" record img@s1
assert_ok "zkswarmctl volume rm-snapshot img s2 --socket n1" \
	ctl volume rm-snapshot img s2 --socket "$T/n1/s.sock"
assert_fails "its file is gone" test -e "$SNAPS/s2.img"
assert_fails "its record is gone" record img@s2
# img@s1 was removed by n2: n1's mirror hears of it a moment later
wait_until 5 "Status: no snapshots" status_is n1 img .snapshots 0
assert_fails_with "removing img@s1 again names it" s1 rmsnap n1 img s1
sum_c1=$(md5sum <"$T/data/c1/disk.img")
assert_ok "c1's Create repeated after img@s1 went still answers (as Docker repeats it)" \
	call n1 VolumeDriver.Create '{"Name":"c1","Opts":{"type":"image","from":"img@s1"}}'
assert_eq "$(md5sum <"$T/data/c1/disk.img")" "$sum_c1" "and leaves c1's image as it was"
assert_ok "remove c1" call n1 VolumeDriver.Remove '{"Name":"c1"}'
assert_ok "remove c2" call n2 VolumeDriver.Remove '{"Name":"c2"}'
assert_ok "remove img" call n1 VolumeDriver.Remove '{"Name":"img"}'
assert_fails "nothing left of them in the data directory" \
	test -e "$T/data/img" -o -e "$T/data/c1" -o -e "$T/data/c2" -o -e "$T/data/c3" -o -e "$T/data/plain" -o -e "$T/data/f"
assert_eq "$(records)" "" "no snapshot records left"

t_begin "nothing left behind"
stop_node n1
stop_node n2
assert_eq "$(findmnt -rn -o TARGET | grep -F "$T/" || true)" "" "no mounts under the test's directory"
assert_eq "$(loops)" "" "no loop device of the test's images"
check_sanitizer_logs
t_summary
