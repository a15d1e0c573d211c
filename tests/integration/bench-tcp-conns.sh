#!/bin/bash
# A benchmark, not a test (no thresholds, not registered with meson): how many idle TCP
# connections fxr-dataplane holds, and what each costs. The dataplane starts with
# --max-conns N (its TCB table, sized from hugepages at start; it logs the bytes per
# connection), then Linux clients in the gateway namespace (on the dataplane's link, many
# source addresses, conntrack off for this traffic, raised fd limit) open connections to its
# discard service and keep them open and idle, until N, a failure, or the time limit. Prints
# what was held (tcp_established from /fxr/counters, the clients' count), the dataplane's
# memory, the hugepage and kernel memory the clients used, and the first error.
# usage: bench-tcp-conns.sh PATH/TO/fxr-dataplane [N (default 1000000)] [EAL -m MB (default 2048)]
# More hugepages than the tests' 512 may be needed: echo 2048 > /proc/sys/vm/nr_hugepages.
set -u
. "$(dirname "$0")/netns-lib.sh"
DP=$1
N=${2:-1000000}
MEM=${3:-2048}
SRCS=$(( (N + 18999) / 19000 ))     # source addresses: one client process of 19000 each
it_init
it_topology
# every source address on the gateway's side of the dataplane's link, 10.200.2.100 and up
for ((i = 0; i < SRCS; i++)); do
	ip -n "$NS_G" addr add 10.200.2.$((100 + i))/24 dev "$IF_G1" || it_fail "address $i"
done
ip netns exec "$NS_G" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
ip netns exec "$NS_G" iptables -t raw -A OUTPUT -p tcp -d $IP_DP -j NOTRACK
ip netns exec "$NS_G" iptables -t raw -A PREROUTING -p tcp -s $IP_DP -j NOTRACK

# it_dp_launch with a bigger memory budget than the tests' 256 MB
DP_PREFIX=$IT_PREFIX-$RANDOM
DP_PREFIXES="$DP_PREFIXES $DP_PREFIX"
DP_LOG=$IT_TMP/dataplane.log
ip netns exec "$NS_D" "$DP" -l 0 -m "$MEM" --no-pci --file-prefix "$DP_PREFIX" \
	--vdev "net_af_xdp0,iface=$IF_D0,start_queue=0,queue_count=1" -- --ip $IP_DP/24 \
	--gw $IP_G_OUT --channel "$DP_PREFIX" --service discard=9 --max-conns "$N" >"$DP_LOG" 2>&1 &
DP_PID=$!
it_wait_for 600 bash -c "grep -q 'fxr-dataplane: ready' '$DP_LOG' || ! kill -0 $DP_PID" \
	|| it_fail "dataplane not ready"
kill -0 $DP_PID 2>/dev/null || it_fail "dataplane did not start: $(tail -n 3 "$DP_LOG")"
it_wait_for 100 test -S "/var/run/dpdk/$DP_PREFIX/dpdk_telemetry.v2" || it_fail "no telemetry"
grep 'TCP stack for' "$DP_LOG"
slab_before=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)

ip netns exec "$NS_G" python3 - "$N" "$IP_DP" >"$IT_TMP/clients.out" 2>&1 <<'PY' &
# one process per 19000 connections (the fd hard limit here is 20000 and cannot be raised),
# each from a source address of its own (Linux's port search at connect slows down as the
# address's ports fill up)
import errno, multiprocessing as mp, selectors, socket, sys, time
n, dst = int(sys.argv[1]), sys.argv[2]
PER = 19000


def hold(j, count, out):
    sel = selectors.EpollSelector()
    held, pending, err, i, failed = [], 0, None, 0, 0
    t0 = time.monotonic()
    while (i < count and err is None) or pending:
        while pending < 64 and i < count and err is None:
            s = socket.socket()
            s.setblocking(False)
            # IP_BIND_ADDRESS_NO_PORT: the port is picked at connect (bind's own search
            # grows with the ports taken)
            s.setsockopt(socket.SOL_IP, 24, 1)
            s.bind(("10.200.2.%d" % (100 + j), 0))
            rc = s.connect_ex((dst, 9))
            if rc not in (0, errno.EINPROGRESS):
                err = "connect: %s" % errno.errorcode.get(rc, rc)
                s.close()
                break
            sel.register(s, selectors.EVENT_WRITE)
            pending += 1
            i += 1
        if err is not None and not pending:
            break
        if time.monotonic() - t0 > 600:
            err = err or "time limit"
            break
        for key, _ in sel.select(timeout=5):
            s = key.fileobj
            sel.unregister(s)
            pending -= 1
            e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if e:
                failed += 1   # counted, not fatal: the next connection is tried
                s.close()
            else:
                held.append(s)
    out.put((len(held), failed, err))
    time.sleep(3600)   # held, idle, until the benchmark ends


q = mp.Queue()
t0 = time.monotonic()
procs = [mp.Process(target=hold, args=(j, min(PER, n - j * PER), q), daemon=True)
         for j in range((n + PER - 1) // PER)]
for p in procs:
    p.start()
results = [q.get() for _ in procs]
errs = sorted({e for _, _, e in results if e})
print("CLIENTS held %d in %.1f s with %d processes, %d handshakes failed; stopped by: %s"
      % (sum(r[0] for r in results), time.monotonic() - t0, len(procs),
         sum(r[1] for r in results), ", ".join(errs) if errs else "all attempted"), flush=True)
time.sleep(3600)
PY
CL_PID=$!
# the client processes are the python's children: its process group goes
it_cleanup_hook() { pkill -TERM -P "$CL_PID" 2>/dev/null; kill "$CL_PID" 2>/dev/null; }
it_wait_for 7000 grep -q '^CLIENTS' "$IT_TMP/clients.out" || it_fail "clients did not finish"
grep -v '^held' "$IT_TMP/clients.out" | tail -n 3
slab_after=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
est=$(it_counter tcp_established)
closed=$(it_counter tcp_closed)
echo "dataplane: tcp_established $est, tcp_closed $closed, held $((est - closed));" \
	"drops: table_full $(it_counter tcp_drop_table_full) backlog $(it_counter tcp_drop_backlog)" \
	"syncookie_sent $(it_counter tcp_syncookie_sent) mbuf_alloc_fail $(it_counter mbuf_alloc_fail)"
echo "dataplane counters: $(it_counters | awk '$2 != 0 && $1 !~ /^(chan|relay|fault)_/ { printf "%s=%s ", $1, $2 }')"
echo "dataplane RSS $(awk '/^VmRSS/ { print $2, $3 }' /proc/$DP_PID/status) (hugepages not in RSS)"
echo "Linux clients: kernel slab grew by $(( (slab_after - slab_before) / 1024 )) MiB" \
	"for $est connections (shared machine: other work moves it too)"
it_cleanup_hook
wait "$CL_PID" 2>/dev/null
it_dp_stop
