#!/usr/bin/python3
"""dns_tool.py - the outside clients of tests/integration/test_dns.sh.

Records, written with kazoo (python3-kazoo) the way the network service and the naming
service write them (docs/DESIGN.md, "Names"); persistent here, where the naming service's
are ephemeral, since each command is its own ZooKeeper session:
  dns_tool.py ZK ROOT network KEY SUBNET
  dns_tool.py ZK ROOT name KEY ID NAME ADDR [JSON members]   endpoint record and name record
  dns_tool.py ZK ROOT service KEY NAME COUNT FIRST_IP          COUNT tasks of a service
  dns_tool.py ZK ROOT rm-and-wait PATH NAME PORT...            delete PATH, then time how long
                                                               until NAME is NXDOMAIN on
                                                               every port (fails after 3 s)
Queries, with dnspython (python3-dnspython), to 127.0.0.1:
  dns_tool.py ask PORT NAME TYPE [tcp] [edns=N]   prints "RCODE flags=AA,TC n=N" and the
                                                  answers, one per line, sorted
  dns_tool.py hostile PORT                        hostile packets; see hostile() below
ZK is host:port.  Exit 0 on success, 1 with a message on stderr otherwise."""
import json
import socket
import struct
import sys
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype


def zk(hosts):
    from kazoo.client import KazooClient

    client = KazooClient(hosts=hosts, timeout=5)
    client.start(timeout=10)
    return client


def put(client, path, data):
    data = data.encode() if isinstance(data, str) else data
    if client.exists(path):
        client.set(path, data)
    else:
        client.create(path, data, makepath=True)


def network(client, root, key, subnet):
    rec = {"key": key, "subnet": subnet, "vni": 4000 + len(key), "mtu": 1450}
    put(client, "%s/networks/%s" % (root, key), json.dumps(rec))
    put(client, "%s/networks/%s/endpoints" % (root, key), "")
    put(client, "%s/names/%s" % (root, key), "")


def name(client, root, key, ep, nm, addr, extra="{}"):
    last = int(addr.split("/")[0].split(".")[3])
    endpoint = {"node": "n1", "address": addr, "mac": "02:00:00:00:%02x:%02x" % (last // 256, last % 256)}
    rec = {"name": nm, "endpoint": ep, "address": addr, "node": "n1"}
    rec.update(json.loads(extra))
    put(client, "%s/networks/%s/endpoints/%s" % (root, key, ep), json.dumps(endpoint))
    put(client, "%s/names/%s/%s" % (root, key, ep), json.dumps(rec))


def ask(port, qname, qtype, tcp=False, edns=None, timeout=2.0):
    q = dns.message.make_query(qname, qtype, use_edns=(0 if edns else False), payload=edns or 512)
    if tcp:
        return dns.query.tcp(q, "127.0.0.1", port=port, timeout=timeout)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=timeout, ignore_trailing=False)


def describe(r):
    flags = ",".join(f for f in ("AA", "TC") if r.flags & getattr(dns.flags, f))
    lines = ["%s flags=%s n=%d" % (dns.rcode.to_text(r.rcode()), flags, sum(len(s) for s in r.answer))]
    answers = []
    for rrset in r.answer:
        for rd in rrset:
            answers.append("%s %s %s %s" % (rrset.name, rrset.ttl, dns.rdatatype.to_text(rrset.rdtype), rd))
    return "\n".join(lines + sorted(answers))


def rm_and_wait(client, path, qname, ports):
    client.delete(path)
    t0 = time.monotonic()
    pending = set(ports)
    for _ in range(3000):  # every 1 ms or so, at most 3 s
        for p in list(pending):
            try:
                if ask(p, qname, "A", timeout=0.5).rcode() == dns.rcode.NXDOMAIN:
                    pending.discard(p)
            except Exception:
                pass
        if not pending or time.monotonic() - t0 > 3:
            break
        time.sleep(0.001)
    ms = (time.monotonic() - t0) * 1000
    if pending:
        sys.exit("still answering %s on %s after %.0f ms" % (qname, sorted(pending), ms))
    print("%.0f" % ms)


# ---- hostile packets --------------------------------------------------------------------------


def good(port):
    """A good query answers, over UDP and TCP."""
    for tcp in (False, True):
        r = ask(port, "db.back.zkswarm.", "A", tcp=tcp)
        if r.rcode() != 0 or len(r.answer) != 1:
            sys.exit("a good query after hostile ones: %s" % describe(r))


def udp_raw(port, payload, want_reply=True):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    s.sendto(payload, ("127.0.0.1", port))
    try:
        data = s.recv(65535)
    except socket.timeout:
        data = None
    s.close()
    if data is not None and len(data) > 512 and not (len(payload) > 11 and payload[11]):
        sys.exit("a UDP reply of %d bytes to a query without EDNS" % len(data))
    if want_reply is not None and (data is not None) != want_reply:
        sys.exit("payload %r: reply %r, wanted %s" % (payload[:40], data, want_reply))
    return data


def rcode_of(data):
    return data[3] & 0x0F


def check_rcode(what, data, want):
    if data is None or rcode_of(data) != want:
        sys.exit("%s: rcode %s, wanted %d" % (what, None if data is None else rcode_of(data), want))
    print("ok: %s -> rcode %d" % (what, want))


def hostile_udp(port):
    q = dns.message.make_query("db.back.zkswarm.", "A", use_edns=False).to_wire()
    udp_raw(port, b"", want_reply=False)
    udp_raw(port, b"\x12\x34\x01", want_reply=False)
    print("ok: short packets get no reply")
    udp_raw(port, q[:2] + bytes([q[2] | 0x80]) + q[3:], want_reply=False)
    print("ok: a response gets no reply")
    check_rcode("over 512 bytes without EDNS", udp_raw(port, q + b"\x00" * 600), 1)
    check_rcode("a pointer loop", udp_raw(port, q[:12] + b"\xc0\x0c\x00\x01\x00\x01"), 1)
    opt = b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00"
    two = bytearray(q + opt + opt)
    two[11] = 2
    check_rcode("two OPTs", udp_raw(port, bytes(two)), 1)
    tsig = bytearray(q + b"\x03key\x00\x00\xfa\x00\xff\x00\x00\x00\x00\x00\x00")
    tsig[11] = 1
    check_rcode("a TSIG (no key is known)", udp_raw(port, bytes(tsig)), 5)
    many = bytearray(q)
    many[5] = 2
    check_rcode("two questions", udp_raw(port, bytes(many)), 1)
    notify = bytearray(q)
    notify[2] = 4 << 3
    check_rcode("NOTIFY", udp_raw(port, bytes(notify)), 4)
    big = ask(port, "big.zkswarm.", "A", edns=65000)
    if not big.flags & dns.flags.TC:
        sys.exit("EDNS 65000 for a large answer: no TC (%s)" % describe(big))
    print("ok: an EDNS size of 65000 is served at most 1232 bytes (TC)")
    good(port)


def tcp_conn(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.settimeout(2)
    return s


def closed_by_server(s):
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return True


def hostile_tcp(port):
    q = dns.message.make_query("db.back.zkswarm.", "A", use_edns=False).to_wire()
    s = tcp_conn(port)
    s.sendall(b"\x00\x00")
    if not closed_by_server(s):
        sys.exit("a zero length did not close the connection")
    s.close()
    print("ok: a zero length closes the connection")
    s = tcp_conn(port)
    s.sendall(b"\xff\xff" + b"\x00" * 100)  # announces 65535, sends 100, then goes
    s.close()
    s = tcp_conn(port)
    s.sendall(struct.pack(">H", len(q)) + q + struct.pack(">H", len(q)) + q)  # pipelined
    got = b""
    for _ in range(10):
        if len(got) >= 2 * (2 + 12):
            break
        got += s.recv(4096)
    n1 = struct.unpack(">H", got[:2])[0]
    if len(got) < 2 + n1 + 2:
        sys.exit("two pipelined queries: %d bytes back" % len(got))
    s.close()
    print("ok: two pipelined queries are both answered")
    good(port)


def hostile_flood(port):
    conns = []
    for _ in range(80):  # half-open: connected, nothing sent; the cap is 64
        try:
            conns.append(tcp_conn(port))
        except OSError:
            break
    time.sleep(0.2)
    r = ask(port, "db.back.zkswarm.", "A")
    if r.rcode() != 0:
        sys.exit("UDP during a flood of idle TCP connections: %s" % describe(r))
    refused = sum(1 for c in conns[64:] if closed_by_server(c))
    for c in conns:
        c.close()
    print("ok: %d idle TCP connections, %d beyond the cap closed, UDP answered" % (len(conns), refused))
    if refused < len(conns) - 64:
        sys.exit("connections beyond the cap of 64 were kept")
    for _ in range(50):  # the server sees the closes within a poll or two
        try:
            good(port)
            break
        except Exception:
            time.sleep(0.1)
    good(port)


def hostile(port):
    hostile_udp(port)
    hostile_tcp(port)
    hostile_flood(port)
    print("ok: the server answered a good query after each")


def main(argv):
    if argv[1] == "ask":
        port, qname, qtype = int(argv[2]), argv[3], argv[4]
        opts = argv[5:]
        edns = next((int(o[5:]) for o in opts if o.startswith("edns=")), None)
        print(describe(ask(port, qname, qtype, tcp="tcp" in opts, edns=edns)))
        return
    if argv[1] == "hostile":
        hostile(int(argv[2]))
        return
    client = zk(argv[1])
    root, cmd, args = argv[2], argv[3], argv[4:]
    try:
        if cmd == "network":
            network(client, root, *args)
        elif cmd == "name":
            name(client, root, *args)
        elif cmd == "service":
            key, svc, count, first = args[0], args[1], int(args[2]), args[3]
            a, b, c, d = (int(x) for x in first.split("."))
            for i in range(count):
                addr = "%d.%d.%d.%d/24" % (a, b, c, d + i)
                name(client, root, key, "%s-t%d" % (svc, i), "%s-%d" % (svc, i), addr,
                     json.dumps({"service": svc}))
        elif cmd == "rm-and-wait":
            rm_and_wait(client, root + args[0], args[1], [int(p) for p in args[2:]])
        else:
            sys.exit("unknown command %s" % cmd)
    finally:
        client.stop()
        client.close()


if __name__ == "__main__":
    main(sys.argv)
