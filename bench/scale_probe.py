#!/usr/bin/python3
"""scale_probe.py - bench/scale.sh's measuring hand: change propagation over many
standalone zkswarmd instances, and when each instance's mirror is synced again.

  scale_probe.py propagate --rounds R --timeout-s S [--warmup W] [--poll-ms P] [--trace F]
                           [--logs-beside] SOCKET...
      W rounds (1, polled) not counted, then R rounds: a volume create on the first SOCKET
      (VolumeDriver.Create), timed until every other SOCKET's List shows it (List answers
      from the mirror only: a Get of a name the mirror lacks asks ZooKeeper); then a lease
      (VolumeDriver.Mount on the first), timed until every other's Get shows the first node
      among the holders (the holders come from the mirror once it is synced); then Unmount
      and Remove.  Prints one JSON object: {"volume_ms": [...], "lease_ms": [...],
      "missing": n, "sweep_ms": mean time of one ask (until its answer), "create_ms": [...],
      "mount_ms": [...] (the writes' own times on the first node), "log_volume_ms": [...],
      "log_lease_ms": [...], "log_missing": n}.
      Each pending node is asked on its own keep-alive connection, all at once, and asked
      again when its answer says not yet, at most every P ms (10); each is stamped when its
      own answer shows the change, so it is seen at most an ask late.  (Until 2026-12-07
      the nodes were asked one after another through http.client: a sweep over 49 sockets
      took 30-50 ms, competing with the mirrors it timed, and a node was seen up to a
      sweep late.)  The warm-up round is there because the ensemble's first fan-out of a
      run answered the mirrors' reads several times slower than later ones.  With
      --logs-beside (each node at LOG_LEVEL=debug, its log the file `log` beside its
      socket), every other round polls nothing: each other node's time is the stamp of its
      own "mirror: ... new nodes" line that names the volume (or the lease), minus the
      write's start (one clock).  --trace F appends each write's per-node times to F
      ({"path", "polled", "counted", "ms": [...]}, one line per write): whether a tail is
      one round's or one node's.
  scale_probe.py changes --rounds R --pause-ms P [--kind K --prefix X] SOCKET
      R rounds of Create, Mount, Unmount and Remove of a volume on SOCKET, P ms after each,
      nobody polling (the caller measures what following them costs the others).  Prints
      {"changes": 4R, "ms": elapsed}.  With --kind (Create, Mount, Unmount or Remove), R
      changes of that kind only, to the volumes X-0 .. X-(R-1): called once per kind in
      that order, they make, mount, unmount and remove them ({"changes": R, ...}).
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
import selectors
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from unixhttp import UnixHTTPConnection, post  # noqa: E402


class Node:
    def __init__(self, path):
        self.path = path
        self.conn = UnixHTTPConnection(path)

    def post(self, endpoint, body):
        """unixhttp.post on this node's connection, tried once more on a new connection."""
        for attempt in range(2):
            try:
                return post(self.conn, endpoint, body)
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = UnixHTTPConnection(self.path)
                if attempt:
                    raise
        return 0, {}


def must(node, endpoint, body):
    st, reply = node.post(endpoint, body)
    if st != 200 or reply.get("Err"):
        sys.exit("scale_probe: %s %s on %s: %s %s" % (endpoint, body, node.path, st, reply))
    return reply


class Asker:
    """One node asked without waiting for it: a keep-alive connection to its socket on which
    a whole request is sent at once and its answer gathered as it comes (the poll's hand;
    through http.client, one node after another, a sweep over 49 took 30-50 ms)."""

    def __init__(self, path):
        self.path = path
        self.sock = None
        self.buf = b""

    def send(self, request):
        if self.sock is None:
            conn = UnixHTTPConnection(self.path, timeout=5.0)
            conn.connect()  # unixhttp's: a failed connect leaves no socket behind
            self.sock = conn.sock
        self.buf = b""
        self.sock.sendall(request)

    def feed(self):
        """Read what arrived; the answer's body once it is whole, else None."""
        data = self.sock.recv(65536)
        if not data:
            self.close()
            raise ConnectionError("%s closed the connection" % self.path)
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        length = 0
        for line in self.buf[:end].split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == b"content-length":
                length = int(value)
        if len(self.buf) < end + 4 + length:
            return None
        return self.buf[end + 4:end + 4 + length]

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def request(endpoint, body):
    data = json.dumps(body).encode()
    return (b"POST /%s HTTP/1.1\r\nHost: zkswarm\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (endpoint.encode(), len(data))) + data


def listed(name):
    """(request, pred on the answer's body): a List that shows NAME."""
    def pred(body):
        return any(v.get("Name") == name for v in json.loads(body).get("Volumes") or [])
    return request("VolumeDriver.List", {}), pred


def holds(name, holder):
    """(request, pred on the answer's body): a Get whose holders show HOLDER."""
    def pred(body):
        status = (json.loads(body).get("Volume") or {}).get("Status") or {}
        return holder in json.dumps(status.get("holders") or status.get("Holders") or status)
    return request("VolumeDriver.Get", {"Name": name}), pred


def wait_all(askers, asked, t0, timeout_s, period_s, asks):
    """Ask each pending node, each on its own: again as soon as its answer says not yet, but
    at most every PERIOD_S, until its answer shows the change; its ms since t0 is when that
    answer came (None: never).  A node waits for no other node's answer.  ASKS gets the
    time of each answered ask (ms)."""
    req, pred = asked
    done = [None] * len(askers)
    sent = [None] * len(askers)  # when the ask in flight went, None: none in flight
    due = [t0] * len(askers)  # when the next ask may go
    deadline = t0 + timeout_s
    sel = selectors.DefaultSelector()
    while any(d is None for d in done) and time.monotonic() < deadline:
        now = time.monotonic()
        for i, a in enumerate(askers):
            if done[i] is None and sent[i] is None and due[i] <= now:
                a.send(req)
                sent[i] = now
                sel.register(a.sock, selectors.EVENT_READ, i)
        waits = [due[i] for i in range(len(askers)) if done[i] is None and sent[i] is None]
        timeout = min(waits + [deadline]) - time.monotonic()
        for key, _ in sel.select(timeout=max(0.0, timeout)):
            i = key.data
            body = askers[i].feed()
            if body is None:
                continue
            sel.unregister(key.fileobj)
            now = time.monotonic()
            asks.append((now - sent[i]) * 1000.0)
            if pred(body):
                done[i] = (now - t0) * 1000.0
            due[i], sent[i] = sent[i] + period_s, None
    for key in list(sel.get_map().values()):  # only past the deadline
        sel.unregister(key.fileobj)
        askers[key.data].close()
    sel.close()
    return done


class LogTail:
    """A node's log, read on from where the last look stopped."""

    def __init__(self, path):
        self.f = open(path, "r", errors="replace")
        self.f.seek(0, 2)
        self.part = ""

    def lines(self):
        text = self.part + self.f.read()
        lines = text.split("\n")
        self.part = lines.pop()
        return lines


def names_it(paths, path):
    """A read of new nodes named path or one above it (read whole, path with it: a volume's
    first lease is read with its new `leases`)."""
    return any(path == p or path.startswith(p + "/") for p in paths)


def wait_logged(tails, suffix, t0_wall_ms, timeout_s):
    """Each log's "mirror: N new nodes under ...: PATHS" line naming suffix (zk.c read_tree, at
    LOG_LEVEL=debug): its stamp minus t0_wall_ms (None: not in time).  Looked at every 20 ms:
    the time is the daemon's own stamp, so how late this looks does not count."""
    done = [None] * len(tails)
    deadline = time.monotonic() + timeout_s
    while any(d is None for d in done) and time.monotonic() < deadline:
        for i, t in enumerate(tails):
            for line in t.lines():
                if done[i] is None and "new nodes under" in line and \
                        names_it(line.rsplit(": ", 1)[-1].replace(" and more", "").split(" "), suffix):
                    stamp = log_ms(line)
                    done[i] = None if stamp is None else stamp - t0_wall_ms
        if any(d is None for d in done):
            time.sleep(0.02)
    return done


def propagate(args):
    first = Node(args.sockets[0])
    askers = [Asker(p) for p in args.sockets[1:]]
    tails = [LogTail(os.path.join(os.path.dirname(p), "log")) for p in args.sockets[1:]] \
        if args.logs_beside else None
    me = args.node_id
    def tally():
        return {"volume_ms": [], "lease_ms": [], "missing": 0, "log_volume_ms": [],
                "log_lease_ms": [], "log_missing": 0, "create_ms": [], "mount_ms": []}

    out = tally()
    sweeps = []
    # Each connection made and answered once before the first write: its set-up (a socket,
    # a connection thread in the daemon) is the probe's, not the change's propagation.
    wait_all(askers, (request("VolumeDriver.Capabilities", {}), lambda body: True),
             time.monotonic(), args.timeout_s, 0, [])

    def seen(into, polled, t0, wall_ms, path, asked, key):
        """The others' times for one write begun at T0 (monotonic) and WALL_MS (wall clock),
        added to INTO: polled on their sockets, or (every other round with --logs-beside,
        nothing polled) read from their logs."""
        if polled:
            got = wait_all(askers, asked, t0, args.timeout_s, args.poll_ms / 1000.0, sweeps)
            into[key + "_ms"] += [g for g in got if g is not None]
            into["missing"] += sum(g is None for g in got)
        else:
            got = wait_logged(tails, path, wall_ms, args.timeout_s)
            into["log_" + key + "_ms"] += [g for g in got if g is not None]
            into["log_missing"] += sum(g is None for g in got)
        if args.trace:
            with open(args.trace, "a") as f:
                f.write(json.dumps({"path": path, "polled": polled, "counted": into is out,
                                    "ms": [g if g is None else round(g, 1) for g in got]}) + "\n")

    # Rounds below 0 warm up, polled and not counted: the ensemble's first fan-out of a run
    # answered the mirrors' reads in about 70 ms where later ones took under 10 (its JIT).
    for r in range(-args.warmup, args.rounds):
        into = out if r >= 0 else tally()
        polled = tails is None or r < 0 or r % 2 == 0
        name = "%s-%s-%d" % (args.prefix, r if r >= 0 else "w%d" % -r,
                             int(time.time() * 1000) % 100000)
        for t in tails or []:
            t.lines()  # skip what came before this round
        t0, wall = time.monotonic(), time.time() * 1000.0
        must(first, "VolumeDriver.Create", {"Name": name})
        into["create_ms"].append((time.monotonic() - t0) * 1000.0)
        seen(into, polled, t0, wall, "/volumes/" + name, listed(name), "volume")
        mount_id = "probe-%d" % (r + args.warmup)
        t0, wall = time.monotonic(), time.time() * 1000.0
        must(first, "VolumeDriver.Mount", {"Name": name, "ID": mount_id})
        into["mount_ms"].append((time.monotonic() - t0) * 1000.0)
        seen(into, polled, t0, wall, "/volumes/%s/leases/%s" % (name, me), holds(name, me),
             "lease")
        must(first, "VolumeDriver.Unmount", {"Name": name, "ID": mount_id})
        must(first, "VolumeDriver.Remove", {"Name": name})
        time.sleep(args.pause_ms / 1000.0)
    out["sweep_ms"] = sum(sweeps) / len(sweeps) if sweeps else 0
    print(json.dumps(out))


KINDS = {
    "Create": lambda name, r: {"Name": name},
    "Mount": lambda name, r: {"Name": name, "ID": "c-%d" % r},
    "Unmount": lambda name, r: {"Name": name, "ID": "c-%d" % r},
    "Remove": lambda name, r: {"Name": name},
}


def changes(args):
    """Isolated volume changes on one node, nobody polling: what following them costs."""
    node = Node(args.sockets[0])
    kinds = [args.kind] if args.kind else list(KINDS)
    t0 = time.monotonic()
    for r in range(args.rounds):
        # with --kind, each call takes the volumes one step further: the same names
        name = "%s-%d" % (args.prefix, r)
        if not args.kind:
            name += "-%d" % (int(time.time() * 1000) % 100000)
        for kind in kinds:
            must(node, "VolumeDriver." + kind, KINDS[kind](name, r))
            time.sleep(args.pause_ms / 1000.0)
    print(json.dumps({"changes": len(kinds) * args.rounds, "ms": (time.monotonic() - t0) * 1000.0}))


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
    p.add_argument("--trace", default=None,
                   help="append each write's per-node times to this file, one JSON line each")
    p.add_argument("--warmup", type=int, default=1,
                   help="rounds done first, polled and not counted")
    p.add_argument("--poll-ms", type=float, default=10,
                   help="a polled round asks the pending nodes at most this often")
    p.add_argument("--logs-beside", action="store_true",
                   help="each node's log is the file log beside its socket (LOG_LEVEL=debug): "
                        "every other round is timed by the others' own log lines, not polled")
    p.add_argument("sockets", nargs="+")
    ch = sub.add_parser("changes")
    ch.add_argument("--rounds", type=int, default=20)
    ch.add_argument("--pause-ms", type=float, default=300)
    ch.add_argument("--prefix", default="chg")
    ch.add_argument("--kind", choices=list(KINDS), default=None,
                    help="only this change, to volumes PREFIX-0..R-1 (Create, then Mount, ...)")
    ch.add_argument("sockets", nargs=1)
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
    {"propagate": propagate, "changes": changes, "synced": synced, "count": count}[args.cmd](args)


if __name__ == "__main__":
    main()
