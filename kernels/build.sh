#!/usr/bin/env bash
# Builds the kernel library's native artifacts into the jar's resources (run by Maven in generate-resources):
#   io/din4j/kernels/linux-x86_64/libdin4j_emu.so   always (g++): the emulator, for tests without a GPU
#   io/din4j/kernels/din4j.fatbin                     when nvcc exists: SASS sm_80/sm_90/sm_100 + PTX compute_90
# Skips whatever is newer than every source. Where nvcc is absent the build still succeeds and the cuda backend
# reports "kernels not built" when selected.
set -euo pipefail
cd "$(dirname "$0")"
SRC=src/main/cuda
EMU=src/main/emu
OUT=target/classes/io/din4j/kernels
GEN=target/generated-emu
mkdir -p "$OUT/linux-x86_64" "$GEN"

newest_src="$(ls -t $SRC/* $EMU/* build.sh | head -1)"
up_to_date() { [[ -f "$1" && "$1" -nt "$newest_src" ]]; }

# ---- emulator (g++) ----
EMU_SO="$OUT/linux-x86_64/libdin4j_emu.so"
if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "kernels: emulator is built for linux-x86_64 only; skipped on $(uname -s)-$(uname -m)"
elif ! command -v "${CXX:-g++}" >/dev/null 2>&1; then
  echo "kernels: no C++ compiler (${CXX:-g++}); the emulated cuda device will be unavailable"
elif up_to_date "$EMU_SO"; then
  echo "kernels: emulator up to date"
else
  # One registry entry per `extern "C" __global__ void name(` line.
  sed -n 's/^extern "C" __global__ void \([A-Za-z_0-9]*\)(.*/EMU_KERNEL(\1)/p' $SRC/*.cu > "$GEN/emu_registry.inc"
  echo "kernels: building emulator ($(wc -l < "$GEN/emu_registry.inc") kernels) with ${CXX:-g++}"
  ${CXX:-g++} -std=c++17 -O2 -g0 -fPIC -shared -fno-strict-aliasing -Wall -Wno-unused-function \
    ${DIN4J_EMU_CXXFLAGS:-} -I"$GEN" -I"$EMU" \
    "$EMU/emu_runtime.cpp" "$EMU/emu_all.cpp" -o "$EMU_SO.tmp" -lpthread
  mv "$EMU_SO.tmp" "$EMU_SO"
fi

# ---- fatbin (nvcc) ----
FATBIN="$OUT/din4j.fatbin"
NVCC="${NVCC:-$(command -v nvcc || true)}"
if [[ -z "$NVCC" ]]; then
  echo "kernels: nvcc not found; fatbin not built (the cuda backend will report 'kernels not built')"
  rm -f "$FATBIN"
elif up_to_date "$FATBIN"; then
  echo "kernels: fatbin up to date"
else
  echo "kernels: building fatbin with $NVCC (log: target/ptxas.log)"
  "$NVCC" -fatbin -O3 -std=c++17 -lineinfo \
    -gencode arch=compute_80,code=sm_80 \
    -gencode arch=compute_90,code=sm_90 \
    -gencode arch=compute_100,code=sm_100 \
    -gencode arch=compute_90,code=compute_90 \
    -Xptxas -v -o "$FATBIN.tmp" "$SRC/all.cu" > target/ptxas.log 2>&1 || { cat target/ptxas.log; exit 1; }
  mv "$FATBIN.tmp" "$FATBIN"
  if grep -q 'bytes spill stores' target/ptxas.log && grep 'spill' target/ptxas.log | grep -qv ' 0 bytes spill stores, 0 bytes spill loads'; then
    echo "kernels: WARNING some kernels spill registers:"; grep -B2 'spill' target/ptxas.log | grep -v ' 0 bytes spill stores' | head -20
  fi
fi
