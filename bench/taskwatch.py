#!/usr/bin/python3
"""taskwatch.py - how long a change takes to reach every task of a swarm service
(bench/run.sh's configuration section, the Docker side).

    taskwatch.py --service S --tasks N --path P --new FILE [--label L]
                 [--timeout S] [--sock SOCK] -- CMD [ARG...]

Runs CMD (a `docker config create` + `docker service update`, or a `zkswarmctl config
put`) and times, from the moment before it starts, until N running tasks of service S read
FILE's contents at P and no other task of S runs.  Each round asks the engine's API (over
its unix socket) for S's running containers, and reads P the way the task's own processes
see it: through /proc/<the task's main pid>/root (its mount namespace and root), whole.
Contents neither FILE's nor those the tasks had before CMD count as torn.  Rounds follow one
another after 2 ms; the report gives their mean length (the resolution).

Prints one JSON object: cmd_ms, cmd_rc, tasks_ms (when each task that ends up current was
first seen with the new contents; a task started by the update counts from its start),
last_ms (all N current, nothing else running; null on timeout), rounds, round_ms (mean),
torn.  Exit 0 when every task became current, 1 otherwise.
"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from unixhttp import UnixHTTPConnection  # noqa: E402


class Engine:
    def __init__(self, sock):
        self.conn = UnixHTTPConnection(sock, timeout=10, host="localhost")
        self.pids = {}

    def get(self, path):
        for _ in range(2):  # one reconnect after a dropped keep-alive connection
            try:
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                body = r.read()
                if r.status != 200:
                    return None
                return json.loads(body)
            except (OSError, http.client.HTTPException):
                self.conn.close()
        return None

    def running(self, service):
        """{container id: main pid} of the service's running tasks."""
        f = json.dumps({"label": ["com.docker.swarm.service.name=" + service],
                        "status": ["running"]})
        lst = self.get("/containers/json?filters=" + urllib.parse.quote(f)) or []
        out = {}
        for c in lst:
            cid = c["Id"]
            if cid not in self.pids:
                info = self.get("/containers/%s/json" % cid)
                pid = (info or {}).get("State", {}).get("Pid", 0)
                if not pid:
                    continue
                self.pids[cid] = pid
            out[cid] = self.pids[cid]
        return out


def read(pid, path):
    try:
        with open("/proc/%d/root%s" % (pid, path), "rb") as f:
            return f.read()
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--service", required=True)
    ap.add_argument("--tasks", type=int, required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--timeout", type=float, default=180)
    ap.add_argument("--sock", default="/var/run/docker.sock")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.error("-- CMD is needed")
    new = open(a.new, "rb").read()
    eng = Engine(a.sock)
    old = set()
    for pid in eng.running(a.service).values():
        c = read(pid, a.path)
        if c is not None:
            old.add(c)
    if new in old:
        sys.exit("taskwatch: a task already reads the new contents")
    seen, torn, rounds, last, cmd_s, rc = {}, 0, 0, None, None, None
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    deadline = t0 + a.timeout
    while time.monotonic() < deadline:
        rounds += 1
        run = eng.running(a.service)
        current = 0
        for cid, pid in run.items():
            c = read(pid, a.path)
            if c == new:
                current += 1
                seen.setdefault(cid, time.monotonic() - t0)
            elif c is not None and c not in old:
                torn += 1
        if rc is None and proc.poll() is not None:
            rc, cmd_s = proc.returncode, time.monotonic() - t0
        if current == a.tasks and len(run) == a.tasks:
            last = time.monotonic() - t0
            break
        time.sleep(0.002)
    if rc is None:
        try:
            rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        cmd_s = time.monotonic() - t0
    elapsed = time.monotonic() - t0
    ms = (lambda s: None if s is None else round(s * 1000, 1))
    print(json.dumps({"label": a.label, "tasks": a.tasks, "cmd_ms": ms(cmd_s), "cmd_rc": rc,
                      "tasks_ms": sorted(ms(s) for s in seen.values()),
                      "last_ms": ms(last), "rounds": rounds,
                      "round_ms": round(elapsed * 1000 / max(rounds, 1), 1), "torn": torn}))
    sys.exit(0 if last is not None and rc == 0 else 1)


if __name__ == "__main__":
    main()
