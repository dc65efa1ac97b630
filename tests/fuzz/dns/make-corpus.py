#!/usr/bin/python3
"""tests/fuzz/dns/make-corpus.py - write fuzz_dns's seed corpus with dnspython.

Usage: tests/fuzz/dns/make-corpus.py [OUT_DIR]   (default: tests/fuzz/dns/corpus)

Each seed is one byte of flags (bit 0: TCP, bit 1: scoped to network "front", as
fuzz_dns.c reads them) and a query's wire bytes: the names of fuzz_dns.c's index in
each form (qualified, across networks, single label, SRV, PTR), other types, EDNS
(version 0 and 1, small and large sizes), names outside the zone, and a few
hand-broken headers (a second OPT, a TSIG-like record, a pointer loop)."""
import os
import sys

import dns.edns
import dns.flags
import dns.message
import dns.rdataclass
import dns.rdatatype

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    if f.startswith("seed-"):
        os.remove(os.path.join(out, f))

QUERIES = [
    ("web-1.front.zkswarm.", "A"), ("WEB.zkswarm.", "A"), ("web.", "A"),
    ("app_web.zkswarm.", "A"), ("big.zkswarm.", "A"), ("db.back.zkswarm.", "A"),
    ("db.", "A"), ("h1.front.zkswarm.", "A"), ("app_web.1.x.zkswarm.", "A"),
    ("web.zkswarm.", "AAAA"), ("web.zkswarm.", "ANY"), ("nope.zkswarm.", "A"),
    ("zkswarm.", "A"), ("front.zkswarm.", "TXT"), ("example.com.", "A"),
    ("_80._tcp.web.zkswarm.", "SRV"), ("_53._udp.web-1.front.zkswarm.", "SRV"),
    ("_8080._tcp.big.zkswarm.", "SRV"), ("_81._sctp.web.", "SRV"),
    ("7.0.9.10.in-addr.arpa.", "PTR"), ("4.0.8.10.in-addr.arpa.", "PTR"),
    ("9.9.9.9.in-addr.arpa.", "PTR"), ("zkswarm.", "AXFR"),
]

n = 0


def write(flags, wire):
    global n
    n += 1
    with open(os.path.join(out, "seed-%03d" % n), "wb") as f:
        f.write(bytes([flags]) + wire)


for name, rtype in QUERIES:
    plain = dns.message.make_query(name, rtype, use_edns=False)
    write(0, plain.to_wire())
    write(2, plain.to_wire())
    edns = dns.message.make_query(name, rtype, use_edns=0, payload=4096)
    write(0, edns.to_wire())
    write(1, edns.to_wire())
small = dns.message.make_query("big.zkswarm.", "A", use_edns=0, payload=600)
write(0, small.to_wire())
v1 = dns.message.make_query("web.zkswarm.", "A", use_edns=1)
write(0, v1.to_wire())
chaos = dns.message.make_query("version.bind.", "TXT", rdclass=dns.rdataclass.CH)
write(0, chaos.to_wire())
# A second OPT after the first, and ARCOUNT 2.
w = bytearray(dns.message.make_query("web.zkswarm.", "A", use_edns=0).to_wire())
w[11] = 2
write(0, bytes(w) + b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00")
# A TSIG-shaped additional record.
w = bytearray(dns.message.make_query("web.zkswarm.", "A", use_edns=False).to_wire())
w[11] = 1
write(0, bytes(w) + b"\x00\x00\xfa\x00\xff\x00\x00\x00\x00\x00\x00")
# A name that points at itself.
w = bytearray(dns.message.make_query("web.zkswarm.", "A", use_edns=False).to_wire())
write(0, bytes(w[:12]) + b"\xc0\x0c\x00\x01\x00\x01")
# Two queries back to back, as over TCP, and a response.
q = dns.message.make_query("web.zkswarm.", "A", use_edns=False).to_wire()
write(1, q + q)
r = bytearray(q)
r[2] |= 0x80
write(0, bytes(r))
print("make-corpus: %d seeds in %s" % (n, out))
