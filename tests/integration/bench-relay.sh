#!/bin/bash
# A benchmark, not a test (no thresholds, not registered with meson): BYTES of random data
# from fxr-device send (fax-aN) to fxr-device recv (fax-bN), PAIRS pairs at once (BYTES
# split evenly between them), all in the client namespace behind the NAT gateway, through
# fxr-dataplane's relay (net_af_xdp) with fxr-controlplane attached; prints the time from
# the start of the sends to the end of the last (login, call set-up, transfer, END,
# RELEASE) and the rate, the dataplane's busy cycles per received packet and per relayed
# reference (busy_cycles over the same span), then the relay's counters. Run from the source
# root.
# usage: bench-relay.sh BUILD-DIR [BYTES (default 100000000)] [PAIRS (default 1)]
set -u
. "$(dirname "$0")/netns-lib.sh"
B=$1
BYTES=${2:-100000000}
PAIRS=${3:-1}
PER=$((BYTES / PAIRS))
it_init
it_topology
it_dp_start "$B/dataplane/fxr-dataplane" --time-wait-ms 200
CP_PID=
it_cleanup_hook() { [ -n "$CP_PID" ] && kill -KILL "$CP_PID" 2>/dev/null; }
SOCK=$IT_TMP/ops.sock
"$B/controlplane/fxr-controlplane" --channel "$DP_PREFIX" --db "$IT_TMP/db" \
	--ops-socket "$SOCK" >"$IT_TMP/cp.log" 2>&1 &
CP_PID=$!
ctl() { timeout 10 "$B/controlplane/fxrctl" --socket "$SOCK" "$@"; }
it_wait_for 100 ctl status || it_fail "control plane not answering"
for ((k = 1; k <= PAIRS; k++)); do
	for d in fax-a$k fax-b$k; do
		printf 'pw\n' | ctl device add $d >/dev/null || it_fail "device add $d"
	done
done
printf 'pw\n' >"$IT_TMP/pw"
DEVC=(ip netns exec "$NS_C" timeout 300 "$B/device/fxr-device" --relay $IP_DP:4747
	--password-file "$IT_TMP/pw")
head -c "$PER" /dev/urandom >"$IT_TMP/in"
RECV=() SEND=()
for ((k = 1; k <= PAIRS; k++)); do
	"${DEVC[@]}" --id fax-b$k recv "$IT_TMP/out$k" >"$IT_TMP/recv$k.out" 2>&1 &
	RECV+=($!)
done
for ((k = 1; k <= PAIRS; k++)); do
	it_wait_for 300 grep -q '^logged-in' "$IT_TMP/recv$k.out" || it_fail "recv $k did not log in"
done
it_counters >"$IT_TMP/ctr0"
t0=$(date +%s%N)
for ((k = 1; k <= PAIRS; k++)); do
	"${DEVC[@]}" --id fax-a$k --to fax-b$k send "$IT_TMP/in" >"$IT_TMP/send$k.out" 2>&1 &
	SEND+=($!)
done
for ((k = 1; k <= PAIRS; k++)); do
	wait "${SEND[k - 1]}" || it_fail "send $k: $(cat "$IT_TMP/send$k.out")"
done
t1=$(date +%s%N)
it_counters >"$IT_TMP/ctr1"
for ((k = 1; k <= PAIRS; k++)); do
	wait "${RECV[k - 1]}" || it_fail "recv $k: $(cat "$IT_TMP/recv$k.out")"
	cmp -s "$IT_TMP/in" "$IT_TMP/out$k" || it_fail "the file received by fax-b$k differs"
done
ms=$(( (t1 - t0) / 1000000 ))
total=$((PER * PAIRS))
echo "relay: $PAIRS pair(s), $total bytes in $ms ms: $(( total * 8 / (ms * 1000) )) Mbit/s (send commands, login to RELEASE)"
# delta CTR: how much a counter grew over the sends
delta() { echo $(( $(awk -v n="$1" '$1 == n {print $2}' "$IT_TMP/ctr1") - $(awk -v n="$1" '$1 == n {print $2}' "$IT_TMP/ctr0") )); }
cyc=$(delta busy_cycles) pk=$(delta rx_packets) refs=$(delta relay_ref_segs)
echo "cycles: busy_cycles $cyc, rx_packets $pk, relay_ref_segs $refs:" \
	"$(( cyc / (pk > 0 ? pk : 1) )) cycles per received packet," \
	"$(( cyc / (refs > 0 ? refs : 1) )) per relayed reference; relay_copied_bytes +$(delta relay_copied_bytes)"
it_counters | awk '$1 ~ /^(relay_|tcp_tx_copy|tcp_rx_bytes|idle_sleeps)/ && $2 != 0 { printf "%s=%s ", $1, $2 } END { print "" }'
kill -TERM "$CP_PID"; wait "$CP_PID" 2>/dev/null; CP_PID=
it_dp_stop
