#!/bin/bash
# fxr-dataplane's TCP from the wire (issue 3, priority 4): scapy sends exact segments from the
# gateway namespace and checks the exact replies (tcp_wire.py): SYN-ACK options, RST for a
# closed port, ACK for an out-of-window segment, challenge ACKs for an in-window RST and a
# SYN (RFC 5961), PAWS (RFC 7323), echo, reset; then (tcp_wire_close.py) FIN in every state
# reachable from the wire (ESTABLISHED, CLOSE-WAIT, LAST-ACK on the echo service; FIN-WAIT-1,
# CLOSING, FIN-WAIT-2, TIME-WAIT on connections the dataplane opens with --connect-check and
# closes first) and zero-window probes; a SYN flood gets SYN cookies while an established
# connection keeps echoing (tcp_wire_flood.py).
# usage: dataplane-tcp-wire.sh PATH/TO/fxr-dataplane
set -u
. "$(dirname "$0")/netns-lib.sh"
DP=$1
it_init
# Debian's python3-scapy lives in the system interpreter (a python3 earlier in PATH, e.g.
# pyenv's, does not see it)
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
$PY -c 'import scapy.all' 2>/dev/null || { echo "SKIP: python3-scapy missing"; exit 77; }
it_topology
# the gateway's kernel must not answer our hand-made connection's segments with its own RSTs
ip netns exec "$NS_G" iptables -A OUTPUT -p tcp --tcp-flags RST RST -d $IP_DP -j DROP \
	|| it_fail "iptables"
# the server side of two connections the dataplane opens and closes first (--connect-check,
# bytes=0), listening before the dataplane starts
WIRE_CLOSE="$(dirname "$0")/tcp_wire_close.py"
ip netns exec "$NS_G" timeout 120 $PY "$WIRE_CLOSE" active "$IF_G1" $IP_DP 9001 9002 \
	>"$IT_TMP/active.out" 2>&1 &
ACTIVE_PID=$!
it_cleanup_hook() { kill "$ACTIVE_PID" 2>/dev/null; }
it_wait_for 100 grep -q listening "$IT_TMP/active.out" || it_fail "tcp_wire_close.py active did not start"
it_dp_start "$DP" --service echo=7 --time-wait-ms 5000 \
	--connect-check $IP_G_OUT:9001,bytes=0 --connect-check $IP_G_OUT:9002,bytes=0
out=$(ip netns exec "$NS_G" timeout 120 $PY "$(dirname "$0")/tcp_wire.py" "$IF_G1" $IP_DP 7 8)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 0 ] || it_fail "wire checks failed"
[ "$(it_counter tcp_tx_challenge_ack)" -ge 2 ] || it_fail "tcp_tx_challenge_ack $(it_counter tcp_tx_challenge_ack)"
[ "$(it_counter tcp_drop_paws)" -ge 1 ] || it_fail "tcp_drop_paws not counted"

# FIN in ESTABLISHED, CLOSE-WAIT, LAST-ACK; zero-window probes
out=$(ip netns exec "$NS_G" timeout 120 $PY "$WIRE_CLOSE" passive "$IF_G1" $IP_DP 7)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 0 ] || it_fail "wire checks (passive close, zero window) failed"
[ "$(it_counter tcp_tx_window_probe)" -ge 2 ] || it_fail "tcp_tx_window_probe $(it_counter tcp_tx_window_probe), want >= 2"

# a SYN flood past the listener's SYN backlog (1024): cookies, while A keeps echoing
out=$(ip netns exec "$NS_G" timeout 120 $PY "$(dirname "$0")/tcp_wire_flood.py" "$IF_G1" $IP_DP 7 1100)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 0 ] || it_fail "wire checks (SYN flood) failed"
[ "$(it_counter tcp_syncookie_sent)" -ge 1 ] || it_fail "tcp_syncookie_sent not counted"
[ "$(it_counter tcp_syncookie_ok)" = 1 ] || it_fail "tcp_syncookie_ok $(it_counter tcp_syncookie_ok), want 1"

# FIN in FIN-WAIT-1, CLOSING, FIN-WAIT-2, TIME-WAIT (active close)
wait "$ACTIVE_PID"
rc=$?
sed 's/^/# /' "$IT_TMP/active.out"
[ $rc = 0 ] || it_fail "wire checks (active close) failed"
[ "$(it_counter conncheck_ok)" = 2 ] || it_fail "conncheck_ok $(it_counter conncheck_ok), want 2"
[ "$(it_counter tcp_time_wait)" -ge 2 ] || it_fail "tcp_time_wait $(it_counter tcp_time_wait), want >= 2"
it_dp_stop
! grep -q 'runtime error:' "$DP_LOG" || it_fail "undefined behaviour reported"
echo "PASS"
