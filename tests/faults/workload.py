#!/usr/bin/env python3
"""workload.py - the mixed workload and the samplers of the fault tests.

One client thread per zkswarmd instance runs a loop of volume (Create, Remove,
Mount, Unmount, Get, List) and IPAM (RequestAddress, ReleaseAddress) requests
over the instance's unix socket, as the engine would, until it has made --ops
requests, --seconds have passed or the file --stop-file exists, whichever
first.  Every request is recorded in OUT/history.jsonl:

  {"op", "node", "vol"|"pool", "id", "addr", "start", "end",
   "result": "ok" | "fail" | "unknown" | "notsent", "err", "ret", ...}

  ok       HTTP 200
  fail     the daemon answered with an error (its text in "err"); "ambiguous"
           is true when it says the change may or may not have been applied
  unknown  the request was sent but no answer came (timeout, connection
           dropped: the daemon was killed): it may or may not have happened
  notsent  the socket refused the connection (the daemon is down): nothing sent

Samplers run while the workload does, each appending to its own file:
  OUT/status.jsonl   every 200 ms, VolumeDriver.Get of every single-node volume
                     from every instance: the holders it reports
  OUT/mounts.jsonl   every 50 ms, the kernel's mount table (we run in a private
                     mount namespace shared with the daemons): which node has which
                     volume bind-mounted, one line per change
  OUT/zk.jsonl       every 200 ms, ZooKeeper itself (zkread.py): the leases and
                     the holder of every single-node volume

--kill NODE@SECONDS (repeatable): at that time, wait until a write request is in
flight on NODE and SIGKILL the daemon (its pid from DIR/NODE/pid), so that it
dies mid-request; the event goes to OUT/faults.jsonl, and DIR/NODE/killed is
created for the test script, which restarts the daemon.
"""
import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zkread  # noqa: E402
from layout import path  # noqa: E402
from unixhttp import UnixHTTPConnection  # noqa: E402

WRITES = {"create", "remove", "mount", "unmount", "request_address", "release_address"}
ENDPOINT = {
    "create": "VolumeDriver.Create", "remove": "VolumeDriver.Remove",
    "mount": "VolumeDriver.Mount", "unmount": "VolumeDriver.Unmount",
    "get": "VolumeDriver.Get", "list": "VolumeDriver.List",
    "request_address": "IpamDriver.RequestAddress",
    "release_address": "IpamDriver.ReleaseAddress",
}


def call(sock_path, endpoint, body, timeout, on_sent=None):
    """POST body to endpoint; returns (result, reply dict or None, error text)."""
    conn = UnixHTTPConnection(sock_path, timeout)
    try:
        try:
            conn.connect()
        except OSError as e:
            return "notsent", None, "cannot connect: %s" % e.strerror
        try:
            conn.request("POST", "/" + endpoint, body=json.dumps(body),
                         headers={"Content-Type": "application/json"})
            if on_sent:
                on_sent()
            resp = conn.getresponse()
            data = resp.read()
        except (socket.timeout, TimeoutError):
            return "unknown", None, "no answer in %gs" % timeout
        except (OSError, http.client.HTTPException) as e:
            return "unknown", None, "connection dropped: %s" % (e.__class__.__name__,)
        try:
            reply = json.loads(data.decode() or "{}")
        except ValueError:
            reply = {"raw": data.decode(errors="replace")[:200]}
        if resp.status == 200:
            return "ok", reply, None
        return "fail", reply, str(reply.get("Err") or reply.get("Error") or reply)[:400]
    finally:
        conn.close()


class Recorder:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def write(self, rec):
        line = json.dumps(rec, sort_keys=True)
        with self.lock:
            self.f.write(line + "\n")

    def close(self):
        self.f.close()


# The errors that say ZooKeeper could not be reached (check_invariants.py judges by them too).
UNREACHABLE = re.compile(r"ZooKeeper is unreachable|cut off from ZooKeeper|may or may not have been applied")
# A write refused by what this node alone knows (its own mounts), with or without ZooKeeper:
# a right answer during an outage too (src/core/volumes.c, refuse_local_mounts).
LOCAL_REFUSAL = re.compile(r"is in use on this node \(\d+ mounts?\); stop the containers using it first")


class Client(threading.Thread):
    """One instance's workload loop."""

    def __init__(self, cfg, node, idx, history, inflight):
        super().__init__(daemon=True, name="client-" + node)
        self.cfg, self.node, self.hist = cfg, node, history
        self.rng = random.Random(cfg.seed * 1000 + idx)
        self.sock = os.path.join(cfg.dir, node, "s.sock")
        self.mounts = []   # [vol, id] possibly held here (acknowledged, unknown, ambiguous)
        self.addrs = []    # addresses acknowledged to this node and not released yet
        self.seq = 0
        self.inflight = inflight  # node -> (op, since) of a request sent, not answered
        # After a write refused as unreachable, the next request is a read (Get, then List,
        # in turn): reads during an outage do not depend on the dice (with 14% reads, an
        # 8 s outage passed without one about once in 20 runs, more on a loaded machine).
        self.read_next = False
        self.outage_reads = 0

    def do(self, op, body, **fields):
        self.seq += 1
        rec = {"op": op, "node": self.node, "seq": self.seq, **fields}
        rec["start"] = time.time()

        def sent():
            self.inflight[self.node] = (op, rec["start"])
        result, reply, err = call(self.sock, ENDPOINT[op], body, self.cfg.timeout, sent)
        self.inflight.pop(self.node, None)
        rec["end"] = time.time()
        rec["result"] = result
        if err:
            rec["err"] = err
            rec["ambiguous"] = "may or may not" in err
            if op not in ("get", "list") and UNREACHABLE.search(err):
                self.read_next = True
        if result == "ok":
            if op == "mount":
                rec["ret"] = reply.get("Mountpoint")
            elif op == "request_address":
                rec["ret"] = reply.get("Address")
                rec["addr"] = (reply.get("Address") or "").split("/")[0]
            elif op == "get":
                st = (reply.get("Volume") or {}).get("Status") or {}
                rec["ret"] = {"holders": st.get("holders"), "zookeeper": st.get("zookeeper"),
                              "stale": bool(st.get("stale")), "access": (st.get("options") or {}).get("access")}
            elif op == "list":
                rec["ret"] = sorted(v.get("Name") for v in reply.get("Volumes") or [])
        self.hist.write(rec)
        return rec

    def possibly_applied(self, rec):
        return rec["result"] in ("ok", "unknown") or rec.get("ambiguous")

    def step(self):
        cfg, rng = self.cfg, self.rng
        vol = rng.choice(cfg.vols)
        weights = {
            "create": 14, "remove": 5, "mount": 18, "get": 8, "list": 4,
            "unmount": 0 if not self.mounts else (30 if len(self.mounts) > 3 else 14),
            "request_address": 0 if len(self.addrs) > 12 else 18,
            "release_address": 0 if not self.addrs else (24 if len(self.addrs) > 8 else 10),
        }
        op = rng.choices(list(weights), list(weights.values()))[0]
        if self.read_next:
            op = ("get", "list")[self.outage_reads % 2]
            self.read_next = False
            self.outage_reads += 1
        if op == "create":
            self.do(op, {"Name": vol, "Opts": cfg.opts_of(vol)}, vol=vol)
        elif op == "remove":
            self.do(op, {"Name": vol}, vol=vol)
        elif op == "mount":
            mid = "%s-%s-%d" % (cfg.tag, self.node, self.seq + 1)
            rec = self.do(op, {"Name": vol, "ID": mid}, vol=vol, id=mid)
            if self.possibly_applied(rec):
                self.mounts.append([vol, mid])
        elif op == "unmount":
            i = rng.randrange(len(self.mounts))
            v, mid = self.mounts[i]
            rec = self.do(op, {"Name": v, "ID": mid}, vol=v, id=mid)
            if rec["result"] == "ok":
                self.mounts.pop(i)  # unknown or failed: try again later (harmless if done)
        elif op == "get":
            self.do(op, {"Name": vol}, vol=vol)
        elif op == "list":
            self.do(op, {})
        elif op == "request_address":
            rec = self.do(op, {"PoolID": cfg.pool, "Address": "", "Options": {}}, pool=cfg.pool)
            if rec["result"] == "ok" and rec.get("addr"):
                self.addrs.append(rec["addr"])
        elif op == "release_address":
            i = rng.randrange(len(self.addrs))
            a = self.addrs[i]
            rec = self.do(op, {"PoolID": cfg.pool, "Address": a}, pool=cfg.pool, addr=a)
            if rec["result"] == "ok":
                self.addrs.pop(i)

    def run(self):
        cfg = self.cfg
        t_end = cfg.t0 + cfg.seconds
        n = 0
        while n < cfg.ops and time.time() < t_end and not os.path.exists(cfg.stop_file):
            self.step()
            n += 1
            time.sleep(self.rng.uniform(0.6, 1.4) * cfg.pace)


class Sampler(threading.Thread):
    def __init__(self, name, period, fn, stop):
        super().__init__(daemon=True, name=name)
        self.period, self.fn, self.stop = period, fn, stop

    def run(self):
        while not self.stop.is_set():
            t = time.time()
            try:
                self.fn()
            except Exception as e:  # a sampler must not die: record and go on
                sys.stderr.write("sampler %s: %s\n" % (self.name, e))
            self.stop.wait(max(0.0, self.period - (time.time() - t)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True, help="the test's directory T (T/NODE/s.sock)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--nodes", required=True)
    ap.add_argument("--tag", required=True, help="scenario tag: volume names and mount IDs")
    ap.add_argument("--pool", required=True)
    ap.add_argument("--single", type=int, default=4, help="single-node volumes")
    ap.add_argument("--multi", type=int, default=2, help="multi-node volumes")
    ap.add_argument("--ops", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--pace", type=float, default=0.12, help="mean pause between requests (s)")
    ap.add_argument("--timeout", type=float, default=15)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stop-file", default="/nonexistent")
    ap.add_argument("--zk-hosts", default="")
    ap.add_argument("--zk-root", default="/zkswarm")
    ap.add_argument("--kill", action="append", default=[])
    cfg = ap.parse_args()
    cfg.nodes = cfg.nodes.split(",")
    single = ["%s-s%d" % (cfg.tag, i) for i in range(cfg.single)]
    multi = ["%s-m%d" % (cfg.tag, i) for i in range(cfg.multi)]
    cfg.vols = single + multi
    cfg.opts_of = lambda v: {"access": "multi-node" if v in multi else "single-node"}
    cfg.t0 = time.time()
    os.makedirs(cfg.out, exist_ok=True)
    with open(os.path.join(cfg.out, "workload.json"), "w") as f:
        json.dump({"t0": cfg.t0, "nodes": cfg.nodes, "single": single, "multi": multi,
                   "pool": cfg.pool, "tag": cfg.tag, "ops": cfg.ops, "seconds": cfg.seconds,
                   "seed": cfg.seed}, f)

    history = Recorder(os.path.join(cfg.out, "history.jsonl"))
    status = Recorder(os.path.join(cfg.out, "status.jsonl"))
    mounts = Recorder(os.path.join(cfg.out, "mounts.jsonl"))
    zkrec = Recorder(os.path.join(cfg.out, "zk.jsonl"))
    faults = Recorder(os.path.join(cfg.out, "faults.jsonl"))
    stop = threading.Event()
    inflight = {}

    def sample_status():
        for node in cfg.nodes:
            sock = os.path.join(cfg.dir, node, "s.sock")
            # List answers from the mirror; a Get of a volume the mirror lacks would ask
            # ZooKeeper (a second while it is unreachable), so only listed volumes are asked
            r, reply, err = call(sock, "VolumeDriver.List", {}, 1.0)
            if r != "ok":
                continue
            listed = {v.get("Name") for v in reply.get("Volumes") or []}
            for v in single:
                if v not in listed:
                    continue
                t = time.time()
                r, reply, err = call(sock, "VolumeDriver.Get", {"Name": v}, 1.0)
                if r != "ok":
                    continue
                st = (reply.get("Volume") or {}).get("Status") or {}
                status.write({"t": t, "node": node, "vol": v, "holders": st.get("holders") or [],
                              "zookeeper": st.get("zookeeper"), "stale": bool(st.get("stale"))})

    prefix = {node: os.path.join(cfg.dir, node, "mnt") + "/" for node in cfg.nodes}
    last_mounts = [None]

    def sample_mounts():
        t = time.time()
        seen = []
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mp = line.split()[4]
                for node, p in prefix.items():
                    if mp.startswith(p) and mp[len(p):] in cfg.vols:
                        seen.append([node, mp[len(p):]])
        seen.sort()
        if seen != last_mounts[0]:
            last_mounts[0] = seen
            mounts.write({"t": t, "mounted": seen})

    zk_state = {"zk": None, "next_try": 0.0}

    def sample_zk():
        if not cfg.zk_hosts:
            return
        t = time.time()
        if zk_state["zk"] is None:
            if t < zk_state["next_try"]:
                return
            try:
                zk_state["zk"] = zkread.ZkReader(cfg.zk_hosts.split(","), timeout=0.5).connect()
            except zkread.ZkError:
                zk_state["next_try"] = t + 0.5
                return
        zk = zk_state["zk"]
        try:
            def holder_of(v):
                try:
                    data, st = zk.get(path("/volumes/<name>/holder", cfg.zk_root, name=v))
                    return json.loads(data.decode() or "{}").get("node"), st["czxid"]
                except zkread.NoNode:
                    return None, 0
            for v in single:
                before = holder_of(v)
                try:  # one read: an atomic view of the leases
                    leases = sorted(zk.get_children(path("/volumes/<name>/leases", cfg.zk_root,
                                                         name=v)))
                except zkread.NoNode:
                    leases = []
                after = holder_of(v)
                # the holder is comparable with the leases only if it was the same znode
                # before and after they were read
                zkrec.write({"t": t, "vol": v, "leases": leases, "server": zk.server,
                             "holder": after[0] if before == after else "(changed)"})
        except (zkread.ZkError, OSError, ValueError, KeyError):
            zk.close(quiet=True)
            zk_state["zk"] = None

    def killer(node, at):
        time.sleep(max(0.0, cfg.t0 + at - time.time()))
        deadline = time.time() + 3.0
        while time.time() < deadline:  # a write in flight, if one comes within 3 s
            cur = inflight.get(node)
            if cur and cur[0] in WRITES and time.time() - cur[1] > 0.002:
                break
            time.sleep(0.0005)
        cur = inflight.get(node)
        with open(os.path.join(cfg.dir, node, "pid")) as f:
            pid = int(f.read().strip())
        t = time.time()
        os.kill(pid, signal.SIGKILL)
        faults.write({"t": t, "event": "SIGKILL", "node": node, "pid": pid,
                      "in_flight": cur[0] if cur else None})
        open(os.path.join(cfg.dir, node, "killed"), "w").close()

    stalls = Recorder(os.path.join(cfg.out, "stalls.jsonl"))

    def heartbeat():
        """The machine's own stalls: when this process could not run, or could not
        write to a file (as the daemons write their logs), for a while, every time
        measured across that stretch is longer by as much."""
        fd = os.open(os.path.join(cfg.out, "heartbeat"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            while not stop.is_set():
                t, m = time.time(), time.monotonic()
                time.sleep(0.01)
                os.write(fd, b"%.3f\n" % t)
                gap = time.monotonic() - m - 0.01
                if gap > 0.2:
                    stalls.write({"t": t, "seconds": round(gap, 3)})
        finally:
            os.close(fd)

    def pressure():
        out = {}
        for kind in ("cpu", "io"):
            try:
                with open("/proc/pressure/" + kind) as f:
                    some = f.readline().split()
                out[kind] = int([x for x in some if x.startswith("total=")][0][6:])
            except (OSError, IndexError, ValueError):
                pass
        return out
    psi0, t_psi = pressure(), time.time()

    samplers = [Sampler("status", 0.2, sample_status, stop), Sampler("mounts", 0.05, sample_mounts, stop),
                Sampler("zk", 0.2, sample_zk, stop)]
    hb = threading.Thread(target=heartbeat, daemon=True)
    hb.start()
    for s in samplers:
        s.start()
    clients = [Client(cfg, node, i, history, inflight) for i, node in enumerate(cfg.nodes)]
    for c in clients:
        c.start()
    killers = []
    for k in cfg.kill:
        node, at = k.split("@")
        kt = threading.Thread(target=killer, args=(node, float(at)), daemon=True)
        kt.start()
        killers.append(kt)
    for c in clients:
        c.join()
    for kt in killers:
        kt.join(timeout=5)
    stop.set()
    for s in samplers:
        s.join(timeout=5)
    if zk_state["zk"] is not None:
        zk_state["zk"].close(quiet=True)
    hb.join(timeout=2)
    psi1, elapsed = pressure(), time.time() - t_psi
    for r in (history, status, mounts, zkrec, faults, stalls):
        r.close()
    with open(os.path.join(cfg.out, "pressure.json"), "w") as f:
        # share of the time some task waited for a CPU / for I/O (/proc/pressure, "some")
        json.dump({k: round((psi1[k] - psi0[k]) / 1e4 / elapsed, 1) for k in psi1 if k in psi0}, f)
    with open(os.path.join(cfg.out, "held.json"), "w") as f:
        json.dump({c.node: {"mounts": c.mounts, "addrs": c.addrs} for c in clients}, f)


if __name__ == "__main__":
    main()
