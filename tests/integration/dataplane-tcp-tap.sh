#!/bin/bash
# fxr-dataplane's TCP stack on net_tap, a port that chains mbufs on TX: payload leaves by
# reference to the send queue's mbufs (indirect mbufs behind a header mbuf), never copied.
# 100 MB through the echo service (RFC 862) from a Linux client behind the NAT gateway, its
# SHA-256 checked both ways; then the counters: every payload byte sent went by reference
# (tcp_tx_ref_bytes covers the echo, tcp_tx_copy_bytes is 0), no checksum errors, no mbuf
# leaked at exit.
# usage: dataplane-tcp-tap.sh PATH/TO/fxr-dataplane
set -u
. "$(dirname "$0")/netns-lib.sh"
DP=$1
CLIENT="$(dirname "$0")/tcp_client.py"
BYTES=100000000
it_init
it_topology
FXR_IT_PMD=net_tap it_dp_start "$DP" --service echo=7 --time-wait-ms 200
[ "$DP_PMD" = net_tap ] || it_fail "the port is $DP_PMD, want net_tap"
grep -q 'tx payload by reference' "$DP_LOG" || it_fail "net_tap not reported as sending by reference"

out=$(ip netns exec "$NS_C" timeout 300 python3 "$CLIENT" echo $IP_DP 7 $BYTES) \
	|| it_fail "100 MB echo: $out"
it_log "$out"

ref=$(it_counter tcp_tx_ref_bytes)
copied=$(it_counter tcp_tx_copy_bytes)
it_log "tcp_tx_ref_bytes=$ref tcp_tx_copy_bytes=$copied tcp_tx_bytes=$(it_counter tcp_tx_bytes)"
[ "$copied" = 0 ] || it_fail "tcp_tx_copy_bytes $copied, want 0 on a multi-segment port"
[ "$ref" -ge $BYTES ] || it_fail "tcp_tx_ref_bytes $ref below the $BYTES bytes echoed"
[ "$(it_counter tcp_drop_cksum)" = 0 ] || it_fail "checksum errors: $(it_counter tcp_drop_cksum)"
[ "$(it_counter mbuf_alloc_fail)" = 0 ] || it_fail "mbuf pool ran dry: $(it_counter mbuf_alloc_fail)"
all_closed() { [ "$(it_counter tcp_closed)" = "$(it_counter tcp_passive_open)" ]; }
it_wait_for 100 all_closed || it_fail "the echo connection did not close"

it_dp_stop
! grep -q 'runtime error:' "$DP_LOG" || it_fail "undefined behaviour reported: $(grep -m1 'runtime error:' "$DP_LOG")"
grep -q '^tcp lcore 0: 0 TCBs in use' "$DP_LOG" || it_fail "TCBs left at exit: $(grep '^tcp lcore' "$DP_LOG")"
echo "PASS"
