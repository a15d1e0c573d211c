#!/bin/bash
# A benchmark, not a test (no thresholds, not registered with meson): the same Linux-socket
# client (tcp_client.py streams) pushes BYTES, over 1 and over 16 connections, through
# fxr-dataplane's echo and discard services and through Linux echo and discard servers
# (echo_server.py, kernel TCP) in a namespace of their own behind the same NAT gateway,
# alternated (fxr, Linux, fxr, Linux...) in one run of 3 rounds, and prints the figures side
# by side; with fxr's busy TSC cycles per received / sent TCP segment over each of its runs
# (busy_cycles, tcp_rx_segs, tcp_tx_segs from /fxr/counters). Discard is the receive-heavy
# figure; echo receives and sends the same.
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

ip netns exec "$NS_L" timeout 900 python3 "$HERE/echo_server.py" 7 &
srv=$!
ip netns exec "$NS_L" timeout 900 python3 "$HERE/echo_server.py" 9 discard &
srv2=$!
it_cleanup_hook() { kill $srv $srv2 2>/dev/null; }
it_dp_start "$DP" --service echo=7 --service discard=9
up() { ip netns exec "$NS_C" python3 -c "import socket; socket.create_connection(('10.200.3.2', $1), 1)"; }
it_wait_for 50 up 7 && it_wait_for 50 up 9 || it_fail "Linux servers not up"

# counters of the dataplane that the cycle figures divide
snap() { it_counters | awk '$1 ~ /^(busy_cycles|tcp_rx_segs|tcp_tx_segs|tcp_rx_bytes|tcp_tx_bytes)$/ { printf "%s=%s ", $1, $2 }'; }
val() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$2"; }

# usage: run KIND STREAMS: one figure each for fxr and Linux, same client, back to back
run() {
	local kind=$1 n=$2 port per before after fxr lin cyc rx tx
	port=$([ "$kind" = echo ] && echo 7 || echo 9)
	per=$((BYTES / n))
	before=$(snap)
	fxr=$(ip netns exec "$NS_C" timeout 300 python3 "$HERE/tcp_client.py" streams $IP_DP $port $kind $n $per)
	after=$(snap)
	lin=$(ip netns exec "$NS_C" timeout 300 python3 "$HERE/tcp_client.py" streams 10.200.3.2 $port $kind $n $per)
	cyc=$(( $(val busy_cycles "$after") - $(val busy_cycles "$before") ))
	rx=$(( $(val tcp_rx_segs "$after") - $(val tcp_rx_segs "$before") ))
	tx=$(( $(val tcp_tx_segs "$after") - $(val tcp_tx_segs "$before") ))
	echo "round $round $kind x$n: fxr ${fxr##*: } | Linux ${lin##*: } |" \
		"fxr busy cycles $cyc: $((cyc / (rx > 0 ? rx : 1))) per rx segment ($rx)," \
		"$((cyc / (tx > 0 ? tx : 1))) per tx segment ($tx), $((cyc / ((rx + tx) > 0 ? rx + tx : 1))) per segment"
}
for round in 1 2 3; do
	for kind in echo discard; do
		for n in 1 16; do
			run $kind $n
		done
	done
done
echo "fxr-dataplane CPU (busy-poll off, ${FXR_IT_LCORES:-1} lcore(s)): $(it_cpu_ticks "$DP_PID") ticks since start"
it_dp_stop
