#!/usr/bin/env python3
"""tests/integration/echo_server.py: a Linux kernel-TCP echo server (RFC 862), or discard
server (RFC 863), for the side-by-side benchmarks and the active-open test: one thread per
connection, echoes (or drops) until EOF, then closes.
usage: echo_server.py PORT [discard]"""
import socket
import sys
import threading


DISCARD = len(sys.argv) > 2 and sys.argv[2] == "discard"


def serve(c):
    with c:
        c.settimeout(120)
        while True:
            b = c.recv(262144)
            if not b:
                break
            if not DISCARD:
                c.sendall(b)


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[1])))
    s.listen(128)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
