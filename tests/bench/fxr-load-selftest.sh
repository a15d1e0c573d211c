#!/usr/bin/env bash
# tests/bench/fxr-load-selftest.sh FXR_LOAD: fxr-load's self-test (histogram: bucket edges,
# percentiles of known data, clamping) and its command-line checks. Its FXR/1 login is
# engine/scram's client with kept keys (unit test scram); the FXR/1 client mode against the
# real relay: bench-e2e-smoke (suite bench-smoke).
set -u
load=$1
[ -x "$load" ] || { echo "FAIL: fxr-load not built at $load"; exit 1; }
pw=$(mktemp /tmp/fxr-load-selftest.XXXXXX)
trap 'rm -f "$pw"' EXIT
echo secret >"$pw"
out=$("$load" selftest) || { echo "FAIL: selftest: $out"; exit 1; }
[ "$out" = '{"role":"selftest","failures":0}' ] || { echo "FAIL: selftest printed $out"; exit 1; }
"$load" --help | grep -q 'client modes' || { echo "FAIL: --help"; exit 1; }
"$load" --help | grep -q -- '--fxr CALLER:CALLEE' || { echo "FAIL: --help lacks --fxr"; exit 1; }
# bad usage is refused with status 2, before any socket is opened
for args in "client --mode sink --connect 127.0.0.1:1" "server --mode stream --listen 127.0.0.1:1" \
	"client --mode stream --connect 127.0.0.1:1 --conns 20001" \
	"client --mode stream --connect 127.0.0.1:1 --duration 10 --max-time 5" \
	"client --mode stream --connect nowhere:1" "client --mode stream" \
	"client --mode stream --connect 127.0.0.1:1 --fxr a:b" \
	"client --mode hold --connect 127.0.0.1:1 --fxr a:b --password-file $pw" \
	"client --mode stream --connect 127.0.0.1:1 --fxr a --password-file $pw" \
	"client --mode stream --connect 127.0.0.1:1 --fxr a!:b --password-file $pw" \
	"client --mode stream --connect 127.0.0.1:1 --fxr a:b --password-file $pw --dev-conns 0" \
	"client --mode stream --connect 127.0.0.1:1 --fxr a:b --password-file $pw.missing" \
	"server --mode sink --listen 127.0.0.1:1 --fxr a --password-file $pw"; do
	"$load" $args 2>/dev/null
	rc=$?
	[ $rc = 2 ] || { echo "FAIL: '$args' exited $rc, want 2"; exit 1; }
done
echo "ok"
