#!/usr/bin/env python3
"""tests/integration/echo_server.py: a Linux kernel-TCP echo server (RFC 862) for the
side-by-side benchmark: one thread per connection, echoes until EOF, then closes.
usage: echo_server.py PORT"""
import socket
import sys
import threading


def serve(c):
    with c:
        c.settimeout(120)
        while True:
            b = c.recv(262144)
            if not b:
                break
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
