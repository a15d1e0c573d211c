#!/bin/bash
# fxr-dataplane answers ARP and ping through a NAT gateway, drops and counts fragments,
# reports its counters over telemetry and at exit, and stops cleanly on SIGTERM.
# usage: dataplane-icmp.sh PATH/TO/fxr-dataplane
set -u
. "$(dirname "$0")/netns-lib.sh"
DP=$1
it_init
it_topology
it_dp_start "$DP"

mac=$(sed -n 's/.*fxr-dataplane: ready: .* mac \([0-9A-Fa-f:]*\) .*/\1/p' "$DP_LOG" | tr A-F a-f)
[ -n "$mac" ] || it_fail "no MAC in the ready line"
[ "$(it_counter arp_tx_request)" -ge 1 ] || it_fail "no gratuitous ARP counted"

# ARP, our side: the gateway knows us statically, so its first ping reaches us from a
# neighbour we have never heard of; the reply waits in the pending queue while we resolve it
ip -n "$NS_G" neigh replace $IP_DP lladdr "$mac" dev "$IF_G1" nud permanent \
	|| it_fail "static neighbour on the gateway"
ip netns exec "$NS_G" ping -n -c 1 -W 2 $IP_DP >/dev/null || it_fail "gateway cannot ping us"
[ "$(it_counter arp_pending_queued)" = 1 ] || it_fail "arp_pending_queued $(it_counter arp_pending_queued), want 1"
[ "$(it_counter arp_pending_sent)" = 1 ] || it_fail "arp_pending_sent $(it_counter arp_pending_sent), want 1"
[ "$(it_counter arp_rx_reply)" -ge 1 ] || it_fail "arp_rx_reply not counted"
[ "$(it_counter arp_rx_request)" = 0 ] || it_fail "the gateway asked for us despite its static entry"
it_log "ARP ok: we resolved the gateway; the reply waited in the pending queue"

# ARP, their side: without the static entry the gateway resolves us to the port's MAC
ip -n "$NS_G" neigh del $IP_DP dev "$IF_G1" || it_fail "ip neigh del"
ip netns exec "$NS_G" ping -n -c 1 -W 2 $IP_DP >/dev/null || it_fail "gateway cannot ping us"
neigh=$(ip -n "$NS_G" neigh show $IP_DP dev "$IF_G1")
echo "$neigh" | grep -qi "lladdr $mac" || it_fail "gateway neighbour entry '$neigh', want $mac"
[ "$(it_counter arp_rx_request)" -ge 1 ] || it_fail "arp_rx_request not counted"
[ "$(it_counter arp_tx_reply)" -ge 1 ] || it_fail "arp_tx_reply not counted"
it_log "ARP ok: gateway has $IP_DP at $mac"

# ping through the NAT: every request answered
got=$(it_ping_received -c 20 -i 0.05 -W 2 $IP_DP)
[ "$got" = 20 ] || it_fail "ping -c 20 from the client: $got replies"
echo_req=$(it_counter icmp_rx_echo_request)
echo_rep=$(it_counter icmp_tx_echo_reply)
[ "$echo_req" = 22 ] || it_fail "icmp_rx_echo_request $echo_req, want 22 (2 + 20)"
[ "$echo_rep" = 22 ] || it_fail "icmp_tx_echo_reply $echo_rep, want 22 (2 + 20)"
it_log "ping ok: 20/20 replies; counters: $echo_req echo requests, $echo_rep replies"

# fragments are dropped and counted (3008 bytes of ICMP: 3 fragments a ping at MTU 1500)
frag_before=$(it_counter ipv4_drop_fragment)
got=$(it_ping_received -c 3 -i 0.2 -W 1 -s 3000 $IP_DP)
[ "$got" = 0 ] || it_fail "ping -s 3000: $got replies, fragments should be dropped"
frag=$(it_counter ipv4_drop_fragment)
[ $((frag - frag_before)) -ge 6 ] || it_fail "ipv4_drop_fragment went $frag_before -> $frag, want +6"
it_log "fragments ok: $frag dropped, no reply"

# idle CPU with the back-off on (reported, not asserted: no timing thresholds in tests)
t0=$(it_cpu_ticks "$DP_PID")
sleep 3
t1=$(it_cpu_ticks "$DP_PID")
hz=$(getconf CLK_TCK)
it_log "idle CPU over 3 s: $((t1 - t0)) ticks of 1/$hz s = $(( (t1 - t0) * 100 / (3 * hz) ))% of a core;" \
	"idle_sleeps=$(it_counter idle_sleeps)"

# SIGTERM: clean exit, counters printed
it_dp_stop
[ "$(it_exit_counter icmp_tx_echo_reply)" = 22 ] || it_fail "exit dump lacks icmp_tx_echo_reply"
grep -q '^counters: [0-9]* non-zero' "$DP_LOG" || it_fail "no counter dump at exit"
it_log "exit ok: $(grep '^icmp_tx_echo_reply' "$DP_LOG")"
echo "PASS"
