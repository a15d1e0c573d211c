# scripts/relay-lab.sh: a relay and its devices' network, in network namespaces of its own:
# two LANs, each behind a NAT gateway, and the relay (fxr-dataplane + fxr-controlplane on the
# embedded store) on the WAN side. Used by scripts/demo and the end-to-end fax test.
#
#   ns L1 fax-a 10.210.1.2 -- G1 10.210.1.1 | 10.210.11.2 (MASQUERADE) --+
#                                                                         W 10.210.0.1 -- R: fxr-dataplane 10.210.0.2
#   ns L2 fax-b 10.210.2.2 -- G2 10.210.2.1 | 10.210.12.2 (MASQUERADE) --+  (a router)    (net_af_xdp on r0)
#
# Sourced (needs FXR_BUILD and a folder LAB_TMP for logs and the registry). Names carry the
# pid; lab_down stops what lab_relay_start started and removes everything.
LAB_ID=$$
LAB_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_NS="fxd$LAB_ID"
NS_L1=$LAB_NS-l1 NS_L2=$LAB_NS-l2 NS_G1=$LAB_NS-g1 NS_G2=$LAB_NS-g2
NS_W=$LAB_NS-w NS_R=$LAB_NS-r
IP_RELAY=10.210.0.2
IF_R0=fxd${LAB_ID}r0

# lab_link NS_A IF_A ADDR_A NS_B IF_B ADDR_B: a veth pair between two namespaces.
lab_link() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || return 1
	[ -z "$3" ] || ip -n "$1" addr add "$3" dev "$2"
	[ -z "$6" ] || ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up
}

lab_topology() {
	local ns
	for ns in "$NS_L1" "$NS_L2" "$NS_G1" "$NS_G2" "$NS_W" "$NS_R"; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	done
	lab_link "$NS_L1" fxd${LAB_ID}a0 10.210.1.2/24 "$NS_G1" fxd${LAB_ID}g1i 10.210.1.1/24 &&
	lab_link "$NS_L2" fxd${LAB_ID}b0 10.210.2.2/24 "$NS_G2" fxd${LAB_ID}g2i 10.210.2.1/24 &&
	lab_link "$NS_G1" fxd${LAB_ID}g1o 10.210.11.2/24 "$NS_W" fxd${LAB_ID}w1 10.210.11.1/24 &&
	lab_link "$NS_G2" fxd${LAB_ID}g2o 10.210.12.2/24 "$NS_W" fxd${LAB_ID}w2 10.210.12.1/24 &&
	lab_link "$NS_W" fxd${LAB_ID}wr 10.210.0.1/24 "$NS_R" "$IF_R0" "" || return 1
	ip -n "$NS_L1" route add default via 10.210.1.1 &&
	ip -n "$NS_L2" route add default via 10.210.2.1 &&
	ip -n "$NS_G1" route add default via 10.210.11.1 &&
	ip -n "$NS_G2" route add default via 10.210.12.1 || return 1
	for ns in "$NS_G1" "$NS_G2" "$NS_W"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 || return 1
	done
	ip netns exec "$NS_G1" iptables -t nat -A POSTROUTING -o fxd${LAB_ID}g1o -j MASQUERADE &&
	ip netns exec "$NS_G2" iptables -t nat -A POSTROUTING -o fxd${LAB_ID}g2o -j MASQUERADE || return 1
	# the dataplane's Linux peer leaves TCP checksums to offload unless told not to
	ip netns exec "$NS_W" ethtool -K fxd${LAB_ID}wr tx off >/dev/null
}

LAB_DP_PID= LAB_CP_PID=

# lab_wait_for TRIES CMD...: a bounded wait for a condition, 0.1 s apart.
lab_wait_for() {
	local tries=$1 i
	shift
	for ((i = 0; i < tries; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# lab_ctl ARGS...: fxrctl on the lab's control plane.
lab_ctl() { "$FXR_BUILD/controlplane/fxrctl" --socket "$LAB_TMP/ops.sock" "$@"; }

# lab_relay_start: fxr-dataplane in ns R (net_af_xdp on r0, relay port 4747, a channel named
# after the lab) and fxr-controlplane attached to it (registry LAB_TMP/registry.db; more
# options in LAB_CP_ARGS, e.g. "--config FILE", and LAB_DP_ARGS for the dataplane's, e.g.
# "--mbufs N"). LAB_LCORES=N runs the dataplane on N lcores on net_tap (bridged to r0 in ns
# R), since net_af_xdp on a veth has one queue only; LAB_PMD=net_tap picks net_tap for one. Returns 0
# once the control plane runs, 1 with the log's tail on stderr otherwise.
lab_relay_start() {
	local n=${LAB_LCORES:-1} vdev="net_af_xdp0,iface=$IF_R0,start_queue=0,queue_count=1"
	local tap=fxd${LAB_ID}tp br=fxd${LAB_ID}br

	[ "$n" = 1 ] && [ "${LAB_PMD:-net_af_xdp}" = net_af_xdp ] || vdev="net_tap0,iface=$tap"
	ip netns exec "$NS_R" "$FXR_BUILD/dataplane/fxr-dataplane" -l 0-$((n - 1)) -m 256 --no-pci \
		--file-prefix "$LAB_NS" --vdev "$vdev" \
		-- --ip "$IP_RELAY/24" --gw 10.210.0.1 --port 4747 --channel "$LAB_NS" ${LAB_DP_ARGS:-} \
		> "$LAB_TMP/dataplane.log" 2>&1 &
	LAB_DP_PID=$!
	lab_wait_for 300 grep -q 'fxr-dataplane: ready' "$LAB_TMP/dataplane.log" ||
		{ tail -n 20 "$LAB_TMP/dataplane.log" >&2; return 1; }
	if [ "${vdev#net_tap}" != "$vdev" ]; then
		# the tap's kernel side gets a MAC of its own, or the bridge keeps the port's
		# frames to itself; our gratuitous ARP went out before the bridge existed
		ip -n "$NS_R" link add "$br" type bridge && ip -n "$NS_R" link set "$IF_R0" master "$br" &&
		ip -n "$NS_R" link set "$br" up && ip -n "$NS_R" link set "$tap" address 02:00:00:00:00:01 &&
		ip -n "$NS_R" link set "$tap" master "$br" && ip -n "$NS_R" link set "$tap" up ||
			{ echo "net_tap bridge in $NS_R failed" >&2; return 1; }
		ip -n "$NS_W" neigh flush to "$IP_RELAY" 2>/dev/null
	fi
	"$FXR_BUILD/controlplane/fxr-controlplane" --channel "$LAB_NS" --db "$LAB_TMP/registry.db" \
		--ops-socket "$LAB_TMP/ops.sock" ${LAB_CP_ARGS:-} > "$LAB_TMP/controlplane.log" 2>&1 &
	LAB_CP_PID=$!
	lab_wait_for 300 bash -c "'$FXR_BUILD/controlplane/fxrctl' --socket '$LAB_TMP/ops.sock' --json status | grep -q '\"running\"'" ||
		{ tail -n 20 "$LAB_TMP/controlplane.log" >&2; return 1; }
}

# lab_relay_stop: SIGTERM to both; the dataplane prints its counters into its log at exit.
lab_relay_stop() {
	local pid
	for pid in $LAB_CP_PID $LAB_DP_PID; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	LAB_CP_PID= LAB_DP_PID=
	return 0
}

# lab_counter NAME: one of the running dataplane's counters, read over DPDK telemetry
# (/fxr/counters); "missing" when it has no such counter.
lab_counter() {
	python3 "$LAB_SCRIPTS/dp-telemetry.py" "$LAB_NS" /fxr/counters "$1"
}

lab_down() {
	local ns
	lab_relay_stop
	for ns in "$NS_L1" "$NS_L2" "$NS_G1" "$NS_G2" "$NS_W" "$NS_R"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "/var/run/dpdk/$LAB_NS"
	return 0
}
