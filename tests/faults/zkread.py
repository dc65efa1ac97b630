"""zkread.py - a minimal ZooKeeper client for the tests, reads and one transaction.

No Python ZooKeeper client is installed here and zkCli.sh starts a JVM per call
(seconds), too slow to sample while a fault lasts, and has no transactions.  This
speaks ZooKeeper's wire protocol (jute over TCP) for the three reads the fault
checker needs (get_children, get, exists) and multi, the one write the mirror
test needs (several changes that watchers see at once).  One connection,
synchronous, one request at a time; every call has a timeout.  A server without
quorum refuses the session, which shows as ZkError.

    with ZkReader(["127.0.0.1:2201", "127.0.0.1:2202"]) as zk:
        zk.get_children("/zkswarm/volumes")       -> [names]
        zk.get("/zkswarm/volumes/v/holder")        -> (bytes, stat dict)
        zk.exists("/x")                            -> stat dict or None
        zk.multi([("create", "/a", b"data"), ("delete", "/b")])

As a command (USAGE, below), for the tests' shell helpers:
    zkread.py 127.0.0.1:2181 --root /zkswarm-it kids /volumes
"""
import random
import socket
import struct

ZNONODE = -101
OP_CREATE, OP_DELETE, OP_EXISTS, OP_GETDATA, OP_SETDATA, OP_GETCHILDREN, OP_PING = 1, 2, 3, 4, 5, 8, 11
OP_MULTI, OP_CLOSE = 14, -11
PERM_ALL = 31
STAT = struct.Struct(">qqqqiiiqiiq")
STAT_FIELDS = ("czxid", "mzxid", "ctime", "mtime", "version", "cversion", "aversion",
               "ephemeralOwner", "dataLength", "numChildren", "pzxid")


class ZkError(Exception):
    pass


class NoNode(ZkError):
    pass


def _string(s):
    b = s.encode()
    return struct.pack(">i", len(b)) + b


class ZkReader:
    def __init__(self, hosts, timeout=2.0, session_ms=6000):
        self.hosts = list(hosts)
        self.timeout = timeout
        self.session_ms = session_ms
        self.sock = None
        self.xid = 0
        self.server = None

    # -- framing ------------------------------------------------------------------------------
    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ZkError("connection closed by %s" % self.server)
            buf += chunk
        return buf

    def _send_frame(self, payload):
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def _recv_frame(self):
        (n,) = struct.unpack(">i", self._recv_exact(4))
        if n < 0 or n > 16 << 20:
            raise ZkError("bad frame length %d" % n)
        return self._recv_exact(n)

    # -- session ------------------------------------------------------------------------------
    def connect(self):
        errors = []
        hosts = self.hosts[:]
        random.shuffle(hosts)
        for hp in hosts:
            host, port = hp.rsplit(":", 1)
            try:
                self.sock = socket.create_connection((host, int(port)), timeout=self.timeout)
                self.sock.settimeout(self.timeout)
                self.server = hp
                # ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly
                req = struct.pack(">iqiq", 0, 0, self.session_ms, 0) + struct.pack(">i", 16) + b"\0" * 16
                req += b"\0"
                self._send_frame(req)
                resp = self._recv_frame()
                _proto, timeout, session = struct.unpack(">iiq", resp[:16])
                if session == 0 or timeout <= 0:
                    raise ZkError("%s refused the session (no quorum?)" % hp)
                self.session = session
                return self
            except (OSError, ZkError, struct.error) as e:
                errors.append("%s: %s" % (hp, e))
                self.close(quiet=True)
        raise ZkError("no server answered: " + "; ".join(errors))

    def close(self, quiet=False):
        if self.sock is None:
            return
        try:
            if not quiet:
                self.xid += 1
                self._send_frame(struct.pack(">ii", self.xid, OP_CLOSE))
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        self.sock = None

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        self.close()

    # -- requests -----------------------------------------------------------------------------
    def _call(self, op, body, path):
        self.xid += 1
        xid = self.xid
        self._send_frame(struct.pack(">ii", xid, op) + body)
        while True:
            resp = self._recv_frame()
            rxid, _zxid, err = struct.unpack(">iqi", resp[:16])
            if rxid == -2 or rxid == -1:  # ping reply or a watch event: not ours
                continue
            if rxid != xid:
                raise ZkError("reply for xid %d, expected %d" % (rxid, xid))
            if err == ZNONODE:
                raise NoNode(path)
            if err != 0:
                raise ZkError("%s: error %d" % (path, err))
            return resp[16:]

    def get_children(self, path):
        r = self._call(OP_GETCHILDREN, _string(path) + b"\0", path)
        (count,) = struct.unpack(">i", r[:4])
        off, out = 4, []
        for _ in range(max(count, 0)):
            (n,) = struct.unpack(">i", r[off:off + 4])
            off += 4
            out.append(r[off:off + n].decode())
            off += n
        return out

    def get(self, path):
        r = self._call(OP_GETDATA, _string(path) + b"\0", path)
        (n,) = struct.unpack(">i", r[:4])
        data = r[4:4 + n] if n > 0 else b""
        off = 4 + max(n, 0)
        stat = dict(zip(STAT_FIELDS, STAT.unpack(r[off:off + STAT.size])))
        return data, stat

    def exists(self, path):
        try:
            r = self._call(OP_EXISTS, _string(path) + b"\0", path)
        except NoNode:
            return None
        return dict(zip(STAT_FIELDS, STAT.unpack(r[:STAT.size])))

    def multi(self, ops):
        """One transaction of ("create", path, data) (persistent, open ACL), ("set", path,
        data) (any version) and ("delete", path) steps: all applied or none (ZkError)."""
        body = b""
        for op in ops:
            if op[0] == "create":
                acl = struct.pack(">ii", 1, PERM_ALL) + _string("world") + _string("anyone")
                rec = _string(op[1]) + struct.pack(">i", len(op[2])) + op[2] + acl + struct.pack(">i", 0)
                body += struct.pack(">i?i", OP_CREATE, False, -1) + rec
            elif op[0] == "set":
                body += struct.pack(">i?i", OP_SETDATA, False, -1) + _string(op[1]) + \
                    struct.pack(">i", len(op[2])) + op[2] + struct.pack(">i", -1)
            elif op[0] == "delete":
                body += struct.pack(">i?i", OP_DELETE, False, -1) + _string(op[1]) + struct.pack(">i", -1)
            else:
                raise ValueError("unknown step %r" % (op[0],))
        r = self._call(OP_MULTI, body + struct.pack(">i?i", -1, True, -1), "multi")
        # The reply's header says 0 even when the transaction failed: each step's result
        # does (an error result carries the failing step's code, and -2 for the others).
        off, errs = 0, []
        while True:
            kind, done, _ = struct.unpack(">i?i", r[off:off + 9])
            off += 9
            if done:
                break
            if kind == -1:
                (err,) = struct.unpack(">i", r[off:off + 4])
                off += 4
                errs.append(err)
            elif kind == OP_CREATE:
                (n,) = struct.unpack(">i", r[off:off + 4])
                off += 4 + max(n, 0)
            elif kind == OP_SETDATA:
                off += STAT.size
        if errs:
            raise ZkError("multi: error %d" % next((e for e in errs if e not in (0, -2)), errs[0]))


USAGE = """usage: zkread.py HOSTS [--root ROOT] [--timeout S] CMD ARG
  ls PATH      its children, sorted, one per line
  kids PATH    its children, sorted, comma separated
  get PATH     its data
  stat PATH    "VERSION NUMCHILDREN DATA"
  multi JSON   one transaction of ["create", PATH, DATA] / ["set", PATH, DATA] /
               ["delete", PATH]
PATHs are under ROOT (default none).  Exit 1 when a node is missing, 2 on a usage error."""


def main(argv):
    """The command line the tests' shell helpers share (test_layout, test_snapshot,
    bench/sweep.sh)."""
    import json
    import sys
    args, root, timeout = list(argv), "", 10.0
    while len(args) > 1 and args[1] in ("--root", "--timeout"):
        if len(args) < 3:
            break
        if args[1] == "--root":
            root = args[2]
        else:
            timeout = float(args[2])
        del args[1:3]
    if len(args) != 3 or args[1] not in ("ls", "kids", "get", "stat", "multi"):
        print(USAGE, file=sys.stderr)
        return 2
    hosts, cmd, arg = args[0].split(","), args[1], args[2]
    try:
        with ZkReader(hosts, timeout=timeout) as zk:
            if cmd in ("ls", "kids"):
                kids = sorted(zk.get_children(root + arg))
                for line in kids if cmd == "ls" else [",".join(kids)]:
                    print(line)
            elif cmd == "get":
                sys.stdout.write(zk.get(root + arg)[0].decode(errors="replace"))
            elif cmd == "stat":
                data, st = zk.get(root + arg)
                print(st["version"], st["numChildren"], data.decode(errors="replace"))
            else:
                zk.multi([(o[0], root + o[1]) + ((o[2].encode(),) if o[0] != "delete" else ())
                          for o in json.loads(arg)])
    except NoNode as e:
        print("zkread: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
