#!/bin/bash
# fxr-dataplane on two lcores (issue 3: several lcores, symmetric flow ownership). The port
# has a queue pair per lcore; net_af_xdp and net_tap here choose queues themselves, so each
# lcore hands the segments of flows it does not own to their owner (steer.h, xlcore.h).
# Checked through real Linux peers behind the NAT gateway:
#   - 32 concurrent echoes (RFC 862) of 1 MB and one of 20 MB, every byte compared, with
#     connections owned by both lcores (per-lcore counters, /fxr/lcore_counters);
#   - active opens (--connect-check) from lcore 0 to a Linux echo server: the local port is
#     chosen so that the flow hashes to lcore 0, or its replies would be handed to lcore 1,
#     which has no such connection and would reset it;
#   - no segment lost between lcores, no checksum error, every TCB closed at exit.
# usage: dataplane-multicore.sh PATH/TO/fxr-dataplane net_af_xdp|net_tap
set -u
. "$(dirname "$0")/netns-lib.sh"
DP=$1
export FXR_IT_PMD=$2
export FXR_IT_LCORES=2
HERE=$(cd "$(dirname "$0")" && pwd)
it_init
it_topology

it_echo_server 7007 300

it_dp_start "$DP" --service echo=7 --time-wait-ms 200 \
	--connect-check $IP_C:7007,bytes=1000000 --connect-check $IP_C:7007,bytes=100000
[ "$DP_PMD" = "$FXR_IT_PMD" ] || it_fail "the port is $DP_PMD, want $FXR_IT_PMD"
grep -q 'fxr-dataplane: ready: .* 2 lcore(s)' "$DP_LOG" || it_fail "not running on 2 lcores"

checks_done() {
	[ $(( $(it_counter conncheck_ok) + $(it_counter conncheck_refused) \
		+ $(it_counter conncheck_failed) )) -ge 2 ]
}
it_wait_for 600 checks_done || it_fail "the active opens did not finish"
[ "$(it_counter conncheck_ok)" = 2 ] || it_fail "active opens: $(it_counter conncheck_ok) of 2 ok" \
	"($(grep 'connect-check' "$DP_LOG" | tail -n 2))"

out=$(ip netns exec "$NS_C" timeout 300 python3 "$HERE/tcp_client.py" concurrent $IP_DP 7 32 1000000) \
	|| it_fail "32 concurrent echoes: $out"
it_log "$out"
out=$(ip netns exec "$NS_C" timeout 300 python3 "$HERE/tcp_client.py" echo $IP_DP 7 20000000) \
	|| it_fail "20 MB echo: $out"
it_log "$out"

for l in 0 1; do
	opens=$(it_lcore_counter $l tcp_passive_open)
	it_log "lcore $l: tcp_passive_open=$opens xlcore_pkts_out=$(it_lcore_counter $l xlcore_pkts_out)" \
		"xlcore_pkts_in=$(it_lcore_counter $l xlcore_pkts_in) rx_packets=$(it_lcore_counter $l rx_packets)"
	[ "$opens" -gt 0 ] 2>/dev/null || it_fail "lcore $l owns none of the 33 connections ($opens)"
done
[ "$(it_counter tcp_passive_open)" = 33 ] || it_fail "tcp_passive_open $(it_counter tcp_passive_open), want 33"
[ "$(it_counter xlcore_pkts_out)" = "$(it_counter xlcore_pkts_in)" ] \
	|| it_fail "segments handed between lcores: $(it_counter xlcore_pkts_out) out, $(it_counter xlcore_pkts_in) in"
for l in 0 1; do it_log "lcore $l: $(it_lcore_counters $l | awk '$2 != 0 && $1 ~ /^(tcp_tx_rst|tcp_rx_no_tcb|tcp_rx_rst|tcp_syncookie|tcp_passive|tcp_closed|tcp_rx_syn)/' | tr "\n" " ")"; done
for c in xlcore_drop_full tcp_drop_cksum mbuf_alloc_fail tcp_tx_rst tcp_rx_rst; do
	[ "$(it_counter $c)" = 0 ] || it_fail "$c is $(it_counter $c), want 0"
done
all_closed() { [ "$(it_counter tcp_closed)" = 35 ]; }
it_wait_for 100 all_closed || it_fail "connections not all closed: tcp_closed $(it_counter tcp_closed) of 35"

it_dp_stop
! grep -q 'runtime error:' "$DP_LOG" || it_fail "undefined behaviour reported: $(grep -m1 'runtime error:' "$DP_LOG")"
for l in 0 1; do
	grep -q "^tcp lcore $l: 0 TCBs in use" "$DP_LOG" || it_fail "TCBs left at exit: $(grep '^tcp lcore' "$DP_LOG")"
done
echo "PASS"
