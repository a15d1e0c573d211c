#!/bin/bash
# fxr-dataplane's seeded fault injector: with 30% of received packets dropped, some pings
# are lost, some come back, and the drop counter says how many.
# Then on tx, every reply duplicated and half of them delayed: all pings answered, each twice.
# Then on rx, one bit flipped in every packet: the checksums catch it and the drops are counted.
# usage: dataplane-fault.sh PATH/TO/fxr-dataplane
set -u
. "$(dirname "$0")/netns-lib.sh"
DP=$1
it_init
it_topology
it_dp_start "$DP" --fault rx:drop=0.3,seed=42
grep -q 'fault injection rx: drop=0.3' "$DP_LOG" || it_fail "fault spec not reported at start"

got=$(it_ping_received -c 40 -i 0.05 -W 1 $IP_DP)
drops=$(it_counter fault_rx_drop)
it_log "ping -c 40 with rx drop=0.3: $got replies, fault_rx_drop=$drops"
[ -n "$got" ] || it_fail "no ping summary"
[ "$got" -gt 0 ] || it_fail "no reply at all with 30% loss"
[ "$got" -lt 40 ] || it_fail "no loss with 30% drop"
[ "$drops" -gt 0 ] || it_fail "fault_rx_drop is 0"
# every request that got through was answered: the injector drops, the stack does not
req=$(it_counter icmp_rx_echo_request)
[ "$req" -ge "$got" ] || it_fail "icmp_rx_echo_request $req < replies $got"

it_dp_stop
[ "$(it_exit_counter fault_rx_drop)" -ge "$drops" ] || it_fail "exit dump lacks fault_rx_drop"

# tx: duplicate everything, delay half by 2 ms
it_dp_start "$DP" --fault tx:dup=1,delay=0.5,delay_us=2000,seed=7
out=$(ip netns exec "$NS_C" ping -n -c 10 -i 0.05 -W 2 $IP_DP 2>&1)
got=$(echo "$out" | sed -n 's/.* \([0-9]\+\) received.*/\1/p')
dups=$(echo "$out" | sed -n 's/.* +\([0-9]\+\) duplicates.*/\1/p')
it_log "ping -c 10 with tx dup=1 delay=0.5: $got replies, ${dups:-0} duplicates," \
	"fault_tx_dup=$(it_counter fault_tx_dup) fault_tx_delay=$(it_counter fault_tx_delay)"
[ "$got" = 10 ] || it_fail "tx dup/delay lost replies: $got of 10"
# ping stops at its 10th reply, so a last reply whose copy came first is not counted twice
[ "${dups:-0}" -ge 9 ] || it_fail "want >= 9 duplicate replies, ping saw ${dups:-0}"
[ "$(it_counter fault_tx_dup)" -ge 10 ] || it_fail "fault_tx_dup < 10"
[ "$(it_counter fault_tx_delay)" -gt 0 ] || it_fail "fault_tx_delay is 0"
it_dp_stop

# rx: flip a bit in every packet
it_dp_start "$DP" --fault rx:corrupt=1,seed=9
got=$(it_ping_received -c 10 -i 0.05 -W 1 $IP_DP)
corrupt=$(it_counter fault_rx_corrupt)
caught=$(it_counters | awk '$1 ~ /_drop_/ { s += $2 } END { print s + 0 }')
it_log "ping -c 10 with rx corrupt=1: ${got:-0} replies, fault_rx_corrupt=$corrupt," \
	"drops counted=$caught"
[ "$corrupt" -gt 0 ] || it_fail "fault_rx_corrupt is 0"
[ "$caught" -gt 0 ] || it_fail "no corrupted packet was caught by a check"
[ "${got:-0}" -lt 10 ] || it_fail "every corrupted ping was answered"
it_dp_stop
echo "PASS"
