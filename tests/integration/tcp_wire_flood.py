#!/usr/bin/env python3
"""tests/integration/tcp_wire_flood.py: a SYN flood against fxr-dataplane's echo service,
from the wire with scapy (RFC 4987). An established connection echoes before the flood; the
flood (SYNS SYNs from spoofed ports, never completed) fills the listener's SYN backlog; a
new SYN then gets a SYN cookie (a SYN-ACK offering MSS alone: no window scale, SACK or
timestamps), the ACK that returns the cookie opens a connection that echoes; and the
connection established before the flood still echoes. Run in the namespace on the
dataplane's link, with the kernel's RSTs to the dataplane dropped by iptables.

usage: tcp_wire_flood.py IFACE DATAPLANE_IP ECHO_PORT SYNS
Prints one line per check; exit status 0 when all pass, 1 at the first failure."""
import random
import sys

from scapy.all import IP, TCP, send  # noqa: E402

from wire_lib import Wire, check, fail

WAIT = 5.0
IFACE, DST, ECHO, SYNS = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
A, C = 20001, 20002            # the connection before the flood, the cookie connection
FLOOD_PORTS = range(30000, 30000 + SYNS)

w = Wire(IFACE, DST, [A, C], WAIT)


def nxt(port):
    return w.next(port, skip_syn=False)


def tcp(sport, **kw):
    w.send(sport, ECHO, **kw)


def echo_round(port, seq, ack, data, tsopt):
    """Sends data on an open connection; returns the echo (its bytes, in order) or fails."""
    tcp(port, flags="PA", seq=seq, ack=ack, window=65535, options=tsopt(), data=data)
    got = b""
    while len(got) < len(data):
        r = nxt(port)
        if r is None:
            fail("port %d: echo of %r incomplete: %r" % (port, data, got))
        if len(r.payload) and r.seq == ack + len(got):
            got += bytes(r.payload)
    return got


LINUX_SYN_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None),
                  ("WScale", 7)]

# A: established before the flood, with timestamps
tcp(A, flags="S", seq=5000, window=65535, options=LINUX_SYN_OPTS)
sa = nxt(A)
check(sa is not None and sa.flags == "SA", "A: SYN-ACK before the flood")
tsv = dict(sa.options)["Timestamp"][0]
a_ts = [2]


def a_opts():
    a_ts[0] += 1
    return [("NOP", None), ("NOP", None), ("Timestamp", (a_ts[0], tsv))]


tcp(A, flags="A", seq=5001, ack=sa.seq + 1, window=65535, options=a_opts())
a_seq, a_ack = 5001, sa.seq + 1
check(echo_round(A, a_seq, a_ack, b"before", a_opts) == b"before", "A echoes before the flood")
a_seq += 6
a_ack += 6

# the flood: SYNs never completed (the SYN-ACKs go unanswered)
send([IP(dst=DST) / TCP(sport=p, dport=ECHO, flags="S", seq=random.getrandbits(32), window=65535,
                        options=LINUX_SYN_OPTS) for p in FLOOD_PORTS])
print("ok flood of %d SYNs sent" % SYNS)

# a new SYN now gets a cookie: MSS only
tcp(C, flags="S", seq=9000, window=65535, options=LINUX_SYN_OPTS)
sa = nxt(C)
check(sa is not None and sa.flags == "SA" and sa.ack == 9001, "C: SYN-ACK during the flood")
o = dict(sa.options)
check("MSS" in o and "WScale" not in o and "SAckOK" not in o and "Timestamp" not in o,
      "C: the SYN-ACK is a cookie's: MSS only (got %s)" % sorted(o))
# the ACK that returns the cookie opens the connection, which echoes
tcp(C, flags="A", seq=9001, ack=sa.seq + 1, window=65535)
check(echo_round(C, 9001, sa.seq + 1, b"cookie", lambda: []) == b"cookie",
      "C: the connection opened from the cookie echoes")

# A still works
check(echo_round(A, a_seq, a_ack, b"after", a_opts) == b"after", "A still echoes after the flood")
print("PASS")
