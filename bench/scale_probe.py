#!/usr/bin/python3
"""scale_probe.py - bench/scale.sh's measuring hand: change propagation over many
standalone zkswarmd instances, and when each instance's mirror is synced again.

  scale_probe.py propagate --rounds R --timeout-s S SOCKET...
      R rounds: a volume create on the first SOCKET (VolumeDriver.Create), timed until
      every other SOCKET's List shows it (List answers from the mirror only: a Get of a
      name the mirror lacks asks ZooKeeper); then a lease (VolumeDriver.Mount on the
      first), timed until every other's Get shows the first node among the holders (the
      holders come from the mirror once it is synced); then Unmount and Remove.  Prints
      one JSON object: {"volume_ms": [...], "lease_ms": [...], "missing": n,
      "sweep_ms": mean time of one poll over the pending nodes}.
  scale_probe.py synced --since-ms T --timeout-s S --counts C1,C2,... LOG...
      Waits until each LOG has more "mirror: synced" (or "mirror: caught up") lines than
      its count Ci, then prints
      {"synced_ms": [wall ms of each node's next synced line - T, null if none in time],
       "caught_up": n (nodes whose line was a catch-up, not a whole-tree resync),
       "sessions_new": n (sessions established after the counts' marks),
       "expired": n ("expired" warnings after the marks)}.
  scale_probe.py count LOG...
      Prints "SYNCED SESSIONS EXPIRED" counts of each LOG, comma separated per column.
The process is bounded: every wait has a timeout.
"""
import argparse
import calendar
import http.client
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from unixhttp import UnixHTTPConnection as UnixConn  # noqa: E402


class Node:
    def __init__(self, path):
        self.path = path
        self.conn = UnixConn(path)

    def post(self, endpoint, body):
        for attempt in range(2):
            try:
                self.conn.request("POST", "/" + endpoint, json.dumps(body),
                                  {"Content-Type": "application/json"})
                r = self.conn.getresponse()
                data = r.read()
                return r.status, json.loads(data or b"{}")
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = UnixConn(self.path)
                if attempt:
                    raise
        return 0, {}


def must(node, endpoint, body):
    st, reply = node.post(endpoint, body)
    if st != 200 or reply.get("Err"):
        sys.exit("scale_probe: %s %s on %s: %s %s" % (endpoint, body, node.path, st, reply))
    return reply


def listed(node, name):
    _, r = node.post("VolumeDriver.List", {})
    return any(v.get("Name") == name for v in r.get("Volumes") or [])


def holds(node, name, holder):
    _, r = node.post("VolumeDriver.Get", {"Name": name})
    status = (r.get("Volume") or {}).get("Status") or {}
    return holder in json.dumps(status.get("holders") or status.get("Holders") or status)


def wait_all(others, pred, t0, timeout_s, sweeps):
    """Poll the pending nodes until pred holds on each; their ms since t0 (None: never)."""
    done = [None] * len(others)
    deadline = t0 + timeout_s
    while any(d is None for d in done) and time.monotonic() < deadline:
        s0 = time.monotonic()
        for i, node in enumerate(others):
            if done[i] is None and pred(node):
                done[i] = (time.monotonic() - t0) * 1000.0
        sweeps.append((time.monotonic() - s0) * 1000.0)
    return done


def propagate(args):
    nodes = [Node(p) for p in args.sockets]
    first, others = nodes[0], nodes[1:]
    me = args.node_id
    out = {"volume_ms": [], "lease_ms": [], "missing": 0}
    sweeps = []
    for r in range(args.rounds):
        name = "%s-%d-%d" % (args.prefix, r, int(time.time() * 1000) % 100000)
        t0 = time.monotonic()
        must(first, "VolumeDriver.Create", {"Name": name})
        got = wait_all(others, lambda n: listed(n, name), t0, args.timeout_s, sweeps)
        out["volume_ms"] += [g for g in got if g is not None]
        out["missing"] += sum(g is None for g in got)
        t0 = time.monotonic()
        must(first, "VolumeDriver.Mount", {"Name": name, "ID": "probe-%d" % r})
        got = wait_all(others, lambda n: holds(n, name, me), t0, args.timeout_s, sweeps)
        out["lease_ms"] += [g for g in got if g is not None]
        out["missing"] += sum(g is None for g in got)
        must(first, "VolumeDriver.Unmount", {"Name": name, "ID": "probe-%d" % r})
        must(first, "VolumeDriver.Remove", {"Name": name})
        time.sleep(args.pause_ms / 1000.0)
    out["sweep_ms"] = sum(sweeps) / len(sweeps) if sweeps else 0
    print(json.dumps(out))


def log_ms(line):
    # 2026-12-05T15:40:36.123Z LEVEL ...
    stamp = line.split(" ", 1)[0]
    try:
        base = time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")
        return calendar.timegm(base) * 1000 + int(stamp[20:23])
    except ValueError:
        return None


def scan(path):
    """([ms of each synced line], sessions, expired, [True where that line was a catch-up])"""
    synced, sessions, expired, caught = [], 0, 0, []
    try:
        with open(path, "r", errors="replace") as f:
            for line in f:
                # a whole-tree resync, or a catch-up after a reconnect that kept the session
                if "mirror: synced" in line or "mirror: caught up" in line:
                    synced.append(log_ms(line))
                    caught.append("mirror: caught up" in line)
                elif "zookeeper: session" in line and "established" in line:
                    sessions += 1
                elif "expired" in line and "zookeeper:" in line:
                    expired += 1
    except OSError:
        pass
    return synced, sessions, expired, caught


def count(args):
    rows = [scan(p) for p in args.logs]
    print(",".join(str(len(r[0])) for r in rows), ",".join(str(r[1]) for r in rows),
          ",".join(str(r[2]) for r in rows))


def synced(args):
    counts = [int(c) for c in args.counts.split(",")]
    sess0 = [int(c) for c in args.sessions.split(",")] if args.sessions else [0] * len(counts)
    exp0 = [int(c) for c in args.expired.split(",")] if args.expired else [0] * len(counts)
    deadline = time.monotonic() + args.timeout_s
    res = [None] * len(args.logs)
    caught = [False] * len(args.logs)
    rows = []
    while True:
        rows = [scan(p) for p in args.logs]
        for i, r in enumerate(rows):
            if res[i] is None and len(r[0]) > counts[i] and r[0][counts[i]] is not None:
                res[i] = r[0][counts[i]] - args.since_ms
                caught[i] = r[3][counts[i]]
        if all(x is not None for x in res) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    print(json.dumps({"synced_ms": res, "caught_up": sum(caught),
                      "sessions_new": sum(r[1] - s for r, s in zip(rows, sess0)),
                      "expired": sum(r[2] - e for r, e in zip(rows, exp0))}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("propagate")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--timeout-s", type=float, default=30)
    p.add_argument("--pause-ms", type=float, default=100)
    p.add_argument("--prefix", default="prop")
    p.add_argument("--node-id", required=True)
    p.add_argument("sockets", nargs="+")
    s = sub.add_parser("synced")
    s.add_argument("--since-ms", type=int, required=True)
    s.add_argument("--timeout-s", type=float, default=120)
    s.add_argument("--counts", required=True)
    s.add_argument("--sessions", default="")
    s.add_argument("--expired", default="")
    s.add_argument("logs", nargs="+")
    c = sub.add_parser("count")
    c.add_argument("logs", nargs="+")
    args = ap.parse_args()
    {"propagate": propagate, "synced": synced, "count": count}[args.cmd](args)


if __name__ == "__main__":
    main()
