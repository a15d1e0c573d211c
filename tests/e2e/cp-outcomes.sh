#!/usr/bin/env bash
# Every outcome of DESIGN.md §2 through the real relay (issue 4): fxr-dataplane (net_af_xdp)
# and fxr-controlplane (started with --config: a 1 s keepalive and a 1.5 s answer timeout),
# devices = fxr-device (and fxr-fax answer --reject) behind two NAT gateways, in the network of
# scripts/relay-lab.sh. Each step asserts the exact event line (code and name) the device
# prints and the counter fxrctl shows for it:
#   login + keepalive; LIST; CONNECT accepted (a file each way would need a verb: one way,
#   with the callee's END back) with the bytes of both connections in fxrctl conns; rejected;
#   not found; offline; busy; answer timeout (caller TIMEOUT, callee CANCEL TIMEOUT); the
#   caller's CANCEL while ringing (fxr-device session); caller
#   lost while ringing (callee CANCEL PEER_LOST); kill -9 of the control plane mid-call (the
#   pair and its byte totals restored from the dump, and a new login works after it); LOGOUT (BYE LOGGED_OUT on every connection
#   of the device); fxrctl kick; wrong password; unknown device.
# What the other tests prove already is not repeated at length (fax-e2e: faxes, spare
# connections; tests/integration/dataplane-relay.sh: 1 MB, restart).
# usage: cp-outcomes.sh SOURCE_ROOT BUILD_DIR
set -u
ROOT=$1
FXR_BUILD=$2
. "$ROOT/tests/e2e/e2e-lib.sh"
DEV=$FXR_BUILD/device/fxr-device
FAX=$FXR_BUILD/fax/fxr-fax
bg=
e2e_cleanup_hook() { e2e_kill $bg; }

cat > "$LAB_TMP/cp.conf" <<'EOF'
keepalive_s = 1
answer_ms = 1500
EOF
LAB_CP_ARGS="--config $LAB_TMP/cp.conf"
e2e_start dev-a dev-b dev-c dev-d

# dev NS ID ARGS...: fxr-device as ID in namespace NS, bounded
dev() {
	local ns=$1 id=$2
	shift 2
	ip netns exec "$ns" timeout 60 "$DEV" --relay "$IP_RELAY" --id "$id" \
		--password-file "$LAB_TMP/pw-$id" "$@"
}
# hold NAME NS ID ARGS...: a device program in the background, output in LAB_TMP/NAME.out,
# its pid in HELD (a variable: a command substitution would make it another shell's child)
# (started here, not through dev(): $! is then the program itself, through ip netns exec and
# timeout, which pass SIGTERM on)
hold() {
	local name=$1 ns=$2 id=$3
	shift 3
	ip netns exec "$ns" timeout 60 "$DEV" --relay "$IP_RELAY" --id "$id" \
		--password-file "$LAB_TMP/pw-$id" "$@" > "$LAB_TMP/$name.out" 2>&1 &
	HELD=$!
	bg="$bg $HELD"
}
# stop PID: SIGTERM and reap
stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; bg=${bg/ $1/}; }
# line FILE REGEX: FILE gets a line matching REGEX within 10 s
line() { lab_wait_for 100 grep -Eq "$2" "$1"; }
# stat NAME: a counter of fxrctl --json stats, by its dotted name (controlplane.auth_ok)
stat() {
	lab_ctl --json stats | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}
# expect NAME VALUE
expect() {
	local got
	got=$(stat "$1")
	[ "$got" = "$2" ] || die "$1 = $got, want $2"
}
# state_count ID STATE: connections of device ID in STATE (fxrctl --json conns)
state_count() {
	lab_ctl --json conns | python3 -c '
import json, sys
print(sum(1 for c in json.load(sys.stdin) if c["device"] == sys.argv[1] and c["state"] == sys.argv[2]))' "$1" "$2"
}
is_count() { [ "$(state_count "$1" "$2")" = "$3" ]; }

# 1. login and keepalive: AUTH_OK carries the configured timers; the dataplane answers
hold b-login "$NS_L2" dev-b --for 50 login; BL=$HELD
line "$LAB_TMP/b-login.out" '^logged-in conn=0 id=dev-b keepalive=1 idle=90$' ||
	die "login: $(cat "$LAB_TMP/b-login.out")"
line "$LAB_TMP/b-login.out" '^keepalive-ack conn=0 len=' || die "no keepalive-ack: $(cat "$LAB_TMP/b-login.out")"
expect session.logins 1
expect controlplane.auth_ok 1
echo "ok 1: login (keepalive=1 idle=90 from --config) and keepalive"

# 2. LIST: dev-b idle, no one else (the caller excluded)
out=$(dev "$NS_L1" dev-a list 2>&1) || die "list: exit $?: $out"
echo "$out" | grep -qx 'list-entry id=dev-b state=idle' || die "list: $out"
echo "$out" | grep -Eqx 'list-done req=[0-9]+ count=1' || die "list count: $out"
expect session.lists 1
echo "ok 2: LIST"

# 3. busy: dev-b's only connection rings with dev-d's call (not answered)
hold d-call "$NS_L1" dev-d call dev-b; DC=$HELD
line "$LAB_TMP/b-login.out" '^incoming conn=0 call=[0-9]+ peer=dev-d$' || die "no incoming: $(cat "$LAB_TMP/b-login.out")"
is_count dev-b PENDING 1 || die "dev-b not PENDING: $(lab_ctl conns)"
out=$(dev "$NS_L1" dev-a call dev-b 2>&1); rc=$?
[ $rc = 1 ] || die "busy: exit $rc: $out"
echo "$out" | grep -Eqx 'connect-failed req=[0-9]+ code=3 name=BUSY' || die "busy: $out"
expect session.calls_busy 1
echo "ok 3: BUSY"

# 4. the answer timeout (1.5 s): caller CONNECT_FAIL(TIMEOUT), callee CANCEL(TIMEOUT)
wait $DC; rc=$?
bg=${bg/ $DC/}
[ $rc = 1 ] || die "timeout: caller exit $rc: $(cat "$LAB_TMP/d-call.out")"
grep -Eqx 'connect-failed req=[0-9]+ code=6 name=TIMEOUT' "$LAB_TMP/d-call.out" || die "timeout: $(cat "$LAB_TMP/d-call.out")"
line "$LAB_TMP/b-login.out" '^cancelled conn=0 call=[0-9]+ code=6 name=TIMEOUT$' || die "callee: $(cat "$LAB_TMP/b-login.out")"
expect session.calls_timeout 1
lab_wait_for 50 is_count dev-b IDLE 1 || die "dev-b not IDLE again: $(lab_ctl conns)"
echo "ok 4: answer timeout"

# 5a. the caller's CANCEL while the callee rings: the callee gets CANCEL with the caller's
# code, both are IDLE again (fxr-device session: commands through a fifo)
mkfifo "$LAB_TMP/d-cmd"
ip netns exec "$NS_L1" timeout 60 "$DEV" --relay "$IP_RELAY" --id dev-d \
	--password-file "$LAB_TMP/pw-dev-d" session < "$LAB_TMP/d-cmd" > "$LAB_TMP/d-sess.out" 2>&1 &
DS=$!
bg="$bg $DS"
exec 7> "$LAB_TMP/d-cmd"
line "$LAB_TMP/d-sess.out" '^logged-in conn=0 id=dev-d' || die "session login: $(cat "$LAB_TMP/d-sess.out")"
echo "call 0 dev-b" >&7
line "$LAB_TMP/b-login.out" '^incoming conn=0 call=[0-9]+ peer=dev-d$' || die "no incoming: $(cat "$LAB_TMP/b-login.out")"
lab_wait_for 100 is_count dev-b PENDING 1 || die "dev-b not ringing: $(lab_ctl conns)"
echo "cancel 0 0" >&7
line "$LAB_TMP/b-login.out" '^cancelled conn=0 call=[0-9]+ code=0 name=OK$' || die "cancel: $(cat "$LAB_TMP/b-login.out")"
lab_wait_for 100 is_count dev-b IDLE 1 || die "dev-b not IDLE after CANCEL: $(lab_ctl conns)"
lab_wait_for 100 is_count dev-d IDLE 1 || die "dev-d not IDLE after CANCEL: $(lab_ctl conns)"
expect session.calls_cancelled 1
echo "quit" >&7
exec 7>&-
wait $DS; rc=$?
bg=${bg/ $DS/}
[ $rc = 0 ] || die "session exit $rc: $(cat "$LAB_TMP/d-sess.out")"
grep -q '^command-failed' "$LAB_TMP/d-sess.out" && die "session: $(cat "$LAB_TMP/d-sess.out")"
echo "ok 5a: caller's CANCEL while ringing"

# 5. a caller lost while ringing: its connection closes
hold d-call2 "$NS_L1" dev-d call dev-b; DC=$HELD
lab_wait_for 100 is_count dev-b PENDING 1 || die "dev-b not ringing: $(lab_ctl conns)"
stop "$DC"
line "$LAB_TMP/b-login.out" '^cancelled conn=0 call=[0-9]+ code=11 name=PEER_LOST$' || die "lost caller: $(cat "$LAB_TMP/b-login.out")"
expect session.calls_peer_lost 1
echo "ok 5: caller lost while ringing: CANCEL(PEER_LOST)"

# 6. not found, offline
out=$(dev "$NS_L1" dev-a call dev-nobody 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -Eqx 'connect-failed req=[0-9]+ code=1 name=NOT_FOUND' || die "not found: exit $rc: $out"
out=$(dev "$NS_L1" dev-a call dev-c 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -Eqx 'connect-failed req=[0-9]+ code=2 name=OFFLINE' || die "offline: exit $rc: $out"
expect session.calls_not_found 1
expect session.calls_offline 1
echo "ok 6: NOT_FOUND, OFFLINE"

# 7. LOGOUT from a third connection: BYE(LOGGED_OUT) on both of dev-b's login connections
stop "$BL"
hold b-login2 "$NS_L2" dev-b --conns 2 --for 50 login; BL=$HELD
lab_wait_for 100 is_count dev-b IDLE 2 || die "dev-b: 2 idle connections: $(lab_ctl conns)"
out=$(dev "$NS_L2" dev-b logout 2>&1) || die "logout: exit $?: $out"
echo "$out" | grep -q '^bye code=15 name=LOGGED_OUT' || die "logout: $out"
for c in 0 1; do
	line "$LAB_TMP/b-login2.out" "^bye conn=$c code=15 name=LOGGED_OUT" || die "logout, conn $c: $(cat "$LAB_TMP/b-login2.out")"
done
expect session.logouts 1
stop "$BL"
echo "ok 7: LOGOUT closes every connection of the device"

# 8. fxrctl kick; then the device is not logged in: exit 1
hold b-login3 "$NS_L2" dev-b --for 50 login; BL=$HELD
lab_wait_for 100 is_count dev-b IDLE 1 || die "dev-b not logged in: $(lab_ctl conns)"
out=$(lab_ctl kick dev-b 2>&1) || die "kick: exit $?: $out"
[ "$out" = "dev-b: ok, 1 connection(s) closed" ] || die "kick: $out"
line "$LAB_TMP/b-login3.out" '^bye conn=0 code=15 name=LOGGED_OUT text="logged out by the operator"$' || die "kick: $(cat "$LAB_TMP/b-login3.out")"
stop "$BL"
lab_wait_for 50 is_count dev-b IDLE 0 || die "dev-b still logged in: $(lab_ctl conns)"
out=$(lab_ctl kick dev-b 2>&1); rc=$?
[ $rc = 1 ] && [ "$out" = "fxrctl: dev-b is not logged in" ] || die "kick of nobody: exit $rc: $out"
echo "ok 8: fxrctl kick"

# 9. rejected (fxr-fax answer --reject is the device that refuses)
ip netns exec "$NS_L2" timeout 60 "$FAX" answer --relay "$IP_RELAY" --id dev-b \
	--password-file "$LAB_TMP/pw-dev-b" --reject > "$LAB_TMP/b-reject.out" 2>&1 &
BR=$!; bg="$bg $BR"
line "$LAB_TMP/b-reject.out" '^logged-in' || die "reject: $(cat "$LAB_TMP/b-reject.out")"
out=$(dev "$NS_L1" dev-a call dev-b 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -Eqx 'connect-failed req=[0-9]+ code=4 name=REJECTED' || die "rejected: exit $rc: $out"
wait "$BR" || die "fxr-fax answer --reject: exit $?"
bg=${bg/ $BR/}
expect session.calls_rejected 1
echo "ok 9: REJECTED"

# 10. accepted: dev-a sends 200 kB to dev-b through the relay, with a pause (a FIFO) in which
# both connections are PAIRED and fxrctl conns shows the bytes each way
head -c 204800 /dev/urandom > "$LAB_TMP/file.bin"
mkfifo "$LAB_TMP/feed"
hold b-recv "$NS_L2" dev-b recv "$LAB_TMP/got.bin"; BRV=$HELD
line "$LAB_TMP/b-recv.out" '^logged-in' || die "recv: $(cat "$LAB_TMP/b-recv.out")"
(head -c 102400 "$LAB_TMP/file.bin"; while [ ! -e "$LAB_TMP/go" ]; do sleep 0.1; done
 tail -c +102401 "$LAB_TMP/file.bin") > "$LAB_TMP/feed" &
FEED=$!; bg="$bg $FEED"
hold a-send "$NS_L1" dev-a --to dev-b send "$LAB_TMP/feed"; AS=$HELD
lab_wait_for 100 is_count dev-a PAIRED 1 || die "dev-a not PAIRED: $(lab_ctl conns)"
is_count dev-b PAIRED 1 || die "dev-b not PAIRED: $(lab_ctl conns)"
lab_ctl sessions | grep -q 'dev-a.*dev-b\|dev-b.*dev-a' || die "sessions: $(lab_ctl sessions)"
# bytes_in: from the device; bytes_out: to the device. The dataplane reports them in batches:
# wait until dev-b has been sent at least the first 64 kB of what dev-a sent
bytes() {
	lab_ctl --json conns | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    if c["device"] == sys.argv[1]:
        print(c[sys.argv[2]])' "$1" "$2"
}
relayed() { [ "$(bytes dev-b bytes_out)" -ge 65536 ] && [ "$(bytes dev-a bytes_in)" -ge 65536 ]; }
lab_wait_for 100 relayed || die "bytes not reported: $(lab_ctl conns)"
# both directions carried the login and call frames (AUTH_*, INCOMING/CONNECTED, ACCEPT...)
for d in dev-a dev-b; do
	for w in bytes_in bytes_out; do
		[ "$(bytes $d $w)" -gt 0 ] || die "$d $w is 0: $(lab_ctl conns)"
	done
done
lab_ctl conns | head -n 1 | grep -q 'IN.*OUT' || die "fxrctl conns has no byte columns: $(lab_ctl conns | head -n 1)"
lab_ctl conns | sed 's/^/# /'
# kill -9 of the control plane mid-call: the restarted one takes the totals from the dump
a_in=$(bytes dev-a bytes_in) b_out=$(bytes dev-b bytes_out)
kill -KILL "$LAB_CP_PID"; wait "$LAB_CP_PID" 2>/dev/null
"$FXR_BUILD/controlplane/fxr-controlplane" --channel "$LAB_NS" --db "$LAB_TMP/registry.db" \
	--ops-socket "$LAB_TMP/ops.sock" $LAB_CP_ARGS > "$LAB_TMP/controlplane2.log" 2>&1 &
LAB_CP_PID=$!
running() { lab_ctl --json status | grep -q '"running"'; }
lab_wait_for 300 running || die "restarted control plane: $(tail -n 5 "$LAB_TMP/controlplane2.log")"
is_count dev-a PAIRED 1 || die "the pair after the restart: $(lab_ctl conns)"
[ "$(bytes dev-a bytes_in)" -ge "$a_in" ] && [ "$(bytes dev-b bytes_out)" -ge "$b_out" ] ||
	die "bytes lost in the restart: $a_in/$b_out before, now $(lab_ctl conns)"
touch "$LAB_TMP/go"
wait "$AS" || die "send: exit $?: $(cat "$LAB_TMP/a-send.out")"
wait "$BRV" || die "recv: exit $?: $(cat "$LAB_TMP/b-recv.out")"
wait "$FEED"
bg=
cmp "$LAB_TMP/file.bin" "$LAB_TMP/got.bin" || die "the received file differs"
grep -Eqx 'connected req=[0-9]+ peer=dev-b' "$LAB_TMP/a-send.out" || die "send: $(cat "$LAB_TMP/a-send.out")"
grep -Eqx 'incoming call=[0-9]+ peer=dev-a' "$LAB_TMP/b-recv.out" || die "recv: $(cat "$LAB_TMP/b-recv.out")"
grep -qx 'end code=0 name=OK' "$LAB_TMP/a-send.out" || die "send: no END(OK) back: $(cat "$LAB_TMP/a-send.out")"
# (the counters restarted with the control plane: the pair was restored, not paired anew)
expect session.restored 2
expect session.releases 2
# and a new login after the restart (with a LIST answered)
out=$(dev "$NS_L1" dev-c list 2>&1) || die "login after the restart: exit $?: $out"
echo "$out" | grep -Eq '^logged-in .*id=dev-c' || die "login after the restart: $out"
echo "$out" | grep -Eq '^list-done req=[0-9]+ count=[0-9]+$' || die "LIST after the restart: $out"
echo "ok 10: accepted, relayed, released; bytes each way in fxrctl conns, kept across kill -9;"
echo "      a new login after the restart"

# 11. a wrong password, an unknown device: AUTH_FAIL(AUTH) alike, exit 4
out=$(printf 'not it\n' | ip netns exec "$NS_L1" timeout 60 "$DEV" --relay "$IP_RELAY" --id dev-a list 2>&1); rc=$?
[ $rc = 4 ] && echo "$out" | grep -Eq '^auth-failed code=9 name=AUTH' || die "wrong password: exit $rc: $out"
out=$(printf 'pw\n' | ip netns exec "$NS_L1" timeout 60 "$DEV" --relay "$IP_RELAY" --id dev-ghost list 2>&1); rc=$?
[ $rc = 4 ] && echo "$out" | grep -Eq '^auth-failed code=9 name=AUTH' || die "unknown device: exit $rc: $out"
expect controlplane.auth_failed 2
expect controlplane.auth_unknown 1
expect throttle.source.failures 2
echo "ok 11: wrong password, unknown device"

# nothing lost on the channel: at rest, sent == received both ways
lab_ctl --json stats | python3 -c '
import json, sys
for lane in json.load(sys.stdin)["channel"]:
    for d in ("d2c", "c2d"):
        c = lane[d]
        assert c["sent"] == c["received"] and c["in_flight"] == 0, (lane["lane"], d, c)' ||
	die "channel counters: $(lab_ctl stats | grep channel)"
lab_relay_stop
# the dataplane's counters, printed into its log at exit: it answered the keepalives and
# reported the byte totals
for c in relay_keepalive_acked chan_bytes_reports; do
	v=$(awk -v c=$c '$1 == c {print $2}' "$LAB_TMP/dataplane.log")
	[ "${v:-0}" -gt 0 ] || die "$c ${v:-absent} in the dataplane's exit counters"
done
! grep -q 'runtime error:' "$LAB_TMP"/*.log || die "undefined behaviour reported: $(grep -h 'runtime error:' "$LAB_TMP"/*.log | head -n 3)"
echo "PASS"
