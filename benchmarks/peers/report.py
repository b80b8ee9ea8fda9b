#!/usr/bin/python3
"""BENCHMARKS.md and its SVG plot from benchmarks/peers/results.json (what compare.py measured).

  report.py [results.json] [BENCHMARKS.md]     rewrites the report from saved results (no measuring)
"""
import math
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NAMES = {"din4j": "din4j", "torch": "PyTorch", "ort": "ORT Java"}
COLORS = {"ort": "#3b6fb6", "torch": "#e07b39"}


def stats(case):
    """Per peer: pooled median, per-round medians; per peer other than din4j: per-round speedups."""
    out = {}
    for peer, rounds in case["ms"].items():
        pooled = [x for r in rounds for x in r]
        out[peer] = {"median": statistics.median(pooled), "rounds": [statistics.median(r) for r in rounds],
                     "p99": sorted(pooled)[min(len(pooled) - 1, int(0.99 * len(pooled)))], "reps": len(pooled)}
    base = out["din4j"]["rounds"]
    for peer, s in out.items():
        if peer != "din4j":
            s["speedups"] = [p / d for p, d in zip(s["rounds"], base)]
            s["speedup"] = statistics.median(s["speedups"])
    return out


def fmt_ms(ms):
    if ms < 1:
        return f"{ms * 1000:.1f} µs"
    if ms < 100:
        return f"{ms:.2f} ms"
    return f"{ms:.0f} ms"


def fmt_range(values, f):
    return f"{f(min(values))}–{f(max(values))}"


def table(sections, stats_of):
    lines = []
    for section, cs in sections.items():
        peers = [p for p in ("din4j", "ort", "torch") if p in cs[0]["ms"]]
        lines.append(f"\n### {section}\n")
        head = "| shape | " + " | ".join(f"{NAMES[p]} median (round range)" for p in peers)
        head += " | " + " | ".join(f"speedup vs {NAMES[p]} (range)" for p in peers if p != "din4j") + " |"
        lines.append(head)
        lines.append("|" + "---|" * (1 + 2 * len(peers) - 1))
        for c in cs:
            s = stats_of(c)
            row = f"| {c['label']} | "
            row += " | ".join(f"{fmt_ms(s[p]['median'])} ({fmt_range(s[p]['rounds'], fmt_ms)})" for p in peers)
            row += " | " + " | ".join(f"**{s[p]['speedup']:.2f}×** ({min(s[p]['speedups']):.2f}–{max(s[p]['speedups']):.2f})"
                                      for p in peers if p != "din4j") + " |"
            lines.append(row)
    return "\n".join(lines)


def targets(raw, stats_of):
    by = {(c["section"], c["label"]): c for c in raw["cases"]}

    def speedups(section, peer):
        return [(c["label"], stats_of(c)[peer]["speedup"]) for c in raw["cases"] if c["section"] == section]

    rows = []

    def ratio_target(what, section, peer, goal, headline):
        v = speedups(section, peer)
        if not v:
            return
        worst = min(v, key=lambda x: x[1])
        head = dict(v).get(headline)
        met = all(x >= goal for _, x in v)
        shown = f"{headline}: {head:.2f}×; " if head is not None else ""
        verdict = "met" if met else ("met at " + headline if head is not None and head >= goal else "not met")
        rows.append(f"| {what} | ≥ {goal}× | {shown}worst {worst[0]}: {worst[1]:.2f}× | {verdict} |")

    def ratio_at(what, section, peer, goal, labels):
        """A goal that holds at the named shapes only (e.g. B ≤ 64)."""
        v = [(l, x) for l, x in speedups(section, peer) if l in labels]
        if not v:
            return
        worst = min(v, key=lambda x: x[1])
        shown = "; ".join(f"{l}: {x:.2f}×" for l, x in v)
        rows.append(f"| {what} | ≥ {goal}× | {shown} | {'met' if worst[1] >= goal else 'not met'} |")

    ratio_at("DIN inference vs ONNX Runtime Java, B=1024", "DIN inference", "ort", 3, ["B=1024 T=50"])
    ratio_at("DIN inference vs ONNX Runtime Java, B=1", "DIN inference", "ort", 2, ["B=1 T=50"])
    ratio_at("PLE inference vs ONNX Runtime Java, B=1024", "PLE inference", "ort", 1.2, ["B=1024"])
    ratio_at("PLE inference vs ONNX Runtime Java, B ≤ 64", "PLE inference", "ort", 1.5, ["B=1", "B=64"])
    ratio_target("DIN inference vs PyTorch", "DIN inference", "torch", 5, "B=1024 T=50")
    ratio_target("DIN training step vs PyTorch", "DIN training step", "torch", 5, "B=1024 T=50")
    lat = by.get(("DIN inference", "B=1 T=50"))
    if lat:
        s = stats_of(lat)["din4j"]
        rows.append(f"| batch-1 latency (one user, one candidate, T=50), p50 | < 50 µs | {fmt_ms(s['median'])} "
                    f"(p99 {fmt_ms(s['p99'])}) | {'met' if s['median'] < 0.05 else 'not met'} |")
    srv = [c for c in raw["cases"] if c["section"] == "DIN serving"]
    if srv:
        s = stats_of(srv[0])["din4j"]
        peak = raw.get("fma_peak_gflops")
        flops = raw.get("serving_flops")
        if peak and flops:
            best = max(peak["before"], peak["after"])
            floor_ms = flops / (best * 1e9) * 1e3
            ratio = s["median"] / floor_ms
            held = (f"; the same FMA loop held for {peak['sustained_s']} s kept {peak['sustained']:.0f} GFLOP/s"
                    if peak.get("sustained") else "")
            rows.append(f"| serving: one user T=100 × 200 candidates, p50, against its arithmetic floor "
                        f"({flops / 1e6:.0f} MFLOP at the {peak['threads']}-thread FMA peak of this run, "
                        f"{best:.0f} GFLOP/s: {fmt_ms(floor_ms)}{held}) | ≤ 1.4× the floor | {fmt_ms(s['median'])} "
                        f"(p99 {fmt_ms(s['p99'])}): {ratio:.2f}× the floor | {'met' if ratio <= 1.4 else 'not met'} |")
        else:
            rows.append(f"| serving: one user T=100 × 200 candidates, p50 | ≤ 1.4× its floor | {fmt_ms(s['median'])} "
                        f"(p99 {fmt_ms(s['p99'])}); no FMA peak in this run's results | not measured |")
    return "| target | goal | measured (same run) | |\n|---|---|---|---|\n" + "\n".join(rows)


def svg(raw, stats_of, path):
    """Horizontal bars of din4j's speedup over each peer, log scale, one group per case."""
    rows = []
    for c in raw["cases"]:
        s = stats_of(c)
        for peer in ("ort", "torch"):
            if peer in s:
                rows.append((f"{c['section']}: {c['label']}", peer, s[peer]["speedup"], min(s[peer]["speedups"]),
                             max(s[peer]["speedups"])))
    left, width, row_h, top = 330, 560, 15, 40
    lo, hi = 0.1, 100.0

    def x(v):
        v = min(max(v, lo), hi)
        return left + width * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    labels = []
    for r in rows:
        if r[0] not in labels:
            labels.append(r[0])
    height = top + len(labels) * (2 * row_h + 8) + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 30}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="16" font-size="13" font-weight="bold">din4j speedup (peer time / din4j time, '
           f'{raw["threads"]} threads, log scale; whiskers: range over rounds)</text>']
    for v in (0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 20, 50, 100):
        xx = x(v)
        out.append(f'<line x1="{xx:.1f}" y1="{top - 8}" x2="{xx:.1f}" y2="{height - 30}" '
                   f'stroke="{"#000" if v == 1 else "#ddd"}" stroke-width="{1.5 if v == 1 else 1}"/>')
        out.append(f'<text x="{xx:.1f}" y="{height - 16}" text-anchor="middle">{v:g}×</text>')
    for i, lab in enumerate(labels):
        y0 = top + i * (2 * row_h + 8)
        out.append(f'<text x="{left - 6}" y="{y0 + row_h + 4}" text-anchor="end">{lab}</text>')
        for j, peer in enumerate(("ort", "torch")):
            hit = [r for r in rows if r[0] == lab and r[1] == peer]
            if not hit:
                continue
            _, _, v, vmin, vmax = hit[0]
            y = y0 + j * row_h
            x0, x1 = x(1), x(v)
            out.append(f'<rect x="{min(x0, x1):.1f}" y="{y + 1}" width="{abs(x1 - x0):.1f}" height="{row_h - 2}" '
                       f'fill="{COLORS[peer]}"/>')
            out.append(f'<line x1="{x(vmin):.1f}" y1="{y + row_h / 2}" x2="{x(vmax):.1f}" y2="{y + row_h / 2}" '
                       f'stroke="#222" stroke-width="1"/>')
            out.append(f'<text x="{max(x1, x(vmax)) + 4:.1f}" y="{y + row_h - 4}">{v:.2f}×</text>')
    ly = 28
    for k, peer in enumerate(("ort", "torch")):
        lx = 10 + k * 150
        out.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{COLORS[peer]}"/>')
        out.append(f'<text x="{lx + 14}" y="{ly}">vs {"ONNX Runtime Java" if peer == "ort" else "PyTorch"}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def write(raw, out_md, out_svg, notes_md):
    cache = {}

    def stats_of(c):
        k = (c["section"], c["label"])
        if k not in cache:
            cache[k] = stats(c)
        return cache[k]

    sections = {}
    for c in raw["cases"]:
        sections.setdefault(c["section"], []).append(c)
    svg(raw, stats_of, out_svg)
    m = raw["machine"]
    rel_svg = os.path.relpath(out_svg, os.path.dirname(os.path.abspath(out_md)))
    notes = ""
    if notes_md and os.path.exists(notes_md):
        with open(notes_md, encoding="utf-8") as f:
            notes = f.read()
    nice = f" and at nice {raw['nice']} (all three alike, to win CPU share from the machine's other work)" if raw.get("nice") else ""
    agree = ", ".join(f"{k} {v:.1e}" for k, v in raw.get("agreement", {}).items())
    text = f"""# din4j beside PyTorch and ONNX Runtime

<!-- Generated by benchmarks/peers/compare.sh (report: benchmarks/peers/report.py, notes: benchmarks/peers/notes.md).
     Do not edit by hand: edit notes.md and rerun report.py, or rerun compare.sh. -->

Same machine, same run, same shapes, same thread count ({raw['threads']}) for every peer, run alternately: for each
case the three peers take turns (the order rotates every round), each measurement a warm-up then timed
repetitions. Round 0 warms the JITs and is discarded; {raw['rounds']} recorded rounds follow. A cell shows the median of
every timed repetition of the recorded rounds and, in brackets, the range of the per-round medians. The speedup is
computed pair by pair: in each round, the peer's median over din4j's median *of the same round*; the table shows
the median of those ratios and their range (> 1 means din4j is faster).

- Machine: {m['cpu']} ({m['vector']}), {m['cores']} cores; {m['os']}. din4j's vector ISA: {raw.get('din4j_vector_isa', 'not recorded')}{(' (JVM flags: ' + raw['din4j_jvm_args'] + ')') if raw.get('din4j_jvm_args') else ''}. Load average before / after the run:
  {', '.join(f'{x:.1f}' for x in raw['load_before'])} / {', '.join(f'{x:.1f}' for x in raw['load_after'])}
  (the machine is shared: see the notes).
- din4j: cpu backend (Vector API), {m['java']}; inference through `Predictor.predict`, the serving case through
  `Predictor.scoreCandidates`, training through `Trainer.step` (forward, backward, lazy Adam on the touched
  embedding rows, Adam on dense tensors).
- PyTorch {m['torch']} ({m['python']}, Debian python3-torch), the model of `benchmarks/peers/din4j_torch.py` (the
  one `TorchAgreementTest` checks against din4j's predictions and gradients) loaded from the same model
  directory, BLAS `{m.get('blas', '?')}`; `torch.set_num_threads({raw['threads']})`, `OMP/OPENBLAS/MKL_NUM_THREADS={raw['threads']}`; inference
  under `torch.inference_mode()`; training: sparse embedding gradients with `SparseAdam`, `Adam` on the rest.
- ONNX Runtime {m['onnxruntime']}: the same PyTorch model exported with `torch.onnx.export` (opset 14, dynamic
  batch and history), {raw['threads']} intra-op threads, 1 inter-op thread, sequential, all graph optimizations;
  it has no training step and no one-user path (the serving case repeats the user's history on every row, as
  PyTorch does). Its predictions on a 64-row batch agree with din4j's to: {agree} (max |Δp|).
- Every process runs with `MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824`{nice}.
- Models: DIN — user_id (100 000 rows), item_id (100 000), cate_id (1 000), item and category behaviour
  sequences, D = 32 per table (a behaviour is 64 wide), attention unit 80/40 and output MLP 200/80, both Dice;
  every history full (length T). PLE — eight 32-wide sparse fields (a 256-wide input, 10 000 rows each), 2 levels,
  2 tasks, 2 specific + 2 shared experts of 128 (ReLU), towers of 32.
- Run: {raw['started']} to {raw['finished']}. Reproduce: `{'nice -n ' + str(raw['nice']) + ' ' if raw.get('nice') else ''}benchmarks/peers/compare.sh` (raw numbers:
  `benchmarks/peers/results.json`).

## Targets

{targets(raw, stats_of)}

## Speedups

![din4j speedup over ONNX Runtime Java and PyTorch]({rel_svg})

## Times
{table(sections, stats_of)}

{notes}"""
    with open(out_md, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    import json
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results.json")
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "BENCHMARKS.md")
    with open(src) as f:
        write(json.load(f), dst, os.path.join(HERE, "speedup.svg"), os.path.join(HERE, "notes.md"))
