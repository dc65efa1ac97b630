#!/usr/bin/python3
"""names-watch.py - read and watch zkswarm's name registry from outside Docker.

An example of a ZooKeeper client of the registry (docs/DESIGN.md, "Names"),
with Debian's python3-kazoo; the tests use it too (tests/swarm/test_names.sh).

Usage:
  names-watch.py --zk HOSTS [--root /zkswarm] [--auth user:password] list
      every name, one JSON object a line, then exit
  names-watch.py --zk HOSTS [--root /zkswarm] [--auth user:password] follow [--seconds S]
      the current names, then one line per change ({"event": "added"|"changed"|
      "removed", ...the record}) as it happens, for S seconds (default 60)

Each record is /ROOT/names/<network key>/<endpoint id>, ephemeral (it goes
with its node's ZooKeeper session), JSON: name, aliases, hostname, container,
endpoint, network, network_name, address, node, service, service_id, task,
ports [{port, proto}], updated_at.  With ZK_AUTH_FILE the records are
readable only with the same digest credentials (--auth).
"""
import argparse
import json
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError


def read(zk, path):
    try:
        data, _ = zk.get(path)
        rec = json.loads(data.decode())
        return rec if isinstance(rec, dict) else None
    except (NoNodeError, ValueError, UnicodeDecodeError):
        return None


def emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def snapshot(zk, root):
    """{path: record} of every readable name."""
    out = {}
    try:
        keys = zk.get_children(root + "/names")
    except NoNodeError:
        return out
    for key in keys:
        try:
            eps = zk.get_children(f"{root}/names/{key}")
        except NoNodeError:
            continue
        for ep in eps:
            path = f"{root}/names/{key}/{ep}"
            rec = read(zk, path)
            if rec is not None:
                out[path] = dict(rec, key=key)
    return out


def follow(zk, root, seconds):
    """Watches: the set of networks, each network's children, each record's data.

    ZooKeeper's watches fire once; kazoo's ChildrenWatch and DataWatch re-arm
    them.  Changes are diffed against what was last seen."""
    seen = {}
    lock = threading.Lock()
    watched_keys, watched_paths = set(), set()

    def on_data(path, key):
        def fn(data, stat):
            rec = None
            if data is not None:
                try:
                    rec = json.loads(data.decode())
                except (ValueError, UnicodeDecodeError):
                    rec = None
            with lock:
                old = seen.get(path)
                if rec is None or not isinstance(rec, dict):
                    if old is not None:
                        del seen[path]
                        emit(dict(old, event="removed"))
                    watched_paths.discard(path)
                    return False  # the node is gone: stop watching it
                rec = dict(rec, key=key)
                if old != rec:
                    seen[path] = rec
                    emit(dict(rec, event="added" if old is None else "changed"))
            return True
        return fn

    def on_endpoints(key):
        def fn(children):
            for ep in children:
                path = f"{root}/names/{key}/{ep}"
                with lock:
                    new = path not in watched_paths
                    watched_paths.add(path)
                if new:
                    zk.DataWatch(path)(on_data(path, key))
            return True
        return fn

    def on_keys(keys):
        for key in keys:
            with lock:
                new = key not in watched_keys
                watched_keys.add(key)
            if new:
                zk.ChildrenWatch(f"{root}/names/{key}")(on_endpoints(key))
        return True

    zk.ChildrenWatch(root + "/names")(on_keys)
    time.sleep(seconds)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--zk", required=True, help="ZooKeeper hosts, host:port,...")
    ap.add_argument("--root", default="/zkswarm", help="zkswarm's ZK_ROOT")
    ap.add_argument("--auth", help="user:password (ZK_AUTH_FILE's)")
    ap.add_argument("command", choices=["list", "follow"])
    ap.add_argument("--seconds", type=float, default=60)
    a = ap.parse_args()
    auth = [("digest", a.auth)] if a.auth else None
    zk = KazooClient(hosts=a.zk, auth_data=auth, timeout=10, read_only=True)
    zk.start(timeout=15)
    try:
        if a.command == "list":
            for _, rec in sorted(snapshot(zk, a.root).items()):
                emit(rec)
        else:
            follow(zk, a.root, a.seconds)
    finally:
        zk.stop()
        zk.close()


if __name__ == "__main__":
    main()
