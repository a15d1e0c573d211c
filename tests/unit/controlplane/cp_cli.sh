#!/bin/sh
# fxr-controlplane's and fxrctl's command lines: help, usage errors, config errors, and
# fxrctl's exit codes with one line on stderr (DESIGN.md §7). No channel, no dataplane.
# usage: cp_cli.sh FXR-CONTROLPLANE FXRCTL
set -u
cp=$1
ctl=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
fail=0
# expect STATUS PATTERN CMD...: exit status STATUS and PATTERN in stdout+stderr
expect() {
	want=$1; pat=$2; shift 2
	out=$("$@" 2>&1 < /dev/null)
	got=$?
	if [ "$got" != "$want" ] || ! printf '%s' "$out" | grep -q -- "$pat"; then
		echo "FAIL: $* -> $got (want $want), output: $out"
		fail=1
	fi
}
expect 0 "usage: fxr-controlplane" "$cp" --help
expect 2 "--db PATH is required" "$cp" --channel x
expect 2 "unexpected argument" "$cp" --db "$dir/r.db" extra
expect 2 "log-level" "$cp" --db "$dir/r.db" --log-level loud
printf 'bogus_key = 1\n' > "$dir/bad1.conf"
expect 2 "bad1.conf:1: unknown key bogus_key" "$cp" --db "$dir/r.db" --config "$dir/bad1.conf"
printf '# fine\nkeepalive_s = 30\nscram_iterations = 100\n' > "$dir/bad2.conf"
expect 2 "bad2.conf:3: scram_iterations must be 4096" "$cp" --db "$dir/r.db" --config "$dir/bad2.conf"
printf 'keepalive_s = 30x\n' > "$dir/bad3.conf"
expect 2 "bad3.conf:1: keepalive_s must be" "$cp" --db "$dir/r.db" --config "$dir/bad3.conf"
expect 2 "no-such.conf" "$cp" --db "$dir/r.db" --config "$dir/no-such.conf"
expect 0 "controlplane.auth_ok" "$cp" --list-counters
expect 2 "--ops-group: ops group: no group named 'no-such-group-fxr'" \
	"$cp" --db "$dir/r.db" --ops-group no-such-group-fxr
printf 'ops_group = no-such-group-fxr\n' > "$dir/bad4.conf"
expect 2 "bad4.conf:1: ops group: no group named" "$cp" --db "$dir/r.db" --config "$dir/bad4.conf"

# --ops-group: the socket is created mode 0660 in that group (a group this process is not
# in, and not its own; needs root to chown to it, so skipped otherwise)
grp=$(getent group daemon | cut -d: -f1)
if [ "$(id -u)" = 0 ] && [ -n "$grp" ]; then
	"$cp" --db "$dir/g.db" --channel "cpcli$$" --ops-socket "$dir/g.sock" --ops-group "$grp" \
		> "$dir/g.log" 2>&1 &
	pid=$!
	i=0
	while [ ! -S "$dir/g.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	got=$(stat -c '%a %G' "$dir/g.sock" 2>&1)
	[ "$got" = "660 $grp" ] || { echo "FAIL: --ops-group $grp: socket is '$got'"; cat "$dir/g.log"; fail=1; }
	kill "$pid"; wait "$pid"
fi

expect 0 "usage: fxrctl" "$ctl" --help
expect 2 "usage: fxrctl" "$ctl"
expect 2 "unknown command 'frobnicate'" "$ctl" --socket "$dir/none.sock" frobnicate
expect 2 "device: expected add" "$ctl" --socket "$dir/none.sock" device frob x
expect 2 "wrong number of arguments" "$ctl" --socket "$dir/none.sock" device add
expect 2 "kick: expected a device id" "$ctl" --socket "$dir/none.sock" kick
expect 2 "no password on stdin" "$ctl" --socket "$dir/none.sock" device add x
expect 2 "cannot connect to $dir/none.sock" "$ctl" --socket "$dir/none.sock" status
# one line on stderr
n=$("$ctl" --socket "$dir/none.sock" status 2>&1 >/dev/null | wc -l)
[ "$n" = 1 ] || { echo "FAIL: fxrctl error is $n lines"; fail=1; }
[ $fail = 0 ] && echo "ok"
exit $fail
