#!/usr/bin/python3
"""config_watch.py - when does each node's task see a new version of a configuration file?

Used by tests/swarm/test_config.sh.  Each PATH is a task's own view of the file, read
from the host through the task's mount namespace (/proc/PID/root/cfg/app.conf).  The
files are the test's: LINES lines "version K line NNN xxx... end".

    config_watch.py --want K [--lines 200] [--timeout S] [--ready FILE] NODE=PATH...

Reads every PATH whole, in a tight loop (a pause of 1 ms a round), until each shows
version K on every line, or for at most --timeout seconds.  Every read is checked: a
file that is short, has a cut line (torn) or lines of two versions (mixed) is a bad read.
Writes FILE (--ready) after the first round, so that the caller starts its clock after.
Prints, one a line:
    seen NODE EPOCH_MS       the first read of NODE that showed version K
    timeout NODE             NODE never did
    bad NODE WHAT            a bad read (at most 10 printed)
    reads N bad M
Exit 0 if every NODE showed K and no read was bad, 1 otherwise, 2 on bad usage.
"""
import argparse
import re
import sys
import time

LINE = re.compile(rb"^version ([0-9]+) line ([0-9]{3}) x+ end$")


def check(data, lines):
    """The version every line carries (bytes), or raise ValueError saying what is wrong."""
    if not data.endswith(b"\n"):
        raise ValueError("torn: no newline at the end (%d bytes)" % len(data))
    rows = data[:-1].split(b"\n")
    if len(rows) != lines:
        raise ValueError("torn: %d lines, not %d" % (len(rows), lines))
    version = None
    for i, row in enumerate(rows):
        m = LINE.match(row)
        if not m or int(m.group(2)) != i + 1:
            raise ValueError("torn: line %d is %r" % (i + 1, row[:60]))
        if version is None:
            version = m.group(1)
        elif m.group(1) != version:
            raise ValueError("mixed: line 1 says %s, line %d says %s" %
                             (version.decode(), i + 1, m.group(1).decode()))
    return version


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--want", required=True)
    ap.add_argument("--lines", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--ready")
    ap.add_argument("paths", nargs="+", metavar="NODE=PATH")
    a = ap.parse_args()
    want = a.want.encode()
    paths = {}
    for p in a.paths:
        node, sep, path = p.partition("=")
        if not sep:
            ap.error("NODE=PATH: %s" % p)
        paths[node] = path
    seen = {}
    reads = bad = 0
    deadline = time.monotonic() + a.timeout
    first = True
    # bounded: by time, and by a count of rounds (1 ms a round at least)
    for _ in range(int(a.timeout * 1000) + 1):
        for node, path in paths.items():
            if node in seen:
                continue
            reads += 1
            try:
                with open(path, "rb") as f:
                    data = f.read()
                version = check(data, a.lines)
            except (OSError, ValueError) as e:
                bad += 1
                if bad <= 10:
                    print("bad %s %s" % (node, e), flush=True)
                continue
            if version == want:
                seen[node] = int(time.time() * 1000)
        if first and a.ready:
            with open(a.ready, "w") as f:
                f.write("ready\n")
        first = False
        if len(seen) == len(paths) or time.monotonic() > deadline:
            break
        time.sleep(0.001)
    for node in paths:
        if node in seen:
            print("seen %s %d" % (node, seen[node]))
        else:
            print("timeout %s" % node)
    print("reads %d bad %d" % (reads, bad))
    return 0 if len(seen) == len(paths) and bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
