#!/usr/bin/env bash
# End to end: the relayed stream itself, through the real relay (fxr-dataplane on net_af_xdp +
# fxr-controlplane) on the relay-lab network (two LANs behind MASQUERADE), with two
# tests/e2e/relay_stream.py devices that write and read the raw FXR/1 stream:
#   split  frames split at every byte position (two writes, each its own TCP segment,
#          acknowledged before the next) and one frame a byte per segment, relayed intact;
#          only the split headers are gathered (relay_hdr_gather_bytes > 0);
#   bulk   BYTES (default 1 GiB) each way at the same time through one pair, SHA-256 of the
#          payload equal on both ends.
# Both end with END both ways and RELEASE, and check relay_copied_bytes is still 0.
# With "xlcore" the dataplane runs on two lcores (net_tap) and the devices log in from source
# ports whose flows the two different lcores own (relay_stream.py --lcore), so the pair's
# bytes cross between lcores (relay_xl_pairs, relay_xl_bytes_*). "xlcore-tiny" does the same
# with rings of 4 slots between the lcores (--xl-ring 4), so that writes wait for the ring
# (relay_xl_blocked) and control messages queue behind them (relay_xl_deferred), and checks
# that they did.
# Root needed (skips with 77).
# usage: relay-stream.sh SOURCE_ROOT BUILD_DIR split|bulk [BYTES] [xlcore|xlcore-tiny]
set -u
ROOT=$1
FXR_BUILD=$2
MODE=$3
BYTES=${4:-1073741824}
XL=${5:-}
case $MODE in split|bulk) ;; *) echo "usage: $0 SOURCE_ROOT BUILD_DIR split|bulk [BYTES] [xlcore|xlcore-tiny]"; exit 2;; esac
LCORE_A= LCORE_B=
case $XL in
xlcore|xlcore-tiny)
	export LAB_LCORES=2
	LCORE_A="--lcore 1/2:10.210.11.2" LCORE_B="--lcore 0/2:10.210.12.2"
	[ "$XL" = xlcore ] || export LAB_DP_ARGS="--xl-ring 4";;
"") ;;
*) echo "usage: $0 SOURCE_ROOT BUILD_DIR split|bulk [BYTES] [xlcore|xlcore-tiny]"; exit 2;;
esac
. "$ROOT/tests/e2e/e2e-lib.sh"
PEER=$ROOT/tests/e2e/relay_stream.py
pa= pb=
e2e_cleanup_hook() { e2e_kill $pa $pb; }

e2e_start dev-a dev-b
gather0=$(lab_counter relay_hdr_gather_bytes)

# B accepts in the background, A calls once B is logged in
ip netns exec "$NS_L2" python3 "$PEER" "$MODE" --relay "$IP_RELAY" --id dev-b \
	--pw-file "$LAB_TMP/pw-dev-b" --accept --bytes "$BYTES" $LCORE_B > "$LAB_TMP/b.log" 2>&1 &
pb=$!
lab_wait_for 150 grep -q '^logged-in' "$LAB_TMP/b.log" || die "B did not log in" "$LAB_TMP/b.log"
ip netns exec "$NS_L1" python3 "$PEER" "$MODE" --relay "$IP_RELAY" --id dev-a \
	--pw-file "$LAB_TMP/pw-dev-a" --call dev-b --bytes "$BYTES" $LCORE_A > "$LAB_TMP/a.log" 2>&1 &
pa=$!
wait "$pa" || bad "A: exit $? ($(tail -n 3 "$LAB_TMP/a.log"))"
pa=
wait "$pb" || bad "B: exit $? ($(tail -n 3 "$LAB_TMP/b.log"))"
pb=

if [ "$MODE" = split ]; then
	grep -q '^split ok ' "$LAB_TMP/b.log" || bad "B did not check the stream: $(tail -n 1 "$LAB_TMP/b.log")"
	gather=$(lab_counter relay_hdr_gather_bytes)
	[ "$gather" -gt "$gather0" ] 2>/dev/null || bad "relay_hdr_gather_bytes $gather: no split header was gathered"
	result="$(grep '^split ok' "$LAB_TMP/b.log"), relay_hdr_gather_bytes $gather"
else
	sa=$(sed -n 's/^sent sha256=//p' "$LAB_TMP/a.log") ra=$(sed -n 's/^received sha256=//p' "$LAB_TMP/a.log")
	sb=$(sed -n 's/^sent sha256=//p' "$LAB_TMP/b.log") rb=$(sed -n 's/^received sha256=//p' "$LAB_TMP/b.log")
	[ -n "$sa" ] && [ "$sa" = "$rb" ] || bad "A -> B: sent ${sa:-?}, received ${rb:-?}"
	[ -n "$sb" ] && [ "$sb" = "$ra" ] || bad "B -> A: sent ${sb:-?}, received ${ra:-?}"
	result="$BYTES bytes each way, SHA-256 equal"
fi
copied=$(lab_counter relay_copied_bytes)
payload=$(lab_counter relay_payload_bytes)
[ "$copied" = 0 ] || bad "relay_copied_bytes $copied, want 0"
[ "$payload" -gt 0 ] 2>/dev/null || bad "relay_payload_bytes $payload"
# the callee sends right after its ACCEPT: nothing of it may be lost before the PAIR
[ "$(lab_counter relay_drop_unpaired)" = 0 ] || bad "relay_drop_unpaired $(lab_counter relay_drop_unpaired), want 0"
if [ -n "$XL" ]; then
	xl_pairs=$(lab_counter relay_xl_pairs) xl_out=$(lab_counter relay_xl_bytes_out)
	xl_in=$(lab_counter relay_xl_bytes_in)
	[ "$xl_pairs" -ge 1 ] 2>/dev/null || bad "relay_xl_pairs $xl_pairs: the pair did not span two lcores"
	[ "$xl_out" = "$payload" ] || bad "relay_xl_bytes_out $xl_out, want all of relay_payload_bytes $payload"
	[ "$xl_in" = "$xl_out" ] || bad "relay_xl_bytes_in $xl_in, relay_xl_bytes_out $xl_out"
	for c in relay_xl_lost relay_xl_bytes_dropped xlcore_drop_full; do
		[ "$(lab_counter $c)" = 0 ] || bad "$c $(lab_counter $c), want 0"
	done
	if [ "$XL" = xlcore-tiny ]; then
		[ "$(lab_counter relay_xl_blocked)" -gt 0 ] 2>/dev/null || bad "relay_xl_blocked $(lab_counter relay_xl_blocked): no write waited for the 4-slot ring"
		[ "$(lab_counter relay_xl_deferred)" -gt 0 ] 2>/dev/null || bad "relay_xl_deferred $(lab_counter relay_xl_deferred): no control message waited"
	fi
	result="$result; across lcores: relay_xl_pairs $xl_pairs, relay_xl_bytes_out $xl_out, relay_xl_blocked $(lab_counter relay_xl_blocked), relay_xl_deferred $(lab_counter relay_xl_deferred)"
fi
[ $E2E_FAILS = 0 ] && echo "PASS $MODE: $result; relay_payload_bytes $payload, relay_copied_bytes 0"
exit $E2E_FAILS
