#!/usr/bin/python3
"""din4j (cpu backend), PyTorch and ONNX Runtime Java side by side, alternately, on identical shapes and threads.

Run through compare.sh (which builds the benchmarks jar first). Starts three long-lived workers — din4j and ONNX
Runtime in two JVMs (io.din4j.bench.peers.PeerWorker), PyTorch in /usr/bin/python3 (din4j_torch.py worker) — and
for every round and every case asks each peer in turn (the order rotates per round) for one measurement: a
warm-up, then timed repetitions. Round 0 only warms the JITs and caches and is not recorded. Per case and peer the
table shows the median of every timed repetition of the recorded rounds and the range of the per-round medians;
the speedup is computed pair by pair — per round, the peer's median over din4j's median of the same round — and
shown as the median of those ratios with their range.

Writes BENCHMARKS.md (table, targets, an SVG plot, and the notes of benchmarks/peers/notes.md) and the raw results
(benchmarks/peers/results.json).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
JAR = os.path.join(ROOT, "benchmarks", "target", "din4j-benchmarks.jar")
JVM_FLAGS = ["--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"]
PEERS = ["din4j", "torch", "ort"]
PEER_NAMES = {"din4j": "din4j", "torch": "PyTorch", "ort": "ONNX Runtime Java"}


def cases(quick):
    """(section, label, model, mode, batch, hist, peers)."""
    out = []
    batches = [1, 64, 1024]
    hists = [50, 200]
    for t in hists:
        for b in batches:
            out.append(("DIN inference", f"B={b} T={t}", "din", "infer", b, t, PEERS))
    for t in hists:
        for b in batches:
            out.append(("DIN training step", f"B={b} T={t}", "din", "train", b, t, ["din4j", "torch"]))
    for b in batches:
        out.append(("PLE inference", f"B={b}", "ple", "infer", b, 0, PEERS))
    for b in batches:
        out.append(("PLE training step", f"B={b}", "ple", "train", b, 0, ["din4j", "torch"]))
    out.append(("DIN serving", "1 user T=100 x 200 candidates", "din", "serving", 200, 100, PEERS))
    if quick:
        out = [c for c in out if c[4] != 64]
    return out


class Worker:
    def __init__(self, name, cmd, env, nice=0):
        self.name = name
        self.log = open(os.path.join(WORK, f"{name}.stderr.log"), "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env,
                                     text=True, bufsize=1, preexec_fn=(lambda: os.nice(nice)) if nice else None)

    def ask(self, req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"{self.name} worker died; see {self.log.name}")
        res = json.loads(line)
        if "error" in res:
            raise SystemExit(f"{self.name}: {res['error']} (request {req}); see {self.log.name}")
        return res

    def close(self):
        try:
            self.proc.stdin.write(json.dumps({"quit": True}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()


def machine():
    cpu = "unknown CPU"
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and cpu == "unknown CPU":
                    cpu = line.split(":", 1)[1].strip()
                if line.startswith("flags") and not flags:
                    flags = "AVX-512" if "avx512f" in line else ("AVX2" if "avx2" in line else "no AVX2")
    except OSError:
        pass
    java = subprocess.run([JAVA, "-version"], capture_output=True, text=True).stderr.splitlines()
    torch_v = subprocess.run(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"], capture_output=True,
                             text=True).stdout.strip()
    return {"cpu": cpu, "vector": flags, "cores": os.cpu_count(), "java": java[0] if java else "?",
            "torch": torch_v, "onnxruntime": "1.29.0 (Java, com.microsoft.onnxruntime:onnxruntime)",
            "python": "/usr/bin/python3 " + subprocess.run(["/usr/bin/python3", "-c", "import platform; print(platform.python_version())"],
                                                          capture_output=True, text=True).stdout.strip(),
            "os": platform.platform(), "blas": os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")}


# Seconds the FMA loop is held after the run for its sustained rate (MachineLimits --sustained).
SUSTAINED_S = 8


def fma_peak(jvm_args, threads, sustained_s=0):
    """The f32 FMA peak of `threads` threads (GFLOP/s), measured now by MachineLimits in din4j's JVM settings; with
    sustained_s, also the rate the same loop keeps when held that long (None without)."""
    extra = ["--sustained", str(sustained_s)] if sustained_s else []
    out = subprocess.run([JAVA, *JVM_FLAGS, *jvm_args, "-cp", JAR, "io.din4j.bench.limits.MachineLimits", str(threads),
                          *extra], capture_output=True, text=True, check=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return (r["fma_gflops"], r.get("fma_sustained_gflops")) if sustained_s else r["fma_gflops"]


def safetensors_shapes(path):
    """Tensor name -> shape, from a safetensors file's header."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    return {k: v["shape"] for k, v in header.items() if k != "__metadata__"}


def serving_flops(model_dir, candidates, hist):
    """FLOPs of scoring one user against `candidates` with a history of `hist`, counted the cheapest way din4j's
    algorithm allows (what the arithmetic floor divides by the FMA peak):
      - per (candidate, behaviour) pair: the first attention layer folded, d·H1 multiply-adds (d the behaviour
        width: the candidate enters through A_q = W2 - W3 + W4·diag(q), which is built once per candidate), then
        every later attention layer in full;
      - per candidate: building A_q and c_q (2·d·H1) and the output MLP;
      - the user's embeddings and history are gathered once (no FLOPs).
    Activations (Dice's sigmoid) and pooling are not counted: the floor is a lower bound."""
    shapes = safetensors_shapes(os.path.join(model_dir, "weights.safetensors"))

    def layers(prefix):
        out, i = [], 0
        while f"{prefix}.fc{i}.weight" in shapes:
            out.append(shapes[f"{prefix}.fc{i}.weight"])
            i += 1
        out.append(shapes[f"{prefix}.out.weight"])
        return out
    att = layers("attention")
    h1, four_d = att[0]
    d = four_d // 4
    pair = d * h1 + sum(o * i for o, i in att[1:])
    per_candidate = 2 * d * h1 + sum(o * i for o, i in layers("mlp"))
    return 2.0 * (candidates * hist * pair + candidates * per_candidate)


def setup_models():
    for m in ("din", "ple"):
        if not os.path.exists(os.path.join(WORK, m, "model.json")):
            subprocess.run([JAVA, *JVM_FLAGS, "-cp", JAR, "io.din4j.bench.peers.PeerWorker", "create", WORK], check=True)
            break
    for m in ("din", "ple"):
        onnx = os.path.join(WORK, m + ".onnx")
        if not os.path.exists(onnx):
            subprocess.run(["/usr/bin/python3", os.path.join(HERE, "din4j_torch.py"), "export-onnx",
                            os.path.join(WORK, m), onnx], check=True, stderr=subprocess.DEVNULL)


def request(case, threads, timing):
    section, label, model, mode, b, t, peers = case
    req = {"model_dir": os.path.join(WORK, model), "onnx": os.path.join(WORK, model + ".onnx"), "mode": mode,
           "batch": b, "hist": t, "threads": threads}
    req.update(timing)
    if b == 1:
        req["min_reps"] = max(req["min_reps"], 300)
    return req


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-s", type=float, default=0.7, help="timed seconds per measurement (at least)")
    ap.add_argument("--min-reps", type=int, default=10)
    ap.add_argument("--max-s", type=float, default=4.0, help="stop a measurement after this many seconds (3 reps at least)")
    ap.add_argument("--quick", action="store_true", help="skip B=64; one recorded round unless --rounds is given")
    ap.add_argument("--nice", type=int, default=0,
                    help="scheduling priority change for the three workers (e.g. -10, as root, on a shared machine)")
    ap.add_argument("--warmup-s", type=float, default=3.0, help="warm-up of each case in round 0 (JITs, caches)")
    ap.add_argument("--only", help="regular expression on '<section> <shape>': run only the matching cases")
    ap.add_argument("--jvm-args", default="",
                    help="extra flags for din4j's JVM, e.g. '-XX:MaxVectorSize=16' (128-bit vectors) or, on an AVX-512 "
                         "host, '-XX:UseAVX=2'; recorded with the vector ISA in the report. ONNX Runtime and PyTorch "
                         "choose their own kernels from the CPU and are not affected")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--work", default=os.path.join(ROOT, "benchmarks", "target", "peers"))
    a = ap.parse_args()
    global WORK, JAVA
    WORK = a.work
    os.makedirs(WORK, exist_ok=True)
    JAVA = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java")
    setup_models()
    env = dict(os.environ)
    n = str(a.threads)
    env.update({"OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n,
                "MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "1073741824"})
    workers = {
        "din4j": Worker("din4j", [JAVA, *JVM_FLAGS, *a.jvm_args.split(), "-Xms2g", "-Xmx2g", "-cp", JAR,
                                  "io.din4j.bench.peers.PeerWorker", "din4j"], env, a.nice),
        "ort": Worker("ort", [JAVA, *JVM_FLAGS, "-Xms1g", "-Xmx1g", "-cp", JAR, "io.din4j.bench.peers.PeerWorker", "ort"], env, a.nice),
        "torch": Worker("torch", ["/usr/bin/python3", os.path.join(HERE, "din4j_torch.py"), "worker"], env, a.nice),
    }
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    # The FMA peak at the benchmark's thread count, before and after the peers (the best of the two is the floor's
    # divisor: a peak is a best case, and a busy moment only lowers it).
    peak_before = fma_peak(a.jvm_args.split(), a.threads)
    print(f"f32 FMA peak, {a.threads} threads: {peak_before:.1f} GFLOP/s", flush=True)
    try:
        # The same batch through din4j and through PyTorch's ONNX export in ONNX Runtime.
        agree = {}
        for model in ("din", "ple"):
            req = {"model_dir": os.path.join(WORK, model), "onnx": os.path.join(WORK, model + ".onnx"), "mode": "infer",
                   "batch": 64, "hist": 50 if model == "din" else 0, "threads": a.threads, "predict": True}
            p1 = workers["din4j"].ask(req)["predictions"]
            p2 = workers["ort"].ask(req)["predictions"]
            agree[model] = max(abs(x - y) for x, y in zip(p1, p2))
            print(f"{model}: din4j vs ONNX Runtime, max |Δp| over 64 rows = {agree[model]:.2e}", flush=True)
        all_cases = cases(a.quick)
        if a.only:
            import re
            all_cases = [c for c in all_cases if re.search(a.only, f"{c[0]} {c[1]}")]
        rounds = a.rounds if not (a.quick and "--rounds" not in sys.argv) else 1
        results = {}
        for r in range(rounds + 1):
            timing = ({"warmup_s": a.warmup_s, "min_reps": 3, "min_s": 0.3, "max_reps": 400, "max_s": 2} if r == 0 else
                      {"warmup_s": 0.5, "min_reps": a.min_reps, "min_s": a.min_s, "max_reps": 5000, "max_s": a.max_s})
            for ci, case in enumerate(all_cases):
                peers = case[6]
                shift = (r + ci) % len(peers)
                order = peers[shift:] + peers[:shift]
                for peer in order:
                    res = workers[peer].ask(request(case, a.threads, timing))
                    if r > 0:
                        results.setdefault(case_key(case), {}).setdefault(peer, []).append(res["ms"])
                    # The JVM workers warm up until their JIT is quiet (PeerWorker.measure) and say for how long.
                    jvm = f", warm-up {res['warmup_ran_s']:.1f} s, JIT {res['jit_ms_timed']:.0f} ms while timed" \
                        if "warmup_ran_s" in res else ""
                    print(f"round {r} {case[0]:18s} {case[1]:30s} {peer:6s} median {res['median_ms']:9.3f} ms "
                          f"({len(res['ms'])} reps{jvm})", flush=True)
    finally:
        for w in workers.values():
            w.close()
    # The peak is what the cores give after idle; the sustained rate is what seconds of load get, which on a host
    # that throttles its FP units under load can be much less (docs/architecture.md, "The AVX2 server halves its FMA rate").
    peak_after, sustained = fma_peak(a.jvm_args.split(), a.threads, SUSTAINED_S)
    print(f"f32 FMA peak, {a.threads} threads: {peak_after:.1f} GFLOP/s; held for {SUSTAINED_S} s: {sustained:.1f} GFLOP/s",
          flush=True)
    finished = datetime.datetime.now(datetime.timezone.utc)
    serving = [c for c in all_cases if c[3] == "serving"]
    isa = subprocess.run([JAVA, *JVM_FLAGS, *a.jvm_args.split(), "-cp", JAR, "io.din4j.bench.VectorIsaProbe"],
                         capture_output=True, text=True).stdout.strip() or "unknown"
    raw = {"machine": machine(), "din4j_vector_isa": isa, "din4j_jvm_args": a.jvm_args, "started": started.isoformat(timespec="seconds"),
           "finished": finished.isoformat(timespec="seconds"), "load_before": load_before,
           "load_after": os.getloadavg(), "threads": a.threads, "rounds": rounds, "agreement": agree,
           "fma_peak_gflops": {"threads": a.threads, "before": peak_before, "after": peak_after,
                               "sustained": sustained, "sustained_s": SUSTAINED_S},
           "serving_flops": serving_flops(os.path.join(WORK, "din"), serving[0][4], serving[0][5]) if serving else None, "nice": os.nice(0) + a.nice,
           "cases": [{"section": c[0], "label": c[1], "model": c[2], "mode": c[3], "batch": c[4], "hist": c[5],
                      "ms": results[case_key(c)]} for c in all_cases]}
    with open(os.path.join(HERE, "results.json"), "w") as f:
        json.dump(raw, f)
    import report
    report.write(raw, a.out, os.path.join(HERE, "speedup.svg"), os.path.join(HERE, "notes.md"))
    print(f"wrote {a.out}")


def case_key(c):
    return f"{c[0]}|{c[1]}"


if __name__ == "__main__":
    main()
