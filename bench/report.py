#!/usr/bin/env python3
"""The benchmark report: reads the raw measurements of bench/run.sh and writes, into --out,
RESULTS.md (printed as well), results.csv (one line per scenario, figure and peer: median,
min, max, ratio to ours) and ratios.dat (for ratios.gp).

Raw lines: scenario,metric,unit,peer,rep,value,note. value is a number, NA (the peer cannot do
it: note says why) or >N (a lower bound: the deadline passed first)."""
import argparse
import csv
import math
import statistics

PEERS = ["floor", "ours", "ours-1s", "tini", "dumb-init", "catatonit", "s6", "runit", "supervisord"]
HEADER = {"floor": "floor¹", "ours-1s": "ours, 1 s delay²"}
SCENARIOS = {
    "size": "static binary (stripped)",
    "restart": "restart latency, delay 0",
    "footprint": "idle, 10 services",
    "startup": "start-up, 100 services",
    "reload": "reload, 200 services, 1 changed",
    "shutdown-10": "shutdown, 10 services",
    "shutdown-1": "shutdown, 1 child (ours: `supervisor -- CMD`)",
    "orphans": "orphan storm, 2000 orphans",
    "crash": "crash loop, 10 s",
}
# Figures with no ratio: counts to read as they are (how many services stopped gracefully or were
# touched, how many starts each one's pace allows, zombies left).
NO_RATIO = {("crash", "starts in 10 s"), ("shutdown-10", "stopped gracefully"), ("shutdown-1", "stopped gracefully"),
            ("reload", "services touched"), ("orphans", "zombies left after 1 s")}
# Ratios against the like-for-like variant of ours rather than "ours": in 10 s of crash loop, s6
# and runit start the service 10 times; so does ours-1s, while ours at delay 0 starts it
# thousands of times, with warm caches.
BASE = {("crash", "CPU ms in 10 s"): "ours-1s", ("crash", "CPU µs per start"): "ours-1s"}
# The targets: (scenario, metric, peer, test, threshold, text).
TARGETS = [
    ("restart", "exit to next exec", "ours", "<", 1.0, "under 1 ms median"),
    ("footprint", "RSS, 10 services", "ours", "<", 2.0, "under 2 MiB RSS (static build)"),
    ("footprint", "wakeups in 10 s", "ours", "==", 0, "zero wakeups"),
    ("startup", "100 services running", "ours", "<", 50.0, "under 50 ms"),
    ("reload", "changed one running", "ours", "<", 20.0, "under 20 ms"),
    ("reload", "services touched", "ours", "==", 1, "exactly 1 touched"),
    ("shutdown-10", "SIGTERM to PID 1 exit", "ours", "<", 3.0, "under 3 ms"),
    ("shutdown-10", "stopped gracefully", "ours", "==", 10, "every service stopped gracefully"),
    ("orphans", "zombies left after 1 s", "ours", "==", 0, "0 zombies left"),
    ("orphans", "ms to reap 2000 zombies", "ours", "<", 10.0, "all reaped in under 10 ms (the reaping alone)"),
    ("crash", "CPU ms in 10 s", "ours-1s", "<", 5.0, "under 5 ms CPU (at the 1 s cadence of s6/runit)"),
    ("crash", "CPU ms in 10 s", "ours", "<", 5.0, "under 5 ms CPU (delay 0: the first restart at once, then "
     "10 ms doubling up to max_delay 1 s)"),
    ("size", "static binary", "ours", "<", 1.5e6, "under 1.5 MB"),
]


def parse(value):
    """(number, is_lower_bound) or None for NA."""
    if value == "NA":
        return None
    if value.startswith(">"):
        return float(value[1:]), True
    return float(value), False


def fmt(x, unit):
    if x is None:
        return "?"
    if unit == "bytes":
        return f"{int(x):,}"
    if unit == "count":
        return f"{x:g}" if x == int(x) else f"{x:.1f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}" if abs(x) >= 0.1 or x == 0 else f"{x:.3f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--machine", default="")
    ap.add_argument("--versions", default="")
    ap.add_argument("--mode", default="")
    ap.add_argument("--log-table", default="")
    args = ap.parse_args()

    rows = {}  # (scenario, metric) -> {"unit", "peers": {peer: {"values", "bounds", "notes", "na"}}}
    order = []
    with open(args.raw, newline="") as f:
        for r in csv.DictReader(f):
            key = (r["scenario"], r["metric"])
            if key not in rows:
                rows[key] = {"unit": r["unit"], "peers": {}}
                order.append(key)
            if r["unit"]:
                rows[key]["unit"] = r["unit"]
            p = rows[key]["peers"].setdefault(r["peer"], {"values": [], "bounds": 0, "notes": [], "na": None})
            v = parse(r["value"])
            if v is None:
                p["na"] = r["note"]
                continue
            p["values"].append(v[0])
            p["bounds"] += v[1]
            if r["note"] and r["note"] not in p["notes"]:
                p["notes"].append(r["note"])

    def stats(p):
        vals = p["values"]
        if not vals:
            return None
        return statistics.median(vals), min(vals), max(vals), p["bounds"] * 2 > len(vals)

    present = [peer for peer in PEERS if any(peer in rows[k]["peers"] for k in order)]
    footnotes = []

    def footnote(text):
        if text not in footnotes:
            footnotes.append(text)
        return footnotes.index(text) + 3  # 1 and 2 are fixed (floor, ours-1s)

    csv_rows = []
    plot = []  # (label, {peer: ratio})
    md = []
    md.append("| scenario | figure | " + " | ".join(HEADER.get(p, p) for p in present) + " |")
    md.append("|---|---|" + "---|" * len(present))
    for key in order:
        scenario, metric = key
        row = rows[key]
        unit = row["unit"]
        base_peer = BASE.get(key, "ours")
        base = stats(row["peers"][base_peer]) if base_peer in row["peers"] else None
        cells = []
        ratios = {}
        for peer in present:
            p = row["peers"].get(peer)
            if p is None:
                cells.append("")
                continue
            s = stats(p)
            if s is None:
                cells.append(f"n/a<sup>{footnote(p['na'] or 'not measured')}</sup>" if p["na"] else "—")
                csv_rows.append([scenario, metric, unit, peer, 0, "", "", "", "", p["na"] or ""])
                continue
            med, lo, hi, bound = s
            text = (">" if bound else "") + fmt(med, unit)
            if len(p["values"]) > 1 and lo != hi:
                text += f" <small>[{fmt(lo, unit)}–{fmt(hi, unit)}]</small>"
            ratio = None
            comparable = not any("not comparable" in n for n in p["notes"])
            if base and comparable and key not in NO_RATIO and not peer.startswith("ours") and peer != "floor":
                b = base[0]
                ratio = med / b if b else None
                if ratio is not None:
                    shown = f"{ratio:.0f}" if ratio >= 100 else f"{ratio:.3g}"
                    text += f" **{'>' if bound else ''}×{shown}**"
                    ratios[peer] = ratio
            note = "; ".join(p["notes"])
            if "not comparable" in note:
                text += f"<sup>{footnote(note)}</sup>"
            cells.append(text)
            csv_rows.append([scenario, metric, unit, peer, len(p["values"]), f"{med:.10g}", f"{lo:.10g}", f"{hi:.10g}",
                             f"{ratio:.4g}" if ratio is not None else "", note])
        label = SCENARIOS.get(scenario, scenario)
        md.append(f"| {label} | {metric}{' (' + unit + ')' if unit and unit not in ('count', 'bytes') else ''} | "
                  + " | ".join(cells) + " |")
        if ratios:
            plot.append((f"{scenario}: {metric}", ratios))

    notes = ["¹ floor: no supervisor, the least the operation costs on this machine: PID 1 is a bare loop of "
             "fork/exec/waitpid (restart), 100 fork/exec in a row (start-up), or nothing but wait(2) (orphans).",
             "² ours with `delay = \"1s\"`, the pace s6 and runit impose on a crashing service; "
             "the CPU ratios of the crash loop are against this one."]
    for i, text in enumerate(footnotes):
        notes.append(f"{i + 3} {text}")

    # targets
    tmd = ["| target | ours (median) | floor¹ | met? |", "|---|---|---|---|"]
    for scenario, metric, peer, test, threshold, text in TARGETS:
        row = rows.get((scenario, metric))
        s = stats(row["peers"][peer]) if row and peer in row["peers"] else None
        if s is None:
            continue
        med = s[0]
        unit = row["unit"]
        ok = med < threshold if test == "<" else med == threshold
        if ok:
            verdict = "yes"
        elif test == "<":
            verdict = f"**no**: {fmt(med / threshold, 'x')}× the target ({fmt(med - threshold, unit)} {unit} over)"
        else:
            verdict = f"**no**: {fmt(med, unit)} instead of {fmt(threshold, unit)}"
        floor = stats(row["peers"]["floor"]) if "floor" in row["peers"] else None
        floor_text = f"{fmt(floor[0], unit)} {unit if unit != 'count' else ''}" if floor else ""
        shown_unit = unit if unit != "count" else ""
        tmd.append(f"| {SCENARIOS.get(scenario, scenario)}: {text} | {fmt(med, unit)} {shown_unit} | {floor_text} | {verdict} |")

    out = []
    out.append("# Benchmarks: ours side by side with tini, dumb-init, s6, runit, supervisord")
    out.append("")
    out.append(f"Machine: {args.machine}. Run: {args.mode}. Versions: {args.versions}.")
    out.append("")
    out.append("Each supervisor is PID 1 of its own PID namespace with the same workload (`bench/tools/benchsvc.c`). "
               "Cells: median <small>[min–max]</small> and **×ratio** = the peer's median / ours "
               "(for every figure here, above 1 means ours is better). "
               "Ours is the static build (`build-static/supervisor`, the binary the Dockerfiles ship) "
               "in every scenario. "
               "How each figure is measured: the comment at the top of `bench/scenarios/*.sh`. "
               "Regenerate with `bench/run.sh` (`--quick`: 3 repetitions instead of 5).")
    out.append("")
    out.extend(md)
    out.append("")
    out.extend(n + "  " for n in notes)
    out.append("")
    out.append("## Targets (issue 7)")
    out.append("")
    out.extend(tmd)
    if args.log_table:
        try:
            with open(args.log_table) as f:
                log_text = f.read().strip()
        except OSError:
            log_text = ""
        if log_text:
            out.append("")
            if not log_text.startswith("#"):
                out.append("## Log throughput")
                out.append("")
            out.append(log_text)
            out.append("")
            out.append("(from `bench/log_throughput.sh`; its ratios are the other way round: above 1 = faster than ours)")
    text = "\n".join(out) + "\n"
    print(text)
    with open(f"{args.out}/RESULTS.md", "w") as f:
        f.write(text)
    with open(f"{args.out}/results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "metric", "unit", "peer", "n", "median", "min", "max", "ratio_to_ours", "note"])
        w.writerows(csv_rows)
    # ratios.dat: one line per figure, one column per peer (NaN where none), for ratios.gp
    peers = [p for p in PEERS if any(p in r for _, r in plot)]
    with open(f"{args.out}/ratios.dat", "w") as f:
        f.write('"figure" ' + " ".join(f'"{p}"' for p in peers) + "\n")
        for label, r in plot:
            f.write(f'"{label}" ' + " ".join(f"{r[p]:.4g}" if p in r and r[p] > 0 and math.isfinite(r[p]) else "NaN"
                                             for p in peers) + "\n")


if __name__ == "__main__":
    main()
