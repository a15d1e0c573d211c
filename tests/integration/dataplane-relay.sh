#!/bin/bash
# The relay end to end (issues 4 and 5): fxr-dataplane (net_af_xdp) with the relay port and
# the plane channel, the real fxr-controlplane attached to it in the root namespace, devices
# registered with fxrctl, and the real device programs behind the NAT gateway:
#  - fxr-device login + list; recv on fax-b and send of a 1 MB random file from fax-a, equal
#    (cmp); a call to an offline device exits 1 (OFFLINE); a wrong password exits 4
#  - fxr-"${FAXC[@]}" answer / send of a 3-page document (scripts/make-fax-doc), equal (tiffcmp)
#  - fxrctl --json stats / conns / sessions parse; relay_payload_bytes > 0 over telemetry
#  - kill -9 of fxr-controlplane while a pair is up, restart from the dataplane's dump: the
#    pair still relays and both ends end the call (END, RELEASE) normally
# usage: dataplane-relay.sh FXR-DATAPLANE FXR-CONTROLPLANE FXRCTL FXR-DEVICE FXR-FAX MAKE-FAX-DOC
set -u
. "$(dirname "$0")/netns-lib.sh"
DP=$1 CPBIN=$2 CTL=$3 DEV=$4 FAX=$5 MKDOC=$6
for tool in cmp tiffcmp gs; do
	command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
it_init
it_topology
it_dp_start "$DP" --time-wait-ms 200
CHAN=$DP_PREFIX
grep -q "relay port 4747, channel $CHAN" "$DP_LOG" || it_fail "relay port/channel not in the ready line"

CP_PID=
CP_RUNS=0
BG=
it_cleanup_hook() {
	# FXR_IT_KEEP=DIR keeps the logs (control plane, devices, dataplane) for a post-mortem
	[ -n "${FXR_IT_KEEP:-}" ] && cp -r "$IT_TMP" "$FXR_IT_KEEP"
	# TERM first: timeout passes it on to the device program (a KILL would orphan it)
	for p in $BG $CP_PID; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.2
	for p in $BG $CP_PID; do
		kill -KILL "$p" 2>/dev/null
	done
}
SOCK=$IT_TMP/ops.sock

cp_start() {
	CP_RUNS=$((CP_RUNS + 1))
	"$CPBIN" --channel "$CHAN" --db "$IT_TMP/db" --ops-socket "$SOCK" \
		>"$IT_TMP/cp$CP_RUNS.log" 2>&1 &
	CP_PID=$!
	it_wait_for 100 ctl status || { tail "$IT_TMP/cp$CP_RUNS.log"; it_fail "control plane not answering"; }
}
ctl() { timeout 10 "$CTL" --socket "$SOCK" "$@"; }
# in the client namespace, every run bounded
# (arrays, not functions: $! of a background job is then the program itself, through
# ip netns exec and timeout, which pass SIGTERM on)
DEVC=(ip netns exec "$NS_C" timeout 60 "$DEV" --relay $IP_DP:4747)
FAXC=(ip netns exec "$NS_C" timeout 120 "$FAX")
# wait_line FILE PATTERN: at most 10 s
wait_line() { it_wait_for 100 grep -q "$2" "$1"; }

cp_start

for d in fax-a fax-b fax-c; do
	printf 'pw-%s\n' $d > "$IT_TMP/pw-$d"
	ctl device add $d < "$IT_TMP/pw-$d" >/dev/null || it_fail "fxrctl device add $d"
done
A="--id fax-a --password-file $IT_TMP/pw-fax-a"
B="--id fax-b --password-file $IT_TMP/pw-fax-b"

# 1. login and list
"${DEVC[@]}" $B --for 30 login >"$IT_TMP/login-b.out" 2>&1 &
BG=$!
wait_line "$IT_TMP/login-b.out" '^logged-in' || it_fail "login: $(cat "$IT_TMP/login-b.out")"
out=$("${DEVC[@]}" $A list 2>&1) || it_fail "list: exit $?: $out"
echo "$out" | grep -q 'list-entry.*fax-b' || it_fail "list does not show fax-b: $out"
it_log "list: $(echo "$out" | tr '\n' ' ')"
kill -TERM $BG; wait $BG; BG=

# 2. 1 MB through the relay
head -c 1048576 /dev/urandom >"$IT_TMP/file.bin"
"${DEVC[@]}" $B recv "$IT_TMP/got.bin" >"$IT_TMP/recv.out" 2>&1 &
BG=$!
wait_line "$IT_TMP/recv.out" '^logged-in' || it_fail "recv: $(cat "$IT_TMP/recv.out")"
t0=$(date +%s%N)
out=$("${DEVC[@]}" $A --to fax-b send "$IT_TMP/file.bin" 2>&1) || it_fail "send: exit $?: $out"
wait $BG || it_fail "recv: exit $?: $(cat "$IT_TMP/recv.out")"
t1=$(date +%s%N)
BG=
cmp "$IT_TMP/file.bin" "$IT_TMP/got.bin" || it_fail "1 MB: received file differs"
it_log "1 MB relayed in $(( (t1 - t0) / 1000000 )) ms (call set-up and release included): $(echo "$out" | tail -n 2 | tr '\n' ' ')"
[ "$(it_counter relay_payload_bytes)" -gt 1048576 ] || it_fail "relay_payload_bytes $(it_counter relay_payload_bytes)"
[ "$(it_counter relay_copied_bytes)" = 0 ] || it_fail "relay_copied_bytes $(it_counter relay_copied_bytes): payload was copied"

# 3. an offline callee: exit 1, OFFLINE
out=$("${DEVC[@]}" $A call fax-c 2>&1); rc=$?
[ $rc = 1 ] || it_fail "call offline: exit $rc: $out"
echo "$out" | grep -q 'OFFLINE' || it_fail "call offline: $out"

# 4. a wrong password: exit 4
out=$(printf 'nope\n' | "${DEVC[@]}" --id fax-a list 2>&1); rc=$?
[ $rc = 4 ] || it_fail "wrong password: exit $rc: $out"

# 5. a fax of 3 pages
"$MKDOC" "$IT_TMP/doc.tif" 3 "relay integration" || it_fail "make-fax-doc"
mkdir "$IT_TMP/inbox"
"${FAXC[@]}" answer --relay $IP_DP:4747 $B --out "$IT_TMP/inbox" >"$IT_TMP/answer.out" 2>&1 &
BG=$!
wait_line "$IT_TMP/answer.out" '^logged-in' || it_fail ""${FAXC[@]}" answer: $(cat "$IT_TMP/answer.out")"
out=$("${FAXC[@]}" send --relay $IP_DP:4747 $A --to fax-b "$IT_TMP/doc.tif" 2>&1) || it_fail ""${FAXC[@]}" send: exit $?: $out"
wait $BG || it_fail ""${FAXC[@]}" answer: exit $?: $(cat "$IT_TMP/answer.out")"
BG=
echo "$out" | grep -q '^sent pages=3 result=0' || it_fail ""${FAXC[@]}" send: $out"
rx=$(ls "$IT_TMP"/inbox/*.tif 2>/dev/null | head -n 1)
[ -n "$rx" ] || it_fail "no fax in the inbox"
tiffcmp "$IT_TMP/doc.tif" "$rx" >/dev/null || it_fail "tiffcmp: the fax differs"

# 6. the ops API's JSON
for c in stats conns sessions; do
	ctl --json $c | python3 -c 'import json,sys; json.load(sys.stdin)' \
		|| it_fail "fxrctl --json $c does not parse"
done

# 7. kill -9 of the control plane with a pair up; the restarted one takes it from the dump
mkfifo "$IT_TMP/feed"
before=$(it_counter relay_payload_bytes)
head -c 262140 /dev/urandom >"$IT_TMP/part1"
head -c 300000 /dev/urandom >"$IT_TMP/part2"
"${DEVC[@]}" $B recv "$IT_TMP/got2.bin" >"$IT_TMP/recv2.out" 2>&1 &
BG=$!
wait_line "$IT_TMP/recv2.out" '^logged-in' || it_fail "recv2: $(cat "$IT_TMP/recv2.out")"
# the sender reads its file from a FIFO: the first part, then (after the restart) the rest
(cat "$IT_TMP/part1"; while [ ! -e "$IT_TMP/go" ]; do sleep 0.1; done; cat "$IT_TMP/part2") \
	>"$IT_TMP/feed" &
FEED=$!
"${DEVC[@]}" $A --to fax-b send "$IT_TMP/feed" >"$IT_TMP/send2.out" 2>&1 &
SEND=$!
BG="$BG $FEED $SEND"
wait_line "$IT_TMP/recv2.out" '^incoming\|connected' || it_fail "recv2 no call: $(cat "$IT_TMP/recv2.out")"
# (the receiver's file is written through stdio, and the sender keeps a part of what it read
# for its next DATA frame: the dataplane's counter says that the call is relaying)
part1_relayed() { [ $(( $(it_counter relay_payload_bytes) - before )) -ge 131072 ]; }
it_wait_for 100 part1_relayed \
	|| it_fail "first part not relayed: $(( $(it_counter relay_payload_bytes) - before )) bytes;" \
		"$(it_counters | awk '$1 ~ /^(relay|chan)_/ && $2 != 0 { printf "%s=%s ", $1, $2 }')" \
		"$(ip netns exec "$NS_C" ss -tn)"
kill -KILL $CP_PID; wait $CP_PID 2>/dev/null
cp_start
touch "$IT_TMP/go"
wait $SEND || it_fail "send across the restart: exit $?: $(cat "$IT_TMP/send2.out")"
wait $BG 2>/dev/null
BG=
cat "$IT_TMP/part1" "$IT_TMP/part2" | cmp - "$IT_TMP/got2.bin" || it_fail "data across the restart differs"
grep -q released "$IT_TMP/send2.out" || it_fail "no RELEASE after the restart: $(cat "$IT_TMP/send2.out")"
[ "$(it_counter chan_dumps)" -ge 2 ] || it_fail "chan_dumps $(it_counter chan_dumps): want one per attach (2)"

it_log "counters: $(it_counters | awk '$1 ~ /^(relay|chan)_/ && $2 != 0 { printf "%s=%s ", $1, $2 }')"
kill -TERM $CP_PID; wait $CP_PID 2>/dev/null; CP_PID=
it_dp_stop
! grep -q 'runtime error:' "$DP_LOG" || it_fail "undefined behaviour reported"
echo "PASS"
