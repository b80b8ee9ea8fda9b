#!/usr/bin/env bash
# The one-shot device check of the cuda backend.
#
#   benchmarks/gpu/device-check.sh bundle   on a build machine (JDK 25, the Maven repository, nvcc): builds a
#                                           self-contained bundle in benchmarks/gpu/target/bundle (a jlink runtime,
#                                           the shaded jar with the fatbin, the cuda tests and their runner)
#   benchmarks/gpu/device-check.sh run      on the GPU machine (needs only the bundle, the NVIDIA driver and,
#                                           optionally, python3 + PyTorch for the peer): runs the GPU tests, the
#                                           CUDA-event benchmarks and the PyTorch DIN peer; writes JSON and markdown
#                                           to $OUT (or benchmarks/gpu/target/results). Finishes within 8 minutes.
#   benchmarks/gpu/device-check.sh          both, in order
#   benchmarks/gpu/device-check.sh asan     (no GPU) the same cuda tests on the emulator built with AddressSanitizer
#
# Environment: DIN4J_BUNDLE (bundle folder), OUT (results folder), JAVA_HOME (bundle step),
# DIN4J_HBM_GBPS / DIN4J_FP32_TFLOPS (the card's limits; H200 defaults 4800 and 67).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
GPU="$ROOT/benchmarks/gpu"
BUNDLE="${DIN4J_BUNDLE:-$GPU/target/bundle}"
MODULES=java.base,java.logging,java.management,jdk.incubator.vector,jdk.jfr,jdk.unsupported,jdk.zipfs
BUNDLE_LIMIT_MB="${DIN4J_BUNDLE_LIMIT_MB:-40}"
# Seconds per step of `run`: nvidia-smi, the GPU tests, the benchmarks, the PyTorch probe and the peer. The tests',
# the benchmarks' and the peer's can be lowered (DIN4J_T_TESTS, DIN4J_T_BENCH, DIN4J_T_TORCH) to leave device time
# for a second run.
T_SMI=10 T_TESTS="${DIN4J_T_TESTS:-110}" T_BENCH="${DIN4J_T_BENCH:-235}" T_TORCH_PROBE=20 T_TORCH="${DIN4J_T_TORCH:-80}"
FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
OFFLINE=(); [[ "${DIN4J_MAVEN_ONLINE:-}" == 1 ]] || OFFLINE=(-o)  # Maven offline unless DIN4J_MAVEN_ONLINE=1

die() { echo "device-check: $*" >&2; exit 2; }

# The device check's jar, din4j-gpu.jar (module benchmarks/gpu): din4j, JCuda, the kernels, GpuBench, the api's
# test classes, JUnit and RunGpuTests. Built through the reactor (-am), so a clean clone needs no prior
# `mvn install`; only the benchmarks/gpu module and what it depends on are built (not ONNX Runtime or JMH).
build_gpu_jar() {
  (cd "$ROOT" && ./mvnw -B -q "${OFFLINE[@]}" -pl benchmarks/gpu -am package -DskipTests)
}

# The cuda tests on the emulator built with AddressSanitizer (no GPU needed): device memory is host heap memory
# there, so an out-of-bounds access inside a kernel aborts with the kernel's source line.
asan() {
  export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
  local dir="$ROOT/kernels/target/asan"
  build_gpu_jar
  rm -rf "$dir"
  mkdir -p "$dir/cp/io/din4j/kernels/linux-x86_64"
  local emu="$ROOT/kernels/src/main/emu"
  g++ -std=c++17 -O1 -g -fPIC -shared -fsanitize=address -fno-omit-frame-pointer -fno-strict-aliasing \
    -I"$ROOT/kernels/target/generated-emu" -I"$emu" "$emu/emu_runtime.cpp" "$emu/emu_all.cpp" \
    -o "$dir/cp/io/din4j/kernels/linux-x86_64/libdin4j_emu.so" -lpthread
  # the ASan library comes first on the class path, so it shadows the emulator inside din4j-gpu.jar
  LD_PRELOAD="$(g++ -print-file-name=libasan.so)" \
  ASAN_OPTIONS=detect_leaks=0:handle_segv=0:detect_stack_use_after_return=0:allow_user_segv_handler=1:allocator_may_return_null=1 \
    "$JAVA_HOME/bin/java" "${FLAGS[@]}" -Ddin4j.test.devices=cuda-emu -cp "$dir/cp:$GPU/target/din4j-gpu.jar" \
    io.din4j.bench.gpu.RunGpuTests "$dir/asan-tests.json" 2>&1 | grep -v '^SUCCESSFUL' | tee "$dir/asan-tests.log"
  grep -q '"failed": 0' "$dir/asan-tests.json" || die "tests failed under AddressSanitizer; see $dir/asan-tests.log"
}

bundle() {
  export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
  command -v nvcc >/dev/null 2>&1 || [[ -n "${NVCC:-}" ]] || die "nvcc is needed to build the fatbin into the bundle"
  build_gpu_jar
  local jar="$GPU/target/din4j-gpu.jar"
  unzip -l "$jar" | grep 'io/din4j/kernels/din4j.fatbin' >/dev/null || die "the shaded jar has no fatbin"
  rm -rf "$BUNDLE"
  mkdir -p "$BUNDLE/lib"
  "$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages \
    --compress zip-9 --output "$BUNDLE/runtime"
  cp "$jar" "$BUNDLE/lib/"
  cp "$GPU/device-check.sh" "$GPU/din_torch.py" "$BUNDLE/"
  tar czf "$GPU/target/din4j-gpu-bundle.tar.gz" -C "$(dirname "$BUNDLE")" "$(basename "$BUNDLE")"
  local bytes; bytes=$(stat -c %s "$GPU/target/din4j-gpu-bundle.tar.gz")
  echo "device-check: bundle $BUNDLE ($(du -sh "$BUNDLE" | cut -f1) unpacked), $GPU/target/din4j-gpu-bundle.tar.gz:" \
    "$(( bytes / 1048576 )).$(( bytes % 1048576 * 10 / 1048576 )) MB compressed (limit $BUNDLE_LIMIT_MB MB)"
  # Carried to a GPU machine with a transfer limit: a peer or library shaded in by mistake fails here, not there.
  (( bytes < BUNDLE_LIMIT_MB * 1048576 )) || die "bundle is $bytes bytes compressed, over the $BUNDLE_LIMIT_MB MB limit"
}

run() {
  if [[ ! -x "$BUNDLE/runtime/bin/java" && -f "$GPU/target/din4j-gpu-bundle.tar.gz" ]]; then
    mkdir -p "$(dirname "$BUNDLE")"
    tar xzf "$GPU/target/din4j-gpu-bundle.tar.gz" -C "$(dirname "$BUNDLE")"
  fi
  [[ -x "$BUNDLE/runtime/bin/java" ]] || die "no bundle at $BUNDLE (run '$0 bundle' on a build machine first)"
  local java="$BUNDLE/runtime/bin/java"
  local out="${OUT:-$GPU/target/results}"
  mkdir -p "$out"
  local start=$SECONDS
  # Every step runs under `timeout -k` (TERM, then KILL a few seconds later, to the whole process group), and the
  # caps plus kill grace sum to under 8 minutes: the check ends in time whatever hangs.
  local total=$(( T_SMI + 2 + T_TESTS + 5 + T_BENCH + 5 + T_TORCH_PROBE + 2 + T_TORCH + 5 ))
  (( total < 480 )) || die "step time limits sum to $total s, over the 8-minute budget"
  # cuBLAS: a CUDA toolkit's lib64, or the one PyTorch's wheels bring (nvidia/**/libcublas.so.*), for dlopen by soname
  local libs; libs="$(ls -d /usr/local/cuda/lib64 /usr/local/cuda-*/lib64 2>/dev/null | tr '\n' ':')"
  if command -v python3 >/dev/null 2>&1; then
    libs+="$(python3 - <<'PY' 2>/dev/null || true
import glob, os, site
found = set()
for p in site.getsitepackages() + [site.getusersitepackages()]:
    for f in glob.glob(os.path.join(p, "nvidia", "**", "libcublas.so.*"), recursive=True):
        found.add(os.path.dirname(f))
print(":".join(sorted(found)))
PY
)"
  fi
  export LD_LIBRARY_PATH="${libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "device-check: LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  { timeout -k 2 "$T_SMI" nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 || true; } | tee "$out/nvidia-smi.txt"

  echo "== GPU tests (io.din4j.backend.cuda on the real device, synchronous launches)"
  # Synchronous launches (the driver's CUDA_LAUNCH_BLOCKING and a synchronize after every launch in JCudaDevice):
  # a fault is reported by the launch that caused it, naming the kernel, instead of at a later synchronisation.
  local tests=0
  CUDA_LAUNCH_BLOCKING=1 timeout -k 5 "$T_TESTS" "$java" "${FLAGS[@]}" -Ddin4j.test.devices=cuda -Ddin4j.cuda.syncLaunches=true \
    -cp "$BUNDLE/lib/din4j-gpu.jar" io.din4j.bench.gpu.RunGpuTests "$out/gpu-tests.json" 2>&1 | tee "$out/gpu-tests.log" \
    || tests=$?

  echo "== kernel and model benchmarks (CUDA events; one child JVM per benchmark, results written as each ends)"
  local bench=0
  timeout -k 5 "$T_BENCH" "$java" "${FLAGS[@]}" -Xmx24g -Ddin4j.cuda.checkLengths=false -cp "$BUNDLE/lib/din4j-gpu.jar" \
    io.din4j.bench.gpu.GpuBench --device cuda --out "$out" --budget-s $(( T_BENCH - 40 )) \
    --hbm-gbps "${DIN4J_HBM_GBPS:-4800}" --fp32-tflops "${DIN4J_FP32_TFLOPS:-67}" 2>&1 | tee "$out/gpu-bench.log" || bench=$?

  echo "== PyTorch peer"
  if command -v python3 >/dev/null 2>&1 && timeout -k 2 "$T_TORCH_PROBE" python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    timeout -k 5 "$T_TORCH" python3 "$BUNDLE/din_torch.py" --out "$out/torch-din.json" --budget-s $(( T_TORCH - 20 )) 2>&1 | tee "$out/torch-din.log" || true
  else
    echo "python3 with a CUDA-enabled PyTorch not found: peer skipped" | tee "$out/torch-din.log"
  fi

  {
    echo "# din4j device check"
    echo
    echo '```'; cat "$out/nvidia-smi.txt"; echo '```'
    echo
    echo "GPU tests: $(cat "$out/gpu-tests.json" 2>/dev/null || echo "did not finish (exit $tests)")"
    echo
    cat "$out/gpu-bench.md" 2>/dev/null || echo "benchmarks did not finish (exit $bench)"
    if [[ -f "$out/torch-din.json" ]]; then
      echo
      echo "PyTorch eager peer (same DIN):"
      echo
      echo "| model | batch | T | train samples/s | inference samples/s |"
      echo "|---|---:|---:|---:|---:|"
      python3 -c 'import json, sys
for r in json.load(open(sys.argv[1]))["models"]:
    print("| %s | %d | %d | %s | %s |" % (r["model"], r["batch"], r["history"], format(round(r["trainSamplesPerS"]), ","),
                                         format(round(r["inferSamplesPerS"]), ",")))' "$out/torch-din.json" || true
    fi
    echo
    echo "Anchor: NVIDIA's DIN-style TF2 model, 381,211 samples/s training on one A100 (TF32, batch 131,072, T=100)."
    echo "Total time: $(( SECONDS - start )) s."
  } > "$out/device-check.md"
  echo "device-check: wrote $out/device-check.md"
  (( tests == 0 )) || die "GPU tests failed (exit $tests); see $out/gpu-tests.log"
}

case "${1:-all}" in
  bundle) bundle ;;
  asan) asan ;;
  run) run ;;
  all) bundle; run ;;
  *) die "usage: $0 [bundle|run|all|asan]" ;;
esac
