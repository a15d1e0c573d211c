"""tests/integration/wire_lib.py: what the scapy wire tests (tcp_wire*.py) share: the
check/fail output convention (one line per check, exit status 1 at the first failure) and
Wire, a capture of the dataplane's segments to given local ports that starts before the
first segment is sent."""
import queue
import sys
import threading

from scapy.all import IP, TCP, Raw, AsyncSniffer, conf, send  # noqa: E402

conf.verb = 0


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok " + msg)


class Wire:
    """Captures every TCP segment the dataplane (dst) sends to the given local ports, one
    queue per port, from before the first segment is sent. wait bounds any one awaited
    segment; quiet is how long "no reply" is watched."""

    def __init__(self, iface, dst, ports, wait, quiet=0.5):
        self.dst = dst
        self.wait = wait
        self.quiet_s = quiet
        self.q = {p: queue.Queue() for p in ports}
        up = threading.Event()
        self.sn = AsyncSniffer(iface=iface, store=False, started_callback=up.set,
                               lfilter=lambda p: TCP in p and p[IP].src == dst
                               and p[TCP].dport in self.q,
                               prn=lambda p: self.q[p[TCP].dport].put(p[TCP]))
        self.sn.start()
        if not up.wait(5):
            fail("sniffer did not start")

    def next(self, port, timeout=None, skip_syn=True):
        """The next segment to port (retransmitted SYNs skipped unless skip_syn is False)
        within timeout (default: the Wire's wait), or None."""
        while True:
            try:
                t = self.q[port].get(timeout=self.wait if timeout is None else timeout)
            except queue.Empty:
                return None
            if skip_syn and t.flags == "S":
                continue
            return t

    def quiet(self, port):
        """The next segment to port within the quiet time, or None (the wanted answer
        when nothing may come)."""
        return self.next(port, timeout=self.quiet_s)

    def send(self, sport, dport, **kw):
        data = kw.pop("data", None)
        p = IP(dst=self.dst) / TCP(sport=sport, dport=dport, **kw)
        send(p / Raw(data) if data else p)
