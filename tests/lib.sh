# shellcheck shell=bash
# tests/lib.sh - tiny assertion library for zkswarm's bash integration/e2e tests.
#
# Usage (in a test script):
#   #!/usr/bin/env bash
#   set -euo pipefail
#   . "$(dirname "$0")/lib.sh"          # or: source tests/lib.sh
#   on_exit scripts/zk.sh stop "$dir"    # cleanups run in reverse order at exit
#   t_begin "volume create"
#   assert_ok "create v1" docker volume create -d zkswarm v1
#   assert_contains "$T_OUT" v1 "create prints the name"
#   wait_until 10 "v1 listed" sh -c 'docker volume ls | grep -q v1'
#   t_summary                            # last line: "N passed, N failed"
#
# API:
#   t_begin NAME                        start a named test (prefixes later lines)
#   ok DESC / fail DESC [DETAILS]       record a pass / a failure (fail returns 1)
#   assert_eq ACTUAL EXPECTED DESC
#   assert_contains HAYSTACK NEEDLE DESC / assert_not_contains HAYSTACK NEEDLE DESC
#   assert_ok DESC CMD...               CMD exits 0 (on failure its output is shown)
#   assert_fails DESC CMD...            CMD exits non-zero
#   assert_fails_with DESC TEXT CMD...  CMD exits non-zero and its stdout+stderr
#                                       contains TEXT
#   wait_until TIMEOUT_S DESC CMD...    poll CMD every 0.2 s until it exits 0,
#                                       at most TIMEOUT_S seconds (decimals ok);
#                                       CMD itself should be quick (use `timeout`)
#   on_exit CMD...                      register a cleanup; one argument is run as
#                                       shell code (eval), several as a command
#   t_summary                           run cleanups, print "N passed, N failed"
#                                       as the final line; non-zero if any failed
#   in_private_mount_ns "$@"            first thing after sourcing: run the script
#                                       again in a private mount namespace (its bind
#                                       mounts vanish with it)
# Assertions return 0 on pass, 1 on failure: under `set -e` a failed assertion
# ends the script (append `|| true` to go on). Either way the EXIT trap runs
# the cleanups and prints the summary line if t_summary was not reached; an
# unexpected non-zero exit outside an assertion counts as one failure.
# CMD runs in the current shell (functions work, `cd` would stick); its
# combined stdout+stderr is left in $T_OUT and its status in $T_RC.
# Do not set your own EXIT trap; use on_exit. On SIGINT/SIGTERM bash runs the
# trap only after the current foreground command ends (`sleep N & wait $!` is
# interruptible).

# Sanitized daemons started by a test: suppress the one known leak of libzookeeper_mt
# itself (tests/lsan.supp says which); nothing of zkswarm's is suppressed.
case ${LSAN_OPTIONS:-} in
*lsan.supp*) ;;
*) export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lsan.supp:print_suppressions=0" ;;
esac

T_PASS=0
T_FAIL=0
T_NAME=""
T_OUT=""
T_RC=0
_T_CLEANUPS=()
_T_SUMMARY_DONE=0
_T_LAST_FAILED=0
_T_OWNER=$BASHPID
_T_TMP=$(mktemp "${TMPDIR:-/tmp}/zkswarm-t.XXXXXX")

in_private_mount_ns() {
  [ -z "${ZKS_IN_MOUNT_NS:-}" ] || return 0
  rm -f "$_T_TMP" # exec runs no EXIT trap
  exec unshare -m --propagation private env ZKS_IN_MOUNT_NS=1 bash "$0" "$@"
}

if [ -t 1 ]; then
  _T_GREEN=$'\e[32m' _T_RED=$'\e[31m' _T_BOLD=$'\e[1m' _T_RESET=$'\e[0m'
else
  _T_GREEN="" _T_RED="" _T_BOLD="" _T_RESET=""
fi

_t_label() { if [ -n "$T_NAME" ]; then printf '%s: %s' "$T_NAME" "$1"; else printf '%s' "$1"; fi; }
_t_indent() { sed -e 's/^/    | /' | tail -n 40; }

t_begin() {
  T_NAME=$1
  echo "${_T_BOLD}== $T_NAME${_T_RESET}"
}

ok() {
  T_PASS=$((T_PASS + 1)); _T_LAST_FAILED=0
  echo "  ${_T_GREEN}ok${_T_RESET}   $(_t_label "$1")"
}

fail() {
  T_FAIL=$((T_FAIL + 1)); _T_LAST_FAILED=1
  echo "  ${_T_RED}FAIL${_T_RESET} $(_t_label "$1")"
  if [ $# -ge 2 ] && [ -n "$2" ]; then printf '%s\n' "$2" | _t_indent; fi
  return 1
}

assert_eq() {
  if [ "$1" == "$2" ]; then ok "$3"; else fail "$3" "expected: '$2'"$'\n'"actual:   '$1'"; fi
}

assert_contains() {
  if [[ $1 == *"$2"* ]]; then ok "$3"; else fail "$3" "missing '$2' in:"$'\n'"$1"; fi
}

assert_not_contains() {
  if [[ $1 != *"$2"* ]]; then ok "$3"; else fail "$3" "unexpected '$2' in:"$'\n'"$1"; fi
}

# _t_out MSG: MSG, then the last command's output if there was any
_t_out() { if [ -n "$T_OUT" ]; then printf '%s\n%s' "$1" "$T_OUT"; else printf '%s' "$1"; fi; }

# _t_run CMD...: run in this shell, set T_RC and T_OUT (stdout+stderr)
_t_run() {
  T_RC=0
  "$@" >"$_T_TMP" 2>&1 </dev/null || T_RC=$?
  T_OUT=$(cat "$_T_TMP")
}

assert_ok() {
  local desc=$1; shift
  _t_run "$@"
  if [ "$T_RC" -eq 0 ]; then ok "$desc"
  else fail "$desc" "$(_t_out "command failed (exit $T_RC): $*")"; fi
}

assert_fails() {
  local desc=$1; shift
  _t_run "$@"
  if [ "$T_RC" -ne 0 ]; then ok "$desc"
  else fail "$desc" "$(_t_out "command succeeded but should have failed: $*")"; fi
}

assert_fails_with() {
  local desc=$1 text=$2; shift 2
  _t_run "$@"
  if [ "$T_RC" -eq 0 ]; then
    fail "$desc" "$(_t_out "command succeeded but should have failed: $*")"
  elif [[ $T_OUT != *"$text"* ]]; then
    fail "$desc" "$(_t_out "command failed (exit $T_RC) but output lacks '$text': $*")"
  else
    ok "$desc"
  fi
}

# zkcli_ls SERVER PATH [PREFIX...]: the children of PATH as ZooKeeper's CLI prints them
# ("[a, b]"), its command run after PREFIX (e.g. `ip netns exec NS`).  A loaded machine can make
# zkCli give up before ZooKeeper answers (a CI run once read a lone "["): only a whole "[...]"
# answer counts, asked up to 3 times; exit 1 if none came.
zkcli_ls() {
	local server=$1 path=$2 out i
	shift 2
	for i in 1 2 3; do
		out=$(timeout 30 "$@" /usr/share/zookeeper/bin/zkCli.sh -server "$server" ls "$path" \
			2>/dev/null | grep '^\[.*\]$' | tail -1)
		[ -z "$out" ] || { printf '%s\n' "$out"; return 0; }
		[ "$i" -eq 3 ] || sleep 1
	done
	return 1
}

wait_until() {
  local timeout=$1 desc=$2 start now deadline_ms max i
  shift 2
  start=$(date +%s%3N)
  deadline_ms=$(awk -v t="$timeout" 'BEGIN { printf "%d", t * 1000 }')
  max=$((deadline_ms / 200 + 1))          # count bound as well as time bound
  for ((i = 0; i < max; i++)); do
    _t_run "$@"
    now=$(date +%s%3N)
    if [ "$T_RC" -eq 0 ]; then
      ok "$desc ($(awk -v ms=$((now - start)) 'BEGIN { printf "%.1f", ms / 1000 }')s)"
      return 0
    fi
    [ $((now - start)) -lt "$deadline_ms" ] || break
    sleep 0.2
  done
  fail "$desc" "$(_t_out "not true after ${timeout}s (last exit $T_RC): $*")"
}

# page_line WORD...: the command line for page_driver.mjs, a word with spaces in double quotes.
page_line() {
  local w l=""
  for w in "$@"; do
    if [[ $w == *" "* ]]; then l+="\"$w\" "; else l+="$w "; fi
  done
  echo "${l% }"
}

on_exit() {
  [ $# -ge 1 ] || return 0
  if [ $# -eq 1 ]; then _T_CLEANUPS+=("$1")
  else _T_CLEANUPS+=("$(printf '%q ' "$@")"); fi
}

_t_run_cleanups() {
  local i rc
  for ((i = ${#_T_CLEANUPS[@]} - 1; i >= 0; i--)); do
    rc=0
    ( set +e; eval "${_T_CLEANUPS[i]}" ) </dev/null || rc=$?
    [ "$rc" -eq 0 ] || echo "lib.sh: cleanup failed (exit $rc): ${_T_CLEANUPS[i]}" >&2
  done
  _T_CLEANUPS=()
}

t_summary() {
  _t_run_cleanups
  _T_SUMMARY_DONE=1
  echo "$T_PASS passed, $T_FAIL failed"
  [ "$T_FAIL" -eq 0 ]
}

_t_on_exit() {
  local rc=$1
  [ "$BASHPID" = "$_T_OWNER" ] || return 0   # never in a subshell
  set +e
  if [ "$_T_SUMMARY_DONE" = 0 ]; then
    if [ "$rc" -ne 0 ] && [ "$_T_LAST_FAILED" = 0 ]; then
      fail "script exited with status $rc outside an assertion"
    fi
    _t_run_cleanups
    rm -f "$_T_TMP"
    echo "$T_PASS passed, $T_FAIL failed"
    if [ "$rc" -eq 0 ] && [ "$T_FAIL" -ne 0 ]; then rc=1; fi
  else
    _t_run_cleanups
    rm -f "$_T_TMP"
  fi
  exit "$rc"
}

trap '_t_on_exit $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
