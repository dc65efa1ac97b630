#!/usr/bin/env python3
"""hostile.py - raw HTTP clients for tests/integration/test_hostile.sh.

Everything here talks to one unix socket and is bounded in count and time.
Each subcommand prints one JSON object on stdout:

  req SOCK METHOD PATH [options]   one request, written by hand:
      --body TEXT            body, as is (UTF-8)
      --body-esc TEXT        body with Python escapes made bytes (\\r \\x00 \\x01 ...)
      --body-repeat S N      body is S (with escapes) N times (streamed, never held whole)
      --content-length N     send this Content-Length whatever the body (default: its size)
      --no-content-length    send none
      --chunked              Transfer-Encoding: chunked (chunks of 64 KiB)
      --http10               HTTP/1.0 request line
      --header 'K: V'        extra header (repeatable)
      --big-header N         a header line of N bytes
      --close-after-send     close at once after sending (no answer is read)
      --half-close           shutdown(SHUT_WR) after sending, then read the answer
      --timeout S            answer deadline (default 10)
    -> {"status": N|null, "body": TEXT|null, "err": TEXT|null, "closed": bool,
        "timeout": bool, "elapsed": seconds, "sent": bytes}
  raw SOCK TEXT [--timeout S] [--half-close]   bytes given with Python escapes, as is
  slow SOCK N SECONDS            N clients each send one header byte per second for
                                 SECONDS while a normal request runs every 0.5 s
    -> {"slow_clients", "slow_alive", "normal_sent", "normal_ok", "normal_max_s", ...}
  idle SOCK N HOLD               N connections opened and held idle HOLD seconds
    -> {"opened", "refused", "closed_by_server", "probe_during", "probe_after"}
  pipeline SOCK N                N requests written back to back on one connection
    -> {"sent", "answered", "statuses"}
  serve                          one process for many commands (the test starts it once, not
                                 once per request): on stdin, each command is NUL-terminated
                                 fields, the count of the rest first (printf '%s\\0' "$#" "$@"),
                                 then COMMAND ARG...; each is answered by its JSON object on one
                                 stdout line; a command that fails answers
                                 {"harness_error": "..."} (hostile.py's own failure, not the
                                 daemon's answer)
"""

import json
import os
import select
import socket
import sys
import threading
import time

CHUNK = 64 * 1024


def connect(path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def unescape(text):
    """Python escapes (\\r, \\x01, ...) to bytes; ASCII text otherwise as is."""
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1", "replace")


def parse_head(buf):
    """(status, content_length or None, end of head) of the response at the start of buf."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return None, None, -1
    lines = buf[:head_end].decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        status = -1
    need = None
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            try:
                need = int(v.strip())
            except ValueError:
                pass
    return status, need, head_end


def read_response(s, deadline, head_only=False):
    """Read one HTTP response (after any 100 Continue); returns (status, body, closed, timed_out)."""
    buf = b""
    closed = timed_out = False
    while True:
        status, need, head_end = parse_head(buf)
        if status == 100:  # the real answer follows
            buf = buf[head_end + 4:]
            continue
        if head_end >= 0 and (head_only or (need is not None and len(buf) - head_end - 4 >= need)):
            break
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            timed_out = True
            break
        try:
            data = s.recv(CHUNK)
        except (ConnectionResetError, BrokenPipeError, OSError):
            closed = True
            break
        if not data:
            closed = True
            break
        buf += data
    status, need, head_end = parse_head(buf)
    body = None
    if head_end >= 0:
        raw = buf[head_end + 4:]
        if need is not None:
            raw = raw[:need]
        body = raw.decode("utf-8", "replace")
    elif buf:
        body = buf.decode("latin-1")
    if status is not None and status != 100 and head_end >= 0 and (
            head_only or need is None or len(buf) - head_end - 4 >= need):
        timed_out = False  # a complete answer (without Content-Length: up to the close)
    return status, body, closed, timed_out


def result(status, body, closed, timed_out, t0, sent, err=None):
    return {"status": status, "body": body, "closed": closed, "timeout": timed_out,
            "elapsed": round(time.monotonic() - t0, 3), "sent": sent, "err": err}


def sendall(s, data):
    try:
        s.sendall(data)
        return None
    except OSError as e:  # the server may refuse and close while we write
        return str(e)


def cmd_req(argv):
    sock, method, path = argv[0], argv[1], argv[2]
    opts = {"body": b"", "repeat": None, "cl": None, "no_cl": False, "chunked": False,
            "http10": False, "headers": [], "close": False, "half": False, "timeout": 10.0}
    i = 3
    while i < len(argv):
        a = argv[i]
        if a == "--body":
            opts["body"] = argv[i + 1].encode("utf-8"); i += 2
        elif a == "--body-esc":
            opts["body"] = unescape(argv[i + 1]); i += 2
        elif a == "--body-repeat":
            opts["repeat"] = (unescape(argv[i + 1]), int(argv[i + 2])); i += 3
        elif a == "--content-length":
            opts["cl"] = argv[i + 1]; i += 2
        elif a == "--no-content-length":
            opts["no_cl"] = True; i += 1
        elif a == "--chunked":
            opts["chunked"] = True; i += 1
        elif a == "--http10":
            opts["http10"] = True; i += 1
        elif a == "--header":
            opts["headers"].append(argv[i + 1]); i += 2
        elif a == "--big-header":
            opts["headers"].append("X-Big: " + "x" * int(argv[i + 1])); i += 2
        elif a == "--close-after-send":
            opts["close"] = True; i += 1
        elif a == "--half-close":
            opts["half"] = True; i += 1
        elif a == "--timeout":
            opts["timeout"] = float(argv[i + 1]); i += 2
        else:
            raise SystemExit("hostile.py req: unknown option " + a)
    if opts["repeat"]:
        unit, count = opts["repeat"]
        size = len(unit) * count
    else:
        size = len(opts["body"])
    head = "%s %s HTTP/%s\r\nHost: zkswarm\r\n" % (method, path, "1.0" if opts["http10"] else "1.1")
    if opts["chunked"]:
        head += "Transfer-Encoding: chunked\r\n"
    elif not opts["no_cl"]:
        head += "Content-Length: %s\r\n" % (opts["cl"] if opts["cl"] is not None else size)
    for h in opts["headers"]:
        head += h + "\r\n"
    head += "\r\n"
    t0 = time.monotonic()
    deadline = t0 + opts["timeout"]
    try:
        s = connect(sock)
    except OSError as e:
        return result(None, None, True, False, t0, 0, "connect: %s" % e)
    sent = 0
    err = sendall(s, head.encode("latin-1"))

    def pieces():
        if opts["repeat"]:
            unit, count = opts["repeat"]
            per = max(1, CHUNK // max(1, len(unit)))
            left = count
            while left > 0:
                n = min(per, left)
                yield unit * n
                left -= n
        elif opts["body"]:
            yield opts["body"]

    for piece in pieces():
        if err or time.monotonic() > deadline:
            break
        data = (b"%x\r\n" % len(piece) + piece + b"\r\n") if opts["chunked"] else piece
        err = sendall(s, data)
        if not err:
            sent += len(piece)
    if opts["chunked"] and not err:
        err = sendall(s, b"0\r\n\r\n")
    if opts["close"]:
        s.close()
        return result(None, None, True, False, t0, sent, err)
    if opts["half"]:
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    status, body, closed, timed_out = read_response(s, deadline, head_only=(method == "HEAD"))
    s.close()
    return result(status, body, closed, timed_out, t0, sent, err)


def cmd_raw(argv):
    sock, text = argv[0], unescape(argv[1])
    timeout = 10.0
    half = "--half-close" in argv
    if "--timeout" in argv:
        timeout = float(argv[argv.index("--timeout") + 1])
    t0 = time.monotonic()
    try:
        s = connect(sock)
    except OSError as e:
        return result(None, None, True, False, t0, 0, "connect: %s" % e)
    err = sendall(s, text)
    if half:
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    status, body, closed, timed_out = read_response(s, t0 + timeout)
    s.close()
    return result(status, body, closed, timed_out, t0, len(text), err)


def normal_request(sock, timeout):
    t0 = time.monotonic()
    try:
        s = connect(sock, timeout)
        s.sendall(b"POST /VolumeDriver.List HTTP/1.1\r\nHost: z\r\nContent-Length: 2\r\n\r\n{}")
        status, body, _, _ = read_response(s, t0 + timeout)
        s.close()
    except OSError:
        status, body = None, None
    ok = status == 200 and body is not None and body.startswith("{")
    return ok, time.monotonic() - t0


def cmd_slow(argv):
    sock, n, seconds = argv[0], int(argv[1]), float(argv[2])
    request = b"POST /VolumeDriver.List HTTP/1.1\r\nHost: z\r\nContent-Length: 2\r\n\r\n{}"
    conns = []
    for _ in range(n):
        try:
            conns.append(connect(sock))
        except OSError:
            pass
    stop = time.monotonic() + seconds
    normal = {"sent": 0, "ok": 0, "max": 0.0}

    def prober():
        while time.monotonic() < stop:
            ok, took = normal_request(sock, 5.0)
            normal["sent"] += 1
            normal["ok"] += ok
            normal["max"] = max(normal["max"], took)
            time.sleep(0.5)

    t = threading.Thread(target=prober)
    t.start()
    pos = 0
    dropped = 0
    while time.monotonic() < stop and pos < len(request):
        alive = []
        for c in conns:
            try:
                c.send(request[pos:pos + 1])
                alive.append(c)
            except OSError:
                dropped += 1
                c.close()
        conns = alive
        pos += 1
        time.sleep(1.0)
    t.join()
    for c in conns:
        c.close()
    return {"slow_clients": n, "slow_alive": len(conns), "slow_dropped": dropped,
            "bytes_each": pos, "normal_sent": normal["sent"], "normal_ok": normal["ok"],
            "normal_max_s": round(normal["max"], 3)}


def connect_patiently(path, until):
    """connect(), retrying while the listen backlog is full (EAGAIN), until a deadline."""
    while True:
        try:
            return connect(path, 2.0)
        except BlockingIOError:
            if time.monotonic() >= until:
                raise
            time.sleep(0.01)


def cmd_idle(argv):
    sock, n, hold = argv[0], int(argv[1]), float(argv[2])
    conns, refused = [], 0
    until = time.monotonic() + 15.0
    for _ in range(n):
        try:
            conns.append(connect_patiently(sock, until))
        except OSError:
            refused += 1
    time.sleep(1.0)
    ok_during, took_during = normal_request(sock, 2.0)
    # Held idle; connections the server closes read as EOF.
    end = time.monotonic() + max(0.0, hold - 1.0)
    closed = set()
    while time.monotonic() < end:
        r, _, _ = select.select(conns, [], [], 0.2)
        for c in r:
            if c in closed:
                continue
            try:
                if c.recv(1024) == b"":
                    closed.add(c)
            except OSError:
                closed.add(c)
        if len(closed) == len(conns):
            break
    for c in conns:
        c.close()
    # Once they are gone the daemon serves again (it may take it a moment to notice).
    ok_after, took_after = False, 0.0
    t_end = time.monotonic() + 10.0
    while time.monotonic() < t_end:
        ok_after, took_after = normal_request(sock, 2.0)
        if ok_after:
            break
        time.sleep(0.2)
    return {"asked": n, "opened": len(conns), "refused": refused, "closed_by_server": len(closed),
            "probe_during_ok": ok_during, "probe_during_s": round(took_during, 3),
            "probe_after_ok": ok_after, "probe_after_s": round(took_after, 3)}


def cmd_pipeline(argv):
    sock, n = argv[0], int(argv[1])
    one = b"POST /VolumeDriver.List HTTP/1.1\r\nHost: z\r\nContent-Length: 2\r\n\r\n{}"
    t0 = time.monotonic()
    deadline = t0 + 20.0
    s = connect(sock)
    s.sendall(one * n)
    buf = b""
    while buf.count(b"HTTP/1.1 ") < n and time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        try:
            data = s.recv(CHUNK)
        except OSError:
            break
        if not data:
            break
        buf += data
    s.close()
    statuses = []
    for part in buf.split(b"HTTP/1.1 ")[1:]:
        try:
            statuses.append(int(part[:3]))
        except ValueError:
            statuses.append(-1)
    return {"sent": n, "answered": len(statuses), "statuses": sorted(set(statuses)),
            "elapsed": round(time.monotonic() - t0, 3)}


COMMANDS = {"req": cmd_req, "raw": cmd_raw, "slow": cmd_slow, "idle": cmd_idle,
            "pipeline": cmd_pipeline}


def read_field(f):
    """The bytes up to the next NUL, decoded as argv is (None at the end of input)."""
    out = bytearray()
    while True:
        c = f.read(1)
        if not c:
            return None
        if c == b"\0":
            return os.fsdecode(bytes(out))
        out += c


def serve():
    f = sys.stdin.buffer
    while True:
        count = read_field(f)
        if count is None:
            return 0
        args = [read_field(f) for _ in range(int(count))]
        try:
            out = COMMANDS[args[0]](args[1:])
        except Exception as e:  # any failure of one command is its answer, not the end
            out = {"harness_error": repr(e)}
        print(json.dumps(out), flush=True)


def main():
    if sys.argv[1:] == ["serve"]:
        return serve()
    if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    cmd, argv = sys.argv[1], sys.argv[2:]
    if cmd not in COMMANDS:
        print("hostile.py: unknown command " + cmd, file=sys.stderr)
        return 2
    print(json.dumps(COMMANDS[cmd](argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
