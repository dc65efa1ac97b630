#!/usr/bin/env python3
"""check_invariants.py - judge one fault scenario from its history and from
ZooKeeper and the instances' answers once the fault is healed.

Reads OUT/ (written by workload.py and the test script): workload.json,
history.jsonl, status.jsonl, mounts.jsonl, zk.jsonl, faults.jsonl; and the
daemons' logs DIR/NODE/log.  Prints the scenario's figures, writes
OUT/results.json: [{"name", "ok", "detail"}], one entry per invariant (the test
script turns each into a test).  Exit status 0 unless the checker itself broke.

Invariants:
  volumes        every acknowledged create is there and every acknowledged remove
                 is gone, in ZooKeeper and in every instance's List
  addr-unique    no address acknowledged to two requests with overlapping lifetimes
  addr-state     every acknowledged, unreleased address is held in ZooKeeper by its
                 node; every acknowledged release is gone; records nobody
                 acknowledged (leaks) only where a request's outcome was unknown
  lease-history  no single-node volume held by two nodes at once: two acknowledged
                 mount intervals (from the Mount's answer to the Unmount's request)
                 of different nodes never overlap
  lease-live     the same, sampled while the fault lasted: every instance's Get
                 (Status.holders, 200 ms), ZooKeeper's leases and holder (200 ms),
                 the kernel's bind mounts (50 ms) and the daemons' "mounted" /
                 "unmounted" log lines
  leases-repair  after a bounded repair, ZooKeeper's leases are exactly those of
                 the mounts still held (no lease without a mount, none lost)
  caches         every instance's List and Get agree with ZooKeeper
  outage         (--outage) while ZooKeeper had no quorum, reads answered from the
                 mirror, writes failed within a bound with an error saying ZooKeeper
                 is unreachable (or refused by what the node alone knows: its own
                 mounts), and writes worked again by themselves afterwards
"""
import argparse
import collections
import datetime
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zkread  # noqa: E402
from layout import path  # noqa: E402
from workload import LOCAL_REFUSAL, UNREACHABLE, call  # noqa: E402

INF = float("inf")
WRITES = ("create", "remove", "mount", "unmount", "request_address", "release_address")


def load_jsonl(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
    return out


def possibly_applied(r):
    return r["result"] in ("ok", "unknown") or bool(r.get("ambiguous"))


def uncertain(r):
    return r["result"] == "unknown" or bool(r.get("ambiguous"))


def fmt_t(t, t0):
    return "never" if t == INF else "%+.2fs" % (t - t0)


def normalize_err(e):
    e = re.sub(r"`[^`]*`", "`X`", e)
    e = re.sub(r"\([0-9.:,]+\)", "(hosts)", e)
    e = re.sub(r"\b\d+(\.\d+)*(/\d+)?\b", "N", e)
    return e[:150]


class Results:
    def __init__(self):
        self.items = []

    def add(self, name, ok, detail=""):
        self.items.append({"name": name, "ok": bool(ok), "detail": detail})
        print("  [%s] %s%s" % ("ok" if ok else "FAIL", name, "" if ok or not detail else ""))


def parse_logs(dirpath, nodes, t_from, t_to):
    """Per node, the log lines (epoch time, level, text) within [t_from, t_to]."""
    out = {}
    rx = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z (\w+)\s+(.*)$")
    for n in nodes:
        lines = []
        try:
            with open(os.path.join(dirpath, n, "log"), errors="replace") as f:
                for line in f:
                    m = rx.match(line)
                    if not m:
                        continue
                    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(
                        tzinfo=datetime.timezone.utc).timestamp()
                    if t_from <= t <= t_to:
                        lines.append((t, m.group(2), m.group(3)))
        except OSError:
            pass
        out[n] = lines
    return out


def overlaps(intervals, t0, what):
    """intervals: [(start, end, node, label)]; pairs of different nodes that overlap."""
    bad = []
    iv = sorted(intervals)
    for i in range(len(iv)):
        for j in range(i + 1, len(iv)):
            if iv[j][0] >= iv[i][1]:
                break
            if iv[i][2] != iv[j][2]:
                lo, hi = max(iv[i][0], iv[j][0]), min(iv[i][1], iv[j][1])
                if hi > lo:
                    bad.append("%s: %s [%s, %s] and %s [%s, %s] overlap for %.2fs" % (
                        what, iv[i][3], fmt_t(iv[i][0], t0), fmt_t(iv[i][1], t0),
                        iv[j][3], fmt_t(iv[j][0], t0), fmt_t(iv[j][1], t0),
                        (hi - lo) if hi != INF else INF))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--zk-hosts", required=True)
    ap.add_argument("--zk-root", required=True)
    ap.add_argument("--repair-seconds", type=float, default=15)
    ap.add_argument("--outage", action="store_true")
    ap.add_argument("--final-only", action="store_true",
                    help="judge only the final state (at the end of the test, after later faults)")
    ap.add_argument("--results", default="results.json", help="file name under OUT")
    ap.add_argument("--write-bound", type=float, default=2.5,
                    help="max seconds for a write to fail while ZooKeeper has no quorum")
    ap.add_argument("--resume-bound", type=float, default=20)
    ap.add_argument("--log-slack", type=float, default=3.0,
                    help="tolerance for log-line intervals (a log line follows its effect)")
    args = ap.parse_args()

    wl = json.load(open(os.path.join(args.out, "workload.json")))
    t0, nodes, pool = wl["t0"], wl["nodes"], wl["pool"]
    single, multi = set(wl["single"]), set(wl["multi"])
    vols = sorted(single | multi)
    hist = sorted(load_jsonl(os.path.join(args.out, "history.jsonl")), key=lambda r: r["start"])
    faults = load_jsonl(os.path.join(args.out, "faults.jsonl"))
    stalls = load_jsonl(os.path.join(args.out, "stalls.jsonl"))

    def stalled(a, b):
        """How long the test process itself did not run within [a, b]."""
        return sum(max(0.0, min(b, s["t"] + s["seconds"]) - max(a, s["t"])) for s in stalls)
    t_last = max([r["end"] for r in hist] + [t0])
    res = Results()

    real_stdout = sys.stdout
    if args.final_only:  # the history was judged already: only the final state is wanted
        sys.stdout = open(os.devnull, "w")

    # ---- figures -------------------------------------------------------------------------------
    def count(rs):
        c = collections.Counter()
        for r in rs:
            c["attempted"] += 1
            if r["result"] == "ok":
                c["acknowledged"] += 1
            elif r["result"] == "fail" and r.get("ambiguous"):
                c["may-or-may-not"] += 1
            elif r["result"] == "fail":
                c["failed"] += 1
            else:
                c[r["result"]] += 1
        return c
    cols = ("attempted", "acknowledged", "failed", "may-or-may-not", "unknown", "notsent")
    print("  figures (failed: a clear error; may-or-may-not: the error says so; unknown: no answer;"
          " notsent: daemon down)")
    print("    %-16s %s" % ("operation", " ".join("%14s" % c for c in cols)))
    by_op = collections.defaultdict(list)
    for r in hist:
        by_op[r["op"]].append(r)
    for op in sorted(by_op) + ["all"]:
        c = count(hist if op == "all" else by_op[op])
        print("    %-16s %s" % (op, " ".join("%14d" % c[k] for k in cols)))
    errs = collections.Counter(normalize_err(r["err"]) for r in hist if r["result"] == "fail")
    print("  errors returned (normalized):")
    for e, n in errs.most_common(12):
        print("    %5d  %s" % (n, e))
    unclear = [r for r in hist if r["result"] == "fail" and not r.get("err")]
    try:
        psi = json.load(open(os.path.join(args.out, "pressure.json")))
    except (OSError, ValueError):
        psi = {}
    print("  machine: tasks waited for a CPU %s%% and for I/O %s%% of the time; the test process "
          "itself stalled %d times over 0.2s (longest %.1fs)" % (
              psi.get("cpu", "?"), psi.get("io", "?"), len(stalls), max([s["seconds"] for s in stalls] or [0])))
    for ev in faults:
        print("  fault %s: %s" % (fmt_t(ev["t"], t0), " ".join("%s=%s" % (k, v) for k, v in sorted(ev.items()) if k != "t")))
    # longest stretch without a successful write, per node
    for n in nodes:
        ts = sorted(r["end"] for r in hist if r["node"] == n and r["op"] in WRITES and r["result"] == "ok"
                    and r["op"] != "unmount")
        gaps = [(b - a, a) for a, b in zip(ts, ts[1:])]
        if gaps:
            g, a = max(gaps)
            print("  %s: longest stretch without an acknowledged write: %.2fs (from %s)" % (n, g, fmt_t(a, t0)))
    logs = parse_logs(args.dir, nodes, t0, t_last + args.repair_seconds + 30)
    for n in nodes:
        ev = collections.Counter()
        for _, _, text in logs[n]:
            if "session" in text and "established" in text:
                ev["new session"] += 1
            if "reconnected, session" in text or "resuming session" in text:
                ev["session kept/resumed"] += 1
            if "expired" in text and "session" in text:
                ev["session expired"] += 1
            if "connection lost" in text:
                ev["connection lost"] += 1
            if "write interrupted" in text:
                ev["write interrupted (verified)"] += 1
            if "applied after all" in text:
                ev["interrupted write applied after all"] += 1
            if "cannot re-establish" in text:
                ev["lease NOT re-established"] += 1
            if "cut off for over" in text:
                ev["fenced"] += 1
        print("  %s log: %s" % (n, ", ".join("%s %d" % kv for kv in sorted(ev.items())) or "nothing notable"))
    for ev in faults:
        if ev["event"] != "plugin-restarted":
            continue
        n, t = ev["node"], ev["t"]
        w = [r["end"] for r in hist if r["node"] == n and r["op"] in WRITES and r["op"] != "unmount"
             and r["result"] == "ok" and r["start"] >= t]
        rec = [lt for lt, _, text in logs[n] if lt >= t - 0.5 and "reconciled leases" in text]
        sess = [text for lt, _, text in logs[n] if lt >= t - 0.5 and ("resuming session" in text or "established" in text)]
        print("  %s restarted: first acknowledged write after %s, leases reconciled after %s; %s" % (
            n, "%.2fs" % (min(w) - t) if w else "never", "%.2fs" % (min(rec) - t) if rec else "never",
            "; ".join(sess[:2])))
    res.add("every failure carries an error text", not unclear,
            "\n".join(json.dumps(r) for r in unclear[:5]))

    # ---- history: single-node exclusivity -------------------------------------------------------
    ivs = collections.defaultdict(list)
    for r in hist:
        if r["op"] != "mount" or r["result"] != "ok" or r["vol"] not in single:
            continue
        end = INF
        for u in hist:
            if (u["op"] == "unmount" and u["node"] == r["node"] and u.get("id") == r["id"]
                    and u["start"] >= r["start"] and possibly_applied(u)):
                end = u["start"]
                break
        ivs[r["vol"]].append((r["end"], end, r["node"], "%s mount %s" % (r["node"], r["id"])))
    bad = []
    for v, iv in ivs.items():
        bad += overlaps(iv, t0, v)
    res.add("lease-history: no single-node volume held by two nodes at once "
            "(%d acknowledged mounts of single-node volumes)" % sum(len(x) for x in ivs.values()),
            not bad, "\n".join(bad[:10]))

    # ---- live samples ---------------------------------------------------------------------------
    status = load_jsonl(os.path.join(args.out, "status.jsonl"))
    sbad = []
    for s in status:
        hs = [h for h in s["holders"] if h.get("mounts", 0) > 0 or h.get("exclusive")]
        if s["vol"] in single and len({h["node"] for h in hs}) > 1:
            sbad.append("%s Get on %s shows %s holding single-node %s" % (
                fmt_t(s["t"], t0), s["node"], ",".join(h["node"] for h in hs), s["vol"]))
    zks = load_jsonl(os.path.join(args.out, "zk.jsonl"))
    zbad = []
    for s in zks:
        others = [n for n in s["leases"] if s["holder"] not in (None, "(changed)") and n != s["holder"]]
        if len(s["leases"]) > 1 or others:
            zbad.append("%s ZooKeeper (%s): %s has leases %s, holder %s" % (
                fmt_t(s["t"], t0), s["server"], s["vol"], s["leases"], s["holder"]))
    mnts = load_jsonl(os.path.join(args.out, "mounts.jsonl"))
    mbad = []
    for s in mnts:
        by_vol = collections.defaultdict(set)
        for n, v in s["mounted"]:
            by_vol[v].add(n)
        for v, ns in by_vol.items():
            if v in single and len(ns) > 1:
                mbad.append("%s kernel: single-node %s bind-mounted on %s" % (fmt_t(s["t"], t0), v, sorted(ns)))
    # log lines: per node and volume, while its count of mounts is >= 1.  A process
    # killed mid-request may have done an unmount without logging it, so a restart
    # ends what the log can tell (at the old process's last line) until new lines
    # give the count again; a removal proves there is no mount left on that node.
    lbad = []
    rx_m = re.compile(r"volumes: mounted `([^`]+)` for \S+ \((\d+) mounts? on this node\)")
    rx_u = re.compile(r"volumes: unmounted `([^`]+)` for \S+ \((\d+) mounts? left on this node\)")
    rx_r = re.compile(r"volumes: removed `([^`]+)`")
    rx_start = re.compile(r"networks: tunnel address|mounted here before the restart|zkswarmd: serving on")
    livs = collections.defaultdict(list)
    for n in nodes:
        cnt, since, prev_t = {}, {}, None

        def close(v, t):
            if cnt.get(v, 0) > 0:
                livs[v].append((since[v], t, n, "%s (log)" % n))
            cnt[v] = 0
        for t, _, text in logs[n]:
            if rx_start.search(text):
                for v in list(cnt):
                    close(v, prev_t if prev_t is not None else t)
            prev_t = t
            m = rx_m.search(text) or rx_u.search(text)
            if not m:
                m = rx_r.search(text)
                if m and m.group(1) in single:
                    close(m.group(1), t)
                continue
            if m.group(1) not in single:
                continue
            v, k = m.group(1), int(m.group(2))
            if k > 0 and cnt.get(v, 0) == 0:
                since[v] = t
            if k == 0:
                close(v, t)
            cnt[v] = k
        for v, k in cnt.items():
            if k > 0:
                livs[v].append((since[v], INF, n, "%s (log)" % n))
    for v, iv in livs.items():
        shrunk = [(a + args.log_slack, b, n, lab) for a, b, n, lab in iv if b == INF or b > a + args.log_slack]
        lbad += overlaps(shrunk, t0, v)
    print("  live samples: %d Get answers, %d ZooKeeper reads, %d kernel mount-table changes, "
          "%d log intervals" % (len(status), len(zks), len(mnts), sum(len(x) for x in livs.values())))
    allbad = sbad + zbad + mbad + lbad
    res.add("lease-live: never two holders of a single-node volume while the fault lasted "
            "(instances' Status, ZooKeeper, kernel mounts, logs)", not allbad and status and zks and mnts,
            "\n".join(allbad[:12]) or "missing samples: %d Get answers, %d ZooKeeper reads, %d mount tables" % (
                len(status), len(zks), len(mnts)))

    # ---- history: addresses ---------------------------------------------------------------------
    reqs = [r for r in hist if r["op"] == "request_address"]
    rels = [r for r in hist if r["op"] == "release_address"]
    aiv = collections.defaultdict(list)
    life = []  # (request, first release that may have been applied, whether one was acknowledged)
    for r in reqs:
        if r["result"] != "ok":
            continue
        nxt = min([q["start"] for q in reqs if q["node"] == r["node"] and q.get("addr") == r["addr"]
                   and q["result"] == "ok" and q["start"] > r["end"]] + [INF])
        mine = [u for u in rels if u["node"] == r["node"] and u["addr"] == r["addr"]
                and r["end"] <= u["start"] < nxt]
        rel = next((u for u in mine if possibly_applied(u)), None)
        acked = any(u["result"] == "ok" for u in mine)
        end = rel["start"] if rel else INF
        aiv[r["addr"]].append((r["end"], end, r["node"] + "#" + str(r["seq"]), "%s got %s" % (r["node"], r["addr"])))
        life.append((r, rel, acked))
    abad = []
    for a, iv in aiv.items():
        # the same node twice counts too: label carries the request
        ivs2 = sorted(iv)
        for i in range(len(ivs2)):
            for j in range(i + 1, len(ivs2)):
                if ivs2[j][0] >= ivs2[i][1]:
                    break
                abad.append("%s: %s at %s (held until %s) and %s at %s" % (
                    a, ivs2[i][3], fmt_t(ivs2[i][0], t0), fmt_t(ivs2[i][1], t0), ivs2[j][3], fmt_t(ivs2[j][0], t0)))
    reuse = sum(1 for iv in aiv.values() if len(iv) > 1)
    res.add("addr-unique: no address acknowledged to two requests with overlapping lifetimes "
            "(%d acknowledged, %d addresses given more than once over time)" % (len(life), reuse),
            not abad, "\n".join(abad[:10]))

    # ---- final state, polled until it holds or the repair bound passes ---------------------------
    if args.final_only:
        sys.stdout.close()
        sys.stdout = real_stdout
        res.items = []
    root = args.zk_root

    def read_zk():
        with zkread.ZkReader(args.zk_hosts.split(","), timeout=3) as zk:
            st = {"vols": {}, "addrs": {}}
            names = set(zk.get_children(path("/volumes", root)))
            for v in vols:
                if v not in names:
                    continue
                leases = {}
                try:
                    for n in zk.get_children(path("/volumes/<name>/leases", root, name=v)):
                        data, _ = zk.get(path("/volumes/<name>/leases/<node>", root,
                                              name=v, node=n))
                        leases[n] = len((json.loads(data.decode() or "{}")).get("mounts") or [])
                except zkread.NoNode:
                    leases = None
                try:
                    data, _ = zk.get(path("/volumes/<name>/holder", root, name=v))
                    holder = json.loads(data.decode() or "{}").get("node")
                except zkread.NoNode:
                    holder = None
                st["vols"][v] = {"leases": leases, "holder": holder}
            # Address records are grouped by /24: addrs/<a.b.c.0-24>/<a.b.c.d>.
            addr = "/ipam/subnets/<a.b.c.d-len>/addrs/<a.b.c.0-24>/<ip>"
            subnet = pool.replace("/", "-")
            for g in zk.get_children(path("/ipam/subnets/<a.b.c.d-len>/addrs", root,
                                          abcdlen=subnet)):
                try:
                    ips = zk.get_children(path("/ipam/subnets/<a.b.c.d-len>/addrs/<a.b.c.0-24>",
                                               root, abcdlen=subnet, abc024=g))
                except zkread.NoNode:
                    continue
                for a in ips:
                    try:
                        data, _ = zk.get(path(addr, root, abcdlen=subnet, abc024=g, ip=a))
                    except zkread.NoNode:
                        continue
                    try:
                        st["addrs"][a] = json.loads(data.decode())
                    except ValueError:
                        st["addrs"][a] = {"corrupt": True}
            return st

    def read_instances():
        out = {}
        for n in nodes:
            sock = os.path.join(args.dir, n, "s.sock")
            r, reply, err = call(sock, "VolumeDriver.List", {}, 5)
            lst = sorted(v["Name"] for v in (reply or {}).get("Volumes") or [] if v["Name"] in vols) if r == "ok" else None
            gets = {}
            for v in (lst or []):
                r2, rep2, _ = call(sock, "VolumeDriver.Get", {"Name": v}, 5)
                if r2 == "ok":
                    s = rep2["Volume"].get("Status") or {}
                    gets[v] = {"holders": sorted(h["node"] for h in s.get("holders") or []),
                               "zookeeper": s.get("zookeeper"), "stale": bool(s.get("stale"))}
            out[n] = {"list": lst, "get": gets, "err": err}
        return out

    # expected volume existence: effects of the operations that may have been applied last
    vol_expect = {}
    for v in vols:
        ops = [r for r in hist if r.get("vol") == v and r["op"] in ("create", "remove") and possibly_applied(r)]
        acked = [r for r in ops if r["result"] == "ok"]
        cands = [x for x in ops if not any(y["start"] > x["end"] for y in acked)]
        vol_expect[v] = {("create" == x["op"]) for x in cands} if cands else {False}

    # addresses: who must hold what, and which uncertain requests may explain a leak
    must_hold, must_not = collections.defaultdict(set), collections.defaultdict(set)
    for r, rel, acked in life:
        if rel is None:
            must_hold[r["addr"]].add(r["node"])
        elif acked:
            must_not[r["addr"]].add(r["node"])
    for a in list(must_not):  # held again by a later acknowledged request of the same node
        must_not[a] -= must_hold.get(a, set())
    unc_req = collections.Counter(r["node"] for r in reqs if uncertain(r))
    unc_rel = collections.defaultdict(set)
    for _, rel, acked in life:
        if rel is not None and uncertain(rel) and not acked:
            unc_rel[rel["addr"]].add(rel["node"])

    # leases: which nodes must hold one, which may
    held_ok, held_maybe = collections.defaultdict(set), collections.defaultdict(set)
    for r in hist:
        if r["op"] != "mount" or not possibly_applied(r):
            continue
        undone = any(u["op"] == "unmount" and u["node"] == r["node"] and u.get("id") == r["id"]
                     and u["start"] >= r["start"] and u["result"] == "ok" for u in hist)
        maybe_undone = any(u["op"] == "unmount" and u["node"] == r["node"] and u.get("id") == r["id"]
                           and u["start"] >= r["start"] and possibly_applied(u) for u in hist)
        if undone:
            continue
        if r["result"] == "ok" and not maybe_undone:
            held_ok[r["vol"]].add(r["node"])
        else:
            held_maybe[r["vol"]].add(r["node"])

    def evaluate(zk, inst):
        out = {}
        # volumes
        problems = []
        for v in vols:
            exists = v in zk["vols"]
            if exists not in vol_expect[v]:
                problems.append("%s: %s in ZooKeeper, expected %s" % (
                    v, "present" if exists else "absent", " or ".join("present" if e else "absent" for e in sorted(vol_expect[v]))))
            for n in nodes:
                lst = inst[n]["list"]
                if lst is None:
                    problems.append("%s: List failed: %s" % (n, inst[n]["err"]))
                elif (v in lst) not in vol_expect[v]:
                    problems.append("%s: %s %s in its List" % (n, v, "present" if v in lst else "absent"))
        out["volumes"] = problems
        # addresses
        problems, leaks, explained = [], [], []
        for a, nodes_ in must_hold.items():
            rec = zk["addrs"].get(a)
            for n in nodes_:
                if rec is None or n not in (rec.get("holders") or {}):
                    problems.append("%s acknowledged to %s, not released, but ZooKeeper has %s" % (a, n, rec))
        for a, nodes_ in must_not.items():
            rec = zk["addrs"].get(a) or {}
            for n in nodes_:
                if n in (rec.get("holders") or {}):
                    leaks.append((a, n))
        for a, rec in zk["addrs"].items():
            hs = rec.get("holders") or {}
            if rec.get("kind") == "address" and (sum(hs.values()) != 1 or len(hs) != 1):
                problems.append("%s has holders %s (an ordinary address has one)" % (a, hs))
            for n in hs:
                if n not in must_hold.get(a, set()) and (a, n) not in leaks:
                    leaks.append((a, n))
        budget = dict(unc_req)
        for a, n in leaks:
            if n in unc_rel.get(a, set()):
                explained.append("%s held by %s: its release had an unknown outcome" % (a, n))
            elif budget.get(n, 0) > 0:
                budget[n] -= 1
                explained.append("%s held by %s: one of its %d requests with an unknown outcome" % (a, n, unc_req[n]))
            else:
                problems.append("%s held by %s in ZooKeeper, but no request of %s got it or may have" % (a, n, n))
        out["addr-state"] = problems
        out["leaks"] = explained
        # leases
        problems = []
        for v in vols:
            z = zk["vols"].get(v)
            have = set((z or {}).get("leases") or {})
            for n in held_ok[v] - have:
                problems.append("%s: %s's acknowledged mount is not unmounted, but it has no lease" % (v, n))
            for n in have - held_ok[v] - held_maybe[v]:
                problems.append("%s: %s has a lease (%d mounts) but no mount of it is outstanding" % (
                    v, n, z["leases"][n]))
            if v in single and z is not None:
                if len(have) > 1:
                    problems.append("%s: single-node with leases of %s" % (v, sorted(have)))
                if have and z["holder"] not in have:
                    problems.append("%s: leases %s but holder %s" % (v, sorted(have), z["holder"]))
                if not have and z["holder"] is not None:
                    problems.append("%s: holder %s without a lease" % (v, z["holder"]))
        out["leases-repair"] = problems
        # caches
        problems = []
        for n in nodes:
            for v, g in inst[n]["get"].items():
                z = zk["vols"].get(v)
                want = sorted((z or {}).get("leases") or {})
                if g["holders"] != want or g["zookeeper"] != "connected" or g["stale"]:
                    problems.append("%s: Get %s shows holders %s (%s%s), ZooKeeper has %s" % (
                        n, v, g["holders"], g["zookeeper"], ", stale" if g["stale"] else "", want))
            lst = inst[n]["list"]
            if lst is not None and sorted(lst) != sorted(zk["vols"]):
                problems.append("%s: List %s, ZooKeeper %s" % (n, lst, sorted(zk["vols"])))
        out["caches"] = problems
        return out

    t_rep = time.time()
    deadline = t_rep + args.repair_seconds
    first = None
    while True:
        try:
            zk = read_zk()
            inst = read_instances()
            ev = evaluate(zk, inst)
        except (zkread.ZkError, OSError) as e:
            zk, inst, ev = None, None, {k: ["cannot read ZooKeeper: %s" % e] for k in
                                        ("volumes", "addr-state", "leases-repair", "caches")}
            ev["leaks"] = []
        if first is None:
            first = ev
        if not any(ev[k] for k in ("volumes", "addr-state", "leases-repair", "caches")) or time.time() > deadline:
            break
        time.sleep(0.5)
    waited = time.time() - t_rep
    nacked_c = sum(1 for r in hist if r["op"] == "create" and r["result"] == "ok")
    nacked_r = sum(1 for r in hist if r["op"] == "remove" and r["result"] == "ok")
    print("  %sfinal state: held after %.1fs of repair (bound %gs): %d volumes in ZooKeeper, "
          "%d address records in %s" % (wl["tag"] + " " if args.final_only else "", waited, args.repair_seconds, len(zk["vols"]) if zk else -1,
                                         len(zk["addrs"]) if zk else -1, pool))
    for k in ("volumes", "addr-state", "leases-repair", "caches"):
        for p in first[k]:
            if p not in ev[k]:
                print("  repaired meanwhile (%s): %s" % (k, p))
    for e in ev["leaks"]:
        print("  leak (explained): " + e)
    res.add("volumes: acknowledged creates present, acknowledged removes gone, in ZooKeeper and every "
            "List (%d creates, %d removes acknowledged)" % (nacked_c, nacked_r),
            not ev["volumes"], "\n".join(ev["volumes"][:10]))
    res.add("addr-state: acknowledged addresses held, acknowledged releases gone, leaks only from "
            "unknown outcomes (%d leaked, all explained)" % len(ev["leaks"]) if not ev["addr-state"] else
            "addr-state: acknowledged addresses held, acknowledged releases gone, leaks only from unknown outcomes",
            not ev["addr-state"], "\n".join(ev["addr-state"][:10]))
    res.add("leases-repair: after a bounded repair every lease has a mount and every mount its lease",
            not ev["leases-repair"], "\n".join(ev["leases-repair"][:10]))
    res.add("caches: every instance's List and Get agree with ZooKeeper", not ev["caches"],
            "\n".join(ev["caches"][:10]))

    # ---- no quorum: the mirror answers, writes fail fast and clearly, then resume ---------------
    if args.outage:
        evs = {e["event"]: e["t"] for e in faults}
        w0, w1, q = evs.get("ensemble-stopped"), evs.get("ensemble-starting"), evs.get("ensemble-started")
        if None in (w0, w1, q):
            res.add("outage: the fault's timeline was recorded", False, json.dumps(faults))
        else:
            print("  no quorum from %s to %s (%.1fs; session timeout 4s), quorum back at %s" % (
                fmt_t(w0, t0), fmt_t(w1, t0), w1 - w0, fmt_t(q, t0)))
            inw = [r for r in hist if w0 <= r["start"] < w1]
            reads = [r for r in inw if r["op"] in ("get", "list") and r["end"] <= w1]
            rbad = []
            for r in reads:
                if r["op"] == "list" and r["result"] != "ok":
                    rbad.append("List on %s at %s: %s" % (r["node"], fmt_t(r["start"], t0), r.get("err")))
                if r["op"] == "get" and r["result"] == "ok":
                    ret = r.get("ret") or {}
                    if not ret.get("stale") or ret.get("zookeeper") == "connected":
                        rbad.append("Get %s on %s at %s not marked stale: %s" % (r["vol"], r["node"], fmt_t(r["start"], t0), ret))
            gets_ok = sum(1 for r in reads if r["op"] == "get" and r["result"] == "ok")
            gets_no = [r for r in reads if r["op"] == "get" and r["result"] != "ok"]
            print("  reads during the outage: %d List ok, %d Get answered from the mirror (stale), "
                  "%d Get of volumes the mirror does not have refused" % (
                      sum(1 for r in reads if r["op"] == "list" and r["result"] == "ok"), gets_ok, len(gets_no)))
            res.add("outage: reads answered from the mirror, marked stale (%d reads)" % len(reads),
                    reads and not rbad, "\n".join(rbad[:10]) or "no reads during the outage")
            # Writes begun early enough to be answered before the restart, or answered before
            # it anyway: all of them without a quorum (one the instance was still busy with
            # when the ensemble stopped can hold its client's only thread for seconds).
            wr = [r for r in inw if r["op"] in WRITES and r["op"] != "unmount"
                  and (r["start"] <= w1 - args.write_bound or r["end"] <= w1)]
            wbad, lat, local = [], [], []
            for r in wr:
                # time during which this process itself was not running is not the daemon's
                lat.append(r["end"] - r["start"] - stalled(r["start"], r["end"]))
                if r["result"] == "ok":
                    wbad.append("%s %s on %s at %s succeeded without a quorum" % (r["op"], r.get("vol") or r.get("addr") or "", r["node"], fmt_t(r["start"], t0)))
                elif r["result"] == "fail" and LOCAL_REFUSAL.search(r.get("err") or ""):
                    local.append(r)
                    if lat[-1] > args.write_bound:
                        wbad.append("%s on %s at %s took %.2fs to be refused locally: %s" % (
                            r["op"], r["node"], fmt_t(r["start"], t0), lat[-1], r.get("err")))
                elif r["result"] != "fail" or not UNREACHABLE.search(r.get("err") or ""):
                    wbad.append("%s on %s at %s: %s %s" % (r["op"], r["node"], fmt_t(r["start"], t0), r["result"], r.get("err")))
                elif lat[-1] > args.write_bound:
                    wbad.append("%s on %s at %s took %.2fs to fail (%.2fs of which this process was stalled): %s" % (
                        r["op"], r["node"], fmt_t(r["start"], t0), r["end"] - r["start"],
                        stalled(r["start"], r["end"]), r.get("err")))
                    wbad += ["    %s log %s %s" % (r["node"], fmt_t(lt, t0), text[:200]) for lt, _, text in logs[r["node"]]
                             if r["start"] - 0.2 <= lt <= r["end"] + 0.2 and "VolumeDriver.Get" not in text
                             and "VolumeDriver.List" not in text][:25]
            um = [r for r in inw if r["op"] == "unmount"]
            print("  writes during the outage: %d, all failed: %s (%d refused by the node's own mounts), "
                  "latency max %.2fs, mean %.2fs (less the test's own stalls); "
                  "%d unmounts (done locally: %d ok)" % (
                      len(wr), all(r["result"] != "ok" for r in wr), len(local), max(lat or [0]),
                      sum(lat) / len(lat) if lat else 0, len(um), sum(1 for r in um if r["result"] == "ok")))
            res.add("outage: writes failed within %gs saying ZooKeeper is unreachable, or refused by "
                    "the node's own mounts (%d writes, max %.2fs)" % (
                args.write_bound, len(wr), max(lat or [0])), wr and not wbad,
                "\n".join(wbad[:60]) or "no writes during the outage")
            firsts, rbad = [], []
            for n in nodes:
                ok = [r["end"] for r in hist if r["node"] == n and r["op"] in WRITES and r["op"] != "unmount"
                      and r["result"] == "ok" and r["start"] >= w1]
                if ok:
                    firsts.append(min(ok) - q)
                    print("  %s: first acknowledged write %.2fs after quorum returned (%.2fs after the restart began)" % (
                        n, min(ok) - q, min(ok) - w1))
                    if min(ok) - q > args.resume_bound:
                        rbad.append("%s: %.2fs" % (n, min(ok) - q))
                else:
                    rbad.append("%s: no acknowledged write after the outage" % n)
            res.add("outage: writes resumed by themselves after quorum returned (max %.2fs, bound %gs)" % (
                max(firsts or [INF]), args.resume_bound), not rbad, "\n".join(rbad))

    with open(os.path.join(args.out, args.results), "w") as f:
        json.dump(res.items, f, indent=1)


if __name__ == "__main__":
    main()
