#!/usr/bin/env bash
# End to end (issue 6): real fax machines (fxr-fax, spandsp T.38) on two LANs, each behind its
# own NAT gateway, relayed by fxr (fxr-dataplane on net_af_xdp + fxr-controlplane on the
# embedded store), in the network of scripts/relay-lab.sh, as scripts/demo runs it:
#   1. two faxes at once between different pairs (fax-a -> fax-b, fax-c -> fax-d);
#   2. a fax while a third device (fax-e) holds three spare connections, which stay idle;
#   3. a receiver that rejects: the sender exits 1 with REJECTED;
#   4. an offline callee: the sender exits 1 with OFFLINE;
#   5. a TIFF that cannot be faxed: exit 5 before any login;
#   6. a busy callee: fax-b's only connection is ringing with another call: exit 1 with BUSY.
# Every received fax is compared page by page with tiffcmp. Root needed (skips with 77).
# usage: fax-e2e.sh SOURCE_ROOT BUILD_DIR
set -u
ROOT=$1
FXR_BUILD=$2
. "$ROOT/tests/e2e/e2e-lib.sh"
FAX=$FXR_BUILD/fax/fxr-fax
DEV=$FXR_BUILD/device/fxr-device
bg=
e2e_cleanup_hook() { e2e_kill $bg; }

e2e_start fax-a fax-b fax-c fax-d fax-e
"$ROOT/scripts/make-fax-doc" "$LAB_TMP/doc1.tif" 3 "e2e one" || die "make-fax-doc"
"$ROOT/scripts/make-fax-doc" "$LAB_TMP/doc2.tif" 4 "e2e two" || die "make-fax-doc"

# answer NS ID INBOX: a receiving fax machine in the background; its pid in ANSWER_PID (a
# variable, not printed: a command substitution would make it another shell's child)
answer() {
	mkdir -p "$3"
	ip netns exec "$1" "$FAX" answer --relay "$IP_RELAY" --id "$2" \
		--password-file "$LAB_TMP/pw-$2" --out "$3" > "$LAB_TMP/answer-$2.log" 2>&1 &
	ANSWER_PID=$!
}
# send NS ID TO FILE: a sending fax machine in the foreground; its exit status
send() {
	ip netns exec "$1" "$FAX" send --relay "$IP_RELAY" --id "$2" \
		--password-file "$LAB_TMP/pw-$2" --to "$3" "$4" > "$LAB_TMP/send-$2.log" 2>&1
}
logged_in() { lab_wait_for 300 grep -q '^logged-in' "$LAB_TMP/answer-$1.log"; }
# same FILE INBOX: the inbox holds exactly one fax, equal to FILE page by page
same() {
	local got
	got=$(ls "$2"/*.tif 2>/dev/null)
	[ "$(echo "$got" | grep -c .)" = 1 ] || { bad "$2: $(echo "$got" | grep -c .) faxes, want 1"; return; }
	tiffcmp "$1" "$got" > /dev/null || bad "$2: the received fax differs from $1"
}

# 1. two at once
answer "$NS_L2" fax-b "$LAB_TMP/in1-b"; pb=$ANSWER_PID
answer "$NS_L2" fax-d "$LAB_TMP/in1-d"; pd=$ANSWER_PID
bg="$pb $pd"
logged_in fax-b && logged_in fax-d || die "receivers did not log in" "$LAB_TMP/answer-fax-b.log"
send "$NS_L1" fax-a fax-b "$LAB_TMP/doc1.tif" & sa=$!
send "$NS_L1" fax-c fax-d "$LAB_TMP/doc2.tif" & sc=$!
wait $sa || bad "fax-a -> fax-b: exit $? ($(tail -1 "$LAB_TMP/send-fax-a.log"))"
wait $sc || bad "fax-c -> fax-d: exit $? ($(tail -1 "$LAB_TMP/send-fax-c.log"))"
wait $pb || bad "fax-b answer: exit $?"
wait $pd || bad "fax-d answer: exit $?"
bg=
grep -q '^sent pages=3 result=0' "$LAB_TMP/send-fax-a.log" || bad "fax-a: $(grep sent "$LAB_TMP/send-fax-a.log")"
grep -q '^sent pages=4 result=0' "$LAB_TMP/send-fax-c.log" || bad "fax-c: $(grep sent "$LAB_TMP/send-fax-c.log")"
same "$LAB_TMP/doc1.tif" "$LAB_TMP/in1-b"
same "$LAB_TMP/doc2.tif" "$LAB_TMP/in1-d"
echo "ok 1: two faxes at once"

# 2. with a third device holding spare connections
ip netns exec "$NS_L2" "$DEV" --relay "$IP_RELAY" --id fax-e --password-file "$LAB_TMP/pw-fax-e" \
	--conns 3 --for 100 login > "$LAB_TMP/spare.log" 2>&1 &
spare=$!
bg=$spare
spares() { lab_ctl --json conns | python3 -c '
import json, sys
print(sum(1 for c in json.load(sys.stdin) if c.get("device") == "fax-e" and c.get("state") == "IDLE"))'; }
for ((i = 0; i < 300; i++)); do [ "$(spares)" = 3 ] && break; sleep 0.1; done
[ "$(spares)" = 3 ] || bad "fax-e did not get 3 idle connections: $(lab_ctl conns)"
answer "$NS_L2" fax-b "$LAB_TMP/in2-b"; pb=$ANSWER_PID
bg="$spare $pb"
logged_in fax-b || die "fax-b did not log in" "$LAB_TMP/answer-fax-b.log"
send "$NS_L1" fax-a fax-b "$LAB_TMP/doc2.tif" || bad "fax-a -> fax-b beside spares: exit $?"
wait $pb || bad "fax-b answer: exit $?"
bg=$spare
same "$LAB_TMP/doc2.tif" "$LAB_TMP/in2-b"
[ "$(spares)" = 3 ] || bad "fax-e's spare connections: $(spares) idle, want 3"
echo "ok 2: a fax beside a device holding 3 spare connections"

# 3. a receiver that rejects
ip netns exec "$NS_L2" "$FAX" answer --relay "$IP_RELAY" --id fax-b \
	--password-file "$LAB_TMP/pw-fax-b" --reject > "$LAB_TMP/answer-fax-b.log" 2>&1 &
pb=$!
bg="$spare $pb"
logged_in fax-b || die "fax-b (reject) did not log in"
send "$NS_L1" fax-a fax-b "$LAB_TMP/doc1.tif"; rc=$?
[ $rc = 1 ] || bad "rejected: exit $rc, want 1"
grep -q '^connect-failed to=fax-b code=REJECTED$' "$LAB_TMP/send-fax-a.log" || bad "rejected: $(cat "$LAB_TMP/send-fax-a.log")"
wait $pb || bad "answer --reject: exit $?"
echo "ok 3: a receiver that rejects"

# 4. offline
send "$NS_L1" fax-a fax-d "$LAB_TMP/doc1.tif"; rc=$?
[ $rc = 1 ] || bad "offline: exit $rc, want 1"
grep -q '^connect-failed to=fax-d code=OFFLINE$' "$LAB_TMP/send-fax-a.log" || bad "offline: $(cat "$LAB_TMP/send-fax-a.log")"
echo "ok 4: an offline callee"

# 5. a TIFF that cannot be faxed
echo "not a tiff" > "$LAB_TMP/junk.tif"
send "$NS_L1" fax-a fax-b "$LAB_TMP/junk.tif"; rc=$?
[ $rc = 5 ] || bad "junk TIFF: exit $rc, want 5"
grep -q 'logged-in' "$LAB_TMP/send-fax-a.log" && bad "junk TIFF: logged in before refusing"
echo "ok 5: an unfaxable TIFF refused before any call"

# 6. busy: fax-b holds one connection and does not answer; fax-c's call leaves it ringing
ip netns exec "$NS_L2" "$DEV" --relay "$IP_RELAY" --id fax-b --password-file "$LAB_TMP/pw-fax-b" \
	--for 100 login > "$LAB_TMP/busy-b.log" 2>&1 &
holder=$!
bg="$spare $holder"
lab_wait_for 300 grep -q '^logged-in' "$LAB_TMP/busy-b.log" || die "fax-b (holder) did not log in"
ip netns exec "$NS_L1" "$DEV" --relay "$IP_RELAY" --id fax-c --password-file "$LAB_TMP/pw-fax-c" \
	call fax-b > "$LAB_TMP/ring.log" 2>&1 &
ringer=$!
bg="$spare $holder $ringer"
ringing() { lab_ctl --json conns | python3 -c '
import json, sys
print(sum(1 for c in json.load(sys.stdin) if c.get("device") == "fax-b" and c.get("state") == "PENDING"))'; }
for ((i = 0; i < 300; i++)); do [ "$(ringing)" = 1 ] && break; sleep 0.1; done
[ "$(ringing)" = 1 ] || bad "fax-b's connection is not ringing: $(lab_ctl conns)"
send "$NS_L1" fax-a fax-b "$LAB_TMP/doc1.tif"; rc=$?
[ $rc = 1 ] || bad "busy: exit $rc, want 1"
grep -q '^connect-failed to=fax-b code=BUSY$' "$LAB_TMP/send-fax-a.log" || bad "busy: $(cat "$LAB_TMP/send-fax-a.log")"
kill "$ringer" "$holder" 2>/dev/null; wait "$ringer" "$holder" 2>/dev/null
bg=$spare
echo "ok 6: a busy callee"

# the relay did the relaying
pairs=$(lab_ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["session"]["calls_paired"])')
[ "$pairs" = 3 ] || bad "session.calls_paired $pairs, want 3"
kill "$spare" 2>/dev/null; wait "$spare" 2>/dev/null; bg=
lab_relay_stop
payload=$(awk '$1 == "relay_payload_bytes" {print $2}' "$LAB_TMP/dataplane.log")
[ "${payload:-0}" -gt 0 ] || bad "relay_payload_bytes ${payload:-absent} in the dataplane's exit counters"
[ $E2E_FAILS = 0 ] && echo "PASS (relay_payload_bytes $payload)"
exit $E2E_FAILS
