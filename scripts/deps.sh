#!/usr/bin/env bash
# deps.sh - install every Debian package zkswarm needs to build and test.
#
# Usage: scripts/deps.sh [--bench] [--help]
#   --bench  also what `make bench` uses beyond the tests (gdb, dnsmasq, dnsperf, fio)
#
# Fast path: if `dpkg -s` reports every package installed, prints one line and
# exits 0 without touching apt. Otherwise runs `apt-get update` once and
# installs the missing packages non-interactively. Idempotent. Needs root.
# Note: we install `zookeeper` (server jars + zkCli.sh) but NOT `zookeeperd`:
# tests start their own servers with scripts/zk.sh.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config
  libzookeeper-mt-dev libmicrohttpd-dev libcjson-dev libcurl4-openssl-dev
  libcmocka-dev libnl-3-dev libnl-route-3-dev libssl-dev
  zookeeper liblog4j1.2-java libslf4j-java
  docker.io docker-registry docker-compose busybox-static iproute2 jq curl netcat-openbsd debootstrap
  valgrind clang libclang-rt-14-dev clang-format python3
  libldns-dev ldnsutils python3-kazoo python3-dnspython
  e2fsprogs util-linux mount
)

BENCH_PACKAGES=(gdb dnsmasq-base dnsperf fio)

case "${1:-}" in
  -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --bench) PACKAGES+=("${BENCH_PACKAGES[@]}") ;;
  "") ;;
  *) echo "deps.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  # `dpkg -s` exits 0 for packages that are merely known (e.g. removed but
  # config left), so check the Status line.
  if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed$'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages (${missing[*]}) and not root; cannot install" >&2
  exit 1
fi

echo "deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q "${missing[@]}"
echo "deps: done"
