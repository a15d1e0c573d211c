#!/usr/bin/env python3
"""tests/integration/tcp_wire.py: exact segments in, exact replies out, against a live
fxr-dataplane (packetdrill / packetimpact style, with scapy). Run in the namespace on the
dataplane's link, with the kernel's own RSTs for this traffic dropped by iptables.

usage: tcp_wire.py IFACE DATAPLANE_IP ECHO_PORT CLOSED_PORT
Prints one line per check; exit status 0 when all pass, 1 at the first failure."""
import random
import sys
import threading

from scapy.all import IP, TCP, Raw, AsyncSniffer, send  # noqa: E402

from wire_lib import check
IFACE, DST, ECHO, CLOSED = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
SPORT = random.randint(20000, 60000)


def xchg(pkt, want=1, timeout=2.0, sport=None):
    """Sends pkt and returns the first `want` segments the dataplane sends back to our port
    within `timeout` seconds (fewer if fewer came)."""
    port = sport if sport is not None else pkt[TCP].sport
    up = threading.Event()
    sn = AsyncSniffer(iface=IFACE, count=want, timeout=timeout, started_callback=up.set,
                      lfilter=lambda p: TCP in p and p[IP].src == DST and p[TCP].dport == port)
    sn.start()
    up.wait(2)  # bounded: the sniffer is listening before we send
    send(pkt)
    sn.join(timeout + 1)
    return [p[TCP] for p in (sn.results or [])]


def opts(t):
    return {k: v for k, v in t.options}


def ts(t):
    return opts(t).get("Timestamp")


ip = IP(dst=DST)

# closed port: RST+ACK, SEQ 0, ACK = SEG.SEQ + 1 (RFC 9293 §3.10.7.1)
r = xchg(ip / TCP(sport=SPORT + 1, dport=CLOSED, flags="S", seq=4242))
check(len(r) == 1 and r[0].flags == "RA" and r[0].seq == 0 and r[0].ack == 4243,
      "closed port: SYN gets <SEQ=0><ACK=4243><CTL=RST,ACK>")

# handshake: SYN-ACK options
SEQ = 1000
syn = ip / TCP(sport=SPORT, dport=ECHO, flags="S", seq=SEQ, window=64240,
               options=[("MSS", 1400), ("SAckOK", b""), ("Timestamp", (100, 0)), ("NOP", None),
                        ("WScale", 7)])
r = xchg(syn)
check(len(r) == 1 and r[0].flags == "SA" and r[0].ack == SEQ + 1, "SYN gets SYN-ACK, ACK = ISN + 1")
sa = r[0]
o = opts(sa)
check(o.get("MSS") == 1460, "SYN-ACK MSS 1460")
check(o.get("WScale") == 7, "SYN-ACK window scale 7")
check("SAckOK" in o, "SYN-ACK SACK-permitted")
check(ts(sa) is not None and ts(sa)[1] == 100, "SYN-ACK timestamp echoes TSval 100")
check(sa.window == 65535, "SYN-ACK window unscaled 65535")
ISS = sa.seq
TSV = ts(sa)[0]
nxt = SEQ + 1
send(ip / TCP(sport=SPORT, dport=ECHO, flags="A", seq=nxt, ack=ISS + 1, window=502,
              options=[("NOP", None), ("NOP", None), ("Timestamp", (101, TSV))]))

# out-of-window data: an ACK for RCV.NXT, nothing taken
r = xchg(ip / TCP(sport=SPORT, dport=ECHO, flags="PA", seq=nxt + 10_000_000, ack=ISS + 1,
                  window=502, options=[("NOP", None), ("NOP", None), ("Timestamp", (102, TSV))])
         / Raw(b"x" * 10))
check(len(r) == 1 and r[0].flags == "A" and r[0].ack == nxt and len(r[0].payload) == 0,
      "out-of-window segment gets a bare ACK for RCV.NXT")

# RFC 5961 §3.2: in-window RST not at RCV.NXT: challenge ACK
r = xchg(ip / TCP(sport=SPORT, dport=ECHO, flags="R", seq=nxt + 100))
check(len(r) == 1 and r[0].flags == "A" and r[0].ack == nxt and r[0].seq == ISS + 1,
      "in-window RST gets a challenge ACK, connection kept")

# RFC 5961 §4.2: SYN on the established connection: challenge ACK
r = xchg(ip / TCP(sport=SPORT, dport=ECHO, flags="S", seq=nxt + 50, window=1000,
                  options=[("NOP", None), ("NOP", None), ("Timestamp", (103, 0))]))
check(len(r) == 1 and r[0].flags == "A" and r[0].ack == nxt, "SYN in ESTABLISHED gets a challenge ACK")

# RFC 7323 §5: PAWS: data with an old timestamp is dropped with an ACK
r = xchg(ip / TCP(sport=SPORT, dport=ECHO, flags="PA", seq=nxt, ack=ISS + 1, window=502,
                  options=[("NOP", None), ("NOP", None), ("Timestamp", (50, TSV))]) / Raw(b"old"))
check(len(r) == 1 and r[0].flags == "A" and r[0].ack == nxt and len(r[0].payload) == 0
      and ts(r[0])[1] == 101, "PAWS: old TSval dropped, ACK echoes TS.Recent 101")

# valid data is echoed, carrying the ACK
r = xchg(ip / TCP(sport=SPORT, dport=ECHO, flags="PA", seq=nxt, ack=ISS + 1, window=502,
                  options=[("NOP", None), ("NOP", None), ("Timestamp", (104, TSV))]) / Raw(b"hello"))
check(len(r) == 1 and bytes(r[0].payload) == b"hello" and r[0].ack == nxt + 5 and r[0].seq == ISS + 1,
      "data is echoed with ACK = SEQ + 5")
nxt += 5

# RST exactly at RCV.NXT resets: a later segment meets no connection and gets a RST
send(ip / TCP(sport=SPORT, dport=ECHO, flags="R", seq=nxt))
r = xchg(ip / TCP(sport=SPORT, dport=ECHO, flags="A", seq=nxt, ack=ISS + 6, window=502))
check(len(r) == 1 and r[0].flags == "R" and r[0].seq == ISS + 6, "RST at RCV.NXT closed the connection")
print("PASS")
