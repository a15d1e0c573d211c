#!/bin/sh
# fxr-device's command line: --help, usage errors (exit 2), local errors (5), and an
# unreachable relay (3). Usage: test_fxr_device_cli.sh PATH/TO/fxr-device
set -u
dev=$1
fails=0

# expect STATUS DESCRIPTION -- ARGS... (stdin from the environment variable IN)
expect() {
	want=$1; what=$2; shift 3
	printf '%s\n' "${IN-secret}" | "$dev" "$@" >/tmp/fxr-device-cli.$$.out 2>/tmp/fxr-device-cli.$$.err
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $what: exit $got, want $want" >&2
		cat /tmp/fxr-device-cli.$$.err >&2
		fails=$((fails + 1))
	else
		echo "ok: $what (exit $got)"
	fi
}

expect 0 "--help" -- --help
grep -q '^usage: fxr-device' /tmp/fxr-device-cli.$$.out || { echo "FAIL: --help text" >&2; fails=$((fails + 1)); }
grep -q 'exit status' /tmp/fxr-device-cli.$$.out || { echo "FAIL: --help exit codes" >&2; fails=$((fails + 1)); }
expect 2 "no arguments" --
expect 2 "no command" -- --id fax-a
expect 2 "unknown command" -- --id fax-a frobnicate
expect 2 "unknown option" -- --bogus --id fax-a login
expect 2 "missing --id" -- login
expect 2 "bad --id" -- --id 'bad id' login
expect 2 "call without ID" -- --id fax-a call
expect 2 "call with a bad ID" -- --id fax-a call 'no/slash'
expect 2 "login with an argument" -- --id fax-a login extra
expect 2 "send without --to" -- --id fax-a send /dev/null
expect 2 "bad --relay port" -- --relay host:99999 --id fax-a login
expect 2 "bad --relay v6" -- --relay '[::1' --id fax-a login
expect 2 "bad --for" -- --for -3 --id fax-a login
expect 2 "bad --conns" -- --conns 99 --id fax-a login
grep -q 'try --help' /tmp/fxr-device-cli.$$.err || { echo "FAIL: usage error text" >&2; fails=$((fails + 1)); }
expect 5 "missing password file" -- --id fax-a --password-file /nonexistent/pw list
IN='' expect 5 "empty password" -- --id fax-a list
# port 1 on loopback: nobody listens there, the connect is refused at once
expect 3 "relay unreachable" -- --relay 127.0.0.1:1 --id fax-a call fax-b
grep -q '^closed err=ECONNREFUSED' /tmp/fxr-device-cli.$$.out || grep -q 'refused' /tmp/fxr-device-cli.$$.err ||
	{ echo "FAIL: refused not reported" >&2; fails=$((fails + 1)); }

# session: the password from a file (stdin carries the commands); bad commands are reported
# one a line and the session goes on until quit, while the connection keeps being retried
expect 2 "session without --password-file" -- --id fax-a session
printf 'pw\n' > /tmp/fxr-device-cli.$$.pw
expect 2 "session with an argument" -- --id fax-a --password-file /tmp/fxr-device-cli.$$.pw session x
printf 'frobnicate 0\ncall 9 fax-b\nsend 0 /nonexistent/file\nrecv 0 /dev/null 0\nquit\n' |
	"$dev" --relay 127.0.0.1:1 --id fax-a --password-file /tmp/fxr-device-cli.$$.pw session \
	>/tmp/fxr-device-cli.$$.out 2>/tmp/fxr-device-cli.$$.err
got=$?
[ "$got" -eq 0 ] || { echo "FAIL: session quit: exit $got, want 0" >&2; fails=$((fails + 1)); }
for want in 'cmd=frobnicate reason="unknown command or arguments"' 'cmd=call reason="no such connection"' \
	'cmd=send reason="No such file or directory"' 'cmd=recv reason="bad BYTES"'; do
	grep -qF "command-failed $want" /tmp/fxr-device-cli.$$.out ||
		{ echo "FAIL: session: no \"command-failed $want\"" >&2; fails=$((fails + 1)); }
done
echo "ok: session reports bad commands and quits"

rm -f /tmp/fxr-device-cli.$$.out /tmp/fxr-device-cli.$$.err /tmp/fxr-device-cli.$$.pw
[ "$fails" -eq 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
echo "all passed"
