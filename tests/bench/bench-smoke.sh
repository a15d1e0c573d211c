#!/usr/bin/env bash
# tests/bench/bench-smoke.sh SCRIPTS_BENCH FXR_LOAD: runs `scripts/bench --quick` once into a
# temporary folder and checks its output, with no threshold on any figure:
#   - every figure of every run came out for the direct path, fxr and HAProxy, with no client
#     failure and a non-zero result (bytes, sessions, latency samples, RSS read);
#   - through fxr, every connection logged in with SCRAM (the salted password derived once per
#     device), payload went through the relay (relay_payload_bytes, busy_cycles counted), and
#     the hold figure's connections all logged in;
#   - results.md carries a number in every fxr and HAProxy cell, and the three PNG plots exist;
#     the namespaces and the relay's processes are gone afterwards.
# fxr's 64-stream figures may measure the dataplane running out of mbufs (results.md says so):
# the smoke test then asks only that some payload went through, over the whole client run.
# Needs root (network namespaces); skips with 77 otherwise. A missing tool is a failure:
# scripts/setup installs every one.
set -u
bench=$1
load=$2
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
[ -x "$load" ] || { echo "FAIL: fxr-load not built at $load"; exit 1; }
for tool in ip ss taskset haproxy python3 gnuplot; do
	command -v $tool >/dev/null || { echo "FAIL: $tool missing (scripts/setup installs it)"; exit 1; }
done
out=$(mktemp -d /tmp/fxr-bench-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT

"$bench" --quick --load "$load" --out "$out"
rc=$?
[ $rc = 0 ] || { echo "FAIL: scripts/bench --quick exited $rc"; exit 1; }

python3 - "$out" <<'PY' || exit 1
import json, os, sys
d = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(d, "raw.jsonl")) if l.strip()]
meta = json.load(open(os.path.join(d, "meta.json")))
md = open(os.path.join(d, "results.md")).read()
bad = []
def need(cond, what):
    if not cond:
        bad.append(what)
figures = ["stream1_one", "stream64_one", "stream1_both", "stream64_both", "sessions",
           "latency_light", "latency_half"]
for target in ("direct", "fxr", "haproxy"):
    for run in range(1, meta["runs"] + 1):
        for fig in figures + (["hold"] if target != "direct" else []):
            r = [x for x in rows if x["target"] == target and x["run"] == run and x["figure"] == fig]
            need(len(r) == 1, f"{target} run {run} {fig}: {len(r)} rows")
            if len(r) != 1:
                continue
            c = r[0]["client"]
            need(not c.get("failed"), f"{target} run {run} {fig}: client failed")
            if c.get("failed"):
                continue
            if target == "fxr":
                f = r[0].get("fxr") or {}
                if fig == "hold":
                    need(c["logged_in"] == r[0]["held"], f"fxr hold: {c['logged_in']} logged in")
                    need(r[0].get("dp_slot_bytes", 0) > 0, "fxr hold: no dataplane slot size")
                else:
                    need(f.get("relay_payload_bytes", 0) > 0 and f.get("busy_cycles", 0) > 0,
                         f"fxr run {run} {fig}: no relayed payload or no busy cycles counted")
                    need(c["logged_in"] > 0 and c["key_derivations"] == c["devices"],
                         f"fxr run {run} {fig}: keys derived {c['key_derivations']} times "
                         f"for {c['devices']} devices")
                need("relay_copied_bytes" in f, f"fxr run {run} {fig}: relay_copied_bytes missing")
            if fig.startswith("stream") and target == "fxr" and fig.startswith("stream64"):
                need(c["tx_all_bytes"] > 0, f"{target} {fig}: no bytes")
            elif fig.startswith("stream"):
                need(c["tx_bytes"] > 0 and c["gbps"] > 0, f"{target} {fig}: no bytes")
                if fig.endswith("both"):
                    need(c["rx_bytes"] > 0, f"{target} {fig}: nothing came back")
            elif fig == "sessions":
                need(c["sessions"] > 0, f"{target} sessions: none finished")
            elif fig == "hold":
                need(c["connected"] == r[0]["held"], f"hold: {c['connected']} of {r[0]['held']} up")
                need(r[0]["rss_after_kb"] > 0 and r[0]["rss_before_kb"] > 0, "hold: no RSS")
            else:
                need(c["samples"] > 0 and c["p50_ns"] > 0 and c["p999_ns"] >= c["p50_ns"],
                     f"{target} {fig}: percentiles")
need(meta["saturation_rate"] > 0, "no saturation rate")
need(meta["haproxy_splice_pipes"] > 0, "HAProxy allocated no splice pipe: splice not in use")
need(meta["fxr"] == "measured" and meta["saturation_fxr"] > 0, "fxr saturation not measured")
table = [l for l in md.splitlines() if l.startswith("| ") and "---" not in l][1:]
need(len(table) == 20, f"{len(table)} table rows")
for l in table:
    cells = [c.strip() for c in l.strip("|").split("|")]
    need(any(ch.isdigit() for ch in cells[3]), "fxr cell empty: " + l)
    if cells[1] != "[6]":
        need(any(ch.isdigit() for ch in cells[4]), "HAProxy cell empty: " + l)
for png in ("throughput.png", "sessions.png", "latency.png"):
    p = os.path.join(d, png)
    need(os.path.exists(p) and open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n", png + " missing")
for b in bad:
    print("FAIL:", b)
print(f"checked {len(rows)} runs; {len(bad)} failures")
sys.exit(1 if bad else 0)
PY
# the run's cleanup stopped the relay (its DPDK runtime folder is gone) and removed its
# namespaces (its pid is gone, so none of its names may remain)
ls -d /var/run/dpdk/fxr-bn-*-dp 2>/dev/null | while read -r d; do
	o=${d#/var/run/dpdk/fxr-bn-}; kill -0 "${o%-dp}" 2>/dev/null || echo "$d"; done | grep -q . &&
	{ echo "FAIL: a DPDK runtime folder left behind"; exit 1; }
left=$(ip netns list | awk '{print $1}' | grep -E '^fxr-bn-[0-9]+-[crs]$' | while read -r ns; do
	o=${ns#fxr-bn-}; kill -0 "${o%-*}" 2>/dev/null || echo "$ns"; done)
[ -z "$left" ] || { echo "FAIL: namespaces left behind: $left"; exit 1; }
echo "ok"
