#!/usr/bin/env bash
# tests/bench/bench-smoke.sh SCRIPTS_BENCH FXR_LOAD: runs `scripts/bench --quick` once into a
# temporary folder and checks its output, with no threshold on any figure:
#   - every figure of every run came out for the direct path and HAProxy, with no client
#     failure and a non-zero result (bytes, sessions, latency samples, RSS read);
#   - fxr is reported as "not measured: fxr-load has no FXR/1 client mode yet" and no fxr run or
#     fxr number appears (the slot is tested for absence until the relay path exists);
#   - results.md and the three PNG plots exist; the namespaces are gone afterwards.
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
for target in ("direct", "haproxy"):
    for run in range(1, meta["runs"] + 1):
        for fig in figures + (["hold"] if target == "haproxy" else []):
            r = [x for x in rows if x["target"] == target and x["run"] == run and x["figure"] == fig]
            need(len(r) == 1, f"{target} run {run} {fig}: {len(r)} rows")
            if len(r) != 1:
                continue
            c = r[0]["client"]
            need(not c.get("failed"), f"{target} run {run} {fig}: client failed")
            if c.get("failed"):
                continue
            if fig.startswith("stream"):
                need(c["tx_bytes"] > 0 and c["gbps"] > 0, f"{target} {fig}: no bytes")
                if fig.endswith("both"):
                    need(c["rx_bytes"] > 0, f"{target} {fig}: nothing came back")
            elif fig == "sessions":
                need(c["sessions"] > 0, f"{target} sessions: none finished")
            elif fig == "hold":
                need(c["connected"] == meta["hold"], f"hold: {c['connected']} of {meta['hold']} up")
                need(r[0]["rss_after_kb"] > 0 and r[0]["rss_before_kb"] > 0, "hold: no RSS")
            else:
                need(c["samples"] > 0 and c["p50_ns"] > 0 and c["p999_ns"] >= c["p50_ns"],
                     f"{target} {fig}: percentiles")
need(meta["saturation_rate"] > 0, "no saturation rate")
need(meta["haproxy_splice_pipes"] > 0, "HAProxy allocated no splice pipe: splice not in use")
# the fxr slot, tested for absence
absent = "fxr: not measured: fxr-load has no FXR/1 client mode yet"
need(meta["fxr"] == absent, "meta.json: fxr " + str(meta["fxr"]))
need(absent in md, "results.md lacks the fxr line")
need(not any(x["target"] == "fxr" for x in rows), "an fxr run was recorded")
table = [l for l in md.splitlines() if l.startswith("| ") and "---" not in l][1:]
need(len(table) == 16, f"{len(table)} table rows")
for l in table:
    cells = [c.strip() for c in l.strip("|").split("|")]
    need(cells[3] == "not measured" and cells[5] == "—", "fxr cell carries a number: " + l)
    need(any(ch.isdigit() for ch in cells[4]), "HAProxy cell empty: " + l)
for png in ("throughput.png", "sessions.png", "latency.png"):
    p = os.path.join(d, png)
    need(os.path.exists(p) and open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n", png + " missing")
for b in bad:
    print("FAIL:", b)
print(f"checked {len(rows)} runs; {len(bad)} failures")
sys.exit(1 if bad else 0)
PY
# the run's cleanup removed its namespaces (its pid is gone, so none of its names may remain)
left=$(ip netns list | awk '{print $1}' | grep -E '^fxr-bn-[0-9]+-[crs]$' | while read -r ns; do
	o=${ns#fxr-bn-}; kill -0 "${o%-*}" 2>/dev/null || echo "$ns"; done)
[ -z "$left" ] || { echo "FAIL: namespaces left behind: $left"; exit 1; }
echo "ok"
