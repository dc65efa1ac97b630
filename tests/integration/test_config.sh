#!/usr/bin/env bash
# Integration: configuration volumes (issue 13) on a real ZooKeeper with two daemons (n1,
# n2), changed with zkswarmctl as an operator would.
#
# A type=config volume is created through n1's socket and mounted on both; then every
# `zkswarmctl config` command: put reaches both mountpoints (the time from the command to
# each node's file is measured and printed), two files in one put are one version, the
# history says who, when and what, rm, rollback gives back the old contents on both nodes, a
# file over the limit is refused and changes nothing, get of an older version, binary files
# byte for byte.  VolumeDriver.Get's Status says each node's version and whether it is
# current; an Unmount removes that node's copy; Remove deletes /configs/<name>.  A config
# whose volume record was deleted by hand (kazoo): `zkswarmctl repair` lists it, leaves it
# while a node reports a copy, and once none does, --dry-run changes nothing and --yes
# deletes its whole subtree.  Last, with
# ZK_AUTH_FILE (a third daemon on its own root): a client without the credentials gets NoAuth
# reading the config's records (python3-kazoo).
#
# Runs in a private mount namespace so the bind mounts it makes vanish with it.
# Env: ZKSWARMD (default build/zkswarmd), ZKSWARMCTL (default build/zkswarmctl), ZK_PORT
# (default 2190).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
in_private_mount_ns "$@"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZKSWARMCTL=${ZKSWARMCTL:-$top/build/zkswarmctl}
ZK_PORT=${ZK_PORT:-2190}
ROOT=/zkswarm-it
SESSION_MS=4000
PY=/usr/bin/python3
# The limit of one file, as records.h has it.
FILE_MAX=$(awk '$1 == "#define" && $2 == "ZKS_CONFIG_FILE_MAX" { print $3 }' "$top/include/zkswarm/records.h")
T=$(mktemp -d /tmp/zkswarm-config.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
. "$top/tests/integration/daemon.sh"
on_exit "stop_node n1 KILL; stop_node n2 KILL; stop_node n3 KILL"
mkdir -p "$T/ctl" "$T/in"

# ctl ARGS...: zkswarmctl on the test's cluster; its stderr is kept in $T/ctl/log too, where
# check_sanitizer_logs looks.
ctl() {
	local rc=0
	"$ZKSWARMCTL" --zk-hosts "127.0.0.1:$ZK_PORT" --zk-root "$ROOT" "$@" 2>"$T/ctl/err" || rc=$?
	cat "$T/ctl/err" >>"$T/ctl/log"
	cat "$T/ctl/err" >&2
	return $rc
}
ctlj() { ctl --json "$@" 2>/dev/null; }
# ctl_as USER ARGS...: as if run by `sudo -u`-ing USER (who a step names)
ctl_as() {
	local who=$1
	shift
	SUDO_USER=$who ctl "$@"
}
assert_rc() {
	local want=$1 desc=$2
	shift 2
	_t_run "$@"
	if [ "$T_RC" -eq "$want" ]; then ok "$desc"; else fail "$desc" "$(_t_out "exit $T_RC, wanted $want: $*")"; fi
}
version() { ctlj config ls "$1" | jq -r .version; }
mount_id() { printf 'c%063d' "$1"; }
# timed CMD...: run CMD (a change), noting when it started and returned (us).
timed() {
	local rc=0
	CHANGE_START=${EPOCHREALTIME/./}
	"$@" || rc=$?
	CHANGE_END=${EPOCHREALTIME/./}
	return $rc
}

# watch CHECK ARGS...: from now on, in the background, note when CHECK NODE ARGS... first
# holds on n1 and on n2 (polled every 10 ms, for at most 5 s); it must not hold yet.
# arrived DESC: wait for those watchers; when each node had it, from the start and the end of
# the last timed change (the change is committed inside it, so a node may have it before the
# command returns: a negative figure); checks both within a second of the change's return.
declare -A WATCHER=()
FIGURES=()
watch() {
	local n
	for n in n1 n2; do
		rm -f "$T/seen.$n"
		(
			start=${EPOCHREALTIME/./}
			for ((i = 0; i < 500; i++)); do
				if "$1" "$n" "${@:2}"; then
					[ "$i" -gt 0 ] || { echo already >"$T/seen.$n"; exit 1; }
					echo "${EPOCHREALTIME/./}" >"$T/seen.$n"
					exit 0
				fi
				[ $((${EPOCHREALTIME/./} - start)) -lt 5000000 ] || exit 1
				sleep 0.01
			done
			exit 1
		) &
		WATCHER[$n]=$!
	done
}
arrived() {
	local desc=$1 n seen took=$(((CHANGE_END - CHANGE_START) / 1000)) figure="" late=""
	declare -A after=()
	for n in n1 n2; do
		wait "${WATCHER[$n]}"
		seen=$(cat "$T/seen.$n" 2>/dev/null || echo never)
		case $seen in
		already) fail "$desc" "$n had it before the change: the test's check is wrong"; return 1 ;;
		never) fail "$desc" "not on $n within 5 s of the change"; return 1 ;;
		esac
		after[$n]=$(((seen - CHANGE_END) / 1000))
		figure+="${figure:+, }$n $(((seen - CHANGE_START) / 1000)) ms"
		[ "${after[$n]}" -lt 1000 ] || late+=" $n"
	done
	figure+=" from the command's start (it took $took ms; ${after[n1]} and ${after[n2]} ms from its return)"
	FIGURES+=("$desc: $figure")
	ok "$desc: $figure"
	if [ -z "$late" ]; then
		ok "$desc: on both nodes within a second"
	else
		fail "$desc: on both nodes within a second" "late:$late: $figure"
	fi
}
# Checks of a node's mountpoint of app: FILE equals the file WANT; FILE is absent.
same() { cmp -s "$T/$1/mnt/app/$2" "$3"; }
absent() { [ -d "$T/$1/mnt/app/..data" ] && [ ! -e "$T/$1/mnt/app/$2" ]; }
# on_both DESC CHECK ARGS...: the check holds on n1 and on n2 now.
on_both() {
	local desc=$1
	shift
	assert_ok "$desc on n1" "$@" n1 || true
	assert_ok "$desc on n2" "$@" n2 || true
}
same_on() { same "$3" "$1" "$2"; }

t_begin "setup"
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 || exit 1
assert_ok "node n1 starts" start_node n1 || exit 1
assert_ok "node n2 starts" start_node n2 || exit 1
wait_until 10 "n1 connected to ZooKeeper" grep -q "mirror: synced" "$T/n1/log"
wait_until 10 "n2 connected to ZooKeeper" grep -q "mirror: synced" "$T/n2/log"
assert_ok "the limit of one file is known (records.h)" test "$FILE_MAX" -gt 0

t_begin "create and mount"
assert_ok "n1 creates app, type=config" call n1 VolumeDriver.Create '{"Name":"app","Opts":{"type":"config"}}'
assert_ok "config ls of the new volume" ctl config ls app
assert_contains "$T_OUT" "app: version 0" "a new config volume is at version 0"
assert_eq "$(ctlj config ls app | jq -c .files)" "[]" "with no files"
assert_ok "n1 creates a directory volume too" call n1 VolumeDriver.Create '{"Name":"plain"}'
assert_rc 1 "config of a directory volume: 1" ctl config ls plain
assert_contains "$T_OUT" "not a configuration volume" "and says it is not a configuration volume"
assert_rc 1 "config of no volume: 1" ctl config put nosuch a=/etc/hostname
assert_contains "$T_OUT" "no such configuration volume \`nosuch\`" "and says there is none"
for k in 1 2; do
	assert_ok "n$k mounts app" call n$k VolumeDriver.Mount "{\"Name\":\"app\",\"ID\":\"$(mount_id $k)\"}"
	assert_eq "$(field .Mountpoint)" "$T/n$k/mnt/app" "n$k's mountpoint under MOUNT_ROOT"
	assert_ok "n$k's mountpoint is a mount" mountpoint -q "$T/n$k/mnt/app"
	assert_fails "n$k's mountpoint is read-only" touch "$T/n$k/mnt/app/x"
done

t_begin "put one file"
printf 'color = blue\n' >"$T/in/app.conf.1"
watch same app.conf "$T/in/app.conf.1"
assert_ok "config put app app.conf" timed ctl config put app "app.conf=$T/in/app.conf.1"
arrived "app.conf v1 reaches both mountpoints"
assert_eq "$T_OUT" "app: version 1" "prints the new version"
assert_eq "$(ctl config put app "app.conf=$T/in/app.conf.1" 2>&1)" "app: version 1 (unchanged: the files were already so)" \
	"the same contents again make no new version"
assert_eq "$(version app)" 1 "the put made version 1"

t_begin "two files in one put"
printf 'color = green\n' >"$T/in/app.conf.2"
printf 'db: {host: db1, port: 5432}\n' >"$T/in/db.yml.2"
watch same db.yml "$T/in/db.yml.2"
assert_ok "config put app app.conf db.yml" timed ctl config put app "app.conf=$T/in/app.conf.2" "db.yml=$T/in/db.yml.2"
arrived "app.conf and db.yml of v2 reach both mountpoints"
assert_eq "$(version app)" 2 "two files, one new version (2)"
on_both "app.conf is v2's" same_on app.conf "$T/in/app.conf.2"
assert_ok "from standard input, as alice" sh -c "printf 'x\n' | SUDO_USER=alice '$ZKSWARMCTL' --zk-hosts 127.0.0.1:$ZK_PORT --zk-root $ROOT config put app notes.txt=-"
assert_eq "$T_OUT" "app: version 3" "prints the new version"
assert_ok "--from PATH" ctl_as bob config put app notes.txt --from "$T/in/db.yml.2"
assert_eq "$(ctl config get app notes.txt)" "$(cat "$T/in/db.yml.2")" "--from gave notes.txt the file's contents"

t_begin "history"
assert_ok "config history" ctl config history app
assert_contains "$T_OUT" "put app.conf (14 B), put db.yml (28 B)" "version 2's one step names both files"
H=$(ctlj config history app)
assert_eq "$(jq -r '[.steps[].version] | join(",")' <<<"$H")" "4,3,2,1" "newest first, every version"
assert_eq "$(jq -r '.steps[] | select(.version == 3) | .by' <<<"$H")" "alice@$(hostname)" "who: \$SUDO_USER@host (3)"
assert_eq "$(jq -r '.steps[] | select(.version == 4) | .by' <<<"$H")" "bob@$(hostname)" "who: \$SUDO_USER@host (4)"
assert_eq "$(jq -r '.steps[] | select(.version == 1) | .by' <<<"$H")" "${USER:-root}@$(hostname)" "who: \$USER@host without sudo (1)"
assert_ok "every step says when (RFC 3339)" jq -en --argjson h "$H" '$h | all(.steps[]; .at | test("^20[0-9-]+T[0-9:]+Z$"))'
assert_eq "$(jq -c '.steps[] | select(.version == 2) | [.changes[] | [.op, .file, .size]]' <<<"$H")" \
	'[["put","app.conf",14],["put","db.yml",28]]' "what: version 2 put both files, with their sizes"
assert_eq "$(ctlj config history app db.yml | jq -r '[.steps[].version] | join(",")')" "2" \
	"history of db.yml: the one step that changed it"

t_begin "rm"
watch absent db.yml
assert_ok "config rm app notes.txt db.yml" timed ctl config rm app notes.txt db.yml
arrived "db.yml is gone from both mountpoints"
assert_eq "$T_OUT" "app: version 5" "one new version without them"
on_both "app.conf stays" same_on app.conf "$T/in/app.conf.2"
assert_rc 1 "rm of a file the version lacks: 1" ctl config rm app db.yml
assert_contains "$T_OUT" "no file \"db.yml\"" "and says so"

t_begin "rollback"
watch same db.yml "$T/in/db.yml.2"
assert_ok "config rollback app 2" timed ctl config rollback app 2
arrived "db.yml of v2 is back on both mountpoints"
assert_eq "$T_OUT" "app: version 6 (the files of version 2)" "a new version with version 2's files"
on_both "app.conf is v2's again" same_on app.conf "$T/in/app.conf.2"
assert_eq "$(ctlj config ls app | jq -c '[.files[].name]')" '["app.conf","db.yml"]' "ls: version 2's files"
watch absent db.yml
assert_ok "config rollback app 1" timed ctl config rollback app 1
arrived "rollback to 1: db.yml gone from both mountpoints"
ctl config get app app.conf --version 1 >"$T/in/app.conf.got1" 2>/dev/null
assert_ok "get --version 1 gives version 1's app.conf" cmp "$T/in/app.conf.got1" "$T/in/app.conf.1"
on_both "app.conf equals version 1's" same_on app.conf "$T/in/app.conf.got1"
assert_eq "$(ctlj config history app | jq -r '.steps[0].rollback_of')" 1 "history: the step says what it restored"
assert_rc 1 "rollback to a version never made: 1" ctl config rollback app 99
assert_contains "$T_OUT" "no version 99" "and says so"

t_begin "get"
assert_eq "$(ctl config get app app.conf --version 2)" "color = green" "get --version 2"
assert_eq "$(ctl config get app app.conf)" "color = blue" "get: the current version's"
assert_rc 1 "get --version of a version never made: 1" ctl config get app app.conf --version 99
assert_contains "$T_OUT" "no version 99" "and says so"
assert_rc 1 "get of a file the version lacks: 1" ctl config get app db.yml
assert_eq "$(ctlj config get app app.conf | jq -r .base64 | base64 -d)" "color = blue" "get --json: the contents in base64"

t_begin "binary and the largest file"
head -c "$FILE_MAX" /dev/urandom >"$T/in/max.bin"
printf 'a\0b\0\377\n' >"$T/in/nul.bin"
watch same max.bin "$T/in/max.bin"
assert_ok "put a binary file and one of $FILE_MAX bytes" timed ctl config put app "max.bin=$T/in/max.bin" "nul.bin=$T/in/nul.bin"
arrived "a file of the limit's size ($FILE_MAX bytes) reaches both mountpoints"
V=$(version app)
on_both "a file with NUL bytes, byte for byte" same_on nul.bin "$T/in/nul.bin"
ctl config get app max.bin >"$T/in/max.got" 2>/dev/null
assert_ok "get writes the raw bytes" cmp "$T/in/max.got" "$T/in/max.bin"
ctl config get app nul.bin >"$T/in/nul.got" 2>/dev/null
assert_ok "get writes NUL bytes too" cmp "$T/in/nul.got" "$T/in/nul.bin"

t_begin "refused, nothing changed"
head -c "$((FILE_MAX + 1))" /dev/zero >"$T/in/big"
assert_rc 1 "a file of $((FILE_MAX + 1)) bytes: 1" ctl config put app "big=$T/in/big" "small=$T/in/app.conf.2"
assert_contains "$T_OUT" "file \`big\` ($T/in/big) has $((FILE_MAX + 1)) bytes, over the limit of $FILE_MAX bytes" \
	"the message names the file, its size and the limit"
assert_contains "$T_OUT" "nothing changed" "and says nothing changed"
assert_eq "$(version app)" "$V" "the version is unchanged"
assert_rc 1 "the same from standard input: 1" sh -c "head -c $((FILE_MAX + 1)) /dev/zero | '$ZKSWARMCTL' --zk-hosts 127.0.0.1:$ZK_PORT --zk-root $ROOT config put app big=-"
assert_contains "$T_OUT" "more than $FILE_MAX bytes" "the message says so"
assert_rc 2 "a file that cannot be read: 2" ctl config put app "a=$T/in/missing" "b=$T/in/app.conf.2"
assert_contains "$T_OUT" "cannot read \`$T/in/missing\`" "the message names it"
assert_rc 2 "a directory: 2" ctl config put app "a=$T/in"
assert_rc 2 "a bad file name: 2" ctl config put app "../x=$T/in/app.conf.2"
assert_eq "$(version app)" "$V" "still the same version"
on_both "the mountpoints still have version $V's file" same_on nul.bin "$T/in/nul.bin"
assert_ok "no file small was written" test ! -e "$T/n1/mnt/app/small"

t_begin "Status and ls: each node's version"
wait_until 5 "n1's Status: both nodes report version $V" shows n1 app '.Volume.Status.config.nodes | "\(.n1) \(.n2)"' "$V $V"
assert_ok "n1's Get" call n1 VolumeDriver.Get '{"Name":"app"}'
assert_eq "$(field .Volume.Status.config.version)" "$V" "Status.config.version: this node's copy"
assert_eq "$(field .Volume.Status.config.latest)" "$V" "Status.config.latest: the head"
assert_eq "$(field .Volume.Status.config.current)" true "Status.config.current"
assert_ok "n2's Get" call n2 VolumeDriver.Get '{"Name":"app"}'
assert_eq "$(field '.Volume.Status.config | "\(.version) \(.latest) \(.current)"')" "$V $V true" "n2 too"
assert_ok "config ls" ctl config ls app
assert_contains "$T_OUT" "app: version $V, made " "ls: the version, when"
assert_contains "$T_OUT" "max.bin   $FILE_MAX" "ls: the files with their sizes"
assert_eq "$(ctlj config ls app | jq -c '[.nodes[] | [.node, .version, .current]]')" "[[\"n1\",$V,true],[\"n2\",$V,true]]" \
	"ls --json: both nodes current"
assert_eq "$(ctlj config ls app | jq -r '.files[] | select(.name == "max.bin") | .sha256')" \
	"$(sha256sum <"$T/in/max.bin" | cut -d' ' -f1)" "ls: the SHA-256 of the contents"
# A report behind the head: n2 stopped (SIGSTOP) while a version is made; its report stays.
kill -STOP "$(cat "$T/n2/pid")"
on_exit "kill -CONT $(cat "$T/n2/pid") 2>/dev/null"
printf 'color = red\n' >"$T/in/app.conf.3"
assert_ok "a put while n2 is frozen" ctl config put app "app.conf=$T/in/app.conf.3"
W=$(version app)
wait_until 5 "n1 has it" same n1 app.conf "$T/in/app.conf.3"
assert_ok "config ls" ctl config ls app
assert_contains "$T_OUT" "behind by 1" "ls marks n2 behind"
# n1 writes its report after the swap the wait above saw
n1_only_current() { [ "$(ctlj config ls app | jq -c '[.nodes[] | [.node, .current]]')" = '[["n1",true],["n2",false]]' ]; }
wait_until 5 "ls --json: n1 current, n2 not" n1_only_current
kill -CONT "$(cat "$T/n2/pid")"
wait_until 5 "n2 catches up" same n2 app.conf "$T/in/app.conf.3"
wait_until 5 "then ls marks both current" sh -c "'$ZKSWARMCTL' -j --zk-hosts 127.0.0.1:$ZK_PORT --zk-root $ROOT config ls app | jq -e 'all(.nodes[]; .current) and (.nodes | length == 2)'"

t_begin "unmount"
assert_ok "n2 unmounts app" call n2 VolumeDriver.Unmount "{\"Name\":\"app\",\"ID\":\"$(mount_id 2)\"}"
assert_fails "n2's mountpoint is no longer a mount" mountpoint -q "$T/n2/mnt/app"
wait_until 5 "n2's copy is gone" test ! -e "$T/n2/state/configs/app"
assert_ok "n1 still has its copy" same n1 app.conf "$T/in/app.conf.3"
wait_until 5 "ls: only n1 reports" sh -c "'$ZKSWARMCTL' -j --zk-hosts 127.0.0.1:$ZK_PORT --zk-root $ROOT config ls app | jq -e '[.nodes[].node] == [\"n1\"]'"
assert_eq "$(got n2 app '.Volume.Status.config.version // "none"')" none "n2's Status: no copy here"
assert_eq "$(got n2 app '.Volume.Status.config.latest')" "$W" "but it knows the latest version"

t_begin "remove"
assert_fails "remove while n1 has it mounted is refused" call n2 VolumeDriver.Remove '{"Name":"app"}'
assert_ok "n1 unmounts app" call n1 VolumeDriver.Unmount "{\"Name\":\"app\",\"ID\":\"$(mount_id 1)\"}"
wait_until 5 "n1's copy is gone" test ! -e "$T/n1/state/configs/app"
assert_ok "n1 removes app" call n1 VolumeDriver.Remove '{"Name":"app"}'
assert_rc 1 "config ls of it: 1" ctl config ls app
assert_contains "$T_OUT" "no such configuration volume" "and says there is none"
zk_has() {
	"$PY" - "127.0.0.1:$ZK_PORT" "$1" <<'EOF'
import sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1])
zk.start(timeout=10)
found = zk.exists(sys.argv[2]) is not None
zk.stop()
sys.exit(0 if found else 1)
EOF
}
assert_fails "$ROOT/configs/app is gone from ZooKeeper (kazoo)" zk_has "$ROOT/configs/app"
assert_fails "$ROOT/volumes/app too" zk_has "$ROOT/volumes/app"
assert_ok "$ROOT/configs stays" zk_has "$ROOT/configs"

t_begin "repair: a config without its volume"
# Only a hand edit leaves one (Create and Remove make and delete both in one transaction).
zk_rm_volume() {
	"$PY" - "127.0.0.1:$ZK_PORT" "$1" <<'EOF'
import sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1])
zk.start(timeout=10)
zk.delete(sys.argv[2], recursive=True)
zk.stop()
EOF
}
# repair_fixable: the dry run finds one problem, orph's config, and can fix it.
repair_fixable() {
	{ ctlj repair --dry-run || true; } | jq -e --arg p "$ROOT/configs/orph" \
		'.found | length == 1 and .[0].kind == "config" and .[0].path == $p and .[0].fixable' >/dev/null
}
assert_ok "n1 creates orph, type=config" call n1 VolumeDriver.Create '{"Name":"orph","Opts":{"type":"config"}}'
for k in 1 2 3; do
	printf 'v%s\n' "$k" >"$T/in/orph.conf"
	assert_ok "put orph version $k" ctl config put orph "orph.conf=$T/in/orph.conf"
done
assert_ok "n1 mounts orph" call n1 VolumeDriver.Mount "{\"Name\":\"orph\",\"ID\":\"$(mount_id 4)\"}"
assert_ok "repair before the hand edit: nothing wrong" ctl repair --dry-run
assert_ok "$ROOT/volumes/orph deleted by hand (kazoo)" zk_rm_volume "$ROOT/volumes/orph"
assert_rc 1 "repair --dry-run finds it: 1" ctl repair --dry-run
assert_contains "$T_OUT" "$ROOT/configs/orph" "and lists $ROOT/configs/orph"
R=$(ctlj repair --dry-run)
assert_eq "$(jq -r '.found[] | select(.kind == "config") | [.path, .fixable] | join(" ")' <<<"$R")" "$ROOT/configs/orph false" "n1 reports a copy: not fixable yet"
assert_contains "$(jq -r '.found[0].action' <<<"$R")" "a node reports a copy of it" "and says why"
assert_rc 1 "repair --yes leaves it: 1" ctl repair --yes
assert_ok "$ROOT/configs/orph stays" zk_has "$ROOT/configs/orph"
assert_ok "n1 unmounts orph" call n1 VolumeDriver.Unmount "{\"Name\":\"orph\",\"ID\":\"$(mount_id 4)\"}"
wait_until 5 "with n1's copy gone, repair finds it fixable" repair_fixable
assert_rc 1 "the dry run changes nothing: 1" ctl repair --dry-run
assert_contains "$T_OUT" "Dry run: nothing changed" "and says so"
assert_ok "$ROOT/configs/orph is still there" zk_has "$ROOT/configs/orph"
assert_rc 0 "repair --yes removes it: 0" ctl repair --yes
assert_contains "$T_OUT" "Fixed 1 of 1" "and says it fixed it"
assert_fails "$ROOT/configs/orph is gone, history and all (kazoo)" zk_has "$ROOT/configs/orph"
assert_ok "$ROOT/configs stays" zk_has "$ROOT/configs"
assert_rc 0 "repair again: nothing wrong" ctl repair --dry-run

t_begin "ZK_AUTH_FILE"
echo "ops:s3cret" >"$T/auth" && chmod 600 "$T/auth"
assert_ok "n3 starts with ZK_AUTH_FILE on its own root" start_node n3 ZK_ROOT=/zkswarm-it-acl ZK_AUTH_FILE="$T/auth"
wait_until 10 "n3 connected to ZooKeeper" grep -q "mirror: synced" "$T/n3/log"
assert_ok "n3 creates secret, type=config" call n3 VolumeDriver.Create '{"Name":"secret","Opts":{"type":"config"}}'
assert_ok "n3 mounts it" call n3 VolumeDriver.Mount "{\"Name\":\"secret\",\"ID\":\"$(mount_id 3)\"}"
printf 'password = hunter2\n' >"$T/in/secret.conf"
cp "$T/in/secret.conf" "$T/in/db.conf"
acl() { ctl --zk-root /zkswarm-it-acl --zk-auth-file "$T/auth" "$@"; }
# FILE alone: ./FILE
put_here() { (cd "$T/in" && acl config put secret db.conf); }
assert_ok "put ./db.conf with --zk-auth-file" put_here
wait_until 5 "n3's mountpoint has it" cmp -s "$T/n3/mnt/secret/db.conf" "$T/in/secret.conf"
SHA=$(sha256sum <"$T/in/secret.conf" | cut -d' ' -f1)
assert_eq "$(acl --json config ls secret 2>/dev/null | jq -r '.files[0].sha256')" "$SHA" "ls with the credentials"
assert_fails "zkswarmctl without the credentials fails" ctl --zk-root /zkswarm-it-acl config get secret db.conf
zk_read() {
	"$PY" - "127.0.0.1:$ZK_PORT" "$1" "${2:-}" <<'EOF'
import sys
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError, NoNodeError
auth = [("digest", sys.argv[3])] if sys.argv[3] else None
zk = KazooClient(hosts=sys.argv[1], auth_data=auth)
zk.start(timeout=10)
try:
    data, _ = zk.get(sys.argv[2])
    sys.stdout.buffer.write(data)
    code = 0
except NoAuthError:
    print("NoAuth")
    code = 3
except NoNodeError:
    print("NoNode")
    code = 4
zk.stop()
sys.exit(code)
EOF
}
B=/zkswarm-it-acl/configs/secret/blobs/$SHA
assert_rc 3 "an unauthenticated client reading the blob gets NoAuth" zk_read "$B"
assert_eq "$T_OUT" NoAuth "NoAuth, not the contents"
assert_rc 3 "reading the head: NoAuth" zk_read /zkswarm-it-acl/configs/secret
assert_rc 3 "reading a step: NoAuth" zk_read /zkswarm-it-acl/configs/secret/versions/0000000001
assert_ok "with the digest credentials the blob reads" zk_read "$B" ops:s3cret
assert_eq "$T_OUT" "$(cat "$T/in/secret.conf")" "the file's bytes"
assert_ok "n3 unmounts" call n3 VolumeDriver.Unmount "{\"Name\":\"secret\",\"ID\":\"$(mount_id 3)\"}"

t_begin "figures"
for f in "${FIGURES[@]}"; do echo "  $f"; done
check_sanitizer_logs
t_summary
