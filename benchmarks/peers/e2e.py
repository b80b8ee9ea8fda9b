#!/usr/bin/python3
"""din4j train and PyTorch, end to end on one CSV, in one run: samples/s per epoch, validation AUC, peak RSS.

    benchmarks/peers/e2e.py --train train.csv --valid test.csv [--epochs 3] [--batch-size 256] [--workers 1]
                            [--threads 2] [--nice N] [--json OUT.json] [--din4j PATH]

First `din4j train --model din` (its defaults, except --patience 0 so every epoch runs and --mba-lambda 0 so both
train the same loss), then benchmarks/peers/e2e_torch.py on the same files with the architecture din4j just
wrote (weights reset to din4j's initialisation). Each runs as its own process tree; peak RSS is the largest sum of
VmRSS over the tree (the JVM, or Python and its DataLoader workers), sampled every 50 ms. Prints a Markdown table
(the one in BENCHMARKS.md) and, with --json, writes the raw figures. Needs /usr/bin/python3 with torch and numpy.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EPOCH = re.compile(r"^din epoch (\d+)/\d+ .*?valid AUC ([0-9.]+).*\(([0-9.]+) s, ([0-9,]+) samples/s\)")


def tree_rss_kb(pid):
    """VmRSS summed over pid and its descendants, in kB."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def run(cmd, nice):
    """Runs cmd; returns (stdout lines, peak tree RSS in MB, wall seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=(lambda: os.nice(nice)) if nice else None)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_kb(proc.pid))
            done.wait(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    err_lines = []
    drain = threading.Thread(target=lambda: err_lines.extend(proc.stderr), daemon=True)
    drain.start()
    lines = []
    for line in proc.stdout:  # echoed as it comes, so a long run shows its progress
        sys.stderr.write(line)
        lines.append(line.rstrip("\n"))
    proc.wait()
    drain.join()
    done.set()
    t.join()
    if proc.returncode != 0:
        sys.stderr.write("".join(err_lines))
        raise SystemExit(f"e2e.py: {' '.join(cmd[:3])} ... exited with {proc.returncode}")
    return lines, peak[0] / 1024, time.perf_counter() - start


def host():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    flags = open("/proc/cpuinfo").read()
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{model}, {os.cpu_count()} vCPUs, {isa}, {platform.system()} {platform.release()}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--valid", required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--workers", type=int, default=1, help="PyTorch DataLoader workers")
    ap.add_argument("--threads", type=int, default=2, help="compute threads of both")
    ap.add_argument("--nice", type=int, default=0, help="niceness of both runs")
    ap.add_argument("--din4j", default=os.path.join(ROOT, "din4j"), help="the din4j launcher")
    ap.add_argument("--json", help="write the raw figures here")
    a = ap.parse_args()

    load0 = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="din4j-e2e-") as tmp:
        model_dir = os.path.join(tmp, "din")
        din_cmd = [a.din4j, "train", "--train", a.train, "--valid", a.valid, "--model", "din", "--out", model_dir,
                   "--epochs", str(a.epochs), "--batch-size", str(a.batch_size), "--patience", "0", "--mba-lambda", "0",
                   "--device", "cpu", "--threads", str(a.threads), "--no-report"]
        lines, din_rss, din_wall = run(din_cmd, a.nice)
        din = []
        for line in lines:
            m = EPOCH.match(line)
            if m:
                din.append({"epoch": int(m.group(1)), "valid_auc": float(m.group(2)), "seconds": float(m.group(3)),
                            "samples_per_s": float(m.group(4).replace(",", ""))})
        if len(din) != a.epochs:
            raise SystemExit("e2e.py: could not read din4j's epoch lines:\n" + "\n".join(lines))
        torch_cmd = ["/usr/bin/python3", os.path.join(HERE, "e2e_torch.py"), "--arch", model_dir, "--train", a.train,
                     "--valid", a.valid, "--epochs", str(a.epochs), "--batch-size", str(a.batch_size),
                     "--workers", str(a.workers), "--threads", str(a.threads)]
        lines, torch_rss, torch_wall = run(torch_cmd, a.nice)
        events = [json.loads(x) for x in lines if x.startswith("{")]
        pt = [e for e in events if e["event"] == "epoch"]
    load1 = os.getloadavg()

    print(f"host: {host()}; load average {load0[0]:.1f} before, {load1[0]:.1f} after; {started}")
    print(f"din4j: {' '.join(din_cmd).replace(model_dir, 'DIR')}")
    print(f"PyTorch {__import__('torch').__version__}: {' '.join(torch_cmd).replace(model_dir, 'DIR')}")
    print()
    print("| epoch | din4j samples/s | PyTorch samples/s | din4j / PyTorch | din4j valid AUC | PyTorch valid AUC |")
    print("|---:|---:|---:|---:|---:|---:|")
    for d, p in zip(din, pt):
        print(f"| {d['epoch']} | {d['samples_per_s']:,.0f} | {p['samples_per_s']:,.0f} | "
              f"{d['samples_per_s'] / p['samples_per_s']:.1f}× | {d['valid_auc']:.4f} | {p['valid_auc']:.4f} |")
    print(f"| whole run | {din_wall:.0f} s wall, peak RSS {din_rss:,.0f} MB | {torch_wall:.0f} s wall, peak RSS "
          f"{torch_rss:,.0f} MB | {torch_wall / din_wall:.1f}× (wall) | | |")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"host": host(), "started": started, "load_before": load0, "load_after": load1,
                       "din4j": {"command": din_cmd, "epochs": din, "peak_rss_mb": din_rss, "wall_s": din_wall},
                       "pytorch": {"command": torch_cmd, "epochs": pt, "peak_rss_mb": torch_rss, "wall_s": torch_wall,
                                   "loaded": [e for e in events if e["event"] == "loaded"]}}, f, indent=1)


if __name__ == "__main__":
    main()
