#!/bin/sh
# fxr-device end to end against relay_peer (a scripted stand-in relay on loopback TCP):
# recv + send of a file through the relay, call failures and their exit codes, a wrong
# password, list with a second device logged in, logout.
# Usage: test_fxr_device_e2e.sh PATH/TO/fxr-device PATH/TO/relay_peer
set -u
dev=$1
peer=$2
dir=$(mktemp -d)
fails=0
relay_pid=
bg_pid=

cleanup() {
	[ -n "$bg_pid" ] && kill "$bg_pid" 2>/dev/null
	[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# wait_for FILE PATTERN: until the file has a line matching, at most ~10 s of 0.05 s steps
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
	return 0
}

printf 'pw-a\n' > "$dir/pw-a"
printf 'pw-b\n' > "$dir/pw-b"
"$peer" "$dir/port" fax-a:pw-a fax-b:pw-b &
relay_pid=$!
i=0
while [ ! -s "$dir/port" ]; do
	i=$((i + 1)); [ $i -gt 200 ] && { echo "relay_peer did not start" >&2; exit 1; }
	sleep 0.05
done
relay="127.0.0.1:$(cat "$dir/port")"
A="--relay $relay --id fax-a --password-file $dir/pw-a"
B="--relay $relay --id fax-b --password-file $dir/pw-b"

# 1. a file through the relay: recv on fax-b, send from fax-a
head -c 300000 /dev/urandom > "$dir/in.bin"
$dev $B recv "$dir/out.bin" > "$dir/recv.out" 2> "$dir/recv.err" &
bg_pid=$!
wait_for "$dir/recv.out" '^logged-in id=fax-b' || bad "recv did not log in"
$dev $A --to fax-b send "$dir/in.bin" > "$dir/send.out" 2> "$dir/send.err"
rc=$?
[ $rc -eq 0 ] || { bad "send exit $rc"; cat "$dir/send.out" "$dir/send.err" >&2; }
wait $bg_pid
rc=$?
bg_pid=
[ $rc -eq 0 ] || { bad "recv exit $rc"; cat "$dir/recv.out" "$dir/recv.err" >&2; }
cmp -s "$dir/in.bin" "$dir/out.bin" || bad "received file differs"
grep -q '^connected req=1 peer=fax-b$' "$dir/send.out" || bad "send: no connected line"
grep -q '^sent bytes=300000$' "$dir/send.out" || bad "send: no sent line"
grep -q '^incoming call=[0-9]* peer=fax-a$' "$dir/recv.out" || bad "recv: no incoming line"
grep -q '^end code=0 name=OK$' "$dir/recv.out" || bad "recv: no end line"
grep -q '^received bytes=300000$' "$dir/recv.out" || bad "recv: no received line"
grep -q '^released$' "$dir/recv.out" || bad "recv: not released"

# 2. call failures: exit 1 with the relay's code
$dev $A call fax-b > "$dir/call.out" 2>&1
rc=$?
[ $rc -eq 1 ] || bad "call offline: exit $rc"
grep -q '^connect-failed req=1 code=2 name=OFFLINE$' "$dir/call.out" || bad "call offline: line"
$dev $A call fax-zz > "$dir/call.out" 2>&1
rc=$?
[ $rc -eq 1 ] || bad "call unknown: exit $rc"
grep -q 'name=NOT_FOUND' "$dir/call.out" || bad "call unknown: line"

# 3. a wrong password: exit 4
printf 'nope\n' | $dev --relay "$relay" --id fax-a call fax-b > "$dir/auth.out" 2>&1
rc=$?
[ $rc -eq 4 ] || { bad "wrong password: exit $rc"; cat "$dir/auth.out" >&2; }
grep -q '^auth-failed code=9 name=AUTH' "$dir/auth.out" || bad "wrong password: line"

printf 'nope\n' | $dev --relay "$relay" --id fax-a --for 20 login > "$dir/auth.out" 2>&1
rc=$?
[ $rc -eq 4 ] || { bad "login, wrong password: exit $rc"; cat "$dir/auth.out" >&2; }

# 4. list while fax-b keeps two connections logged in; then a call that succeeds
$dev $B --conns 2 login > "$dir/login.out" 2> "$dir/login.err" &
bg_pid=$!
wait_for "$dir/login.out" '^logged-in conn=1' || bad "login: second connection"
wait_for "$dir/login.out" '^logged-in conn=0' || bad "login: first connection"
$dev $A list > "$dir/list.out" 2>&1 || bad "list exit $?"
grep -q '^list-entry id=fax-b state=idle$' "$dir/list.out" || bad "list: no fax-b"
grep -q '^list-done req=1 count=1$' "$dir/list.out" || bad "list: no done"
# 5. logout from fax-b: every connection gets BYE(LOGGED_OUT); the login command ends
$dev $B logout > "$dir/logout.out" 2>&1 || bad "logout exit $?"
grep -q '^bye code=15 name=LOGGED_OUT' "$dir/logout.out" || bad "logout: no bye"
wait $bg_pid
rc=$?
bg_pid=
[ $rc -eq 0 ] || bad "login after logout: exit $rc"
[ "$(grep -c '^bye conn=[01] code=15' "$dir/login.out")" -eq 2 ] || bad "login: BYE on both"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
echo "all passed"
