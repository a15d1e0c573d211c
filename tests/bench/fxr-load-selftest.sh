#!/usr/bin/env bash
# tests/bench/fxr-load-selftest.sh FXR_LOAD: fxr-load's self-test (histogram: bucket edges,
# percentiles of known data, clamping) and its command-line checks. Its FXR/1 login is
# engine/scram's client with kept keys (unit test scram); the FXR/1 client mode against the
# real relay: bench-e2e-smoke (suite bench-smoke).
set -u
load=$1
[ -x "$load" ] || { echo "FAIL: fxr-load not built at $load"; exit 1; }
pw=$(mktemp /tmp/fxr-load-selftest.XXXXXX)
srv= cli=
trap 'for p in $cli $srv; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -f "$pw" "$pw".*' EXIT
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
	"client --mode hold --connect 127.0.0.1:1 --source 127.0.0" \
	"client --mode hold --connect 127.0.0.1:1 --dev-first 1" \
	"client --mode stream --connect 127.0.0.1:1 --fxr a:b --password-file $pw --dev-first 1" \
	"server --mode sink --listen 127.0.0.1:1 --fxr a --password-file $pw"; do
	"$load" $args 2>/dev/null
	rc=$?
	[ $rc = 2 ] || { echo "FAIL: '$args' exited $rc, want 2"; exit 1; }
done
# --source: a hold client's connections leave from the address given (127.0.0.2 here, towards
# a hold server on 127.0.0.1; the port is the first free one of a few)
for port in 47311 47312 47313 47314; do
	"$load" server --mode hold --listen 127.0.0.1:$port --max-time 20 >/dev/null 2>"$pw.srv" &
	srv=$!
	for ((i = 0; i < 50; i++)); do
		ss -Hltn "sport = :$port" | grep -q . && break
		kill -0 $srv 2>/dev/null || break
		sleep 0.1
	done
	kill -0 $srv 2>/dev/null && break
	wait $srv; srv=
done
[ -n "$srv" ] || { echo "FAIL: no hold server: $(cat "$pw.srv")"; exit 1; }
"$load" client --mode hold --connect 127.0.0.1:$port --conns 4 --source 127.0.0.2 --max-time 20 \
	>"$pw.cli" 2>&1 &
cli=$!
for ((i = 0; i < 100; i++)); do
	grep -q '"connected":4' "$pw.cli" && break
	kill -0 $cli 2>/dev/null || break
	sleep 0.1
done
grep -q '"connected":4' "$pw.cli" || { echo "FAIL: --source: $(cat "$pw.cli")"; exit 1; }
n=$(ss -Htn state established "( dport = :$port )" | awk '$3 ~ /^127\.0\.0\.2:/' | wc -l)
[ "$n" = 4 ] || { echo "FAIL: --source: $n of 4 connections from 127.0.0.2"; exit 1; }
echo "ok"
