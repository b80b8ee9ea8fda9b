#!/usr/bin/env python3
"""Old against new din4j on one case, asked in turn: the A/B behind the speed-up figures of a kernel change.

  python3 benchmarks/peers/abpair.py CLASSPATH_A CLASSPATH_B REQUEST_JSON [ROUNDS]

Starts one `io.din4j.bench.peers.PeerWorker din4j` JVM per class path (e.g. a copy of
benchmarks/target/din4j-benchmarks.jar built before the change, and `java-api/target/classes:` that jar after it),
warms both up, then asks them in turn (the order alternates every round) for one measurement of REQUEST_JSON — a
PeerWorker request, e.g. '{"model_dir": "/tmp/pw/ple", "mode": "infer", "batch": 64, "hist": 0, "threads": 2,
"min_reps": 300, "min_s": 2, "max_reps": 1000000}' on the models `PeerWorker create DIR` writes. Prints the median of
each side's per-round medians and the median and range of the per-round ratios A/B (> 1: B is faster). On a
shared machine only such ratios of one run compare; single medians move with the machine's load.
Extra JVM flags for both sides: the environment variable EXTRA (e.g. EXTRA=-XX:MaxVectorSize=16).

  python3 benchmarks/peers/abpair.py --together CLASSPATH_A CLASSPATH_B REQUEST_JSON [ROUNDS]

runs both sides at the same time instead, each JVM pinned to its own core (cores 0 and 1, swapped every round), for
one-thread requests ("threads": 1). On a VM whose speed moves in phases of seconds to minutes (the 2-vCPU AVX2
host of benchmarks/README.md: the same kernel at 55 or 88 GFLOP/s), turns still fall on different phases and
their ratios spread from 0.6 to 1.6; measured together, both sides see the same phase (PLE B=1024, one thread, four
rounds: ratios 0.996-1.047 where turns gave 0.67-1.24). Batch-1 requests still spread more (0.76-1.23): use more
rounds there, and where the two cores are in different phases (DIN B=128: 0.78-1.65) no pairing helps: compare
two code paths inside one JVM, alternating call by call, instead. The absolute times are those of a machine with
both cores busy.
"""
import json
import os
import statistics
import subprocess
import sys

JAVA = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java")
FLAGS = ["--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"] + os.environ.get("EXTRA", "").split()


def ask(worker, request):
    worker.stdin.write(json.dumps(request) + "\n")
    worker.stdin.flush()
    return answer(worker)


def pin(pid, core):
    """Every thread of process pid (a JVM: its compiler and GC threads too) onto one core."""
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            os.sched_setaffinity(int(tid), {core})
        except OSError:
            pass  # a thread that has just ended


def answer(worker):
    while True:
        line = worker.stdout.readline()
        if not line:
            raise SystemExit("abpair: a worker exited; run it by hand to see why")
        if line.startswith("{"):
            return json.loads(line)


def main():
    args = sys.argv[1:]
    together = bool(args) and args[0] == "--together"
    if together:
        args = args[1:]
    if len(args) not in (3, 4):
        raise SystemExit(__doc__)
    classpaths = args[0:2]
    request = json.loads(args[2])
    rounds = int(args[3]) if len(args) == 4 else 8
    if together and (request.get("threads") != 1 or len(os.sched_getaffinity(0)) < 2):
        raise SystemExit("abpair: --together needs a request with \"threads\": 1 and two cores to pin the sides to")
    workers = [subprocess.Popen([JAVA, *FLAGS, "-cp", cp, "io.din4j.bench.peers.PeerWorker", "din4j"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, bufsize=1) for cp in classpaths]
    try:
        for w in workers:
            ask(w, dict(request, warmup_s=4, min_s=1))
        medians = ([], [])
        ratios = []
        cores = sorted(os.sched_getaffinity(0))[:2]
        for r in range(rounds):
            got = {}
            if together:
                for side, w in enumerate(workers):
                    pin(w.pid, cores[(side + r) % 2])
                for w in workers:
                    w.stdin.write(json.dumps(dict(request, warmup_s=0.3)) + "\n")
                    w.stdin.flush()
                for side, w in enumerate(workers):
                    got[side] = answer(w)["median_ms"]
                print("round %d: A %.3f ms (core %d)  B %.3f ms (core %d)  A/B %.3f" % (
                    r, got[0], cores[r % 2], got[1], cores[(1 + r) % 2], got[0] / got[1]))
            else:
                for side in ((0, 1) if r % 2 == 0 else (1, 0)):
                    got[side] = ask(workers[side], dict(request, warmup_s=0.3))["median_ms"]
            medians[0].append(got[0])
            medians[1].append(got[1])
            ratios.append(got[0] / got[1])
        print("A median-of-medians %.3f ms  B %.3f ms  A/B ratio median %.3f range %.3f-%.3f" % (
            statistics.median(medians[0]), statistics.median(medians[1]), statistics.median(ratios), min(ratios), max(ratios)))
    finally:
        for w in workers:
            try:
                w.stdin.write('{"quit":true}\n')
                w.stdin.flush()
            except OSError:
                pass
            w.wait(timeout=30)


if __name__ == "__main__":
    main()
