#!/usr/bin/env bash
# image.sh - build a tiny local test image from the static busybox (no registry).
#
# Usage: scripts/image.sh [--force] [NAME]      (default NAME: zkswarm-bb:latest)
#
# The image holds /bin/busybox (package busybox-static) plus /bin symlinks for
# the applets tests use (sh, ls, cat, echo, sleep, ip, ping, touch, mkdir, rm,
# stat, id, wc, grep, sync, true, false, test, [ ...), a minimal /etc/passwd and
# /etc/group, and /tmp. Built with `tar -C DIR -c . | docker import - NAME`
# (CMD sh). Skipped when NAME already exists, unless --force. The docker CLI
# honours DOCKER_HOST, e.g. DOCKER_HOST=unix:///run/node1.sock scripts/image.sh
set -euo pipefail

PROG=image.sh
BUSYBOX=/bin/busybox
APPLETS=(
  sh ash ls cat echo printf sleep ip ping touch mkdir rmdir rm stat id wc grep
  egrep sync true false test '[' '[[' env head tail sed awk cut tr sort uniq
  find xargs ps kill mount umount df du cp mv ln chmod chown date hostname
  readlink realpath dd seq timeout nc basename dirname tee uname whoami mktemp
  md5sum sha256sum od hexdump xxd truncate fallocate usleep nproc pidof
  ifconfig route netstat nslookup
)

force=0; name=""
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -f|--force) force=1; shift ;;
    -*) echo "$PROG: unknown option $1" >&2; exit 2 ;;
    *) [ -z "$name" ] || { echo "$PROG: one NAME only" >&2; exit 2; }; name=$1; shift ;;
  esac
done
name=${name:-zkswarm-bb:latest}

old=$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
if [ "$force" = 0 ] && [ -n "$old" ]; then
  echo "$PROG: image $name already exists ($(cut -c1-19 <<<"$old"))"
  exit 0
fi

[ -x "$BUSYBOX" ] || { echo "$PROG: $BUSYBOX missing (apt-get install busybox-static)" >&2; exit 1; }
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  echo "$PROG: $BUSYBOX is dynamically linked; install busybox-static" >&2; exit 1
fi

root=$(mktemp -d /tmp/zkswarm-image.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/usr/bin" "$root/data"
chmod 1777 "$root/tmp"
cp "$BUSYBOX" "$root/bin/busybox"
for a in "${APPLETS[@]}"; do ln -s busybox "$root/bin/$a"; done
ln -s ../../bin/env "$root/usr/bin/env"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

tar -C "$root" --numeric-owner --owner=0 --group=0 -c . |
  docker import --change 'CMD ["sh"]' --change 'ENV PATH=/bin:/usr/bin' \
    --message "zkswarm test image (busybox-static)" - "$name" >/dev/null
new=$(docker image inspect -f '{{.Id}}' "$name")
# --force: drop the image the name used to point at (kept if a container uses it)
if [ -n "$old" ] && [ "$old" != "$new" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
echo "$PROG: built $name ($(cut -c1-19 <<<"$new"), $(docker image inspect -f '{{.Size}}' "$name") bytes)"
