#!/usr/bin/python3
"""Fixture server for the zkswarm dashboard: serves web/dashboard/ with the contract's headers,
a generated cluster document (seeded: N nodes, M volumes, networks, pools) at /api/v1/cluster
and an event stream at /api/v1/events, so the page can be developed and tested in a real
browser without the daemon. Test-only control endpoints (POST /_fixture/...) drive it.
Loopback only; stdlib only.

  fixture_server.py --port 8123 [--nodes 2 --volumes 4 --networks 2 --seed 1 --hostile]

Control (POST unless said):
  /_fixture/load?nodes=&volumes=&networks=&seed=&hostile=0|1&sparse=0|1
                                       a new document, `change` sent (sparse: every field
                                       that may be null or missing so)
  /_fixture/change?name=&node=n2       adds a volume held by node, `change` with two items
  /_fixture/stale?stale=1&zookeeper=connecting                  `state` sent, doc's self.stale
  /_fixture/drop-stream                closes every event stream now
  /_fixture/stall                      open streams get nothing more (no ping): a dead server
  /_fixture/refuse-streams?n=2         the next n stream requests answered 503 (too many)
  GET /_fixture/streams                {"open", "served", "refused"}: streams open / opened / refused
"""

import argparse
import hashlib
import json
import os
import queue
import random
import sys
import threading
import time
from datetime import datetime, timezone, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
ASSETS = {"/": ("index.html", "text/html; charset=utf-8"),
          "/app.js": ("app.js", "text/javascript; charset=utf-8"),
          "/app.css": ("app.css", "text/css; charset=utf-8"),
          "/favicon.svg": ("favicon.svg", "image/svg+xml")}
STREAM_MAX_S = 900          # an event stream ends after this long whatever happens
HOSTILE_VOLUME = '<img src=x onerror="window.__zksPwned=1">'
HOSTILE_ENDPOINT = '<script>window.__zksPwned=2</script>'
T0 = datetime(2026, 12, 5, 9, 0, 0, tzinfo=timezone.utc)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def now_iso():
    return iso(datetime.now(timezone.utc))


def gen_nodes(rnd, n):
    nodes = []
    for i in range(1, n + 1):
        nid = "n%d" % i
        state = "connected"
        if n > 2 and i > 1:
            x = rnd.random()
            state = ("cut off" if x < 0.08 else "expired" if x < 0.13
                     else "reaped" if x < 0.16 else "connected")
        heard = {"connected": rnd.randint(50, 2400), "cut off": rnd.randint(6000, 30000),
                 "expired": rnd.randint(30000, 90000), "reaped": rnd.randint(90000, 2000000)}[state]
        if state == "connected" and i == n and n > 2:
            heard = None  # registered, its beat not read yet: connected, never heard
        registered = state in ("connected", "cut off")  # the rest: no /nodes/<id> record
        nodes.append({"id": nid, "state": state, "last_heard_ms": heard,
                      "address": "198.18.0.%d" % i if registered else None,
                      "version": "0.1.0" if registered else None,
                      "started_at": iso(T0 + timedelta(seconds=i)) if registered else None,
                      "session": ("0x100000%010x" % i) if registered else None,
                      "holds": {"leases": 0, "mounts": 0, "endpoints": 0, "addresses": 0,
                                "members": 0}})
    nodes.sort(key=lambda x: x["id"])
    return nodes


def make_volume(name, holders, registered, access="single-node", options=None, created_by="n1"):
    hs = [{"node": h, "mounts": m, "exclusive": access == "single-node",
           "registered": h in registered} for h, m in holders]
    # As view_cluster.c makes it: options only where they differ from the defaults (access's
    # default is single-node).
    return {"name": name, "valid": True, "type": "dir", "access": access,
            "options": dict(options or {}, **({"access": access} if access == "multi-node" else {})),
            "created_at": iso(T0 + timedelta(minutes=5)), "created_by": created_by,
            "holders": hs, "stale": any(not h["registered"] for h in hs),
            "conflict": access == "single-node" and len(hs) > 1}


def make_config_volume(name, holders, registered, version):
    """A configuration volume: multi-node and read-only, its head's version ("config")."""
    v = make_volume(name, holders, registered, "multi-node", {"type": "config", "readonly": "true"})
    v["type"] = "config"
    for h in v["holders"]:
        h["exclusive"] = False
    v["config"] = {"version": version, "files": 2, "at": iso(T0 + timedelta(minutes=7)), "by": "n1"}
    return v


def gen_volumes(rnd, m, ids, registered, hostile):
    vols = []
    opt_choices = [{}, {}, {"size": "10G"}, {"backup": "daily"}, {"uid": "1000", "gid": "1000"},
                   {"mode": "0750"}]
    for i in range(1, m + 1):
        access = "single-node" if rnd.random() < 0.7 else "multi-node"
        k = rnd.choice([0, 0, 1, 1, 1, 2]) if access == "multi-node" else rnd.choice([0, 1, 1])
        if rnd.random() < 0.005:
            k = 2  # the odd conflict
        holders = [(h, rnd.randint(1, 3)) for h in sorted(rnd.sample(ids, min(k, len(ids))))]
        vols.append(make_volume("vol-%05d" % i, holders, registered, access,
                                rnd.choice(opt_choices), rnd.choice(ids)))
    if m >= 3:
        vols.append(make_config_volume("cfg-app", [(ids[0], 1)], registered, 3))
    if hostile:
        vols.append(make_volume(HOSTILE_VOLUME, [(ids[-1], 1)], registered))
    vols.sort(key=lambda v: v["name"])
    return vols


def gen_networks(rnd, k, ids, hostile):
    nets, pools = [], []
    for i in range(1, k + 1):
        subnet = "198.19.%d.0/24" % i
        members = sorted(rnd.sample(ids, min(len(ids), max(1, rnd.randint(2, 6)))))
        eps = []
        for j, node in enumerate(members):
            for e in range(rnd.randint(1, 3)):
                name = "net%d.web.%d" % (i, e + 1) if rnd.random() < 0.8 else None
                if hostile and i == 1 and j == 0 and e == 0:
                    name = HOSTILE_ENDPOINT
                eps.append({"id": hashlib.sha256(b"%d-%s-%d" % (i, node.encode(), e)).hexdigest()[:64],
                            "node": node, "address": "198.19.%d.%d/24" % (i, len(eps) + 2),
                            "name": name})
        name = "net-%d" % i
        key = hashlib.sha256(name.encode()).hexdigest()[:25]
        # As view_cluster.c makes them: no driver (every one is zkswarm's), the name null when
        # neither the record nor an endpoint's name record says it; pools list network keys.
        nets.append({"key": key, "valid": True, "subnet": subnet, "gateway": "198.19.%d.1/24" % i,
                     "vni": 4096 + i, "mtu": 1450, "members": members,
                     "name": name if i < 3 or i % 4 else None, "endpoints": eps})
        pools.append({"subnet": subnet, "size": 254, "used": len(eps) + 1 + rnd.randint(0, 200 if i % 3 == 0 else 20),
                      "networks": [key]})
    nets.sort(key=lambda x: x["key"])
    pools.sort(key=lambda x: x["subnet"])
    return nets, pools


def tally(doc):
    by = {n["id"]: n for n in doc["nodes"]}
    for n in doc["nodes"]:
        n["holds"] = {"leases": 0, "mounts": 0, "endpoints": 0, "addresses": 0, "members": 0}
    for v in doc["volumes"]:
        for h in v["holders"]:
            if h["node"] in by:
                by[h["node"]]["holds"]["leases"] += 1
                by[h["node"]]["holds"]["mounts"] += h["mounts"]
    eps = 0
    for net in doc["networks"]:
        for m in net["members"]:
            if m in by:
                by[m]["holds"]["members"] += 1
        for e in net["endpoints"]:
            eps += 1
            if e["node"] in by:
                by[e["node"]]["holds"]["endpoints"] += 1
                by[e["node"]]["holds"]["addresses"] += 1
    doc["counts"] = {"nodes": len(doc["nodes"]), "volumes": len(doc["volumes"]),
                     "leases": sum(len(v["holders"]) for v in doc["volumes"]),
                     "networks": len(doc["networks"]), "endpoints": eps,
                     "pools": len(doc["pools"]), "addresses": eps, "vnis": len(doc["networks"])}


def sparsen(doc):
    """Every field the contract lets be null, empty or missing, as a young daemon may send."""
    doc["ensemble"] = []  # before the first srvr answered
    zk = doc["self"]["zookeeper"]
    zk.update({"latency_ms": None, "session": None, "state": "connecting", "synced": False,
               "mirror_nodes": 0})
    doc["self"]["stale"] = True
    for n in doc["nodes"]:
        n.update({"last_heard_ms": None, "session": None, "version": None, "address": None,
                  "started_at": None})
    for v in doc["volumes"]:
        v.update({"options": {}, "created_at": None, "created_by": None, "access": None,
                  "valid": False})
        if "config" in v:
            v["config"] = None
    for net in doc["networks"]:
        for e in net["endpoints"]:
            e.update({"name": None, "node": None, "address": None})
        net.update({"gateway": None, "name": None, "vni": None, "mtu": None, "subnet": None,
                    "valid": False})
    for p in doc["pools"]:
        p["size"] = None  # a pool whose record's name is not a subnet
    return doc


def generate(nodes, volumes, networks, seed, hostile):
    rnd = random.Random(seed)
    ns = gen_nodes(rnd, nodes)
    ids = [n["id"] for n in ns]
    registered = {n["id"] for n in ns if n["state"] in ("connected", "cut off")}
    nets, pools = gen_networks(rnd, networks, ids, hostile)
    doc = {"seq": 0, "generated_at": now_iso(),
           "self": {"node": "n1", "version": "0.1.0",
                    "zookeeper": {"hosts": "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183",
                                  "root": "/zkswarm", "state": "connected",
                                  "session": "0x1000000000001", "timeout_ms": 10000,
                                  "last_contact_ms": 120, "latency_ms": 0.8, "synced": True,
                                  "mirror_nodes": 40 + 3 * volumes + 5 * nodes,
                                  "mirror_changed_ms": 350},
                    "stale": False},
           "ensemble": [{"server": "127.0.0.1:%d" % (2181 + i), "mode": "leader" if i == 1 else "follower",
                         "zxid": "0x1000000a%d" % i, "connections": 2 + i,
                         "latency_ms": {"min": 0, "avg": 0.3 + i / 10, "max": 5 + i}, "error": None}
                        for i in range(3)],
           "nodes": ns, "volumes": gen_volumes(rnd, volumes, ids, registered, hostile),
           "networks": nets, "pools": pools}
    tally(doc)
    return doc


class Fixture:
    """The document, the feed and the open streams, under one lock."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.ping_s = args.ping_ms / 1000.0
        self.streams = []       # [{"q": Queue, "stalled": bool}]
        self.served = 0
        self.refuse = 0         # answer this many more stream requests 503
        self.refused = 0
        self.feed = []          # newest first, at most 200
        self.next_id = 1
        self.added = 0
        self.seq = 0
        self.doc = None
        self.load(args.nodes, args.volumes, args.networks, args.seed, args.hostile)
        with self.lock:
            self.item("node.joined", "n1", "n1", "n1 joined")
            self.item("node.joined", "n2", "n2", "n2 joined")
            # As feed.c says it when the endpoint's name record came after the endpoint (a
            # container is named once it runs): the id's first 12 digits; the page shows the
            # name the document has by now.
            for net in self.doc["networks"][:1]:
                named = [e for e in net["endpoints"] if e["name"]]
                if named:
                    e = named[0]
                    self.item("endpoint.joined", e["id"][:12], e["node"], "%s joined %s on %s (%s)" % (
                        e["id"][:12], net["name"] or net["key"][:12], e["node"], e["address"]))
            if args.hostile:
                self.item("volume.created", HOSTILE_VOLUME, "n1", "%s created by n1" % HOSTILE_VOLUME)

    def load(self, nodes, volumes, networks, seed, hostile, sparse=False):
        doc = generate(nodes, volumes, networks, seed, hostile)
        if sparse:
            sparsen(doc)
        with self.lock:
            self.seq += 1
            doc["seq"] = self.seq
            self.doc = doc
            self.body = json.dumps(doc).encode()

    def item(self, kind, subject, node, text):
        it = {"id": self.next_id, "at": now_iso(), "kind": kind, "subject": subject,
              "node": node, "text": text}
        self.next_id += 1
        self.feed.insert(0, it)
        del self.feed[200:]
        return it

    def bump(self):
        self.seq += 1
        self.doc["seq"] = self.seq
        self.doc["generated_at"] = now_iso()
        if all("holds" in n for n in self.doc["nodes"]):
            tally(self.doc)
        self.body = json.dumps(self.doc).encode()

    def broadcast(self, msg):
        for s in self.streams:
            s["q"].put(msg)

    def change_event(self, items):
        last = items[0]["id"] if items else (self.feed[0]["id"] if self.feed else 0)
        return "id: %d\nevent: change\ndata: %s\n\n" % (last, json.dumps({"seq": self.seq, "items": items}))

    def add_volume(self, name, node):
        with self.lock:
            self.added += 1
            name = name or "added-%d" % self.added
            registered = {n["id"] for n in self.doc["nodes"] if n["state"] in ("connected", "cut off")}
            self.doc["volumes"].append(make_volume(name, [(node, 1)], registered))
            self.doc["volumes"].sort(key=lambda v: v["name"])
            self.bump()
            items = [self.item("volume.created", name, "n1", "%s created by n1" % name),
                     self.item("volume.mounted", name, node, "%s mounted on %s (1 mount)" % (name, node))]
            items.sort(key=lambda i: -i["id"])
            self.broadcast(self.change_event(items))
            return {"seq": self.seq, "name": name}

    def reload(self, q):
        g = lambda k, d: int(q.get(k, [d])[0])
        self.load(g("nodes", 2), g("volumes", 4), g("networks", 2), g("seed", 1), g("hostile", 0) == 1,
                  g("sparse", 0) == 1)
        with self.lock:
            self.broadcast(self.change_event([]))
            return {"seq": self.seq}

    def set_stale(self, stale, zk):
        with self.lock:
            self.doc["self"]["stale"] = stale
            self.doc["self"]["zookeeper"]["state"] = zk
            self.doc["self"]["zookeeper"]["synced"] = not stale
            self.bump()
            self.broadcast("event: state\ndata: %s\n\n" % json.dumps({"stale": stale, "zookeeper": zk}))
            return {"seq": self.seq}

    def drop(self):
        with self.lock:
            n = len(self.streams)
            self.broadcast(None)
            return {"dropped": n}

    def stall(self):
        with self.lock:
            for s in self.streams:
                s["stalled"] = True
            return {"stalled": len(self.streams)}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"   # the body ends when the connection closes: simple streams
    server_version = "zks-fixture"
    sys_version = ""

    def log_message(self, fmt, *a):
        if self.server.verbose:
            sys.stderr.write("fixture: " + fmt % a + "\n")

    def common(self, code, ctype, length=None, extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", CSP)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def json(self, code, obj, extra=None):
        body = json.dumps(obj).encode()
        self.common(code, "application/json", len(body), dict({"Cache-Control": "no-store"}, **(extra or {})))
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urlsplit(self.path)
        if len(self.path) > 2048:
            return self.json(414, {"error": "URL too long"})
        if url.path in ASSETS:
            return self.asset(*ASSETS[url.path])
        if url.path == "/api/v1/cluster":
            with self.server.fx.lock:
                body = self.server.fx.body
            self.common(200, "application/json", len(body), {"Cache-Control": "no-store"})
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        if url.path == "/api/v1/events":
            return self.events()
        if url.path == "/_fixture/streams":
            fx = self.server.fx
            with fx.lock:
                return self.json(200, {"open": len(fx.streams), "served": fx.served,
                                       "refused": fx.refused, "seq": fx.seq})
        self.json(404, {"error": "not found"})

    def do_POST(self):
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        fx = self.server.fx
        one = lambda k, d: q.get(k, [d])[0]
        if url.path == "/_fixture/change":
            return self.json(200, fx.add_volume(one("name", ""), one("node", "n2")))
        if url.path == "/_fixture/load":
            return self.json(200, fx.reload(q))
        if url.path == "/_fixture/stale":
            return self.json(200, fx.set_stale(one("stale", "1") == "1", one("zookeeper", "connecting")))
        if url.path == "/_fixture/drop-stream":
            return self.json(200, fx.drop())
        if url.path == "/_fixture/stall":
            return self.json(200, fx.stall())
        if url.path == "/_fixture/refuse-streams":
            with fx.lock:
                fx.refuse = int(one("n", "1"))
                return self.json(200, {"refuse": fx.refuse})
        self.json(405, {"error": "method not allowed"}, {"Allow": "GET, HEAD"})

    def asset(self, name, ctype):
        with open(os.path.join(self.server.root, name), "rb") as f:
            body = f.read()
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
        extra = {"ETag": etag, "Cache-Control": "no-cache"}
        if self.headers.get("If-None-Match") == etag:
            return self.common(304, ctype, None, extra)
        self.common(200, ctype, len(body), extra)
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_chunk(self, text):
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def events(self):
        fx = self.server.fx
        me = {"q": queue.Queue(), "stalled": False}
        with fx.lock:
            if fx.refuse > 0:
                fx.refuse -= 1
                fx.refused += 1
                return self.json(503, {"error": "too many event streams"})
            fx.streams.append(me)
            fx.served += 1
            hello = {"seq": fx.seq, "stale": fx.doc["self"]["stale"], "feed": fx.feed[:100]}
        # HTTP/1.1 chunked, as libmicrohttpd sends a body of unknown length: a dropped stream
        # ends with the last chunk, cleanly (a close-delimited body reads as aborted in Chromium)
        self.protocol_version = "HTTP/1.1"
        self.close_connection = True
        send = self.send_chunk
        try:
            self.common(200, "text/event-stream", None, {"Cache-Control": "no-store",
                                                         "Transfer-Encoding": "chunked",
                                                         "Connection": "close"})
            send("retry: 1000\nevent: hello\ndata: %s\n\n" % json.dumps(hello))
            end = time.monotonic() + STREAM_MAX_S
            while time.monotonic() < end and not self.server.stopping.is_set():
                try:
                    msg = me["q"].get(timeout=fx.ping_s)
                except queue.Empty:
                    msg = ": ping\n\n"
                if msg is None:
                    break
                if me["stalled"]:
                    continue
                send(msg)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with fx.lock:
                fx.streams.remove(me)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--volumes", type=int, default=4)
    ap.add_argument("--networks", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hostile", action="store_true", help="names that are markup")
    ap.add_argument("--ping-ms", type=int, default=5000)
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "..", "..", "web", "dashboard"))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if not args.host.startswith("127.") and args.host != "::1":
        ap.error("loopback only")
    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    srv.daemon_threads = True
    srv.fx = Fixture(args)
    srv.root = args.root
    srv.verbose = args.verbose
    srv.stopping = threading.Event()
    print("fixture: listening on http://%s:%d/" % (args.host, args.port), flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stopping.set()
        srv.fx.drop()
        srv.server_close()


if __name__ == "__main__":
    main()
