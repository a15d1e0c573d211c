# tests/e2e/e2e-lib.sh: the start every end-to-end script shares. Sourced after `set -u` with
# ROOT (the source tree) and FXR_BUILD (the build folder) set. It skips the test (exit 77)
# without root, makes LAB_TMP, sources scripts/relay-lab.sh, and installs an EXIT trap that
# runs the script's e2e_cleanup_hook (if it defines one: stop its programs with e2e_kill),
# keeps a copy of LAB_TMP in FXR_E2E_KEEP if that is set (for a post-mortem), tears the
# network down and removes LAB_TMP, on every exit path.
#
#   e2e_start ID...      the network, the relay (dataplane and control plane), and devices
#                        ID... registered, each with its password in LAB_TMP/pw-ID
#   e2e_kill PID...      SIGTERM (timeout and ip netns exec pass it on) and reap
#   bad MSG              count a failure in E2E_FAILS and go on
#   die MSG [LOG]        fail now, with the tail of LOG (default: the control plane's log)

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
LAB_TMP=$(mktemp -d)
. "$ROOT/scripts/relay-lab.sh"
E2E_FAILS=0

e2e_kill() {
	local p
	for p in "$@"; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}

e2e_cleanup() {
	declare -F e2e_cleanup_hook > /dev/null && e2e_cleanup_hook
	[ -n "${FXR_E2E_KEEP:-}" ] && cp -r "$LAB_TMP" "$FXR_E2E_KEEP"
	lab_down
	rm -rf "$LAB_TMP"
}
trap e2e_cleanup EXIT

bad() { echo "FAIL: $*"; E2E_FAILS=$((E2E_FAILS + 1)); }

die() {
	local log=${2:-$LAB_TMP/controlplane.log}
	echo "FAIL: $1"
	if [ -f "$log" ]; then
		echo "---- $(basename "$log") ----"
		tail -n 30 "$log"
	fi
	exit 1
}

e2e_start() {
	local d
	lab_topology || die "network"
	lab_relay_start || die "relay start"
	for d in "$@"; do
		printf 'pw of %s\n' "$d" > "$LAB_TMP/pw-$d"
		lab_ctl device add "$d" < "$LAB_TMP/pw-$d" > /dev/null || die "device add $d"
	done
}
