#!/bin/bash
# A benchmark, not a test (no thresholds, not registered with meson): the same Linux-socket
# client (tcp_client.py bench) pushes BYTES through fxr-dataplane's echo service and through
# a Linux echo server (echo_server.py, kernel TCP) in a namespace of its own behind the same
# NAT gateway, one after the other in one run, and prints both figures side by side.
# usage: bench-tcp-echo.sh PATH/TO/fxr-dataplane [BYTES (default 50000000)]
set -u
. "$(dirname "$0")/netns-lib.sh"
DP=$1
BYTES=${2:-50000000}
HERE=$(cd "$(dirname "$0")" && pwd)
NS_L=$IT_PREFIX-l
IF_G2=fx${IT_ID}g2
IF_L0=fx${IT_ID}l0
it_init
trap 'ip netns del "$NS_L" 2>/dev/null; it_cleanup' EXIT
it_topology
ip netns add "$NS_L" || it_fail "ip netns add"
ip link add "$IF_G2" netns "$NS_G" type veth peer name "$IF_L0" netns "$NS_L" || it_fail "veth"
ip -n "$NS_G" addr add 10.200.3.1/24 dev "$IF_G2"
ip -n "$NS_G" link set "$IF_G2" up
ip -n "$NS_L" addr add 10.200.3.2/24 dev "$IF_L0"
ip -n "$NS_L" link set lo up
ip -n "$NS_L" link set "$IF_L0" up
ip -n "$NS_L" route add default via 10.200.3.1
ip netns exec "$NS_G" iptables -t nat -A POSTROUTING -o "$IF_G2" -j MASQUERADE

ip netns exec "$NS_L" timeout 300 python3 "$HERE/echo_server.py" 7 &
srv=$!
it_dp_start "$DP" --service echo=7
it_wait_for 50 ip netns exec "$NS_C" python3 -c "import socket; socket.create_connection(('10.200.3.2', 7), 1)" \
	|| it_fail "Linux echo server not up"
for round in 1 2; do
	fxr=$(ip netns exec "$NS_C" timeout 120 python3 "$HERE/tcp_client.py" bench $IP_DP 7 "$BYTES")
	lin=$(ip netns exec "$NS_C" timeout 120 python3 "$HERE/tcp_client.py" bench 10.200.3.2 7 "$BYTES")
	echo "round $round: fxr-dataplane echo: ${fxr#bench echo }"
	echo "round $round: Linux echo:         ${lin#bench echo }"
done
echo "fxr-dataplane CPU (busy-poll off, 1 lcore): $(it_cpu_ticks "$DP_PID") ticks since start"
kill $srv 2>/dev/null
it_dp_stop
