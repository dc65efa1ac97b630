#!/usr/bin/env bash
# Integration: image volumes (type=image) on two real daemons and a real ZooKeeper.
#
# - Create makes a sparse image of the size asked, formatted ext4; Mount mounts it through
#   a loop device; writing past the size gives ENOSPC; the data stays across unmounts and
#   a daemon restart; Status shows size and use; bad options are refused, changing nothing.
# - Hard fencing: a writer appends numbered records while ZooKeeper stops answering
#   (SIGSTOP).  Past 2/3 of the session timeout n1 freezes the filesystem (the writer
#   waits); ZooKeeper back in time: thawed, nothing lost, same session; the other node
#   then finds every record.  A cut longer than the session timeout (the session expires,
#   n1 shuts the filesystem down, the other node takes over) is tests/swarm/test_fencing.sh,
#   with a real partition: a stopped ZooKeeper cannot show an expiry reliably, since on
#   SIGCONT it may serve the client's reconnect before its expirer runs (seen in CI).
#
# Runs in a private mount namespace (mounts vanish with it).
# Env: ZKSWARMD, ZK_PORT (default 2206).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
in_private_mount_ns "$@"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_PORT=${ZK_PORT:-2206}
# Frozen at 2/3 (6 s), expired at 9 s: a 3 s window to bring ZooKeeper back in time.
SESSION_MS=9000
T=$(mktemp -d /tmp/zkswarm-image.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
on_exit "$top/scripts/zk.sh kill '$T/zk' CONT >/dev/null 2>&1"
. "$top/tests/integration/daemon.sh"
on_exit "stop_node n1 KILL; stop_node n2 KILL"
# Mounts a killed daemon leaves (private namespace), so that the directory can go.
on_exit "umount -R '$T'/n*/mnt/* 2>/dev/null || true"
on_exit "[ -z \"\${writer:-}\" ] || kill \$writer 2>/dev/null"
# A test that stops while the filesystem is frozen must not leave a writer blocked in it.
on_exit "fsfreeze -u '$T/n1/mnt/img' 2>/dev/null || true"
status() { call "$1" VolumeDriver.Get "{\"Name\":\"$2\"}" | jq -r ".Volume.Status$3"; }
IMG=$T/data/img/disk.img
MNT=$T/n1/mnt/img

t_begin "setup"
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 || exit 1
assert_ok "n1 starts" start_node n1
assert_ok "n2 starts" start_node n2
wait_until 10 "both synced" sh -c "grep -q 'mirror: synced' '$T/n1/log' && grep -q 'mirror: synced' '$T/n2/log'"

t_begin "bad options change nothing"
assert_fails_with "type=image without a size" "needs a size" \
	call n1 VolumeDriver.Create '{"Name":"bad","Opts":{"type":"image"}}'
assert_fails_with "a size below 16M" "from 16M to 16T" \
	call n1 VolumeDriver.Create '{"Name":"bad","Opts":{"type":"image","size":"15M"}}'
assert_fails_with "a size that is not a size" "from 16M to 16T" \
	call n1 VolumeDriver.Create '{"Name":"bad","Opts":{"type":"image","size":"1e9"}}'
assert_fails_with "a size on a directory volume" "type=image only" \
	call n1 VolumeDriver.Create '{"Name":"bad","Opts":{"size":"1G"}}'
assert_fails_with "multi-node" "one node at a time" \
	call n1 VolumeDriver.Create '{"Name":"bad","Opts":{"type":"image","size":"64M","access":"multi-node"}}'
assert_fails_with "another filesystem" "must be ext4" \
	call n1 VolumeDriver.Create '{"Name":"bad","Opts":{"type":"image","size":"64M","fs":"btrfs"}}'
assert_fails "nothing made on disk" test -e "$T/data/bad"
assert_eq "$(call n1 VolumeDriver.List '{}' | jq '[.Volumes[] | select(.Name == "bad")] | length')" 0 \
	"nothing listed"

t_begin "size"
assert_ok "create a 64M image volume" \
	call n1 VolumeDriver.Create '{"Name":"img","Opts":{"type":"image","size":"64M"}}'
assert_eq "$(stat -c %s "$IMG")" $((64 << 20)) "the image is 64M"
assert_ok "and sparse (under 16M allocated)" test "$(stat -c %b "$IMG")" -lt $((16 << 11))
assert_ok "an ext4 filesystem" sh -c "blkid -o value -s TYPE '$IMG' | grep -qx ext4"
assert_eq "$(status n2 img .options.size)" 64M "n2 sees its size option"
assert_eq "$(status n2 img .size)" 64.0M "Status: its size, from the image file on n2"
assert_ok "creating it again with the same options is fine" \
	call n2 VolumeDriver.Create '{"Name":"img","Opts":{"type":"image","size":"65536K"}}'
assert_fails_with "another size is refused" "size is 64M, asked 128M" \
	call n2 VolumeDriver.Create '{"Name":"img","Opts":{"type":"image","size":"128M"}}'
assert_ok "n1 mounts it" call n1 VolumeDriver.Mount "{\"Name\":\"img\",\"ID\":\"$(mount_id 1)\"}"
assert_eq "$(findmnt -n -o FSTYPE "$MNT")" ext4 "an ext4 filesystem at the mountpoint"
assert_ok "from a loop device of the image" sh -c \
	"losetup -j '$IMG' | grep -q \"\$(findmnt -n -o SOURCE '$MNT'):\""
assert_eq "$(stat -c %a "$MNT")" 755 "its root has the volume's mode"
assert_fails_with "n2 cannot mount it meanwhile" 'mounted on node `n1`' \
	call n2 VolumeDriver.Mount "{\"Name\":\"img\",\"ID\":\"$(mount_id 2)\"}"
assert_fails_with "writing 80M into it fails with ENOSPC" "No space left on device" \
	dd if=/dev/zero of="$MNT/big" bs=1M count=80 status=none
assert_ok "what fit is there, no more than the size" test "$(stat -c %s "$MNT/big")" -le $((64 << 20))
used=$(status n1 img .used_bytes)
assert_ok "Status: most of it used ($used bytes; ext4 keeps some for itself)" test "$used" -gt $((48 << 20))
assert_eq "$(status n1 img .used_measured_on)" "the mounted filesystem" "measured on the filesystem"
assert_ok "after removing the big file, writes work again" sh -c "rm '$MNT/big' && echo kept >'$MNT/marker'"
assert_ok "n1 unmounts" call n1 VolumeDriver.Unmount "{\"Name\":\"img\",\"ID\":\"$(mount_id 1)\"}"
assert_fails "not mounted any more" mountpoint -q "$MNT"
assert_eq "$(losetup -j "$IMG")" "" "its loop device is released"
assert_ok "the image is clean after the unmount" e2fsck -fn "$IMG"
assert_ok "n2 mounts it now" call n2 VolumeDriver.Mount "{\"Name\":\"img\",\"ID\":\"$(mount_id 2)\"}"
assert_eq "$(cat "$T/n2/mnt/img/marker")" kept "n2 sees what n1 wrote"
assert_eq "$(jq -r .node "$T/data/img/fence.json")" n2 "its fence record names n2"
token_n2=$(jq -r .token "$T/data/img/fence.json")
assert_ok "n2 unmounts" call n2 VolumeDriver.Unmount "{\"Name\":\"img\",\"ID\":\"$(mount_id 2)\"}"

t_begin "a restart keeps it mounted"
assert_ok "n1 mounts it" call n1 VolumeDriver.Mount "{\"Name\":\"img\",\"ID\":\"$(mount_id 3)\"}"
token_n1=$(jq -r .token "$T/data/img/fence.json")
assert_ok "n1's token ($token_n1) is larger than n2's before ($token_n2)" \
	test $((token_n1)) -gt $((token_n2))
stop_node n1 KILL
assert_ok "n1 restarts" start_node n1
wait_until 10 "n1 resumed its session and reconciled" grep -q "reconciled leases" "$T/n1/log"
assert_eq "$(status n1 img .fence)" live "the fence is live"
assert_ok "still mounted, still writable" sh -c "mountpoint -q '$MNT' && echo more >>'$MNT/marker'"
assert_eq "$(status n1 img '.holders[0].node')" n1 "n1 holds it"

t_begin "a short cut: frozen, then thawed"
sessions=$(grep -c 'session 0x[0-9a-f]* established' "$T/n1/log")
( # a record every 20 ms; the number of the one that failed, if one did
	for i in $(seq 1 6000); do
		echo "n1 $i" >>"$MNT/records" || { echo "$i" >"$T/writer.failed"; exit 1; }
		sleep 0.02
	done
) &
writer=$!
wait_until 5 "the writer writes" test -s "$MNT/records"
assert_ok "ZooKeeper stops answering" "$top/scripts/zk.sh" kill "$T/zk" STOP
wait_until 12 "n1 freezes the filesystem (2/3 of the session timeout)" grep -q 'froze `img`' "$T/n1/log"
# Back before the session can expire; then look at what happened while it was frozen.
frozen=$(wc -l <"$MNT/records")
assert_ok "ZooKeeper answers again" "$top/scripts/zk.sh" kill "$T/zk" CONT
wait_until 15 "n1 thaws it (same session)" grep -q 'thawed `img`' "$T/n1/log"
wait_until 5 "the writer goes on" sh -c "test \$(wc -l <'$MNT/records') -gt $frozen"
assert_fails "the writer never saw an error" test -e "$T/writer.failed"
assert_eq "$(grep -c 'session 0x[0-9a-f]* established' "$T/n1/log")" "$sessions" "no new session: the same one throughout"

t_begin "after the cut: every record, on the other node"
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
writer=
written=$(wc -l <"$MNT/records")
assert_ok "n1 unmounts" call n1 VolumeDriver.Unmount "{\"Name\":\"img\",\"ID\":\"$(mount_id 3)\"}"
assert_ok "the image is clean (e2fsck -n)" e2fsck -fn "$IMG"
assert_ok "n2 mounts it" call n2 VolumeDriver.Mount "{\"Name\":\"img\",\"ID\":\"$(mount_id 5)\"}"
B=$T/n2/mnt/img/records
assert_eq "$(awk '{print $2}' "$B" | tr '\n' ' ')" "$(seq 1 "$written" | tr '\n' ' ')" \
	"n2 finds n1's $written records, numbered 1 to $written, none missing"
assert_ok "n2 unmounts" call n2 VolumeDriver.Unmount "{\"Name\":\"img\",\"ID\":\"$(mount_id 5)\"}"

t_begin "remove"
assert_ok "remove it" call n2 VolumeDriver.Remove '{"Name":"img"}'
assert_fails "its image is gone" test -e "$IMG"
assert_fails "and its directory" test -e "$T/data/img"

check_sanitizer_logs
t_summary
