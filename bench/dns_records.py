#!/usr/bin/python3
"""bench/dns_records.py - the names of bench/run.sh's DNS section, written into ZooKeeper.

  dns_records.py ZK ROOT KEY N NODE

Writes, in one kazoo session (python3-kazoo), the network record /ROOT/networks/KEY
(10.77.0.0/16) and N containers bn0..bn(N-1): for each an endpoint record
/ROOT/networks/KEY/endpoints/eI and a name record /ROOT/names/KEY/eI with address
10.77.(I+2)/256.(I+2)%256 and the exposed port 80/tcp, so that bnI.zkswarm. has an A and
_80._tcp.bnI.zkswarm. an SRV answer.  Records in the format of docs/DESIGN.md ("Names"), as
tests/integration/dns_tool.py writes them; persistent here (a bench's root, removed with its
ZooKeeper), where the naming service's are ephemeral.  Creates are asynchronous, up to 256 in
flight.  Prints "NAME ADDRESS" for each, one a line, for the other servers' configuration.
Exit 0 on success, 1 with a message on stderr otherwise."""
import json
import sys

from kazoo.client import KazooClient


def address(i):
    h = i + 2
    return "10.77.%d.%d" % (h // 256, h % 256)


def main(argv):
    if len(argv) != 6:
        sys.exit(__doc__.split("\n\n")[1])
    hosts, root, key, n, node = argv[1], argv[2], argv[3], int(argv[4]), argv[5]
    if not 1 <= n <= 60000:
        sys.exit("N: 1 to 60000")
    zk = KazooClient(hosts=hosts, timeout=10)
    zk.start(timeout=15)
    try:
        net = {"key": key, "subnet": "10.77.0.0/16", "vni": 4077, "mtu": 1450}
        zk.ensure_path("%s/networks" % root)
        zk.create("%s/networks/%s" % (root, key), json.dumps(net).encode())
        zk.create("%s/networks/%s/endpoints" % (root, key), b"")
        zk.ensure_path("%s/names/%s" % (root, key))
        pending = []
        for i in range(n):
            addr = address(i)
            ep = "e%d" % i
            endpoint = {"node": node, "address": addr + "/16", "mac": "02:4d:00:00:%02x:%02x" % ((i + 2) // 256, (i + 2) % 256)}
            rec = {"name": "bn%d" % i, "endpoint": ep, "address": addr + "/16", "node": node,
                   "network_name": key, "ports": [{"port": 80, "proto": "tcp"}]}
            pending.append(zk.create_async("%s/networks/%s/endpoints/%s" % (root, key, ep), json.dumps(endpoint).encode()))
            pending.append(zk.create_async("%s/names/%s/%s" % (root, key, ep), json.dumps(rec).encode()))
            if len(pending) >= 256:
                for p in pending:
                    p.get(timeout=30)
                pending = []
        for p in pending:
            p.get(timeout=30)
    finally:
        zk.stop()
        zk.close()
    for i in range(n):
        print("bn%d %s" % (i, address(i)))


if __name__ == "__main__":
    main(sys.argv)
