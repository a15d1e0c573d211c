#!/usr/bin/env python3
"""tests/e2e/relay_stream.py: an FXR/1 device on a plain Linux socket, for the relay's
stream tests (relay-split.sh, relay-bulk.sh). It logs in (SCRAM-SHA-256), calls or accepts,
and then, while paired, writes and reads the raw relayed stream itself, so that the test
controls where TCP segments begin and end and sees every relayed byte as it came.

  relay_stream.py split  --relay H --id ID --pw-file F (--call PEER | --accept)
      caller: writes the test frame sequence once per byte position k, in two writes split
      at k, each write its own TCP segment (TCP_NODELAY, and waiting until the relay has
      acknowledged everything, TCP_INFO.tcpi_unacked == 0, before the next write); then one
      frame a byte per write; then END. callee: reads the stream and checks it byte-exact
      against the same sequence. Both print "split ok rounds=N bytes=N" and exit 0.
  relay_stream.py bulk --relay H --id ID --pw-file F (--call PEER | --accept) --bytes N
      both ways at once: sends N bytes of payload in DATA frames while reading the peer's
      N bytes (the callee from right after its ACCEPT);
      prints "sent sha256=H" and "received sha256=H" (of the payload), then END,
      RELEASE. The script compares the two ends' hashes.
  relay_stream.py echo --relay H --id ID --pw-file F (--call PEER | --accept) --bytes N
      the caller sends N bytes as in bulk while reading them back ("sent sha256=H",
      "received sha256=H": equal when every byte came back); the callee sends back each DATA
      frame as it comes and reads the next only once it is written ("echoed bytes=N").

Exit status: 0 done, 1 the stream differed or the relay refused, 2 usage.
"""
import argparse
import base64
import hashlib
import hmac
import os
import socket
import struct
import sys
import threading
import time

T_AUTH_START, T_AUTH_CHALLENGE, T_AUTH_PROOF, T_AUTH_OK = 0x01, 0x02, 0x03, 0x04
T_CONNECT, T_INCOMING, T_ACCEPT, T_CONNECTED = 0x20, 0x21, 0x22, 0x24
T_DATA, T_END, T_RELEASE, T_RELEASED = 0x30, 0x31, 0x32, 0x33
T_KEEPALIVE_ACK = 0x11
TCPI_UNACKED_OFF = 24  # struct tcp_info: 8 bytes of u8 fields, then rto, ato, snd_mss, rcv_mss


def fail(msg):
    print("FAIL:", msg, flush=True)
    sys.exit(1)


def frame(t, payload=b""):
    return struct.pack(">BBH", t, 0, len(payload)) + payload


# The relay's symmetric RSS key (dataplane/steer.c) and its mapping of a flow to an lcore:
# Toeplitz hash of (source address, destination address, source port, destination port),
# then redirection-table entry hash % 128, naming lcore entry % lcores.
RSS_KEY = bytes([0x6D, 0x5A] * 26)


def toeplitz(data, key=RSS_KEY):
    k = int.from_bytes(key, "big")
    klen = len(key) * 8
    h = 0
    for i in range(len(data) * 8):
        if data[i // 8] & (0x80 >> (i % 8)):
            h ^= (k >> (klen - 32 - i)) & 0xFFFFFFFF
    return h


def port_for_lcore(src, dst, dport, lcore, lcores):
    """A source port whose flow src:port -> dst:dport the relay's lcore `lcore` owns."""
    for sport in range(40000, 60000):
        data = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(">HH", sport, dport)
        if (toeplitz(data) & 127) % lcores == lcore:
            return sport
    fail("no source port for lcore %d" % lcore)


class Conn:
    def __init__(self, host, port, sport=0):
        self.s = socket.create_connection((host, port), timeout=30,
                                          source_address=("", sport) if sport else None)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(max(65536, n - len(self.buf)))
            if not chunk:
                fail("the relay closed the connection")
            self.buf += chunk
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_frame(self, skip_keepalive=True):
        while True:
            t, _, n = struct.unpack(">BBH", self.read_exact(4))
            p = self.read_exact(n)
            if not (skip_keepalive and t == T_KEEPALIVE_ACK):
                return t, p

    def expect(self, t):
        got, p = self.read_frame()
        if got != t:
            fail(f"frame 0x{got:02x} {p[:40]!r}, want 0x{t:02x}")
        return p

    def unacked(self):
        info = self.s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        return struct.unpack_from("I", info, TCPI_UNACKED_OFF)[0]

    def write_segment(self, data):
        """Writes data and waits until the peer acknowledged all of it (bounded)."""
        self.s.sendall(data)
        for _ in range(200000):
            if self.unacked() == 0:
                return
            time.sleep(0.0001)
        fail("the relay did not acknowledge a write")


def login(c, dev_id, password):
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={dev_id},r={nonce}"
    c.s.sendall(frame(T_AUTH_START, ("n,," + first_bare).encode()))
    server_first = c.expect(T_AUTH_CHALLENGE).decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    if not attrs["r"].startswith(nonce):
        fail("the relay's nonce does not extend ours")
    salted = hashlib.pbkdf2_hmac("sha256", password, base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored = hashlib.sha256(client_key).digest()
    final_bare = f"c=biws,r={attrs['r']}"
    auth_msg = f"{first_bare},{server_first},{final_bare}".encode()
    sig = hmac.new(stored, auth_msg, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    c.s.sendall(frame(T_AUTH_PROOF, f"{final_bare},p={base64.b64encode(proof).decode()}".encode()))
    ok = c.expect(T_AUTH_OK)
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    want = base64.b64encode(hmac.new(server_key, auth_msg, hashlib.sha256).digest()).decode()
    if ok[4:].decode() != "v=" + want:
        fail("the relay's signature is wrong")


def pair(c, args):
    if args.call:
        dest = args.call.encode()
        c.s.sendall(frame(T_CONNECT, struct.pack(">IB", 1, len(dest)) + dest))
        got = c.expect(T_CONNECTED)
        if struct.unpack(">I", got[:4])[0] != 1:
            fail("CONNECTED for another request")
    else:
        call_id = struct.unpack(">I", c.expect(T_INCOMING)[:4])[0]
        c.s.sendall(frame(T_ACCEPT, struct.pack(">I", call_id)))
    print("paired", flush=True)


def finish(c, caller):
    """END both ways (the caller first), then RELEASE."""
    end = frame(T_END, struct.pack(">H", 0))
    if caller:
        c.s.sendall(end)
        if c.read_exact(6) != end:
            fail("the peer's END is not END(OK)")
    else:
        if c.read_exact(6) != end:
            fail("the caller's END is not END(OK)")
        c.s.sendall(end)
    c.s.sendall(frame(T_RELEASE))
    c.expect(T_RELEASED)


def split_sequence():
    """Tiny DATA frames and one over 100 bytes, back to back (171 bytes: each write waits
    for the relay's delayed ACK, 40 ms, so the sequence is kept short)."""
    out = bytearray()
    for i, n in enumerate((0, 1, 2, 3, 127, 0, 5, 1)):
        out += frame(T_DATA, bytes((i * 37 + k) & 0xFF for k in range(n)))
    return bytes(out)


def byte_frame():
    return frame(T_DATA, bytes(range(16)))


def cmd_split(c, args):
    seq, one = split_sequence(), byte_frame()
    rounds = len(seq)
    if args.call:
        for k in range(rounds):
            if k:
                c.write_segment(seq[:k])
            c.write_segment(seq[k:])
        for k in range(len(one)):
            c.write_segment(one[k:k + 1])
    else:
        for k in range(rounds):
            got = c.read_exact(len(seq))
            if got != seq:
                at = next(i for i in range(len(seq)) if got[i] != seq[i])
                fail(f"round k={k}: byte {at} is 0x{got[at]:02x}, want 0x{seq[at]:02x}")
        if c.read_exact(len(one)) != one:
            fail("the frame sent a byte at a time differs")
    finish(c, bool(args.call))
    print(f"split ok rounds={rounds} bytes={rounds * len(seq) + len(one)}", flush=True)


def bulk_blocks(total):
    """total bytes of payload as DATA frames: windows of a random pool at moving offsets,
    so that no two blocks are alike (a repeated or lost block changes the hash)."""
    pool = os.urandom(1 << 22)
    size, i, left = 65535, 0, total
    while left:
        n = min(size, left)
        off = (i * 7919) % (len(pool) - size)
        yield pool[off:off + n]
        left -= n
        i += 1


def cmd_bulk(c, args, end=True):
    sent_hash = hashlib.sha256()
    err = []

    def sender():
        try:
            for p in bulk_blocks(args.bytes):
                sent_hash.update(p)
                c.s.sendall(frame(T_DATA, p))
        except OSError as e:
            err.append(e)

    got_hash, left = hashlib.sha256(), args.bytes

    def receive_one():
        nonlocal left
        ty, p = c.read_frame()
        if ty != T_DATA:
            fail(f"frame 0x{ty:02x} while receiving, {left} bytes to go")
        got_hash.update(p)
        left -= len(p)

    # the callee sends at once after its ACCEPT, which pairs it (DESIGN.md §2): the relay
    # holds that DATA until the control plane's PAIR (relay_accept_held), never drops it
    t = threading.Thread(target=sender)
    t.start()
    while left:
        receive_one()
    t.join()
    if err:
        fail(f"send: {err[0]}")
    print(f"sent sha256={sent_hash.hexdigest()}", flush=True)
    print(f"received sha256={got_hash.hexdigest()}", flush=True)
    if end:
        finish(c, bool(args.call))


def cmd_echo(c, args):
    """The caller sends N bytes of DATA while reading them back; the callee sends back
    every DATA frame as it comes, reading the next only once the last is written (a slow
    reader stops it writing, and the other way round), as an echoing device would."""
    if args.accept:
        left = args.bytes
        while left:
            ty, p = c.read_frame()
            if ty != T_DATA:
                fail(f"frame 0x{ty:02x} while echoing, {left} bytes to go")
            c.s.sendall(frame(T_DATA, p))
            left -= len(p)
        print(f"echoed bytes={args.bytes}", flush=True)
    else:
        cmd_bulk(c, args, end=False)
    finish(c, bool(args.call))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("split", "bulk", "echo"))
    ap.add_argument("--relay", required=True)
    ap.add_argument("--port", type=int, default=4747)
    ap.add_argument("--id", required=True)
    ap.add_argument("--pw-file", required=True)
    who = ap.add_mutually_exclusive_group(required=True)
    who.add_argument("--call", metavar="PEER")
    who.add_argument("--accept", action="store_true")
    ap.add_argument("--bytes", type=int, default=1 << 30)
    ap.add_argument("--lcore", metavar="K/N:NAT_ADDR",
                    help="log in from a source port whose flow lcore K of the relay's N owns,"
                    " as the relay sees it from NAT_ADDR (the gateway keeps the port)")
    args = ap.parse_args()
    with open(args.pw_file, "rb") as f:
        password = f.readline().rstrip(b"\n")
    sport = 0
    if args.lcore:
        kn, nat = args.lcore.split(":")
        k, n = (int(x) for x in kn.split("/"))
        sport = port_for_lcore(nat, args.relay, args.port, k, n)
        print("source-port %d for lcore %d of %d" % (sport, k, n), flush=True)
    c = Conn(args.relay, args.port, sport)
    login(c, args.id, password)
    print("logged-in", flush=True)
    pair(c, args)
    if args.mode == "split":
        cmd_split(c, args)
    elif args.mode == "echo":
        cmd_echo(c, args)
    else:
        cmd_bulk(c, args)
    c.s.close()


if __name__ == "__main__":
    main()
