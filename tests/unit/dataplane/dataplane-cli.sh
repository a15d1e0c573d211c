#!/bin/bash
# fxr-dataplane's options: --help, and a clear one-line error with exit status 2 for bad
# options, all before EAL starts (so no root or hugepages are needed).
# usage: dataplane-cli.sh PATH/TO/fxr-dataplane
set -u
DP=$1
fail() { echo "FAIL: $*"; exit 1; }

out=$("$DP" -- --help) || fail "--help exit status $?"
for opt in --ip --gw --port --service --channel --busy-poll --fault --time-wait-ms --max-conns \
	--mbufs --xl-ring --connect-check; do
	echo "$out" | grep -q -- "$opt" || fail "--help does not mention $opt"
done
! echo "$out" | grep -q 'not built in yet' || fail "--help still says something is not built yet"

# check_error WANT_TEXT ARGS...: exit status 2 and one line on stderr containing WANT_TEXT
check_error() {
	local want=$1
	shift
	local err rc
	err=$("$DP" "$@" 2>&1 >/dev/null)
	rc=$?
	[ $rc = 2 ] || fail "'$*': exit status $rc, want 2"
	[ "$(echo "$err" | wc -l)" = 1 ] || fail "'$*': more than one line: $err"
	echo "$err" | grep -qF -- "$want" || fail "'$*': '$err' does not contain '$want'"
}
check_error "--ip ADDR/PLEN is required" -l 0
check_error "--ip ADDR/PLEN is required" -l 0 -- --busy-poll
check_error "not an IPv4 address" -- --ip 10.0.0/24
check_error "prefix length must be 1..32" -- --ip 10.0.0.1/33
check_error "not a unicast address" -- --ip 224.0.0.1/24
check_error "--gw is not inside" -- --ip 10.0.0.1/24 --gw 10.0.1.1
check_error "must be 1..65535" -- --ip 10.0.0.1/24 --port 0
check_error "unknown service" -- --ip 10.0.0.1/24 --service chargen=19
check_error "a probability 0..1" -- --ip 10.0.0.1/24 --fault rx:drop=1.5
check_error "must start with rx: or tx:" -- --ip 10.0.0.1/24 --fault up:drop=0.1
check_error "unknown key 'lose'" -- --ip 10.0.0.1/24 --fault tx:lose=0.1
check_error "rx given twice" -- --ip 10.0.0.1/24 --fault rx:drop=0.1 --fault rx:dup=0.1
check_error "--time-wait-ms 0: must be 1..240000" -- --ip 10.0.0.1/24 --time-wait-ms 0
check_error "--mbufs 0: must be 1..16777216" -- --ip 10.0.0.1/24 --mbufs 0
check_error "--xl-ring 100: must be a power of two, 4..65536" -- --ip 10.0.0.1/24 --xl-ring 100
check_error "--xl-ring 2: must be a power of two, 4..65536" -- --ip 10.0.0.1/24 --xl-ring 2
check_error "unknown option '--bogus'" -- --ip 10.0.0.1/24 --bogus
check_error "--ip needs an argument" -- --ip
check_error "unexpected argument 'extra'" -- --ip 10.0.0.1/24 extra
echo "PASS"
