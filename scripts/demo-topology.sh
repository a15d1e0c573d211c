# scripts/demo-topology.sh: the demo's network, all in network namespaces of its own:
# two LANs, each behind a NAT gateway, and the relay on the WAN side.
#
#   ns L1 fax-a 10.210.1.2 -- G1 10.210.1.1 | 10.210.11.2 (MASQUERADE) --+
#                                                                         W 10.210.0.1 -- R: fxr-dataplane 10.210.0.2
#   ns L2 fax-b 10.210.2.2 -- G2 10.210.2.1 | 10.210.12.2 (MASQUERADE) --+  (a router)    (net_af_xdp on r0)
#
# Sourced by scripts/demo. Names carry the demo's pid; demo_down removes everything.
DEMO_ID=$$
DEMO_NS="fxd$DEMO_ID"
NS_L1=$DEMO_NS-l1 NS_L2=$DEMO_NS-l2 NS_G1=$DEMO_NS-g1 NS_G2=$DEMO_NS-g2
NS_W=$DEMO_NS-w NS_R=$DEMO_NS-r
IP_RELAY=10.210.0.2
IF_R0=fxd${DEMO_ID}r0

# demo_link NS_A IF_A ADDR_A NS_B IF_B ADDR_B: a veth pair between two namespaces.
demo_link() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || return 1
	[ -z "$3" ] || ip -n "$1" addr add "$3" dev "$2"
	[ -z "$6" ] || ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up
}

demo_topology() {
	local ns
	for ns in "$NS_L1" "$NS_L2" "$NS_G1" "$NS_G2" "$NS_W" "$NS_R"; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	done
	demo_link "$NS_L1" fxd${DEMO_ID}a0 10.210.1.2/24 "$NS_G1" fxd${DEMO_ID}g1i 10.210.1.1/24 &&
	demo_link "$NS_L2" fxd${DEMO_ID}b0 10.210.2.2/24 "$NS_G2" fxd${DEMO_ID}g2i 10.210.2.1/24 &&
	demo_link "$NS_G1" fxd${DEMO_ID}g1o 10.210.11.2/24 "$NS_W" fxd${DEMO_ID}w1 10.210.11.1/24 &&
	demo_link "$NS_G2" fxd${DEMO_ID}g2o 10.210.12.2/24 "$NS_W" fxd${DEMO_ID}w2 10.210.12.1/24 &&
	demo_link "$NS_W" fxd${DEMO_ID}wr 10.210.0.1/24 "$NS_R" "$IF_R0" "" || return 1
	ip -n "$NS_L1" route add default via 10.210.1.1 &&
	ip -n "$NS_L2" route add default via 10.210.2.1 &&
	ip -n "$NS_G1" route add default via 10.210.11.1 &&
	ip -n "$NS_G2" route add default via 10.210.12.1 || return 1
	for ns in "$NS_G1" "$NS_G2" "$NS_W"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 || return 1
	done
	ip netns exec "$NS_G1" iptables -t nat -A POSTROUTING -o fxd${DEMO_ID}g1o -j MASQUERADE &&
	ip netns exec "$NS_G2" iptables -t nat -A POSTROUTING -o fxd${DEMO_ID}g2o -j MASQUERADE || return 1
	# the dataplane's Linux peer leaves TCP checksums to offload unless told not to
	ip netns exec "$NS_W" ethtool -K fxd${DEMO_ID}wr tx off >/dev/null
}

demo_down() {
	local ns
	for ns in "$NS_L1" "$NS_L2" "$NS_G1" "$NS_G2" "$NS_W" "$NS_R"; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}
