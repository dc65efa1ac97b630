"""unixhttp.py - HTTP over a unix socket for the test and bench scripts: a zkswarmd's
plugin socket (the requests the engine makes) or the Docker engine's API socket.

    conn = UnixHTTPConnection(SOCKET, timeout=30)   # an http.client.HTTPConnection
    status, reply = post(conn, "VolumeDriver.Get", {"Name": "v"})

Importers put this directory on sys.path: tests/faults/workload.py, bench/scale_probe.py
and bench/taskwatch.py from their own location; the inline python of
tests/integration/test_burst.sh and test_pacing.sh through PYTHONPATH.
"""
import http.client
import json
import socket


class UnixHTTPConnection(http.client.HTTPConnection):
    """An HTTPConnection to the unix socket at PATH (HOST only names the Host header).
    TIMEOUT bounds the connect and every read; a connect that fails raises OSError and
    leaves no socket behind."""

    def __init__(self, path, timeout=30, host="zkswarm"):
        super().__init__(host, timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(self.unix_path)
        except OSError:
            s.close()
            raise
        self.sock = s


def post(conn, endpoint, body):
    """POST BODY as JSON to /ENDPOINT on CONN (e.g. "VolumeDriver.Create"); returns (HTTP
    status, the JSON reply, {} when empty).  Socket and http.client errors propagate."""
    conn.request("POST", "/" + endpoint, json.dumps(body), {"Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, json.loads(r.read() or b"{}")
