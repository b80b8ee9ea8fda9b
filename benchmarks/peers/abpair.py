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
    while True:
        line = worker.stdout.readline()
        if not line:
            raise SystemExit("abpair: a worker exited; run it by hand to see why")
        if line.startswith("{"):
            return json.loads(line)


def main():
    if len(sys.argv) not in (4, 5):
        raise SystemExit(__doc__)
    classpaths = sys.argv[1:3]
    request = json.loads(sys.argv[3])
    rounds = int(sys.argv[4]) if len(sys.argv) == 5 else 8
    workers = [subprocess.Popen([JAVA, *FLAGS, "-cp", cp, "io.din4j.bench.peers.PeerWorker", "din4j"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, bufsize=1) for cp in classpaths]
    try:
        for w in workers:
            ask(w, dict(request, warmup_s=4, min_s=1))
        medians = ([], [])
        ratios = []
        for r in range(rounds):
            got = {}
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
