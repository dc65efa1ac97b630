#!/usr/bin/env bash
# tests/fuzz/run.sh - replay the fuzz regressions, then fuzz for a bounded time.
#
# Usage: tests/fuzz/run.sh FUZZER SECONDS      (what `make fuzz-run` runs)
#
#   1. every entry of tests/fuzz/regressions/ is replayed: a file on its own,
#      a directory as one sequence (its files in name order, in one process,
#      since the target keeps state across inputs);
#   2. FUZZER runs for SECONDS on a copy of tests/fuzz/corpus (the corpus in
#      the tree is not changed), with tests/fuzz/request.dict.
# A crash, a failed invariant, a leak or a timeout is saved under
# tests/fuzz/crashes/ (libFuzzer's crash-*/leak-*/timeout-* file, plus
# history-*/ with the inputs that led to it) and fails the run.
# Prints the figures (execs, execs/s, coverage) and, last, "N passed, N failed".
# Env: FUZZ_DIR, a directory under tests/fuzz holding another target's corpus/,
# regressions/ and one *.dict (FUZZ_DIR=dns for fuzz_dns; default: tests/fuzz itself,
# fuzz_request's); FUZZ_MAX_LEN (default 8192), FUZZ_ARGS (extra libFuzzer flags),
# ZKS_TEST_SKIP (a glob, e.g. 'regression_*': regressions of open bugs are not
# replayed and the invariants those bugs break are not checked, as for the unit
# tests' regression_* cases).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib.sh"

fuzzer=${1:?usage: run.sh FUZZER SECONDS}
# The target's own files: corpus, regressions and dictionary.
tdir=$here${FUZZ_DIR:+/$FUZZ_DIR}
dict=$(ls "$tdir"/*.dict 2>/dev/null | head -1)
[ -n "$dict" ] || { echo "run.sh: no dictionary in $tdir" >&2; exit 2; }
seconds=${2:-600}
case "$seconds" in '' | *[!0-9]*) echo "run.sh: SECONDS must be a whole number" >&2; exit 2 ;; esac
[ -x "$fuzzer" ] || { echo "run.sh: $fuzzer is not built (make fuzz)" >&2; exit 2; }
fuzzer=$(cd "$(dirname "$fuzzer")" && pwd)/$(basename "$fuzzer")

# The target's state directories (mounts.json is written with fsync) are best on tmpfs.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/zkswarm-fuzzrun.XXXXXX")
on_exit "rm -rf '$work'"
crashes=$here/crashes
mkdir -p "$crashes"
# A smaller quarantine than ASan's 256 MB keeps a long run's RSS well under -rss_limit_mb.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:quarantine_size_mb=64}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
stamp=$(date +%Y%m%d-%H%M%S)

t_begin "fuzz regressions"
nreg=0
shopt -s nullglob
for r in "$tdir"/regressions/*; do
	name=$(basename "$r")
	case "$name" in README* | *.md | *.txt) continue ;; esac
	if [ -n "${ZKS_TEST_SKIP:-}" ] && [[ $name == $ZKS_TEST_SKIP ]]; then
		echo "  skip $name (ZKS_TEST_SKIP)"
		continue
	fi
	nreg=$((nreg + 1))
	if [ -d "$r" ]; then
		files=("$r"/*)
	else
		files=("$r")
	fi
	# Each file runs once, in order (-detect_leaks=0: libFuzzer would run an input that
	# allocates a second time to look for leaks, which a stateful target must not see;
	# leaks are still looked for at exit). A timeout per input catches a hang.
	if timeout 300 "$fuzzer" -timeout=20 -detect_leaks=0 "${files[@]}" >"$work/reg-$name.log" 2>&1; then
		ok "$name replays cleanly (${#files[@]} input(s))"
	else
		fail "$name fails again" "$(grep -A25 'ERROR\|invariant violated\|runtime error' "$work/reg-$name.log" | head -60)"
	fi
done
echo "  regressions replayed: $nreg"

t_begin "fuzz run"
cp -r "$tdir/corpus" "$work/corpus"
seeds=$(find "$work/corpus" -type f | wc -l)
before=$(find "$crashes" -maxdepth 1 -type f | wc -l)
log=$work/fuzz.log
echo "  fuzzing for ${seconds}s from $seeds seed(s); log $log (kept on failure in $crashes)"
rc=0
# Leaks are checked at exit, not after every input: the target keeps state
# across inputs on purpose, which makes libFuzzer's per-input check run LSan
# on nearly every input (20x slower).
ZKS_FUZZ_HISTORY_DIR="$crashes/history-$stamp" \
	timeout $((seconds + 120)) "$fuzzer" -max_total_time="$seconds" -timeout=20 \
	-rss_limit_mb=2048 -max_len="${FUZZ_MAX_LEN:-8192}" -detect_leaks=0 \
	-dict="$dict" -artifact_prefix="$crashes/" -print_final_stats=1 \
	-print_pcs=0 ${FUZZ_ARGS:-} "$work/corpus" >"$log" 2>&1 || rc=$?

done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
last_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -1)
stat() { sed -n "s/^stat::$1:[[:space:]]*//p" "$log" | tail -1; }
execs=$(stat number_of_executed_units)
eps=$(stat average_exec_per_sec)
rss=$(stat peak_rss_mb)
added=$(stat new_units_added)
cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<<"$last_line")
ft=$(sed -n 's/.* ft: \([0-9]*\) .*/\1/p' <<<"$last_line")
corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last_line")
took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
if [ -n "$took" ]; then took="in ${took}s"; else took="before the failure stopped the run"; fi
echo "  fuzz figures: ${execs:-?} execs $took, ${eps:-?} execs/s, cov ${cov:-?} (edges), ft ${ft:-?} (features), corpus ${seeds} -> ${corp:-?} (${added:-?} new), peak RSS ${rss:-?} MB"
[ -z "$done_line" ] || echo "  $done_line"

after=$(find "$crashes" -maxdepth 1 -type f | wc -l)
if [ "$rc" -eq 0 ] && [ "$after" -eq "$before" ] && [ -n "$done_line" ]; then
	ok "no crash, leak, timeout or failed invariant in ${seconds}s"
	rmdir "$crashes" 2>/dev/null || true
else
	cp "$log" "$crashes/fuzz-$stamp.log"
	fail "the fuzzer found something (exit $rc); artifacts in $crashes" \
		"$(ls -1 "$crashes" | tail -5; grep -B2 -A30 'ERROR\|invariant violated\|runtime error\|Test unit written' "$log" | head -80)"
fi
t_summary
