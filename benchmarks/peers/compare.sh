#!/usr/bin/env bash
# din4j (cpu backend), PyTorch and ONNX Runtime Java side by side → BENCHMARKS.md at the repository root.
#   benchmarks/peers/compare.sh [--rounds N] [--threads N] [--min-s S] [--quick]
# Needs JDK 25 (JAVA_HOME, or Temurin 25 at its Debian path) and Debian's python3-torch and python3-numpy
# (/usr/bin/python3). Takes about 10 minutes with the defaults; run it on a quiet machine (see `uptime`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
/usr/bin/python3 -c "import torch, numpy" 2>/dev/null \
  || { echo "compare.sh: /usr/bin/python3 with torch and numpy is needed (apt-get install python3-torch python3-numpy)" >&2; exit 2; }
case "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null)" in
  */blas/libblas.so.3) echo "compare.sh: warning: the reference BLAS is active; Debian's PyTorch then runs GEMMs ~20x slower" \
    "than with OpenBLAS (apt-get install libopenblas0-pthread)" >&2 ;;
esac
JAR="$ROOT/benchmarks/target/din4j-benchmarks.jar"
if [[ ! -f "$JAR" ]] || [[ -n "$(find "$ROOT/java-api/src/main" "$ROOT/benchmarks/src/main" -newer "$JAR" -name '*.java' -print -quit)" ]]; then
  (cd "$ROOT" && ./mvnw -B -q install -DskipTests)
fi
exec /usr/bin/python3 "$ROOT/benchmarks/peers/compare.py" "$@"
