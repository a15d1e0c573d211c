# tests/integration/netns-lib.sh: a client behind a NAT gateway in front of fxr-dataplane,
# all in network namespaces of their own, for the integration tests (DESIGN.md §6).
#
#   ns C (client)            ns G (gateway, NAT)                ns D (dataplane)
#   c0 10.200.1.2/24 ---- g0 10.200.1.1/24                     
#                           g1 10.200.2.1/24 (MASQUERADE) ---- d0: fxr-dataplane 10.200.2.2/24
#                                                                  (net_af_xdp on d0, or
#                                                                  net_tap bridged to d0)
#
# Sourced by bash test scripts. Every name carries fxr-it-<pid> so that runs in parallel do
# not collide; it_cleanup (installed as an EXIT trap by it_init) removes the namespaces and
# stops the dataplane on every exit path. Addresses are private to these namespaces.

IT_ID=$$
IT_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)
IT_PREFIX=fxr-it-$IT_ID
NS_C=$IT_PREFIX-c
NS_G=$IT_PREFIX-g
NS_D=$IT_PREFIX-d
# interface names: at most 15 characters
IF_C0=fx${IT_ID}c0
IF_G0=fx${IT_ID}g0
IF_G1=fx${IT_ID}g1
IF_D0=fx${IT_ID}d0
IP_C=10.200.1.2
IP_G_IN=10.200.1.1
IP_G_OUT=10.200.2.1
IP_DP=10.200.2.2
IT_TMP=
DP_PID=
DP_LOG=
DP_PREFIX=
DP_PMD=
DP_PREFIXES=

it_log() { echo "# $*"; }

it_fail() {
	echo "FAIL: $*"
	if [ -n "$DP_LOG" ] && [ -f "$DP_LOG" ]; then
		echo "---- dataplane log ($DP_LOG) ----"
		tail -n 60 "$DP_LOG"
	fi
	exit 1
}

# it_wait_for TRIES CMD...: runs CMD until it succeeds, at most TRIES times 0.1 s apart.
it_wait_for() {
	local tries=$1
	shift
	for ((i = 0; i < tries; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

it_cleanup() {
	local rc=$?
	if [ -n "$DP_PID" ] && kill -0 "$DP_PID" 2>/dev/null; then
		kill -TERM "$DP_PID" 2>/dev/null
		it_wait_for 50 bash -c "! kill -0 $DP_PID" || kill -KILL "$DP_PID" 2>/dev/null
	fi
	for ns in "$NS_C" "$NS_G" "$NS_D"; do
		ip netns del "$ns" 2>/dev/null
	done
	declare -F it_cleanup_hook >/dev/null && it_cleanup_hook
	[ -n "${IT_ECHO_PID:-}" ] && kill "$IT_ECHO_PID" 2>/dev/null
	for p in $DP_PREFIXES; do
		rm -rf "/var/run/dpdk/$p" 2>/dev/null
		# the plane channel of a dataplane that did not exit cleanly
		rm -f "/dev/shm/fxr-$p" 2>/dev/null
	done
	[ -n "$IT_TMP" ] && rm -rf "$IT_TMP"
	exit $rc
}

# it_init: checks the prerequisites (exit 77 = skipped for meson) and installs the trap.
it_init() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: needs root (network namespaces, hugepages)"
		exit 77
	fi
	if ! grep -q hugetlbfs /proc/mounts || [ "$(cat /proc/sys/vm/nr_hugepages)" -lt 128 ]; then
		echo "SKIP: no hugepages (run scripts/setup)"
		exit 77
	fi
	for tool in ip ping iptables ethtool python3; do
		command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
	done
	IT_TMP=$(mktemp -d /tmp/$IT_PREFIX.XXXXXX)
	trap it_cleanup EXIT
	trap 'exit 130' INT TERM
}

# it_topology: builds the three namespaces and their links.
it_topology() {
	ip netns add "$NS_C" && ip netns add "$NS_G" && ip netns add "$NS_D" || it_fail "ip netns add"
	ip link add "$IF_C0" netns "$NS_C" type veth peer name "$IF_G0" netns "$NS_G" \
		|| it_fail "veth client-gateway"
	# one queue pair per dataplane lcore (FXR_IT_LCORES) on the dataplane's side
	local nq=${FXR_IT_LCORES:-1}
	ip link add "$IF_G1" netns "$NS_G" numtxqueues $nq numrxqueues $nq type veth \
		peer name "$IF_D0" netns "$NS_D" numtxqueues $nq numrxqueues $nq \
		|| it_fail "veth gateway-dataplane"
	ip -n "$NS_C" addr add $IP_C/24 dev "$IF_C0"
	ip -n "$NS_C" link set lo up
	ip -n "$NS_C" link set "$IF_C0" up
	ip -n "$NS_C" route add default via $IP_G_IN || it_fail "client default route"
	ip -n "$NS_G" addr add $IP_G_IN/24 dev "$IF_G0"
	ip -n "$NS_G" addr add $IP_G_OUT/24 dev "$IF_G1"
	ip -n "$NS_G" link set lo up
	ip -n "$NS_G" link set "$IF_G0" up
	ip -n "$NS_G" link set "$IF_G1" up
	ip netns exec "$NS_G" sysctl -qw net.ipv4.ip_forward=1 || it_fail "ip_forward"
	ip netns exec "$NS_G" iptables -t nat -A POSTROUTING -o "$IF_G1" -j MASQUERADE \
		|| it_fail "iptables MASQUERADE"
	# the Linux peer of the dataplane leaves checksums to offload unless told not to
	ip netns exec "$NS_G" ethtool -K "$IF_G1" tx off >/dev/null || it_fail "ethtool tx off"
	ip -n "$NS_D" link set lo up
	ip -n "$NS_D" link set "$IF_D0" up
}

# it_dp_launch BINARY VDEV [APP OPTIONS...]: starts fxr-dataplane in ns D with FXR_IT_LCORES
# lcores (default 1) and small memory; returns 0 once its "ready" line is out, 1 when it exited
# before that. The plane channel is named after the run (DP_PREFIX) unless the options give
# --channel.
it_dp_launch() {
	local bin=$1 vdev=$2
	shift 2
	local lcores=0-$((${FXR_IT_LCORES:-1} - 1))
	DP_PREFIX=$IT_PREFIX-$RANDOM
	DP_PREFIXES="$DP_PREFIXES $DP_PREFIX"
	DP_LOG=$IT_TMP/dataplane-$DP_PREFIX.log
	ip netns exec "$NS_D" "$bin" -l $lcores -m 256 --no-pci --file-prefix "$DP_PREFIX" \
		--vdev "$vdev" -- --ip $IP_DP/24 --gw $IP_G_OUT --channel "$DP_PREFIX" "$@" \
		>"$DP_LOG" 2>&1 &
	DP_PID=$!
	it_wait_for 300 bash -c "grep -q 'fxr-dataplane: ready' '$DP_LOG' || ! kill -0 $DP_PID" \
		|| it_fail "dataplane not ready in 30 s"
	if ! kill -0 "$DP_PID" 2>/dev/null; then
		wait "$DP_PID"
		DP_PID=
		return 1
	fi
	return 0
}

# it_dp_start BINARY [APP OPTIONS...]: starts fxr-dataplane on d0 with net_af_xdp; where
# net_af_xdp cannot start (or FXR_IT_PMD=net_tap), falls back to net_tap bridged to d0 and
# says so. Waits (bounded) for the telemetry socket.
it_dp_start() {
	local bin=$1
	shift
	DP_PMD=net_af_xdp
	if [ "${FXR_IT_PMD:-net_af_xdp}" = net_tap ] \
		|| ! it_dp_launch "$bin" \
			"net_af_xdp0,iface=$IF_D0,start_queue=0,queue_count=${FXR_IT_LCORES:-1}" "$@"; then
		[ "${FXR_IT_PMD:-net_af_xdp}" = net_tap ] \
			|| { it_log "net_af_xdp failed, falling back to net_tap:"; tail -n 5 "$DP_LOG"; }
		DP_PMD=net_tap
		local tap=fx${IT_ID}tp br=fx${IT_ID}br
		it_dp_launch "$bin" "net_tap0,iface=$tap" "$@" || it_fail "net_tap did not start either"
		if ! ip -n "$NS_D" link show "$br" >/dev/null 2>&1; then
			ip -n "$NS_D" link add "$br" type bridge || it_fail "bridge for net_tap"
			ip -n "$NS_D" link set "$IF_D0" master "$br"
			ip -n "$NS_D" link set "$br" up
		fi
		# net_tap gives the kernel side of the tap the port's own MAC; a bridge would then
		# keep frames for that MAC to itself, so the kernel side gets another one
		ip -n "$NS_D" link set "$tap" address 02:00:00:00:00:01 \
			&& ip -n "$NS_D" link set "$tap" master "$br" && ip -n "$NS_D" link set "$tap" up \
			|| it_fail "tap into the bridge"
		# our gratuitous ARP went out before the bridge existed: forget any older MAC
		ip -n "$NS_G" neigh flush to $IP_DP dev "$IF_G1" 2>/dev/null
	fi
	it_wait_for 100 test -S "/var/run/dpdk/$DP_PREFIX/dpdk_telemetry.v2" \
		|| it_fail "no telemetry socket"
	it_log "dataplane pid $DP_PID ($DP_PMD): $(grep 'fxr-dataplane: ready' "$DP_LOG")"
}

# it_dp_stop: SIGTERM, bounded wait, then the exit status must be 0.
it_dp_stop() {
	kill -TERM "$DP_PID" || it_fail "dataplane gone before stop"
	local tries=0
	while kill -0 "$DP_PID" 2>/dev/null; do
		tries=$((tries + 1))
		[ $tries -gt 100 ] && it_fail "dataplane did not stop within 10 s of SIGTERM"
		sleep 0.1
	done
	wait "$DP_PID"
	local rc=$?
	DP_PID=
	[ $rc = 0 ] || it_fail "dataplane exit status $rc"
}

# it_counters: prints "name value" for every counter, read over DPDK telemetry.
it_counters() {
	python3 "$IT_SCRIPTS/dp-telemetry.py" "$DP_PREFIX" /fxr/counters
}

# it_echo_server PORT [SECONDS]: a Linux kernel-TCP echo server (echo_server.py) in the
# client's namespace for at most SECONDS (default 120), stopped at cleanup; returns once it
# listens.
it_echo_server() {
	ip netns exec "$NS_C" timeout "${2:-120}" python3 "$(dirname "${BASH_SOURCE[0]}")/echo_server.py" "$1" &
	IT_ECHO_PID=$!
	it_wait_for 50 bash -c "ip netns exec '$NS_C' ss -Hltn 'sport = :$1' | grep -q LISTEN" \
		|| it_fail "Linux echo server not listening on $1"
}

# it_lcore_counters INDEX: "name value" for every counter of lcore INDEX (0 .. lcores - 1).
it_lcore_counters() {
	python3 "$IT_SCRIPTS/dp-telemetry.py" "$DP_PREFIX" "/fxr/lcore_counters,$1"
}

# it_lcore_counter INDEX NAME: one counter of lcore INDEX ("missing" if there is none).
it_lcore_counter() {
	it_lcore_counters "$1" | awk -v n="$2" '$1 == n { print $2; found = 1 } END { if (!found) print "missing" }'
}

# it_counter NAME: one counter's value over telemetry.
it_counter() {
	it_counters | awk -v n="$1" '$1 == n { print $2; found = 1 } END { if (!found) print "missing" }'
}

# it_exit_counter NAME: one counter's value from the dump printed at exit (0 when absent,
# since the dump lists only non-zero counters).
it_exit_counter() {
	awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }' "$DP_LOG"
}

# it_ping_received ARGS...: pings from the client; prints how many replies came back.
it_ping_received() {
	ip netns exec "$NS_C" ping -n "$@" 2>&1 | sed -n 's/.* \([0-9]\+\) received.*/\1/p'
}

# it_cpu_ticks PID: utime + stime of a process, in clock ticks.
it_cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
