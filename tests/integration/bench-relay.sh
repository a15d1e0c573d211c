#!/bin/bash
# A benchmark, not a test (no thresholds, not registered with meson): BYTES of random data
# from fxr-device send (fax-a) to fxr-device recv (fax-b), both in the client namespace
# behind the NAT gateway, through fxr-dataplane's relay (net_af_xdp) with fxr-controlplane
# attached; prints the time of the send command (login, call set-up, transfer, END,
# RELEASE) and the rate, then the relay's counters. Run from the source root.
# usage: bench-relay.sh BUILD-DIR [BYTES (default 100000000)]
set -u
. "$(dirname "$0")/netns-lib.sh"
B=$1
BYTES=${2:-100000000}
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
for d in fax-a fax-b; do
	printf 'pw\n' | ctl device add $d >/dev/null || it_fail "device add $d"
done
printf 'pw\n' >"$IT_TMP/pw"
DEVC=(ip netns exec "$NS_C" timeout 300 "$B/device/fxr-device" --relay $IP_DP:4747
	--password-file "$IT_TMP/pw")
head -c "$BYTES" /dev/urandom >"$IT_TMP/in"
"${DEVC[@]}" --id fax-b recv "$IT_TMP/out" >"$IT_TMP/recv.out" 2>&1 &
RECV=$!
it_wait_for 100 grep -q '^logged-in' "$IT_TMP/recv.out" || it_fail "recv did not log in"
t0=$(date +%s%N)
"${DEVC[@]}" --id fax-a --to fax-b send "$IT_TMP/in" >"$IT_TMP/send.out" 2>&1 \
	|| it_fail "send: $(cat "$IT_TMP/send.out")"
t1=$(date +%s%N)
wait $RECV || it_fail "recv: $(cat "$IT_TMP/recv.out")"
cmp -s "$IT_TMP/in" "$IT_TMP/out" || it_fail "the received file differs"
ms=$(( (t1 - t0) / 1000000 ))
echo "relay: $BYTES bytes in $ms ms: $(( BYTES * 8 / (ms * 1000) )) Mbit/s (send command, login to RELEASE)"
it_counters | awk '$1 ~ /^(relay_|tcp_tx_copy|tcp_rx_bytes|idle_sleeps)/ && $2 != 0 { printf "%s=%s ", $1, $2 } END { print "" }'
kill -TERM "$CP_PID"; wait "$CP_PID" 2>/dev/null; CP_PID=
it_dp_stop
