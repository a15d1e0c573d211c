#!/bin/bash
# Active open from fxr-dataplane to Linux servers (issue 3): --connect-check against a Linux
# kernel-TCP echo server (echo_server.py) in the client's namespace, reached through the
# gateway: 1 MB sent from the dataplane and checked byte for byte as it comes back; a
# connect-only check; a check to a closed port, which Linux answers with a RST: reported as
# refused. Asserted through the counters (conncheck_*, tcp_active_open) and the log lines,
# and every connection ends (TIME-WAIT included) before a clean exit. Also --max-conns: the
# table size is taken and reported.
# usage: dataplane-tcp-connect.sh PATH/TO/fxr-dataplane
set -u
. "$(dirname "$0")/netns-lib.sh"
DP=$1
it_init
it_topology

it_echo_server 7007 120

it_dp_start "$DP" --time-wait-ms 200 --max-conns 1000 \
	--connect-check $IP_C:7007,bytes=1000000 \
	--connect-check $IP_C:7007,bytes=0 \
	--connect-check $IP_C:7008

# --max-conns sizes the TCB table (and says what it costs)
grep -q 'lcore 0: TCP stack for 1000 connections: .* MiB of hugepage memory' "$DP_LOG" \
	|| it_fail "--max-conns 1000 not reported"

checks_done() {
	local c
	c=$(it_counters)
	[ $(( $(awk '$1 == "conncheck_ok" { print $2 }' <<<"$c") \
		+ $(awk '$1 == "conncheck_refused" { print $2 }' <<<"$c") \
		+ $(awk '$1 == "conncheck_failed" { print $2 }' <<<"$c") )) -ge 3 ]
}
it_wait_for 300 checks_done || it_fail "connect checks not done in 30 s: $(grep connect-check "$DP_LOG")"
grep 'connect-check' "$DP_LOG" | sed 's/^/# /'
[ "$(it_counter conncheck_ok)" = 2 ] || it_fail "conncheck_ok $(it_counter conncheck_ok), want 2"
[ "$(it_counter conncheck_refused)" = 1 ] || it_fail "conncheck_refused $(it_counter conncheck_refused), want 1"
[ "$(it_counter conncheck_failed)" = 0 ] || it_fail "conncheck_failed $(it_counter conncheck_failed), want 0"
[ "$(it_counter tcp_active_open)" = 3 ] || it_fail "tcp_active_open $(it_counter tcp_active_open), want 3"
grep -q "connect-check $IP_C:7007: ok (1000000 of 1000000 bytes back" "$DP_LOG" \
	|| it_fail "no ok line for the 1 MB check"
grep -q "connect-check $IP_C:7007: ok, connected" "$DP_LOG" || it_fail "no ok line for the connect-only check"
grep -q "connect-check $IP_C:7008: refused" "$DP_LOG" || it_fail "no refused line for the closed port"
[ "$(it_counter tcp_rx_bytes)" = 1000000 ] || it_fail "tcp_rx_bytes $(it_counter tcp_rx_bytes), want 1000000"

# both passing checks close (we send FIN first, so TIME-WAIT), the refused one is gone
all_closed() { [ "$(it_counter tcp_closed)" = 3 ]; }
it_wait_for 100 all_closed || it_fail "tcp_closed $(it_counter tcp_closed), want 3"

it_dp_stop
! grep -q 'runtime error:' "$DP_LOG" || it_fail "undefined behaviour reported: $(grep -m1 'runtime error:' "$DP_LOG")"
! grep -q 'unfinished at exit' "$DP_LOG" || it_fail "a check was still running at exit"
grep -q '^tcp lcore 0: 0 TCBs in use' "$DP_LOG" || it_fail "TCBs left at exit: $(grep '^tcp lcore' "$DP_LOG")"
echo "PASS"
