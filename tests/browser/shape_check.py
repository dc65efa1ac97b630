#!/usr/bin/python3
"""Checks that fixture_server.py's generated cluster document has the real one's shape: in every
object both documents have (a list's items merged, by path), the same keys. The real document is
a daemon's GET /api/v1/cluster saved to a file; a configuration volume's "config" is the only key
the fixture may have more of (a real cluster without one shows none); a volume's options are
data (their names are not compared).

  shape_check.py REAL.json

Prints what differs (or how many objects were compared) and exits 1 if anything does.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_server  # noqa: E402

EXTRA_OK = {".volumes[]": {"config"}}
# Objects whose keys are data, not fields (a volume's options, its options' names).
DATA_MAPS = {".volumes[].options"}


def shapes(doc, path="", out=None):
    out = {} if out is None else out
    if isinstance(doc, dict):
        out.setdefault(path, set()).update(doc.keys())
        for k, v in doc.items():
            shapes(v, path + "." + k, out)
    elif isinstance(doc, list):
        for v in doc:
            shapes(v, path + "[]", out)
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-3].strip(), file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        real = shapes(json.load(f))
    fixture = shapes(fixture_server.generate(3, 5, 3, 1, False))
    bad = []
    both = sorted((set(real) & set(fixture)) - DATA_MAPS)
    for path in both:
        missing = real[path] - fixture[path]
        extra = fixture[path] - real[path] - EXTRA_OK.get(path, set())
        if missing or extra:
            bad.append("%s: the fixture lacks %s, has more %s" % (path or "(top)", sorted(missing), sorted(extra)))
    print("\n".join(bad) if bad else "%d objects compared: %s" % (len(both), " ".join(p or "(top)" for p in both)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
