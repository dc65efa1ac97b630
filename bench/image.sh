#!/usr/bin/env bash
# bench/image.sh - write throughput of an image volume (type=image: ext4 in a file, through
# a loop device) against a directory volume and Docker's `local` driver, on the same disk, in
# one run (issue 15).  A measurement, never a test.
#
# Starts its own ZooKeeper (scripts/zk.sh, port BENCH_IMAGE_ZK_PORT) and a zkswarmd that
# mounts the two zkswarm volumes under a private mount namespace; the local volume is made
# by the Docker engine (started with scripts/dockerd.sh if none answers, stopped again if
# this run started it).  fio (Debian's) writes into each, the three interleaved, ROUNDS
# times: sequential (1 MiB blocks, SEQ_MB) and random (4 KiB blocks over RAND_MB), buffered,
# ending with an fsync that is counted.  Prints a Markdown section with the medians.
#
# Usage: bench/image.sh [OUT.md]     (default: stdout)
# Env: BENCH_IMAGE_ROUNDS (3), BENCH_IMAGE_SEQ_MB (512), BENCH_IMAGE_RAND_MB (128),
#      BENCH_IMAGE_ZK_PORT (2208), ZKSWARMD (default build/zkswarmd)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
LOCAL_VOL=zkswarm-bench-image-local
if [ "${ZKS_IMAGE_BENCH_LOCAL:-}" = "" ]; then
	# The engine's part out here (an engine this run starts must not live in the namespace
	# below); the rest in a private mount namespace, whose mounts vanish with it.
	W0=$(mktemp -d /tmp/zkswarm-bench-image-engine.XXXXXX)
	trap 'docker volume rm "$LOCAL_VOL" >/dev/null 2>&1 || true
		scripts/dockerd.sh stop --mark "$W0/dockerd.started" >/dev/null 2>&1 || true
		rm -rf "$W0"' EXIT
	scripts/dockerd.sh start --mark "$W0/dockerd.started" >/dev/null
	docker volume create "$LOCAL_VOL" >/dev/null
	ZKS_IMAGE_BENCH_LOCAL=$(docker volume inspect -f '{{.Mountpoint}}' "$LOCAL_VOL") \
		unshare --mount --propagation private "$0" "$@"
	exit
fi

OUT=${1:-/dev/stdout}
ROUNDS=${BENCH_IMAGE_ROUNDS:-3}
SEQ_MB=${BENCH_IMAGE_SEQ_MB:-512}
RAND_MB=${BENCH_IMAGE_RAND_MB:-128}
ZK_PORT=${BENCH_IMAGE_ZK_PORT:-2208}
ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}

command -v fio >/dev/null || scripts/deps.sh --bench >/dev/null
[ -x "$ZKSWARMD" ] || make -s -j2 build/zkswarmd

W=$(mktemp -d "${BENCH_IMAGE_DIR:-/var/tmp}/zkswarm-bench-image.XXXXXX")
D_PID=
cleanup() {
	[ -z "$D_PID" ] || { kill "$D_PID" 2>/dev/null; wait "$D_PID" 2>/dev/null || true; }
	umount "$W"/mnt/* 2>/dev/null || true
	scripts/zk.sh stop "$W/zk" >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT

call() { curl -sS --max-time 60 --unix-socket "$W/s.sock" -X POST --data-binary "$2" "http://zkswarm/$1"; }

scripts/zk.sh start "$W/zk" --port "$ZK_PORT" --tick 1000 >/dev/null
mkdir -p "$W/data" "$W/mnt" "$W/state"
env ZK_HOSTS=127.0.0.1:$ZK_PORT ZK_ROOT=/zkswarm-bench-image NODE_ID=bench LOG_LEVEL=warn \
	SOCKET="$W/s.sock" DATA_DIR="$W/data" MOUNT_ROOT="$W/mnt" STATE_DIR="$W/state" \
	"$ZKSWARMD" >>"$W/daemon.log" 2>&1 &
D_PID=$!
for _ in $(seq 100); do [ -S "$W/s.sock" ] && break; sleep 0.1; done
size_mb=$(((SEQ_MB > RAND_MB ? SEQ_MB : RAND_MB) * 2 + 256))
call VolumeDriver.Create "{\"Name\":\"img\",\"Opts\":{\"type\":\"image\",\"size\":\"${size_mb}M\"}}" >/dev/null
call VolumeDriver.Create '{"Name":"dir"}' >/dev/null
call VolumeDriver.Mount '{"Name":"img","ID":"bench1"}' | grep -q Mountpoint
call VolumeDriver.Mount '{"Name":"dir","ID":"bench2"}' | grep -q Mountpoint
local_dir=$ZKS_IMAGE_BENCH_LOCAL
declare -A where=([image]="$W/mnt/img" [dir]="$W/mnt/dir" [local]="$local_dir")
order=(image dir local)
[ "$(stat -f -c %T "$W/data")" = "$(stat -f -c %T "$local_dir")" ] || echo "note: not one filesystem type" >&2

# fio JOB DIR: prints "MB/s IOPS" of one write job, the final fsync counted.
run_fio() {
	local rw=$1 dir=$2 bs size
	if [ "$rw" = write ]; then bs=1M size=${SEQ_MB}M; else bs=4k size=${RAND_MB}M; fi
	fio --name=b --directory="$dir" --rw="$rw" --bs="$bs" --size="$size" --end_fsync=1 \
		--ioengine=psync --randrepeat=0 --output-format=json 2>/dev/null |
		jq -r '.jobs[0].write | "\(.bw_bytes / 1048576) \(.iops)"'
	rm -f "$dir"/b.*
}

load0=$(cut -d' ' -f1 /proc/loadavg)
start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
declare -A res
for ((r = 1; r <= ROUNDS; r++)); do
	for rw in write randwrite; do
		for k in "${order[@]}"; do
			res[$rw.$k]+="$(run_fio "$rw" "${where[$k]}")"$'\n'
		done
	done
	order=("${order[@]:1}" "${order[0]}") # a different one first each round
done
load1=$(cut -d' ' -f1 /proc/loadavg)

median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] }'; }
col() { awk -v c="$1" '{ print $c }'; }
{
	echo "## Image volumes: write throughput (issue 15)"
	echo
	echo "\`bench/image.sh\`, $start, load average $load0 at the start and $load1 at the end;"
	echo "$ROUNDS rounds, the three interleaved (each round starts with another), medians. fio,"
	echo "buffered writes by one job, its closing fsync counted: sequential $SEQ_MB MiB in 1 MiB"
	echo "blocks, random $RAND_MB MiB in 4 KiB blocks. All three on the same disk"
	echo "($(df --output=source "$W/data" | tail -1), $(findmnt -n -o FSTYPE --target "$W/data")): the image volume's"
	echo "image file and the directory volume under one data directory, the local volume under"
	echo "the engine's /var/lib/docker."
	echo
	echo "| volume | sequential MiB/s | random 4K MiB/s | random 4K IOPS |"
	echo "|---|---:|---:|---:|"
	for k in image dir local; do
		case $k in
		image) label="zkswarm, \`type=image\` (ext4 on a loop device)" ;;
		dir) label="zkswarm, directory (a bind mount)" ;;
		local) label="Docker's \`local\` driver" ;;
		esac
		printf '| %s | %s | %s | %s |\n' "$label" \
			"$(printf '%s' "${res[write.$k]}" | col 1 | median)" \
			"$(printf '%s' "${res[randwrite.$k]}" | col 1 | median)" \
			"$(printf '%s' "${res[randwrite.$k]}" | col 2 | median)"
	done
	echo
	echo "Every figure of every round: $(for k in image dir local; do printf '%s seq %s / rand %s; ' "$k" \
		"$(printf '%s' "${res[write.$k]}" | col 1 | cut -d. -f1 | tr '\n' ' ')" \
		"$(printf '%s' "${res[randwrite.$k]}" | col 1 | cut -d. -f1 | tr '\n' ' ')"; done)"
} >"$OUT"
