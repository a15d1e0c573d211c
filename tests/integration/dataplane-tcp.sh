#!/bin/bash
# fxr-dataplane's TCP stack against Linux TCP clients behind a NAT gateway (issue 3,
# priority 1): the echo (RFC 862) and discard (RFC 863) services; 100 MB through echo with
# its SHA-256 checked both ways; 100 concurrent connections each echoing 64 KB; half-close
# (the client shuts down writing and still reads the rest); a closed port answers RST
# (ECONNREFUSED);
# 16 x 4 MB at once (more than the mbuf pool; the pool reserve); 1000 concurrent
# connections (issue 3, priority 3);
# every connection ends (no TCB left) and the dataplane exits cleanly.
# usage: dataplane-tcp.sh PATH/TO/fxr-dataplane
set -u
. "$(dirname "$0")/netns-lib.sh"
DP=$1
CLIENT="$(dirname "$0")/tcp_client.py"
it_init
it_topology
it_dp_start "$DP" --service echo=7 --service discard=9 --time-wait-ms 200
grep -q 'echo 7, discard 9' "$DP_LOG" || it_fail "services not reported in the ready line"

client() { ip netns exec "$NS_C" timeout 120 python3 "$CLIENT" "$@"; }

out=$(client refused $IP_DP 8) || it_fail "closed port: $out"
it_log "$out"
[ "$(it_counter tcp_rx_no_tcb)" -ge 1 ] || it_fail "tcp_rx_no_tcb not counted"
[ "$(it_counter tcp_tx_rst)" -ge 1 ] || it_fail "tcp_tx_rst not counted"

out=$(client echo $IP_DP 7 100000000) || it_fail "100 MB echo: $out"
it_log "$out"

out=$(client concurrent $IP_DP 7 100 65536) || it_fail "100 concurrent: $out"
it_log "$out"

# 16 x 4 MB at once: more than the mbuf pool holds in flight (16 x 1 MB windows, and the
# echo keeps what it received until its echo is acked); the reserve keeps RX going
out=$(client concurrent $IP_DP 7 16 4000000) || it_fail "16 x 4 MB concurrent: $out"
it_log "$out (tcp_pool_low $(it_counter tcp_pool_low), tcp_drop_pool_low $(it_counter tcp_drop_pool_low))"

ulimit -n 4096
out=$(client concurrent $IP_DP 7 1000 4096) || it_fail "1000 concurrent: $out"
it_log "$out"

out=$(client halfclose $IP_DP 7 100000) || it_fail "half-close: $out"
it_log "$out"

before=$(it_counter tcp_rx_bytes)
out=$(client discard $IP_DP 9 1000000) || it_fail "discard: $out"
it_log "$out"
after=$(it_counter tcp_rx_bytes)
[ $((after - before)) -eq 1000000 ] || it_fail "discard: tcp_rx_bytes grew by $((after - before)), want 1000000"

# every connection the clients opened ends: freed TCBs catch up with accepted ones
opened=$(it_counter tcp_passive_open)
[ "$opened" = 1119 ] || it_fail "tcp_passive_open $opened, want 1119 (1 + 100 + 16 + 1000 + 1 + 1)"
all_closed() { [ "$(it_counter tcp_closed)" = 1119 ]; }
it_wait_for 100 all_closed || it_fail "tcp_closed $(it_counter tcp_closed), want 1119: connections left open"
# 100 MB + 100 x 64 KB + 16 x 4 MB + 1000 x 4 KB + 100 KB echoed
[ "$(it_counter tcp_tx_bytes)" -ge 174749600 ] || it_fail "tcp_tx_bytes $(it_counter tcp_tx_bytes) below the 174749600 bytes echoed"
[ "$(it_counter tcp_drop_cksum)" = 0 ] || it_fail "checksum errors: $(it_counter tcp_drop_cksum)"
it_log "counters: $(it_counters | awk '$1 ~ /^tcp_/ && $2 != 0 { printf "%s=%s ", $1, $2 }')"

it_dp_stop
! grep -q 'runtime error:' "$DP_LOG" || it_fail "undefined behaviour reported: $(grep -m1 'runtime error:' "$DP_LOG")"
grep -q '^tcp lcore 0: 0 TCBs in use' "$DP_LOG" || it_fail "TCBs left at exit: $(grep '^tcp lcore' "$DP_LOG")"
echo "PASS"
