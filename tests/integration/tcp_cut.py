#!/usr/bin/env python3
"""tcp_cut.py - a loopback TCP proxy that a test can cut and heal, for test_catchup.sh.

Listens on 127.0.0.1:LISTEN_PORT and forwards every connection to 127.0.0.1:TARGET_PORT,
both ways, until told otherwise by a signal:

  SIGUSR1  cut: close every open connection (both its ends) and, while cut, close each
           new connection as soon as it is accepted (the client sees it closed at once)
  SIGUSR2  heal: forward new connections again
  SIGTERM  exit (also SIGINT); with --ppid PID it also exits once PID is gone

Each change of state is acknowledged with one line on stdout, flushed, which a test
waits for (`grep -c`):
  listening 127.0.0.1:P -> 127.0.0.1:Q
  cut N: closed K connections        (N counts the cuts)
  healed N
and each connection with `open ...` / `refused while cut`, closes with `closed ...`.

Loopback only: both addresses are 127.0.0.1, fixed.  One thread, one selector; the
signal handlers only set a flag and wake the selector through its wakeup socket, so the
loop blocks until there is something to do (at most 1 s, to check --ppid): no busy loop.
A connection's bytes are buffered per direction, at most BUF_MAX each; a full buffer
stops reading the other side until it drains.

Usage: tcp_cut.py LISTEN_PORT TARGET_PORT [--ppid PID]
"""

import errno
import os
import selectors
import signal
import socket
import sys

ADDR = "127.0.0.1"
BUF_MAX = 1 << 20
CHUNK = 65536


def say(msg):
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


class Conn:
    """One proxied connection: the client's socket and ours to the target."""

    def __init__(self, client, upstream, label):
        self.client = client
        self.upstream = upstream
        self.label = label
        self.to_upstream = bytearray()  # read from the client, not yet sent upstream
        self.to_client = bytearray()  # read upstream, not yet sent to the client
        self.upstream_ready = False  # the non-blocking connect finished
        self.closed = False


class Proxy:
    def __init__(self, listen_port, target_port, ppid):
        self.target = (ADDR, target_port)
        self.ppid = ppid
        self.sel = selectors.DefaultSelector()
        self.conns = set()
        self.cut = False
        self.cuts = 0
        self.heals = 0
        self.pending = []  # signals seen, handled by the loop in order
        self.stop = False

        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((ADDR, listen_port))
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.sel.register(self.listener, selectors.EVENT_READ, ("accept", None))

        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.sel.register(self.wake_r, selectors.EVENT_READ, ("wake", None))
        signal.set_wakeup_fd(self.wake_w.fileno(), warn_on_full_buffer=False)
        signal.signal(signal.SIGUSR1, lambda *_: self.pending.append("cut"))
        signal.signal(signal.SIGUSR2, lambda *_: self.pending.append("heal"))
        signal.signal(signal.SIGTERM, lambda *_: self.pending.append("stop"))
        signal.signal(signal.SIGINT, lambda *_: self.pending.append("stop"))
        say(f"listening {ADDR}:{listen_port} -> {ADDR}:{target_port}")

    # ---- connections ----------------------------------------------------------------------

    def events_for(self, conn):
        """Register the interest of both sockets from their buffers (backpressure)."""
        ev_client = 0
        ev_up = 0
        if len(conn.to_upstream) < BUF_MAX:
            ev_client |= selectors.EVENT_READ
        if conn.to_client:
            ev_client |= selectors.EVENT_WRITE
        if not conn.upstream_ready:
            ev_up = selectors.EVENT_WRITE  # the connect's completion
        else:
            if len(conn.to_client) < BUF_MAX:
                ev_up |= selectors.EVENT_READ
            if conn.to_upstream:
                ev_up |= selectors.EVENT_WRITE
        for sock, ev in ((conn.client, ev_client), (conn.upstream, ev_up)):
            key = self.sel.get_map().get(sock.fileno())
            data = ("conn", conn)
            if ev == 0:
                if key is not None:
                    self.sel.unregister(sock)
            elif key is None:
                self.sel.register(sock, ev, data)
            elif key.events != ev:
                self.sel.modify(sock, ev, data)

    def close(self, conn, why):
        if conn.closed:
            return
        conn.closed = True
        for sock in (conn.client, conn.upstream):
            try:
                self.sel.unregister(sock)
            except (KeyError, ValueError):
                pass
            try:
                sock.close()
            except OSError:
                pass
        self.conns.discard(conn)
        say(f"closed {conn.label}: {why}")

    def accept(self):
        while True:
            try:
                client, peer = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:  # e.g. too many open files: the client sees a close
                say(f"accept: {e}")
                return
            if self.cut:
                client.close()
                say("refused while cut")
                continue
            client.setblocking(False)
            upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            upstream.setblocking(False)
            err = upstream.connect_ex(self.target)
            conn = Conn(client, upstream, f"{peer[0]}:{peer[1]}")
            if err not in (0, errno.EINPROGRESS):
                upstream.close()
                client.close()
                say(f"refused {conn.label}: target: {os.strerror(err)}")
                continue
            self.conns.add(conn)
            say(f"open {conn.label}")
            self.events_for(conn)

    def on_conn(self, conn, sock, mask):
        if conn.closed:
            return
        if sock is conn.upstream and not conn.upstream_ready:
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.close(conn, f"target: {os.strerror(err)}")
                return
            conn.upstream_ready = True
        if sock is conn.client:
            inbuf, peer = conn.to_upstream, conn.upstream
            outbuf = conn.to_client
        else:
            inbuf, peer = conn.to_client, conn.client
            outbuf = conn.to_upstream
        if mask & selectors.EVENT_READ:
            try:
                data = sock.recv(CHUNK)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError as e:
                self.close(conn, str(e))
                return
            if data == b"":
                self.close(conn, "end of stream")
                return
            if data:
                inbuf.extend(data)
        if mask & selectors.EVENT_WRITE and outbuf and not self.send_some(conn, sock, outbuf):
            return
        # send what just came in at once when the other side can take it
        if inbuf and (peer is conn.client or conn.upstream_ready):
            if not self.send_some(conn, peer, inbuf):
                return
        self.events_for(conn)

    def send_some(self, conn, sock, buf):
        """Send what sock takes of buf now; False if that closed conn."""
        try:
            n = sock.send(buf)
            del buf[:n]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as e:
            self.close(conn, str(e))
            return False
        return True

    # ---- control --------------------------------------------------------------------------

    def do_cut(self):
        self.cut = True
        self.cuts += 1
        n = len(self.conns)
        for conn in list(self.conns):
            self.close(conn, "cut")
        say(f"cut {self.cuts}: closed {n} connections")

    def do_heal(self):
        self.cut = False
        self.heals += 1
        say(f"healed {self.heals}")

    def parent_gone(self):
        if self.ppid is None:
            return False
        try:
            os.kill(self.ppid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def run(self):
        while not self.stop:
            for key, mask in self.sel.select(timeout=1.0):
                kind, conn = key.data
                if kind == "accept":
                    self.accept()
                elif kind == "wake":
                    try:
                        while self.wake_r.recv(512):
                            pass
                    except (BlockingIOError, InterruptedError):
                        pass
                else:
                    self.on_conn(conn, key.fileobj, mask)
            while self.pending:
                what = self.pending.pop(0)
                if what == "cut":
                    self.do_cut()
                elif what == "heal":
                    self.do_heal()
                else:
                    self.stop = True
            if self.parent_gone():
                say(f"parent {self.ppid} is gone")
                self.stop = True
        for conn in list(self.conns):
            self.close(conn, "exit")
        say("exit")


def main(argv):
    args = argv[1:]
    ppid = None
    if "--ppid" in args:
        i = args.index("--ppid")
        ppid = int(args[i + 1])
        del args[i : i + 2]
    if len(args) != 2:
        sys.stderr.write(__doc__.strip().splitlines()[-1] + "\n")
        return 2
    Proxy(int(args[0]), int(args[1]), ppid).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
