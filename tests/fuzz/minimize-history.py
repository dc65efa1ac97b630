#!/usr/bin/env python3
"""minimize-history.py - shrink a failing input sequence of fuzz_request.

Usage: tests/fuzz/minimize-history.py FUZZER HISTORY_DIR OUT_DIR [--match TEXT]

HISTORY_DIR holds the inputs since the target last rebuilt its world, as it
writes them on a failure (tests/fuzz/crashes/history-*/00000, 00001, ...).
Replaying them in order in one process reproduces the failure.  This finds a
small subsequence that still fails the same way (ddmin over the inputs; the
last input, the one that failed, is always kept) and writes it to OUT_DIR as
00000, 00001, ..., ready to be kept as tests/fuzz/regressions/<name>/.

"The same way": the replay's output contains TEXT (default: the first
"invariant violated" or sanitizer "ERROR:" line of the full replay, with
numbers dropped).  Every replay is bounded (60 s).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile


def replay(fuzzer, files):
    with tempfile.TemporaryDirectory(prefix="zkswarm-min.") as d:
        paths = []
        for i, f in enumerate(files):
            p = os.path.join(d, "%05d" % i)
            shutil.copyfile(f, p)
            paths.append(p)
        env = dict(os.environ, ZKS_FUZZ_HISTORY_DIR="")
        try:
            r = subprocess.run([fuzzer, "-detect_leaks=0", "-timeout=20"] + paths, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        except subprocess.TimeoutExpired:
            return 124, "timeout"
        return r.returncode, r.stdout.decode("utf-8", "replace")


def signature(out):
    for line in out.splitlines():
        if "invariant violated" in line or "ERROR: AddressSanitizer" in line or "runtime error:" in line:
            # keep the kind of failure, drop what varies (numbers, names in backquotes)
            line = re.sub(r"`[^`]*`", "`*`", line)
            line = re.sub(r"0x[0-9a-f]+|\d+", "N", line)
            return line.split("fuzz_request: ", 1)[-1][:120]
    return None


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    fuzzer, hist, out = sys.argv[1], sys.argv[2], sys.argv[3]
    match = None
    if "--match" in sys.argv:
        match = sys.argv[sys.argv.index("--match") + 1]
    files = sorted(os.path.join(hist, f) for f in os.listdir(hist))
    rc, text = replay(fuzzer, files)
    want = match or signature(text)
    if rc == 0 or not want:
        print("minimize: the full history (%d inputs) does not fail; nothing to do" % len(files))
        return 1
    print("minimize: %d inputs fail with: %s" % (len(files), want))

    def fails(seq):
        rc2, t = replay(fuzzer, seq)
        if rc2 == 0:
            return False
        return (want in t) if match else (signature(t) == want)

    last, rest = files[-1], files[:-1]
    n = 2
    while len(rest) >= 1:
        chunk = max(1, len(rest) // n)
        reduced = False
        for start in range(0, len(rest), chunk):
            candidate = rest[:start] + rest[start + chunk:]
            if fails(candidate + [last]):
                rest = candidate
                n = max(n - 1, 2)
                reduced = True
                break
        if not reduced:
            if chunk == 1:
                break
            n = min(len(rest), n * 2)
    seq = rest + [last]
    os.makedirs(out, exist_ok=True)
    for i, f in enumerate(seq):
        shutil.copyfile(f, os.path.join(out, "%05d" % i))
    print("minimize: %d input(s) kept in %s" % (len(seq), out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
