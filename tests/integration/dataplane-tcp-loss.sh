#!/bin/bash
# fxr-dataplane's TCP stack on a bad path (issue 3, priority 2): 20 MB intact both ways
# through echo with the dataplane's own fault injector dropping, duplicating and reordering
# in both directions; then with the gateway dropping 2% of forwarded packets at random
# (iptables statistic: this kernel has no netem). Asserts the data (SHA-256) and that the
# recovery machinery was exercised (counters), never a duration.
# usage: dataplane-tcp-loss.sh PATH/TO/fxr-dataplane
set -u
. "$(dirname "$0")/netns-lib.sh"
DP=$1
CLIENT="$(dirname "$0")/tcp_client.py"
it_init
it_topology

client() { ip netns exec "$NS_C" timeout 200 python3 "$CLIENT" "$@"; }

# 1. the fault injector, both directions, fixed seeds
it_dp_start "$DP" --service echo=7 --time-wait-ms 200 \
	--fault rx:drop=0.05,dup=0.01,reorder=0.2,seed=11 --fault tx:drop=0.05,dup=0.01,reorder=0.2,seed=12
out=$(client echo $IP_DP 7 20000000) || it_fail "20 MB echo with faults: $out"
it_log "$out"
out=$(client concurrent $IP_DP 7 20 65536) || it_fail "20 concurrent with faults: $out"
it_log "$out"
for c in fault_rx_drop fault_rx_dup fault_rx_reorder fault_tx_drop fault_tx_dup fault_tx_reorder \
	tcp_rx_out_of_order tcp_sack_recovery tcp_tx_fast_rexmit tcp_drop_paws; do
	[ "$(it_counter $c)" -gt 0 ] || it_fail "$c is 0: the faults did not exercise it"
done
it_log "counters: $(it_counters | awk '($1 ~ /^tcp_/ || $1 ~ /^fault_/) && $2 != 0 { printf "%s=%s ", $1, $2 }')"
it_dp_stop
! grep -q 'runtime error:' "$DP_LOG" || it_fail "undefined behaviour reported: $(grep -m1 'runtime error:' "$DP_LOG")"

# 2. random loss on the routed hop, both directions
ip netns exec "$NS_G" iptables -A FORWARD -p tcp -m statistic --mode random --probability 0.02 -j DROP \
	|| it_fail "iptables statistic"
it_dp_start "$DP" --service echo=7 --time-wait-ms 200
out=$(client echo $IP_DP 7 20000000) || it_fail "20 MB echo with 2% loss at the gateway: $out"
it_log "$out"
drops=$(ip netns exec "$NS_G" iptables -vnL FORWARD | awk '/statistic/ { print $1 }')
it_log "gateway dropped $drops packets"
[ "${drops:-0}" -gt 0 ] || it_fail "the gateway dropped nothing"
rexmit=$(( $(it_counter tcp_tx_fast_rexmit) + $(it_counter tcp_tx_rexmit) ))
[ "$rexmit" -gt 0 ] || it_fail "no retransmission counted despite loss"
it_log "counters: $(it_counters | awk '$1 ~ /^tcp_/ && $2 != 0 { printf "%s=%s ", $1, $2 }')"
it_dp_stop
! grep -q 'runtime error:' "$DP_LOG" || it_fail "undefined behaviour reported: $(grep -m1 'runtime error:' "$DP_LOG")"
grep -q '^tcp lcore 0: 0 TCBs in use' "$DP_LOG" || it_fail "TCBs left at exit: $(grep '^tcp lcore' "$DP_LOG")"
echo "PASS"
