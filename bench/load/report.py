#!/usr/bin/env python3
"""bench/load/report.py: turns scripts/bench's raw runs into the results table and plots.

usage: report.py DIR    (DIR holds raw.jsonl and meta.json from scripts/bench)

Writes DIR/results.md (the "Relays side by side" table: medians over the alternating runs,
and fxr / HAProxy ratios), DIR/*.dat and DIR/*.gp, and DIR/throughput.png, latency.png,
sessions.png with gnuplot. A figure with no successful run is shown as "—", never as a number.
"""
import json
import os
import statistics
import subprocess
import sys

TARGETS = ("direct", "fxr", "haproxy")
STREAMS = (
    ("stream1_one", "1 stream, one way"),
    ("stream64_one", "64 streams, one way"),
    ("stream1_both", "1 stream, both ways"),
    ("stream64_both", "64 streams, both ways"),
)
LATENCY = (("latency_light", "light"), ("latency_half", "half"))
PCTS = (("p50_ns", "p50"), ("p99_ns", "p99"), ("p999_ns", "p99.9"))


def load(path):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"report: {path} line {n}: {e}: {line[:1000]}")
    return rows


def median(xs):
    return statistics.median(xs) if xs else None


def per_run(rows, target, figure, fn):
    """{run: value} for the runs of target/figure whose client did not fail."""
    out = {}
    for r in rows:
        if r["target"] == target and r["figure"] == figure and not r["client"].get("failed"):
            v = fn(r)
            if v is not None:
                out[r["run"]] = v
    return out


def fmt(v, unit="", nd=2):
    if v is None:
        return "—"
    if abs(v) >= 1000:
        return f"{v:,.0f}{unit}"
    return f"{v:.{nd}f}{unit}"


def main():
    d = sys.argv[1]
    rows = [r for r in load(os.path.join(d, "raw.jsonl")) if r["run"] > 0]
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    tck = float(meta["clk_tck"])
    fxr_absent = meta.get("fxr") != "measured"
    measured = [t for t in TARGETS if any(r["target"] == t for r in rows)]

    def cell(target, vals, unit="", nd=2):
        if target == "fxr" and fxr_absent:
            return "not measured"
        return fmt(median(list(vals.values())), unit, nd)

    def ratio(vals):
        if fxr_absent:
            return "—"
        f, h = median(list(vals["fxr"].values())), median(list(vals["haproxy"].values()))
        return f"{f / h:.2f}" if f is not None and h else "—"

    lines = []
    table = []   # (figure, counts, {target: values})
    plot_stream = []
    for fig, label in STREAMS:
        vals = {t: per_run(rows, t, fig, lambda r: r["client"]["gbps"]) for t in TARGETS}
        table.append((f"relayed payload, {label} (Gbit/s)", "[1]", vals, 2))
        plot_stream.append((label, vals))
    vals = {t: per_run(rows, t, "sessions", lambda r: r["client"]["sessions_per_s"]) for t in TARGETS}
    table.append(("new relayed sessions per second", "[2]", vals, 0))
    sess_vals = vals

    # added latency: relay minus direct within the same run, then the median over runs
    lat_added = {}
    through_abs = {}
    for fig, load_name in LATENCY:
        for key, pname in PCTS:
            direct = per_run(rows, "direct", fig, lambda r, k=key: r["client"][k])
            vals = {}
            for t in TARGETS:
                through = per_run(rows, t, fig, lambda r, k=key: r["client"][k])
                vals[t] = {run: (v - direct[run]) / 1000.0 for run, v in through.items()
                           if run in direct} if t != "direct" else \
                    {run: v / 1000.0 for run, v in direct.items()}
            table.append((f"round-trip latency {pname}, {load_name} load (µs)",
                          "[3]", vals, 1))
            through_abs[(fig, key)] = True
            lat_added[(load_name, pname)] = vals

    def cpu_s(r):
        """relay CPU seconds over one client run: HAProxy's process time; fxr's dataplane
        busy cycles plus its control plane's process time"""
        s = r["relay_cpu_ticks"] / tck
        if r["target"] == "fxr":
            f = r.get("fxr") or {}
            if not f.get("tsc_hz"):
                return None
            s += f["busy_cycles"] / f["tsc_hz"]
        return s

    def per_gb(r):
        b = r["client"]["tx_all_bytes"] + r["client"]["rx_all_bytes"]
        c = cpu_s(r)
        return c / (b / 1e9) if b > 0 and c is not None else None

    for fig, label in STREAMS:
        vals = {t: ({} if t == "direct" else per_run(rows, t, fig, per_gb)) for t in TARGETS}
        table.append((f"relay CPU per GB relayed, {label} (CPU s/GB)", "[4]", vals, 2))

    def mem_parts(r):
        """bytes a held connection, by part: fxr {dp_slot, dp_growth, cp_growth}; HAProxy
        {rss_growth}"""
        rss = (r["rss_after_kb"] - r["rss_before_kb"]) * 1024.0 / r["held"]
        if r["target"] != "fxr":
            return {"rss_growth": rss}
        return {"dp_slot": r["dp_slot_bytes"],
                "dp_growth": (r.get("fxr") or {}).get("heap_alloc_bytes", 0) / r["held"],
                "cp_growth": rss}

    holds = meta["hold"] if isinstance(meta["hold"], list) else [meta["hold"]]
    hold_parts = {}   # (target, count) -> {part: median}
    for n in holds:
        vals = {}
        for t in TARGETS:
            runs = [r for r in rows if r["target"] == t and r["figure"] == "hold"
                    and r.get("held") == n and not r["client"].get("failed")]
            vals[t] = {r["run"]: sum(mem_parts(r).values()) for r in runs}
            if runs:
                hold_parts[(t, n)] = {k: median([mem_parts(r)[k] for r in runs])
                                      for k in mem_parts(runs[0])}
        table.append((f"memory per idle connection, {n:,} held open (bytes)", "[5]", vals, 0))
    # fxr only: what the relay copied of what it relayed (0 is the aim, DESIGN.md §8)
    copied = []
    for fig, label in STREAMS:
        pay = per_run(rows, "fxr", fig, lambda r: (r.get("fxr") or {}).get("relay_payload_bytes"))
        cop = per_run(rows, "fxr", fig, lambda r: (r.get("fxr") or {}).get("relay_copied_bytes"))
        copied.append((label, pay, cop))

    lines.append("| figure | see | direct (no relay) | fxr | HAProxy 2.6 | fxr / HAProxy |")
    lines.append("| --- | --- | --- | --- | --- | --- |")
    def lat_cell(target, fig, key, added):
        c = cell(target, added, "", 1)
        if target == "fxr" and fxr_absent:
            return c
        through = per_run(rows, target, fig, lambda r: r["client"][key] / 1000.0)
        return f"{c} ({fmt(median(list(through.values())), '', 1)})" if through else c

    for name, counts, vals, nd in table:
        if counts == "[3]":
            fig = "latency_light" if "light" in name else "latency_half"
            key = {"p50": "p50_ns", "p99": "p99_ns", "p99.9": "p999_ns"}[name.split()[2].rstrip(",")]
            cells = [cell("direct", vals["direct"], "", 1), lat_cell("fxr", fig, key, vals["fxr"]),
                     lat_cell("haproxy", fig, key, vals["haproxy"])]
        else:
            cells = [cell(t, vals[t], "", nd) for t in TARGETS]
        lines.append(f"| {name} | {counts} | " + " | ".join(cells) + f" | {ratio(vals)} |")
    for label, pay, cop in copied:
        p, c = median(list(pay.values())), median(list(cop.values()))
        fx = "—" if p is None else f"{p / 1e6:,.1f} MB relayed, {c:,.0f} B copied"
        lines.append(f"| relay payload bytes copied, {label} | [6] | — | {fx} | — | — |")

    head = [
        "## Relays side by side",
        "",
        f"Command: `{meta['command']}`" + (" (smoke run: short windows, few runs)" if meta["quick"] else ""),
        f"Machine: {meta['cpu']}, {meta['cores']} cores, kernel {meta['kernel']}; relay on core "
        f"{meta['relay_cpu']}, clients and servers on core {meta['client_cpu']}; load average before "
        f"the run {meta['load_before']}; {meta['date']}.",
        f"Versions: {meta['haproxy']} (mode tcp, splice-request/response, nbthread 1; "
        f"{meta['haproxy_splice_pipes']} splice pipes allocated in the last run); fxr "
        f"{meta.get('fxr_version', '?')} (fxr-dataplane on net_af_xdp, 1 lcore, idle back-off; "
        "fxr-controlplane on the same core); fxr-load from the same tree.",
        f"Medians of {meta['runs']} alternating runs (direct, fxr, HAProxy, direct, …), "
        f"{meta['window_s']} s windows after {meta['warmup_s']} s warm-up. Saturation (closed-loop "
        f"ping-pong, 64 connections): HAProxy {meta.get('saturation_haproxy', 0):.0f}, fxr "
        f"{meta.get('saturation_fxr', 0):.0f} pings/s; the half-load "
        f"latency rows offer {meta['half_rate']} pings/s (half the lower) to every target.",
        "",
    ]
    if fxr_absent:
        head.append(meta["fxr"])
        head.append("")
    # the dataplane's mbuf pool running dry is named beside the table, figure by figure
    dry = []
    for fig in [f for f, _ in STREAMS] + ["sessions", "latency_light", "latency_half", "hold"]:
        n = [(r.get("fxr") or {}).get("mbuf_alloc_fail", 0) for r in rows
             if r["target"] == "fxr" and r["figure"] == fig]
        if any(n):
            dry.append(f"{fig} ({', '.join(str(x) for x in n)})")
    if dry:
        head.append("fxr-dataplane ran out of mbufs (mbuf_alloc_fail > 0, per run) during: "
                    + "; ".join(dry) + ". Its figures there measure that failure, not a "
                    "throughput.")
        head.append("")
    def hold_note():
        parts = []
        for n in holds:
            f, h = hold_parts.get(("fxr", n)), hold_parts.get(("haproxy", n))
            if f:
                parts.append(f"{n:,} held: fxr dataplane {f['dp_slot']:,.0f} B a slot + "
                             f"{f['dp_growth']:,.0f} B heap growth, control plane "
                             f"{f['cp_growth']:,.0f} B" +
                             (f"; HAProxy {h['rss_growth']:,.0f} B" if h else ""))
        return (" Medians by part: " + "; ".join(parts) + ".") if parts else ""

    notes = [
        "",
        "What each figure counts:",
        "",
        f"1. Payload bytes the client wrote (both ways: plus the bytes it read back from the echo "
        f"server) during the {meta['window_s']} s window, ×8 / window. Both-ways figures are the sum of "
        "the two directions. fxr: DATA payload only (frame headers not counted); the callee "
        "connections sink the DATA (one way) or send it back (both ways).",
        "2. 32 parallel slots. HAProxy and direct: each slot loops connect → 1 KB to an echo server "
        "→ 1 KB back → close. fxr: each slot loops CONNECT → CONNECTED → 1 KB DATA → 1 KB DATA back "
        "from the callee → END + RELEASE → RELEASED, on connections logged in once before the "
        "window (64 callee connections, 8 a device); sessions finished in the window / window.",
        f"3. 64-byte ping-pong against a pong server, open loop: light = {meta['light_rate']} pings/s "
        f"on 1 connection, half = {meta['half_rate']} pings/s over 64 connections; each RTT counted from "
        "the ping's scheduled send time (queueing included), p50/p99/p99.9 from a log-linear histogram "
        "(bucket width < 0.8 %, upper edge reported). Direct: the absolute RTT; relays: through-relay "
        "minus direct in the same run (median over runs), with the absolute median in brackets.",
        "4. Over the whole client run (log-in or connect, warm-up, window) / payload bytes through "
        "the relay in that run (client-side totals; both ways count each direction). HAProxy: user + "
        f"system CPU time of its process (/proc/PID/stat utime + stime, 1/{int(meta['clk_tck'])} s "
        "ticks). fxr: the dataplane's busy_cycles / tsc_hz from /fxr/counters (TSC cycles of loop "
        "iterations that did work; empty polls and idle sleeps not counted, docs/dataplane.md "
        "\"Counters\") plus fxr-controlplane's utime + stime. Softirq work done on the relay core "
        "on behalf of other tasks is charged to neither.",
        "5. Idle connections held open by fxr-load clients (at most "
        f"{meta.get('hold_per_client', '?')} a process, each from its own source address). "
        "HAProxy: the VmRSS growth of freshly started HAProxy processes while they relay the "
        "connections to the hold servers (one HAProxy process holds at most "
        f"{meta.get('haproxy_maxconn', '?')} connections under the file descriptor limit of "
        f"{meta.get('fd_hard_limit', '?')}, two a connection, so larger counts run several, on "
        "the same core, sharing the port with SO_REUSEPORT; their growths summed), / connections; "
        "user space only: kernel socket memory is not in RSS. fxr: idle logged-in connections "
        "(SCRAM done, AUTH_OK received), 8 a device; the sum of (a) the dataplane's hugepage memory "
        "a connection slot takes (its TCP and relay tables are preallocated at start, sized by "
        "--max-conns, which the run sets to the count + 1024, at least 16384: the DPDK heap in use once ready "
        "(/eal/heap_info Alloc_size) with that --max-conns minus with --max-conns 1024, / the slots "
        "between), (b) the growth of that heap in use while the connections are held, / "
        "connections, and (c) the control plane's VmRSS growth (its ops API rss_bytes) while they "
        "are held, / connections. Kernel socket memory on the relay side: none for fxr (its TCP is "
        "in the dataplane), not counted for HAProxy. The control plane's growth is mostly a fixed "
        "cost (the channel's shared slabs touched as its rings cycle, SQLite's page cache up to its "
        "2 MB cap; docs/operations.md \"Measured here\"), so it falls per connection as the "
        "count grows; its own "
        "tables are preallocated at start (about 190 bytes a connection slot and 100 a device), "
        "in its VmRSS before, so not in the figure." + hold_note(),
        "6. fxr only: the dataplane's relay_payload_bytes (DATA/END bytes relayed, headers "
        "included) and relay_copied_bytes (of those, bytes the relay copied instead of passing by "
        "mbuf reference) over the client run. The TCP output still copies every payload byte into "
        "the outgoing frame on net_af_xdp (tcp_tx_copy_bytes in raw.jsonl).",
        "",
        "Sessions differ by relay, and the difference is the point: through HAProxy a session is a "
        "TCP connection (handshake → 1 KB each way → close); through fxr it is CONNECT → CONNECTED → "
        "1 KB each way → END/RELEASE on connections that are already logged in, so no TCP handshake "
        "and no login per session. A fax carrier's load looks like fxr's: a fax device sits behind "
        "NAT and keeps logged-in connections open to the relay all day (it cannot be reached "
        "otherwise), and each call is a demand on one of them; a TCP relay would instead see a new "
        "connection per call.",
    ]
    with open(os.path.join(d, "results.md"), "w") as f:
        f.write("\n".join(head + lines + notes) + "\n")

    # ---- plots ----
    cols = [t for t in ("direct", "haproxy", "fxr") if t in measured]
    titles = {"direct": "direct (no relay)", "haproxy": "HAProxy 2.6", "fxr": "fxr"}

    def med(vals, t):
        m = median(list(vals[t].values()))
        return m if m is not None else 0.0

    def plot(name, ylabel, title, labels, series, cols_used):
        dat = os.path.join(d, name + ".dat")
        with open(dat, "w") as f:
            f.write("# label " + " ".join(cols_used) + "\n")
            for label, vals in zip(labels, series):
                f.write('"' + label + '" ' + " ".join(f"{med(vals, t):.4f}" for t in cols_used) + "\n")
        low = min([med(v, t) for v in series for t in cols_used] + [0.0])
        gp = os.path.join(d, name + ".gp")
        with open(gp, "w") as f:
            f.write(f"""set terminal pngcairo size 900,480 noenhanced
set output '{os.path.join(d, name + ".png")}'
set title '{title}'
set ylabel '{ylabel}'
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key below
set yrange [{"0" if low >= 0 else "*"}:*]
set xzeroaxis
set grid ytics
set xtics rotate by -15
""")
            f.write("plot " + ", ".join(
                f"'{dat}' using {i + 2}:xtic(1) title '{titles[t]}'" for i, t in enumerate(cols_used))
                + "\n")
        r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr)
            raise SystemExit(f"gnuplot failed on {gp}")

    plot("throughput", "Gbit/s", "relayed payload (median)", [l for l, _ in plot_stream],
         [v for _, v in plot_stream], cols)
    plot("sessions", "sessions/s", "new relayed sessions per second (median)", ["sessions"],
         [sess_vals], cols)
    relays = [t for t in cols if t != "direct"]
    if relays:
        labels, series = [], []
        for (load_name, pname), vals in lat_added.items():
            labels.append(f"{pname} {load_name}")
            series.append(vals)
        plot("latency", "µs added", "round-trip latency added by the relay (median)", labels, series, relays)


if __name__ == "__main__":
    main()
