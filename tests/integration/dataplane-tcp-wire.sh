#!/bin/bash
# fxr-dataplane's TCP from the wire (issue 3, priority 4): scapy sends exact segments from the
# gateway namespace and checks the exact replies (tcp_wire.py): SYN-ACK options, RST for a
# closed port, ACK for an out-of-window segment, challenge ACKs for an in-window RST and a
# SYN (RFC 5961), PAWS (RFC 7323), echo, reset.
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
it_dp_start "$DP" --service echo=7
out=$(ip netns exec "$NS_G" timeout 120 $PY "$(dirname "$0")/tcp_wire.py" "$IF_G1" $IP_DP 7 8)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 0 ] || it_fail "wire checks failed"
[ "$(it_counter tcp_tx_challenge_ack)" -ge 2 ] || it_fail "tcp_tx_challenge_ack $(it_counter tcp_tx_challenge_ack)"
[ "$(it_counter tcp_drop_paws)" -ge 1 ] || it_fail "tcp_drop_paws not counted"
it_dp_stop
! grep -q 'runtime error:' "$DP_LOG" || it_fail "undefined behaviour reported"
echo "PASS"
