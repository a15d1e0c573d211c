#!/bin/sh
# fxr-framedump decodes the seeds' sequence the same way at any piece size, and rejects a
# malformed or truncated stream with exit status 1.
# usage: framedump-sequence.sh MKVECTORS FRAMEDUMP
set -eu
mk=$1 dump=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$mk" "$dir"

want="AUTH_START AUTH_CHALLENGE AUTH_PROOF AUTH_OK KEEPALIVE KEEPALIVE_ACK LIST LIST_RESULT CONNECT INCOMING ACCEPT CONNECTED DATA DATA DATA END RELEASE RELEASED CONNECT CONNECT_FAIL CONNECT CANCEL LOGOUT BYE"
for chunk in 1 3 1460; do
	got=$("$dump" --chunk "$chunk" < "$dir/sequence.bin" 2>/dev/null | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" != "$want" ]; then
		echo "FAIL chunk=$chunk: got '$got'"
		exit 1
	fi
done
"$dump" < "$dir/CONNECT.bin" | grep -q 'id=16909060 dev=fax-b' || { echo "FAIL: CONNECT fields"; exit 1; }

# truncated: all but the last byte
head -c -1 "$dir/sequence.bin" > "$dir/trunc"
if "$dump" < "$dir/trunc" > /dev/null 2>&1; then echo "FAIL: truncated stream accepted"; exit 1; fi
# unknown type after a good frame
{ cat "$dir/RELEASE.bin"; printf '\231\000\000\000'; } > "$dir/bad"
if "$dump" < "$dir/bad" > /dev/null 2>"$dir/err"; then echo "FAIL: unknown type accepted"; exit 1; fi
grep -q 'offset 4: bad header: unknown frame type' "$dir/err" || { echo "FAIL: error text: $(cat "$dir/err")"; exit 1; }
# bad usage
if "$dump" --chunk 0 < /dev/null 2>/dev/null; then echo "FAIL: --chunk 0 accepted"; exit 1; fi
echo "ok"
