#!/bin/sh
# fxr-fax send and answer through a relay: a real fax (four text pages rendered by
# ghostscript) from fax-a to fax-b, both logged in to relay_peer (a scripted stand-in relay on
# loopback, until the real relay carries logins), checked with tiffcmp; then the error paths:
# an offline callee, a receiver that rejects, a TIFF that cannot be faxed (refused before any
# call), a wrong password.
# usage: fxr-fax-relay.sh FXR_FAX RELAY_PEER MAKE_FAX_DOC
set -u
fax=$1 peer=$2 mkdoc=$3
dir=$(mktemp -d)
relay_pid= bg_pid=
fails=0
cleanup() {
	[ -n "$bg_pid" ] && kill "$bg_pid" 2>/dev/null
	[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# wait_for FILE PATTERN: at most ~10 s in 0.05 s steps
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 200 ] && return 1
		sleep 0.05
	done
}

"$mkdoc" "$dir/doc.tif" 4 "relay test" || { echo "make-fax-doc failed"; exit 1; }
printf 'pw-a\n' > "$dir/pw-a"
printf 'pw-b\n' > "$dir/pw-b"
"$peer" "$dir/port" fax-a:pw-a fax-b:pw-b fax-c:pw-c &
relay_pid=$!
i=0
while [ ! -s "$dir/port" ]; do
	i=$((i + 1)); [ $i -gt 200 ] && { echo "relay_peer did not start"; exit 1; }
	sleep 0.05
done
relay="127.0.0.1:$(cat "$dir/port")"
A="--relay $relay --id fax-a --password-file $dir/pw-a"
B="--relay $relay --id fax-b --password-file $dir/pw-b"
mkdir "$dir/inbox"

# 1. the fax: answer on fax-b, send from fax-a
$fax answer $B --out "$dir/inbox" > "$dir/answer.out" 2> "$dir/answer.err" &
bg_pid=$!
wait_for "$dir/answer.out" '^logged-in id=fax-b' || bad "answer did not log in"
$fax send $A --to fax-b "$dir/doc.tif" > "$dir/send.out" 2> "$dir/send.err"
rc=$?
[ $rc -eq 0 ] || { bad "send exit $rc"; cat "$dir/send.out" "$dir/send.err" >&2; }
wait $bg_pid; rc=$?; bg_pid=
[ $rc -eq 0 ] || { bad "answer exit $rc"; cat "$dir/answer.out" "$dir/answer.err" >&2; }
[ $rc -eq 0 ] || cat "$dir/send.out" "$dir/send.err" >&2
grep -q '^connected peer=fax-b$' "$dir/send.out" || bad "send: no connected line"
grep -q '^sent pages=4 result=0 (OK)' "$dir/send.out" || bad "send: $(grep sent "$dir/send.out")"
grep -q '^released$' "$dir/send.out" || bad "send: not released"
grep -q '^incoming call=[0-9]* caller=fax-a$' "$dir/answer.out" || bad "answer: no incoming line"
grep -q '^received pages=4 result=0 (OK)' "$dir/answer.out" || bad "answer: $(grep received "$dir/answer.out")"
rx=$(ls "$dir"/inbox/fax-fax-a-*.tif 2>/dev/null | head -1)
[ -n "$rx" ] || bad "no fax file in the inbox"
[ -n "$rx" ] && { tiffcmp "$dir/doc.tif" "$rx" > /dev/null || bad "tiffcmp: the received fax differs"; }

# 2. the callee is offline: exit 1, nothing sent
$fax send $A --to fax-c "$dir/doc.tif" > "$dir/off.out" 2> "$dir/off.err"; rc=$?
[ $rc -eq 1 ] || bad "offline: exit $rc"
grep -q '^connect-failed to=fax-c code=OFFLINE$' "$dir/off.out" || bad "offline: $(cat "$dir/off.out")"
[ "$(wc -l < "$dir/off.err")" = 1 ] || bad "offline: error not one line"

# 3. a receiver that rejects: exit 1 for the sender, 0 for the receiver
$fax answer $B --reject > "$dir/rej.out" 2>&1 &
bg_pid=$!
wait_for "$dir/rej.out" '^logged-in id=fax-b' || bad "reject: answer did not log in"
$fax send $A --to fax-b "$dir/doc.tif" > "$dir/rs.out" 2> "$dir/rs.err"; rc=$?
[ $rc -eq 1 ] || bad "rejected: exit $rc"
grep -q '^connect-failed to=fax-b code=REJECTED$' "$dir/rs.out" || bad "rejected: $(cat "$dir/rs.out")"
wait $bg_pid; rc=$?; bg_pid=
[ $rc -eq 0 ] || bad "answer --reject exit $rc"

# 4. a TIFF that cannot be faxed: exit 5 before logging in
echo "plain text" > "$dir/junk.tif"
$fax send $A --to fax-b "$dir/junk.tif" > "$dir/junk.out" 2> "$dir/junk.err"; rc=$?
[ $rc -eq 5 ] || bad "junk tiff: exit $rc"
grep -q 'logged-in' "$dir/junk.out" && bad "junk tiff: logged in before refusing"
grep -q 'not a readable TIFF' "$dir/junk.err" || bad "junk tiff: $(cat "$dir/junk.err")"

# 5. a wrong password: exit 4
printf 'nope\n' | $fax send --relay "$relay" --id fax-a --to fax-b "$dir/doc.tif" > /dev/null 2> "$dir/pw.err"; rc=$?
[ $rc -eq 4 ] || bad "wrong password: exit $rc ($(cat "$dir/pw.err"))"

# 6. usage
$fax send $A "$dir/doc.tif" 2> /dev/null; rc=$?
[ $rc -eq 2 ] || bad "send without --to: exit $rc"
$fax answer $B 2> /dev/null; rc=$?
[ $rc -eq 2 ] || bad "answer without --out: exit $rc"

[ $fails -eq 0 ] && echo ok
exit $fails
