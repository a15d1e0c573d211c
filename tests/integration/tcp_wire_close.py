#!/usr/bin/env python3
"""tests/integration/tcp_wire_close.py: FIN in each state of fxr-dataplane's TCP, and
zero-window probes, from the wire with scapy: exact segments in, exact replies checked.
Run in the namespace on the dataplane's link, with the kernel's own RSTs to the dataplane
dropped by iptables. Replies are awaited up to a bound (count-based, never timed).

usage: tcp_wire_close.py active IFACE DATAPLANE_IP PORT_CLOSING PORT_FIN_WAIT_2
    plays the server for two --connect-check ADDR:PORT,bytes=0 of the dataplane (which
    connects, then closes first): prints "listening" once it captures, then
      PORT_CLOSING:    FIN-WAIT-1 + our FIN (not acking theirs) -> CLOSING, then our ACK ->
                       TIME-WAIT, then our FIN again in TIME-WAIT;
      PORT_FIN_WAIT_2: our ACK of their FIN -> FIN-WAIT-2, then our FIN -> TIME-WAIT.
usage: tcp_wire_close.py passive IFACE DATAPLANE_IP ECHO_PORT
    against the echo service (which closes when we do):
      zero window: we ask for data with window 0: persist probes (one octet at SND.UNA, again
      after no progress); CLOSE-WAIT: our FIN while the echo waits on our window; then the
      window opens: data and FIN (LAST-ACK); our FIN again in LAST-ACK; our ACK closes;
      ESTABLISHED: a second connection, our FIN gets FIN+ACK at once.
Prints one line per check; exit status 0 when all pass, 1 at the first failure."""
import random
import sys

from wire_lib import Wire, check, fail

WAIT = 10.0     # bound on any one awaited segment (RTO and persist back-off included)


def active(iface, dst, p_closing, p_fw2):
    w = Wire(iface, dst, [p_closing, p_fw2], WAIT)
    print("listening", flush=True)
    conns = {}
    # the dataplane's SYNs: answered without options (no window scale, SACK, timestamps)
    for port in (p_closing, p_fw2):
        syn = w.next(port, timeout=30, skip_syn=False)
        check(syn is not None and syn.flags == "S", "port %d: the dataplane's SYN" % port)
        our = random.randint(1, 2**31)
        w.send(port, syn.sport, flags="SA", seq=our, ack=syn.seq + 1, window=65535)
        conns[port] = (syn, our)
    for port in (p_closing, p_fw2):
        syn, our = conns[port]
        # it acks our SYN-ACK and, having nothing to send, closes: FIN-WAIT-1
        fin = w.next(port)
        while fin is not None and not fin.flags.F:
            check(fin.flags == "A" and fin.ack == our + 1, "port %d: ACK of our SYN-ACK" % port)
            fin = w.next(port)
        check(fin is not None and fin.flags.F and fin.flags.A and fin.seq == syn.seq + 1
              and fin.ack == our + 1, "port %d: FIN at ISS + 1 (FIN-WAIT-1)" % port)
        conns[port] = (syn, our, fin)

    syn, our, fin = conns[p_closing]
    # FIN-WAIT-1, their FIN not acked by ours: CLOSING, and our FIN is acked
    w.send(p_closing, syn.sport, flags="FA", seq=our + 1, ack=syn.seq + 1, window=65535)
    r = w.next(p_closing)
    check(r is not None and r.flags == "A" and r.seq == syn.seq + 2 and r.ack == our + 2,
          "FIN in FIN-WAIT-1 gets <SEQ=ISS+2><ACK=FIN+1> (CLOSING)")
    # CLOSING, their FIN acked: TIME-WAIT, nothing to say
    w.send(p_closing, syn.sport, flags="A", seq=our + 2, ack=syn.seq + 2, window=65535)
    check(w.quiet(p_closing) is None, "ACK of the FIN in CLOSING gets no reply (TIME-WAIT)")
    # TIME-WAIT: a retransmitted FIN is acked again
    w.send(p_closing, syn.sport, flags="FA", seq=our + 1, ack=syn.seq + 2, window=65535)
    r = w.next(p_closing)
    check(r is not None and r.flags == "A" and r.seq == syn.seq + 2 and r.ack == our + 2,
          "FIN again in TIME-WAIT gets the same ACK")

    syn, our, fin = conns[p_fw2]
    # FIN-WAIT-1, their FIN acked: FIN-WAIT-2, nothing to say
    w.send(p_fw2, syn.sport, flags="A", seq=our + 1, ack=syn.seq + 2, window=65535)
    check(w.quiet(p_fw2) is None, "ACK of the FIN in FIN-WAIT-1 gets no reply (FIN-WAIT-2)")
    # FIN-WAIT-2, our FIN: acked, TIME-WAIT
    w.send(p_fw2, syn.sport, flags="FA", seq=our + 1, ack=syn.seq + 2, window=65535)
    r = w.next(p_fw2)
    check(r is not None and r.flags == "A" and r.seq == syn.seq + 2 and r.ack == our + 2,
          "FIN in FIN-WAIT-2 gets <SEQ=ISS+2><ACK=FIN+1> (TIME-WAIT)")
    check(w.quiet(p_fw2) is None, "nothing more after TIME-WAIT is entered")
    print("PASS")


def assemble(segs, start, end):
    """The bytes [start, end) from segments {seq: payload}, or None while a hole remains."""
    out = b""
    while start + len(out) < end:
        pos = start + len(out)
        part = next((d[pos - k:] for k, d in segs.items() if k <= pos < k + len(d)), None)
        if part is None:
            return None
        out += part
    return out[:end - start]


def handshake(w, sport, echo, window):
    """Opens a connection to the echo port without options; returns (ISS, RCV.NXT)."""
    w.send(sport, echo, flags="S", seq=1000, window=window)
    sa = w.next(sport, skip_syn=False)
    check(sa is not None and sa.flags == "SA" and sa.ack == 1001, "port %d: SYN-ACK" % sport)
    w.send(sport, echo, flags="A", seq=1001, ack=sa.seq + 1, window=window)
    return sa.seq, 1001


def passive(iface, dst, echo):
    sp = random.randint(20000, 40000)
    sp2 = sp + 1
    w = Wire(iface, dst, [sp, sp2], WAIT)
    iss, nxt = handshake(w, sp, echo, 0)
    # data while our window is 0: the echo waits; the ACK of our data comes (delayed)
    w.send(sp, echo, flags="PA", seq=nxt, ack=iss + 1, window=0, data=b"abcdef")
    nxt += 6
    r = w.next(sp)
    check(r is not None and r.flags == "A" and r.ack == nxt and len(r.payload) == 0,
          "zero window: our data is acked, nothing echoed")
    # RFC 9293 §3.8.6.1: the persist timer sends one octet beyond the window...
    r = w.next(sp)
    check(r is not None and r.seq == iss + 1 and bytes(r.payload) == b"a",
          "zero window: a window probe, one octet at SND.UNA")
    # ...we answer with the window still 0 (not taking the octet): it probes again
    w.send(sp, echo, flags="A", seq=nxt, ack=iss + 1, window=0)
    r = w.next(sp)
    check(r is not None and r.seq == iss + 1 and bytes(r.payload) == b"a",
          "zero window: probed again after no progress")
    # CLOSE-WAIT: our FIN while the echo's data waits on our window: acked, no FIN yet
    w.send(sp, echo, flags="FA", seq=nxt, ack=iss + 1, window=0)
    r = w.next(sp)
    while r is not None and r.flags != "A":
        r = w.next(sp)  # a probe may cross our FIN
    check(r is not None and r.ack == nxt + 1 and len(r.payload) == 0,
          "FIN in ESTABLISHED with data queued gets an ACK, no FIN (CLOSE-WAIT)")
    # a retransmitted FIN in CLOSE-WAIT: the same ACK
    w.send(sp, echo, flags="FA", seq=nxt, ack=iss + 1, window=0)
    r = w.next(sp)
    while r is not None and len(r.payload) != 0:
        r = w.next(sp)
    check(r is not None and r.flags == "A" and r.ack == nxt + 1,
          "FIN again in CLOSE-WAIT gets the same ACK")
    nxt += 1
    # the window opens: the echo and its FIN follow (LAST-ACK)
    w.send(sp, echo, flags="A", seq=nxt, ack=iss + 1, window=65535)
    segs, fin_seq, got = {}, None, None
    while got is None:
        r = w.next(sp)
        if r is None:
            fail("window opened: no echo and FIN (segments %r, FIN %r)" % (segs, fin_seq))
        if len(r.payload):
            segs[r.seq] = bytes(r.payload)
        if r.flags.F:
            fin_seq = r.seq + len(r.payload)
        if fin_seq is not None:
            got = assemble(segs, iss + 1, fin_seq)  # None until the probe's octet is resent
    check(got == b"abcdef" and fin_seq == iss + 7, "window open: echo 'abcdef' then FIN (LAST-ACK)")
    # LAST-ACK: our FIN again gets an ACK
    w.send(sp, echo, flags="FA", seq=nxt - 1, ack=iss + 1, window=65535)
    r = w.next(sp)
    while r is not None and (r.flags.F or len(r.payload)):
        r = w.next(sp)  # retransmissions of what we did not ack
    check(r is not None and r.flags == "A" and r.ack == nxt, "FIN again in LAST-ACK gets an ACK")
    # our ACK of everything closes it: the next segment meets no connection
    w.send(sp, echo, flags="A", seq=nxt, ack=fin_seq + 1, window=65535)
    w.send(sp, echo, flags="A", seq=nxt, ack=fin_seq + 1, window=65535, data=b"x")
    r = w.next(sp)
    while r is not None and not r.flags.R:
        r = w.next(sp)
    check(r is not None and r.flags == "R" and r.seq == fin_seq + 1,
          "ACK in LAST-ACK closed the connection (then RST)")

    # ESTABLISHED, nothing queued: our FIN gets FIN+ACK at once (the echo closes too)
    iss, nxt = handshake(w, sp2, echo, 65535)
    w.send(sp2, echo, flags="FA", seq=nxt, ack=iss + 1, window=65535)
    r = w.next(sp2)
    check(r is not None and r.flags == "FA" and r.seq == iss + 1 and r.ack == nxt + 1,
          "FIN in ESTABLISHED gets <SEQ=ISS+1><ACK=FIN+1><CTL=FIN,ACK>")
    w.send(sp2, echo, flags="A", seq=nxt + 1, ack=iss + 2, window=65535)
    check(w.quiet(sp2) is None, "ACK in LAST-ACK gets no reply")
    print("PASS")


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "active":
        active(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif len(sys.argv) == 5 and sys.argv[1] == "passive":
        passive(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        print(__doc__)
        sys.exit(2)
