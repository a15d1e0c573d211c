#!/usr/bin/env python3
"""tests/integration/tcp_client.py: a Linux-socket TCP client for the dataplane's TCP tests.

Every mode prints one result line and exits 0 on success, 1 on a failed check, 2 on usage.
Every socket operation has a timeout, so a mode always ends.

  echo HOST PORT BYTES            send BYTES of seeded data while reading the echo, shut down
                                  the write half, read to EOF; compare SHA-256 both ways
  concurrent HOST PORT N BYTES    N connections at once, each echoes BYTES (checked)
  halfclose HOST PORT BYTES       send BYTES, shut down writing first, then read them all back
  refused HOST PORT               connect must fail with ECONNREFUSED (a RST)
  discard HOST PORT BYTES         send BYTES to discard, shut down; the server sends nothing
  bench HOST PORT BYTES           like echo, prints MB/s (a benchmark figure, not a check)
  streams HOST PORT echo|discard N BYTES
                                  N connections at once, BYTES each (echo: read back, counted,
                                  not compared); prints the aggregate MB/s (a benchmark)
"""
import hashlib
import os
import selectors
import socket
import sys
import threading
import time

TIMEOUT = 60.0


def data_for(seed, n):
    """n deterministic bytes for connection `seed` (SHA-256 in counter mode)."""
    out = bytearray()
    ctr = 0
    while len(out) < n:
        out += hashlib.sha256(b"%d:%d" % (seed, ctr)).digest() * 64
        ctr += 1
    return bytes(out[:n])


def connect(host, port):
    s = socket.create_connection((host, port), timeout=10)
    s.settimeout(TIMEOUT)
    return s


def echo(host, port, nbytes, bench=False):
    data = data_for(1, nbytes)
    s = connect(host, port)
    err = []

    def writer():
        try:
            view = memoryview(data)
            off = 0
            while off < len(view):
                off += s.send(view[off:off + 65536])
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(e)

    t0 = time.monotonic()
    t = threading.Thread(target=writer)
    t.start()
    h = hashlib.sha256()
    got = 0
    try:
        while True:
            chunk = s.recv(262144)
            if not chunk:
                break
            h.update(chunk)
            got += len(chunk)
    except OSError as e:
        err.append(e)
    t.join(TIMEOUT)
    dt = time.monotonic() - t0
    s.close()
    if err:
        print("FAIL echo: %r after %d bytes back" % (err[0], got))
        return 1
    want = hashlib.sha256(data).hexdigest()
    if got != nbytes or h.hexdigest() != want:
        print("FAIL echo: %d bytes back, want %d; sha256 %s want %s" % (got, nbytes, h.hexdigest(), want))
        return 1
    if bench:
        print("bench echo %d bytes in %.3f s: %.1f MB/s each way" % (nbytes, dt, nbytes / dt / 1e6))
    else:
        print("ok echo %d bytes, sha256 %s" % (got, want[:16]))
    return 0


def concurrent(host, port, n, nbytes):
    sel = selectors.DefaultSelector()
    conns = {}
    for i in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        st = {"data": data_for(100 + i, nbytes), "sent": 0, "got": bytearray(), "eof": False, "i": i}
        conns[s] = st
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, st)
    deadline = time.monotonic() + TIMEOUT
    open_ = n
    while open_ > 0:
        if time.monotonic() > deadline:
            print("FAIL concurrent: timed out with %d connections open" % open_)
            return 1
        for key, ev in sel.select(timeout=1.0):
            s, st = key.fileobj, key.data
            if ev & selectors.EVENT_WRITE and st["sent"] < nbytes:
                try:
                    st["sent"] += s.send(st["data"][st["sent"]:st["sent"] + 65536])
                except BlockingIOError:
                    pass
                except OSError as e:
                    print("FAIL concurrent: connection %d send: %r" % (st["i"], e))
                    return 1
                if st["sent"] == nbytes:
                    s.shutdown(socket.SHUT_WR)
                    sel.modify(s, selectors.EVENT_READ, st)
            if ev & selectors.EVENT_READ:
                try:
                    chunk = s.recv(262144)
                except BlockingIOError:
                    continue
                except OSError as e:
                    print("FAIL concurrent: connection %d recv: %r" % (st["i"], e))
                    return 1
                if chunk:
                    st["got"] += chunk
                else:
                    sel.unregister(s)
                    s.close()
                    open_ -= 1
                    if bytes(st["got"]) != st["data"]:
                        print("FAIL concurrent: connection %d got %d bytes, not its %d" % (st["i"], len(st["got"]), nbytes))
                        return 1
    print("ok concurrent %d connections x %d bytes" % (n, nbytes))
    return 0


def halfclose(host, port, nbytes):
    data = data_for(7, nbytes)
    s = connect(host, port)
    # small enough for the socket buffers: everything is written before anything is read
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = bytearray()
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    s.close()
    if bytes(got) != data:
        print("FAIL halfclose: %d bytes back after our FIN, want %d" % (len(got), nbytes))
        return 1
    print("ok halfclose: %d bytes read after shutdown(SHUT_WR), then EOF" % len(got))
    return 0


def refused(host, port):
    try:
        s = socket.create_connection((host, port), timeout=10)
    except ConnectionRefusedError:
        print("ok refused: ECONNREFUSED")
        return 0
    except OSError as e:
        print("FAIL refused: %r, want ECONNREFUSED" % e)
        return 1
    s.close()
    print("FAIL refused: connected")
    return 1


def discard(host, port, nbytes):
    s = connect(host, port)
    s.sendall(data_for(3, nbytes))
    s.shutdown(socket.SHUT_WR)
    got = s.recv(65536)
    s.close()
    if got:
        print("FAIL discard: server sent %d bytes" % len(got))
        return 1
    print("ok discard %d bytes, EOF" % nbytes)
    return 0


def streams(host, port, kind, n, nbytes):
    chunk = data_for(9, 65536)
    results = []

    def one():
        s = connect(host, port)
        got = 0

        def writer():
            left = nbytes
            while left > 0:
                left -= s.send(chunk[:min(left, len(chunk))])
            s.shutdown(socket.SHUT_WR)

        w = threading.Thread(target=writer)
        w.start()
        while True:
            b = s.recv(262144)
            if not b:
                break
            got += len(b)
        w.join(TIMEOUT)
        s.close()
        results.append(got)

    t0 = time.monotonic()
    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(TIMEOUT * 4)
    dt = time.monotonic() - t0
    want = n * nbytes if kind == "echo" else 0
    if len(results) != n or sum(results) != want:
        print("FAIL streams %s: %d of %d streams ended, %d bytes back, want %d"
              % (kind, len(results), n, sum(results), want))
        return 1
    print("bench %s %d streams x %d bytes in %.3f s: %.1f MB/s sent" % (kind, n, nbytes, dt,
          n * nbytes / dt / 1e6))
    return 0


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 2
    mode, host, port = argv[1], argv[2], int(argv[3])
    if mode == "streams" and len(argv) == 7:
        return streams(host, port, argv[4], int(argv[5]), int(argv[6]))
    rest = [int(a) for a in argv[4:]]
    if mode == "echo":
        return echo(host, port, rest[0])
    if mode == "bench":
        return echo(host, port, rest[0], bench=True)
    if mode == "concurrent":
        return concurrent(host, port, rest[0], rest[1])
    if mode == "halfclose":
        return halfclose(host, port, rest[0])
    if mode == "refused":
        return refused(host, port)
    if mode == "discard":
        return discard(host, port, rest[0])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
