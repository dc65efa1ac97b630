#!/usr/bin/env bash
# browser-deps.sh - what the dashboard's real-browser tests need: Debian's chromium and
# firefox-esr and nodejs (with npm), socat (a page's port carried into the browser's own
# network namespace), and tests/browser/node_modules (puppeteer-core, pinned by
# tests/browser/package-lock.json).
#
# Usage: scripts/browser-deps.sh [--help]
#
# Idempotent and quiet when done: installs with apt-get only what is missing (one
# `apt-get update` first), and runs `npm ci` only when package-lock.json changed since the
# last install (its sha256 is kept in node_modules/.zks-lock-sha256). Needs root to install.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
dir="$here/tests/browser"
stamp="$dir/node_modules/.zks-lock-sha256"

case "${1:-}" in
  -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "browser-deps.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac

installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'; }

missing=()
for p in chromium firefox-esr socat; do
  installed "$p" || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "browser-deps: missing packages (${missing[*]}) and not root; cannot install" >&2
    exit 1
  fi
  echo "browser-deps: installing ${missing[*]}"
  log=$(mktemp)
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "browser-deps: apt-get failed" >&2
    exit 1
  fi
  rm -f "$log"
fi

want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dir/node_modules/puppeteer-core" ]; then
  exit 0
fi
echo "browser-deps: npm ci in tests/browser"
log=$(mktemp)
if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "browser-deps: npm ci failed" >&2
  exit 1
fi
rm -f "$log"
echo "$want" >"$stamp"
