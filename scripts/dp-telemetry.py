#!/usr/bin/env python3
"""Asks a running fxr-dataplane one DPDK telemetry command and prints the answer for shell
scripts: "name value" a line for a dictionary, or with NAME only that entry's value
("missing" when there is none).

usage: dp-telemetry.py FILE_PREFIX COMMAND [NAME]
  FILE_PREFIX  the dataplane's EAL --file-prefix (its socket is
               /var/run/dpdk/FILE_PREFIX/dpdk_telemetry.v2)
  COMMAND      e.g. /fxr/counters, /fxr/lcore_counters,1
Exit status: 0 answered, 1 no answer (no such socket, or it closed), 2 usage."""
import json
import socket
import sys


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % argv[1]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    try:
        s.connect(path)
        s.recv(16384)  # banner
        s.send(argv[2].encode())
        reply = json.loads(s.recv(1 << 20).decode())
    except (OSError, ValueError) as e:
        print("dp-telemetry: %s: %s" % (path, e), file=sys.stderr)
        return 1
    answer = reply.get(argv[2].split(",")[0]) or {}
    if len(argv) == 4:
        print(answer.get(argv[3], "missing"))
    else:
        for name, value in answer.items():
            print(name, value)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
