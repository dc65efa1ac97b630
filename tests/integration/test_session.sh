#!/usr/bin/env bash
# Integration: leases across restarts and partitions, and ZooKeeper ACLs.
#
# - A plugin restart within the session timeout resumes its ZooKeeper session
#   (kept in STATE_DIR), so its single-node leases are never free meanwhile.
# - Cut off from ZooKeeper for over 2/3 of the session timeout, a node stops
#   counting on its leases (refuses mounts, says so in Status) until it is back.
# - With ZK_AUTH_FILE, every record carries a creator-only ACL: a client
#   without the credentials can neither read nor change them.
#
# Runs in a private mount namespace (bind mounts vanish with it).
# Env: ZKSWARMD, ZK_PORT (default 2198).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
in_private_mount_ns "$@"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_PORT=${ZK_PORT:-2198}
SESSION_MS=6000
T=$(mktemp -d /tmp/zkswarm-session.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
. "$top/tests/integration/daemon.sh"
on_exit "stop_node n1 KILL; stop_node n2 KILL; stop_node n3 KILL"
# Mounts a killed daemon leaves (private namespace), so that the directory can go.
on_exit "umount -R '$T'/n*/mnt/* 2>/dev/null || true"
zkcli() { /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:$ZK_PORT "$@" 2>&1; }

t_begin "setup"
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 || exit 1
assert_ok "n1 starts" start_node n1 ADVERTISE_ADDR=127.0.0.1
assert_ok "n2 starts" start_node n2 ADVERTISE_ADDR=127.0.0.1
wait_until 10 "both connected" sh -c "grep -q 'mirror: synced' '$T/n1/log' && grep -q 'mirror: synced' '$T/n2/log'"
assert_ok "a second daemon on n1's STATE_DIR is refused" sh -c \
	"! env ZK_HOSTS=127.0.0.1:$ZK_PORT NODE_ID=n1 SOCKET='$T/n1/other.sock' STATE_DIR='$T/n1/state' DATA_DIR='$T/data' MOUNT_ROOT='$T/n1/mnt' timeout 5 '$ZKSWARMD' 2>'$T/dup.err' && grep -q 'another zkswarmd uses STATE_DIR' '$T/dup.err'"

t_begin "restart keeps the session"
assert_ok "create db" call n1 VolumeDriver.Create '{"Name":"db"}'
assert_ok "n1 mounts db" call n1 VolumeDriver.Mount "{\"Name\":\"db\",\"ID\":\"$(mount_id 1)\"}"
sid1=$(grep -o 'session 0x[0-9a-f]* established' "$T/n1/log" | tail -1)
stop_node n1 KILL
assert_ok "n1 restarts" start_node n1 ADVERTISE_ADDR=127.0.0.1
wait_until 10 "n1 resumed its session" grep -q "resuming session" "$T/n1/log"
sid2=$(grep -o 'session 0x[0-9a-f]* established' "$T/n1/log" | tail -1)
assert_eq "$sid2" "$sid1" "the same session as before the kill"
sleep $((SESSION_MS / 1000 + 2))
assert_fails_with "well past the session timeout, n2 still cannot take db" 'mounted on node `n1`' \
	call n2 VolumeDriver.Mount "{\"Name\":\"db\",\"ID\":\"$(mount_id 2)\"}"
stop_node n1 TERM
assert_ok "n1 restarts after SIGTERM with a volume mounted" start_node n1 ADVERTISE_ADDR=127.0.0.1
wait_until 10 "and resumes again" sh -c "grep -c 'resuming session' '$T/n1/log' | grep -qx 2"
assert_fails_with "n2 still cannot take db" 'mounted on node `n1`' \
	call n2 VolumeDriver.Mount "{\"Name\":\"db\",\"ID\":\"$(mount_id 2)\"}"
assert_ok "n1 unmounts" call n1 VolumeDriver.Unmount "{\"Name\":\"db\",\"ID\":\"$(mount_id 1)\"}"
stop_node n1 TERM
assert_fails "a clean stop with nothing mounted ends the session (nothing to resume)" test -e "$T/n1/state/session"
assert_ok "n2 mounts db now" call n2 VolumeDriver.Mount "{\"Name\":\"db\",\"ID\":\"$(mount_id 2)\"}"
assert_ok "n1 starts again" start_node n1 ADVERTISE_ADDR=127.0.0.1

t_begin "a reboot drops the mounts of containers that died with it"
stop_node n1 TERM
echo boot-one >"$T/boot_id"
assert_ok "n1 starts, knowing its boot" start_node n1 ADVERTISE_ADDR=127.0.0.1 BOOT_ID_FILE="$T/boot_id"
assert_ok "create rb" call n1 VolumeDriver.Create '{"Name":"rb"}'
assert_ok "n1 mounts rb" call n1 VolumeDriver.Mount "{\"Name\":\"rb\",\"ID\":\"$(mount_id 7)\"}"
stop_node n1 KILL
echo boot-two >"$T/boot_id"
sleep $((SESSION_MS / 1000 + 2))
assert_ok "n1 comes back after the \"reboot\"" start_node n1 ADVERTISE_ADDR=127.0.0.1 BOOT_ID_FILE="$T/boot_id"
wait_until 10 "it drops the mount IDs of the earlier boot" grep -q "machine has restarted" "$T/n1/log"
wait_until 10 "n2 mounts rb (n1 took no lease back)" call n2 VolumeDriver.Mount "{\"Name\":\"rb\",\"ID\":\"$(mount_id 8)\"}"
call n2 VolumeDriver.Unmount "{\"Name\":\"rb\",\"ID\":\"$(mount_id 8)\"}" >/dev/null
assert_ok "and rb can be removed" call n1 VolumeDriver.Remove '{"Name":"rb"}'

t_begin "cut off"
zkpid=$(cat "$T/zk/pid")
kill -STOP "$zkpid"
on_exit "kill -CONT $zkpid 2>/dev/null"
wait_until 15 "n2 fences itself" grep -q "no longer counts on its single-node leases" "$T/n2/log"
assert_fails_with "mounts are refused, saying why" "cut off from ZooKeeper" \
	call n2 VolumeDriver.Mount "{\"Name\":\"db\",\"ID\":\"$(mount_id 3)\"}"
assert_ok "Get still answers" call n2 VolumeDriver.Get '{"Name":"db"}'
assert_contains "$(field .Volume.Status.leases)" "considered lost" "Status says the leases are considered lost"
kill -CONT "$zkpid"
wait_until 20 "mounts work again once ZooKeeper is back" \
	call n2 VolumeDriver.Mount "{\"Name\":\"db\",\"ID\":\"$(mount_id 3)\"}"
call n2 VolumeDriver.Unmount "{\"Name\":\"db\",\"ID\":\"$(mount_id 3)\"}" >/dev/null
call n2 VolumeDriver.Unmount "{\"Name\":\"db\",\"ID\":\"$(mount_id 2)\"}" >/dev/null

t_begin "a bind that no recorded mount explains"
# A daemon killed between its bind and recording the mount leaves the bind behind (the
# engine had no answer); its lease goes at the reconcile, so the bind goes too, at start.
stop_node n1 KILL
mkdir -p "$T/data/orphan" "$T/n1/mnt/orphan"
assert_ok "a bind left under n1's mount root" mount --bind "$T/data/orphan" "$T/n1/mnt/orphan"
assert_ok "n1 starts again" start_node n1 ADVERTISE_ADDR=127.0.0.1 BOOT_ID_FILE="$T/boot_id"
wait_until 10 "n1 unbinds it" sh -c "! mountpoint -q '$T/n1/mnt/orphan'"
# (logged just after the unbind)
wait_until 5 "and says so" grep -q "orphan\` was bound here with no mount recorded" "$T/n1/log"

t_begin "ACLs"
echo "zkswarm:s3cret" >"$T/auth"
chmod 600 "$T/auth"
assert_ok "n3 starts with credentials" start_node n3 ADVERTISE_ADDR=127.0.0.1 ZK_ROOT=/zkswarm-acl ZK_AUTH_FILE="$T/auth"
wait_until 10 "n3 connected" grep -q "mirror: synced" "$T/n3/log"
assert_ok "n3 creates a volume" call n3 VolumeDriver.Create '{"Name":"secret","Opts":{"access":"multi-node"}}'
with_auth() { printf 'addauth digest zkswarm:s3cret\n%s\nquit\n' "$1" | /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:$ZK_PORT 2>&1; }
assert_contains "$(with_auth 'getAcl /zkswarm-acl/volumes/secret')" "digest" "with the credentials: its record has a digest ACL"
assert_contains "$(with_auth 'get /zkswarm-acl/volumes/secret')" '"created_by":"n3"' "with the credentials: readable"
assert_contains "$(zkcli get /zkswarm-acl/volumes/secret)" "Insufficient permission" "a client without credentials cannot read it"
assert_contains "$(zkcli delete /zkswarm-acl/volumes/secret/leases)" "Insufficient permission" "nor delete under it"
assert_contains "$(zkcli set /zkswarm-acl/volumes/secret x)" "Insufficient permission" "nor change it"
assert_contains "$(zkcli create /zkswarm-acl/volumes/intruder x)" "Insufficient permission" "nor create under the root"
assert_contains "$(zkcli ls /zkswarm-acl/volumes 2>&1)" "Insufficient permission" "nor list the volumes"
assert_ok "n3 still reads it" call n3 VolumeDriver.Get '{"Name":"secret"}'
assert_ok "n3 removes it" call n3 VolumeDriver.Remove '{"Name":"secret"}'

for n in n1 n2 n3; do stop_node "$n" TERM; done
check_sanitizer_logs
t_summary
