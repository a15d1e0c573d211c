#!/usr/bin/env bash
# End to end: the seeds' sequence (DESIGN.md §2, processes 1-24) through the real relay
# (fxr-dataplane on net_af_xdp + fxr-controlplane) on the relay-lab network: device A on LAN 1
# and device B on LAN 2, each behind its own MASQUERADE gateway, both fxr-device sessions
# driven line by line through a FIFO.
#   1. both log in (A with connections 1, 3 and 4: conn=0 and the spares conn=1, conn=2; B
#      with connection 2) and keep alive: KEEPALIVE_ACKs come back, answered by the
#      dataplane (relay_keepalive_acked), not the control plane;
#   2. A demands B by id, B accepts: A's connection 1 and B's are PAIRED, A's spares IDLE;
#   3. repeated image (A -> B) and response (B -> A) exchanges, each checked byte-exact;
#   4. END both ways, RELEASE both: every connection IDLE again;
#   5. the next demand goes out on spare connection 3 and works the same;
#   6. LOGOUT on connection 1 closes every connection of A (BYE LOGGED_OUT on each), B stays.
# Afterwards relay_copied_bytes is 0 and relay_payload_bytes covers what was exchanged.
# Root needed (skips with 77).
# usage: relay-sequence.sh SOURCE_ROOT BUILD_DIR
set -u
ROOT=$1
FXR_BUILD=$2
. "$ROOT/tests/e2e/e2e-lib.sh"
DEV=$FXR_BUILD/device/fxr-device
pa= pb=
e2e_cleanup_hook() {
	exec 3>&- 4>&- 2>/dev/null
	e2e_kill $pa $pb
}
trap '' PIPE # a session that died makes a command fail, not this script

# seen LOG COUNT REGEX: the session log holds at least COUNT lines matching REGEX (waits
# up to 15 s for it)
seen() {
	lab_wait_for 150 bash -c '[ "$(grep -cE -- "$3" "$1")" -ge "$2" ]' _ "$1" "$2" "$3"
}
# count LOG REGEX: how many lines of the session log match REGEX now
count() { grep -cE -- "$2" "$1"; }
# states ID: the states of ID's connections at the control plane, sorted, comma-separated
states() {
	lab_ctl --json conns | python3 -c '
import json, sys
print(",".join(sorted(c["state"] for c in json.load(sys.stdin) if c.get("device") == sys.argv[1])))' "$1"
}
# states_are ID WANT: waits up to 5 s for ID's connection states to be WANT
states_are() {
	local i
	for ((i = 0; i < 50; i++)); do [ "$(states "$1")" = "$2" ] && return 0; sleep 0.1; done
	bad "$1's connections: $(states "$1"), want $2"
	return 1
}

printf 'keepalive_s = 1\nidle_timeout_s = 10\n' > "$LAB_TMP/cp.conf"
LAB_CP_ARGS="--config $LAB_TMP/cp.conf"
e2e_start dev-a dev-b

# the two sessions: commands through FIFOs held open on fds 3 (A) and 4 (B)
mkfifo "$LAB_TMP/in-a" "$LAB_TMP/in-b" || die "mkfifo"
LOG_A=$LAB_TMP/a.log LOG_B=$LAB_TMP/b.log
ip netns exec "$NS_L1" "$DEV" --relay "$IP_RELAY" --id dev-a --password-file "$LAB_TMP/pw-dev-a" \
	--conns 3 session < "$LAB_TMP/in-a" > "$LOG_A" 2>&1 &
pa=$!
ip netns exec "$NS_L2" "$DEV" --relay "$IP_RELAY" --id dev-b --password-file "$LAB_TMP/pw-dev-b" \
	session < "$LAB_TMP/in-b" > "$LOG_B" 2>&1 &
pb=$!
exec 3> "$LAB_TMP/in-a" 4> "$LAB_TMP/in-b"
a() { echo "$*" >&3; }
b() { echo "$*" >&4; }

# 1. login and keepalive
seen "$LOG_A" 3 '^logged-in conn=[0-2] id=dev-a keepalive=1 ' || die "A did not log in 3 connections" "$LOG_A"
seen "$LOG_B" 1 '^logged-in conn=0 id=dev-b ' || die "B did not log in" "$LOG_B"
states_are dev-a IDLE,IDLE,IDLE
states_are dev-b IDLE
ka0=$(lab_counter relay_keepalive_acked) fr0=$(lab_counter relay_frames_to_cp)
seen "$LOG_A" 3 '^keepalive-ack conn=0 ' || bad "A's connection 1 got no KEEPALIVE_ACKs"
seen "$LOG_B" 3 '^keepalive-ack conn=0 ' || bad "B got no KEEPALIVE_ACKs"
ka1=$(lab_counter relay_keepalive_acked) fr1=$(lab_counter relay_frames_to_cp)
[ "$ka1" -ge $((ka0 + 6)) ] 2>/dev/null || bad "relay_keepalive_acked went from $ka0 to $ka1, want +6 or more"
[ "$fr1" = "$fr0" ] || bad "relay_frames_to_cp went from $fr0 to $fr1 while only KEEPALIVEs were sent"
echo "ok 1: both logged in and kept alive (relay_keepalive_acked $ka1)"

# 2. the demand by id, accepted
# demand CONN: A calls B from its connection CONN; B accepts on its connection 0
demand() {
	local rb='^incoming conn=0 call=[0-9]+ peer=dev-a$' ra="^connected conn=$1 req=[0-9]+ peer=dev-b\$"
	local nb na
	nb=$(count "$LOG_B" "$rb") na=$(count "$LOG_A" "$ra")
	a call "$1" dev-b
	seen "$LOG_B" $((nb + 1)) "$rb" || die "B: no INCOMING" "$LOG_B"
	b accept 0
	seen "$LOG_A" $((na + 1)) "$ra" || die "A: not CONNECTED" "$LOG_A"
}
demand 0
states_are dev-a IDLE,IDLE,PAIRED
states_are dev-b PAIRED
echo "ok 2: the demand by id, accepted; A's spare connections stay idle"

# 3. image and response exchanges
sent=0
# exchange CONN ROUND: an image A -> B (on A's connection CONN) and B's response, checked
exchange() {
	local img=$LAB_TMP/img-$2 resp=$LAB_TMP/resp-$2 nb na
	nb=$(count "$LOG_B" '^received conn=0 ') na=$(count "$LOG_A" "^received conn=$1 ")
	head -c $((150000 + 997 * $2)) /dev/urandom > "$img"
	head -c $((1000 + 13 * $2)) /dev/urandom > "$resp"
	b recv 0 "$img.got" "$(stat -c %s "$img")"
	a send "$1" "$img"
	seen "$LOG_B" $((nb + 1)) '^received conn=0 ' || die "B: image $2 not received" "$LOG_B"
	cmp -s "$img" "$img.got" || bad "image $2 differs"
	a recv "$1" "$resp.got" "$(stat -c %s "$resp")"
	b send 0 "$resp"
	seen "$LOG_A" $((na + 1)) "^received conn=$1 " || die "A: response $2 not received" "$LOG_A"
	cmp -s "$resp" "$resp.got" || bad "response $2 differs"
	sent=$((sent + $(stat -c %s "$img") + $(stat -c %s "$resp")))
}
for r in 1 2 3 4; do exchange 0 $r; done
echo "ok 3: 4 image and response exchanges, byte-exact"

# 4. END both ways, RELEASE both
# finish CONN: A ends (OK), B sees it and ends too, both release
finish() {
	local eb ea rb ra
	eb=$(count "$LOG_B" '^end conn=0 code=0 ') ea=$(count "$LOG_A" "^end conn=$1 code=0 ")
	rb=$(count "$LOG_B" '^released conn=0$') ra=$(count "$LOG_A" "^released conn=$1\$")
	a end "$1" 0
	seen "$LOG_B" $((eb + 1)) '^end conn=0 code=0 ' || die "B: no END" "$LOG_B"
	b end 0 0
	seen "$LOG_A" $((ea + 1)) "^end conn=$1 code=0 " || die "A: no END" "$LOG_A"
	a release "$1"
	b release 0
	seen "$LOG_A" $((ra + 1)) "^released conn=$1\$" || die "A: not RELEASED" "$LOG_A"
	seen "$LOG_B" $((rb + 1)) '^released conn=0$' || die "B: not RELEASED" "$LOG_B"
}
finish 0
states_are dev-a IDLE,IDLE,IDLE
states_are dev-b IDLE
echo "ok 4: END and RELEASE: every connection idle again"

# 5. the next demand on spare connection 3 (conn=1)
demand 1
states_are dev-a IDLE,IDLE,PAIRED
exchange 1 5
finish 1
states_are dev-a IDLE,IDLE,IDLE
echo "ok 5: the next demand from a spare connection"

# 6. LOGOUT closes every connection of A
a logout 0
seen "$LOG_A" 3 '^bye conn=[0-2] code=15 ' || bad "A: BYE(LOGGED_OUT) not on all 3 connections: $(grep '^bye' "$LOG_A")"
for ((i = 0; i < 100; i++)); do kill -0 "$pa" 2>/dev/null || break; sleep 0.1; done
wait "$pa"; rc=$?
pa=
[ $rc = 0 ] || bad "A's session: exit $rc after LOGOUT, want 0"
grep -q '^command-failed' "$LOG_A" "$LOG_B" && bad "a command failed: $(grep -h '^command-failed' "$LOG_A" "$LOG_B")"
states_are dev-a ""
states_are dev-b IDLE
echo "ok 6: LOGOUT closed every connection of A; B still logged in"
b quit
wait "$pb" || bad "B's session: exit $?"
pb=

copied=$(lab_counter relay_copied_bytes)
payload=$(lab_counter relay_payload_bytes)
[ "$copied" = 0 ] || bad "relay_copied_bytes $copied, want 0"
[ "$payload" -ge "$sent" ] 2>/dev/null || bad "relay_payload_bytes $payload, want >= $sent"
[ $E2E_FAILS = 0 ] && echo "PASS (relay_payload_bytes $payload for $sent bytes exchanged, relay_copied_bytes 0)"
exit $E2E_FAILS
