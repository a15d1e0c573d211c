#!/bin/bash
# PAIRS relayed calls (default 64) streaming both ways at once through fxr-dataplane's relay
# (net_af_xdp, the default mbuf pool) with fxr-controlplane attached: each caller sends BYTES
# (default 2 MiB) of DATA while reading it back from its callee, which echoes every frame and
# reads the next only once it has written it back (tests/e2e/relay_stream.py echo), all in the
# client namespace behind the NAT gateway: the pattern of `fxr-load --mode stream --dir both`
# through the relay. 128 busy connections offer far more receive window than the pool holds,
# so the stack runs under memory pressure; it used to stall for good there (out-of-order data
# and data queued towards the echoes kept the pool below the reserve, which then dropped every
# segment that could have freed it, the echoes' own included). Checks: every byte comes back
# (SHA-256 of what each caller sent and received), the relay copied no byte and dropped no
# DATA as unpaired, no mbuf allocation failed, and the dataplane holds nothing once the calls
# are released. Every device socket wait is bounded (30 s); so is every process (timeout).
# usage: dataplane-relay-pairs.sh SOURCE_ROOT FXR-DATAPLANE FXR-CONTROLPLANE FXRCTL
#        [PAIRS [BYTES]]
set -u
ROOT=$1 DP=$2 CP=$3 CTL=$4
PAIRS=${5:-64}
BYTES=${6:-2097152}
PEER=$ROOT/tests/e2e/relay_stream.py
. "$(dirname "$0")/netns-lib.sh"
it_init
it_topology
it_dp_start "$DP" --time-wait-ms 200
CP_PID=
PIDS=()
it_cleanup_hook() {
	[ -n "$CP_PID" ] && kill -KILL "$CP_PID" 2>/dev/null
	# timeout passes SIGTERM on to its device
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
}
SOCK=$IT_TMP/ops.sock
"$CP" --channel "$DP_PREFIX" --db "$IT_TMP/db" --ops-socket "$SOCK" >"$IT_TMP/cp.log" 2>&1 &
CP_PID=$!
ctl() { timeout 10 "$CTL" --socket "$SOCK" "$@"; }
it_wait_for 100 ctl status || it_fail "control plane not answering"
printf 'pw\n' >"$IT_TMP/pw"
for ((k = 1; k <= PAIRS; k++)); do
	for d in pa$k pb$k; do
		ctl device add $d <"$IT_TMP/pw" >/dev/null || it_fail "device add $d"
	done
done
counter() { it_counters | awk -v n="$1" '$1 == n { print $2 }'; }
peer() { # peer ID LOG ARGS...: one device, in the client namespace, bounded
	local id=$1 log=$2
	shift 2
	ip netns exec "$NS_C" timeout 120 python3 "$PEER" echo --relay $IP_DP --id "$id" \
		--pw-file "$IT_TMP/pw" --bytes "$BYTES" "$@" >"$log" 2>&1 &
	PIDS+=($!)
}
for ((k = 1; k <= PAIRS; k++)); do
	peer pb$k "$IT_TMP/b$k.log" --accept
done
for ((k = 1; k <= PAIRS; k++)); do
	it_wait_for 300 grep -q '^logged-in' "$IT_TMP/b$k.log" ||
		it_fail "pb$k did not log in: $(tail -n 2 "$IT_TMP/b$k.log")"
done
for ((k = 1; k <= PAIRS; k++)); do
	peer pa$k "$IT_TMP/a$k.log" --call pb$k
done
fails=0
for ((i = 0; i < ${#PIDS[@]}; i++)); do
	wait "${PIDS[i]}" || fails=$((fails + 1))
done
PIDS=()
hash() { sed -n "s/^$1 sha256=//p" "$2"; }
for ((k = 1; k <= PAIRS; k++)); do
	a=$IT_TMP/a$k.log b=$IT_TMP/b$k.log
	sa=$(hash sent "$a") ra=$(hash received "$a")
	if [ -z "$sa" ] || [ "$sa" != "$ra" ] || ! grep -q "^echoed bytes=$BYTES\$" "$b"; then
		echo "pair $k: a: $(tail -n 1 "$a"); b: $(tail -n 1 "$b")"
		fails=$((fails + 1))
	fi
done
it_counters >"$IT_TMP/ctr"
awk '$1 ~ /^(tcp_pool|tcp_rcv_wnd|tcp_ooo|tcp_drop_pool|relay_blocked|relay_payload|relay_pairs|relay_drop|mbuf_alloc)/ { printf "%s=%s ", $1, $2 } END { print "" }' "$IT_TMP/ctr"
[ $fails = 0 ] || it_fail "$fails failures: not every byte came back"
v() { awk -v n="$1" '$1 == n { print $2 }' "$IT_TMP/ctr"; }
[ "$(v relay_copied_bytes)" = 0 ] || it_fail "relay_copied_bytes $(v relay_copied_bytes)"
[ "$(v mbuf_alloc_fail)" = 0 ] || it_fail "mbuf_alloc_fail $(v mbuf_alloc_fail)"
# the echoes send only what they received, so no DATA came before its pairing
[ "$(v relay_drop_unpaired)" = 0 ] || it_fail "relay_drop_unpaired $(v relay_drop_unpaired)"
[ "$(v relay_pairs)" -ge "$PAIRS" ] || it_fail "relay_pairs $(v relay_pairs), want $PAIRS"
# DATA headers included, so at least the payload both ways
[ "$(v relay_payload_bytes)" -ge $((2 * PAIRS * BYTES)) ] ||
	it_fail "relay_payload_bytes $(v relay_payload_bytes) < $((2 * PAIRS * BYTES))"
kill -TERM "$CP_PID"
wait "$CP_PID" 2>/dev/null
CP_PID=
it_dp_stop
# released calls hold nothing: no byte of the dataplane's queues is left (its exit dump)
grep -q "bytes held 0, out of order 0, send queues 0;" "$DP_LOG" ||
	it_fail "the dataplane still held data at exit: $(grep '^tcp lcore' "$DP_LOG")"
echo "PASS: $PAIRS pairs, $BYTES bytes each way each, echoed, SHA-256 equal"
