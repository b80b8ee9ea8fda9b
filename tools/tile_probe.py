#!/usr/bin/env python3
"""GEMM register tiles measured in isolation, against the FMA peak of the same JVM.

    tools/tile_probe.py [--jvm-args=FLAGS] [--kc K] [--rounds N] [--b-offset BYTES] ROWSxVECTORS [ROWSxVECTORS ...]
    tools/tile_probe.py 6x4 12x2 8x3                                       # 512 bits on an AVX-512 host
    tools/tile_probe.py --jvm-args=-XX:UseAVX=2 --kc 512 6x2 4x2            # AVX2
    tools/tile_probe.py --jvm-args=-XX:MaxVectorSize=16 --kc 1024 4x5 6x3   # 128 bits

For each tile shape (ROWS rows of A by VECTORS vectors of B's columns, ROWS x VECTORS accumulators in registers)
it writes four micro-kernels in the shape of the library's (io.din4j.backend.cpu.Gemm: B packed in a panel as wide
as the tile, one broadcast of A per row and k, an FMA per accumulator, the tile stored once after the k loop) that
differ only in how they address A:
  row    A row-major at a row stride known at run time (Gemm.packA's layout: kc floats per row);
  inter  A interleaved by k, a[ROWS*k + r] (Gemm.packAInterleaved's layout);
  const  A row-major at a row stride that is a compile-time constant (kc + 16);
  split  each row of A an array of its own (a float[][] whose rows the kernel takes into locals first).
It compiles them with javac into a temporary directory and runs them in one JVM (the library is not needed),
K = kc per call over data that stays in L1, the variants' order rotated every round. Each line gives GFLOP/s of the
best of 10 timings of 20,000 calls, and in brackets its share of the highest one-thread FMA peak measured so far in
the same JVM (a register-only loop, twelve accumulator chains through the FMA's addend, as MachineLimits measures
it; timed before every round, the round's own reading printed too: on a shared host it moves). The four variants'
results are checked to be the same bits. B starts on a cache line, as the library's packed panels do, or
--b-offset bytes past one (16: as a plain float[] mostly lay before the library aligned its arrays); its address is
read through a memset downcall, as io.din4j.backend.cpu.AlignedArrays does.

What it showed on the Intel host and why it matters: docs/architecture.md, "Tile shapes measured in isolation".
Isolation is an upper bound: inside a whole product the tiles also wait on B's panels from L2, on the store of C and
on the other ops, and a gain here did not always survive there (same section). Needs JDK 25: JAVA_HOME or PATH.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile


def kernel(name, rows, vectors, mode):
    """Java source of one micro-kernel: C[rows x vectors*L] = A[rows x kc] . B[kc x vectors*L], B in a panel."""
    out = [f"  static void {name}(float[] a, float[][] as, int kc, float[] b, int bo, float[] t) {{"]
    if mode == "split":
        out += [f"    float[] r{r} = as[{r}];" for r in range(rows)]
    if mode == "row":
        out.append("    int a0 = 0;")
        out += [f"    int a{r} = a{r - 1} + kc;" for r in range(1, rows)]
    elif mode == "const":
        out.append("    int a0 = 0;")
        out += [f"    int a{r} = a{r - 1} + STRIDE;" for r in range(1, rows)]
    out.append("    FloatVector z = FloatVector.zero(S);")
    for r in range(rows):
        out.append("    FloatVector " + ", ".join(f"c{r}_{j} = z" for j in range(vectors)) + ";")
    out.append("    for (int k = 0; k < kc; k++) {")
    out.append(f"      int bk = bo + k * ({vectors} * L);")
    if mode == "inter":
        out.append(f"      int ak = {rows} * k;")
    out += [f"      FloatVector b{j} = FloatVector.fromArray(S, b, bk + {j} * L);" for j in range(vectors)]
    for r in range(rows):
        element = f"r{r}[k]" if mode == "split" else f"a[ak + {r}]" if mode == "inter" else f"a[a{r} + k]"
        out.append(f"      FloatVector x{r} = FloatVector.broadcast(S, {element});")
        out += [f"      c{r}_{j} = x{r}.fma(b{j}, c{r}_{j});" for j in range(vectors)]
    out.append("    }")
    for r in range(rows):
        out += [f"    c{r}_{j}.intoArray(t, ({r} * {vectors} + {j}) * L);" for j in range(vectors)]
    out.append("  }")
    return "\n".join(out) + "\n"


def source(rows, vectors, kc, rounds, b_offset):
    modes = ["row", "inter", "const", "split"]
    kernels = "".join(kernel("k_" + m, rows, vectors, m) for m in modes)
    return f"""import jdk.incubator.vector.*;

public class TileProbe {{
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();
  static final int STRIDE = {kc} + 16;

{kernels}
  interface Kernel {{ void run(float[] a, float[][] as, int kc, float[] b, int bo, float[] t); }}

  /** Where element 0 of a is now: memset(p, 0, 0) returns p, and a critical downcall may take a heap array. */
  static long address(float[] a) throws Throwable {{
    java.lang.foreign.Linker linker = java.lang.foreign.Linker.nativeLinker();
    java.lang.invoke.MethodHandle memset = linker.downcallHandle(linker.defaultLookup().find("memset").orElseThrow(),
        java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.ADDRESS,
            java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_LONG),
        java.lang.foreign.Linker.Option.critical(true));
    return ((java.lang.foreign.MemorySegment) memset.invokeExact(java.lang.foreign.MemorySegment.ofArray(a), 0, 0L)).address();
  }}

  /** Twelve independent chains through the FMA's addend, registers only (as MachineLimits), n iterations. */
  static float chains(int n) {{
    FloatVector m = FloatVector.broadcast(S, 0.999999f), a = FloatVector.broadcast(S, 1e-7f);
    FloatVector c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
    for (int i = 0; i < n; i++) {{
      c0 = m.fma(a, c0); c1 = m.fma(a, c1); c2 = m.fma(a, c2); c3 = m.fma(a, c3);
      c4 = m.fma(a, c4); c5 = m.fma(a, c5); c6 = m.fma(a, c6); c7 = m.fma(a, c7);
      c8 = m.fma(a, c8); c9 = m.fma(a, c9); c10 = m.fma(a, c10); c11 = m.fma(a, c11);
    }}
    return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
        .reduceLanes(VectorOperators.ADD);
  }}

  static float sink;

  /** The one-thread FMA peak in GFLOP/s: the best of ten timings of {{@link #chains}}, compiled as a whole method. */
  static double peak() {{
    int n = 1 << 16;
    double best = Double.MAX_VALUE;
    for (int rep = 0; rep < 10; rep++) {{
      long t0 = System.nanoTime();
      sink += chains(n);
      best = Math.min(best, System.nanoTime() - t0);
    }}
    return 12.0 * 2 * L * n / best;
  }}

  public static void main(String[] args) throws Throwable {{
    int rows = {rows}, vectors = {vectors}, kc = {kc};
    java.util.Random random = new java.util.Random(1);
    float[] a = new float[rows * Math.max(kc, STRIDE)], ai = new float[a.length], ac = new float[a.length];
    float[] b = new float[kc * vectors * L + 32];
    for (int i = 0; i < a.length; i++) a[i] = random.nextFloat();
    for (int i = 0; i < b.length; i++) b[i] = random.nextFloat();
    float[][] rowsOfA = new float[rows][kc];
    for (int r = 0; r < rows; r++) {{
      System.arraycopy(a, r * kc, rowsOfA[r], 0, kc);
      for (int k = 0; k < kc; k++) {{
        ai[rows * k + r] = a[r * kc + k];
        ac[r * STRIDE + k] = a[r * kc + k];
      }}
    }}
    Kernel[] kernels = {{TileProbe::k_row, TileProbe::k_inter, TileProbe::k_const, TileProbe::k_split}};
    float[][] as = {{a, ai, ac, a}};
    String[] names = {{"row", "inter", "const", "split"}};
    float[] expect = new float[rows * vectors * L];
    // B from its first element on a cache line plus the requested offset; a collection may move the array, so the
    // offset is found again before every round (B's values are random throughout, so any offset multiplies alike)
    int bo = (int) (Math.floorMod(-address(b), 64) + {b_offset}) / 4;
    k_row(a, rowsOfA, kc, b, bo, expect);
    for (int v = 1; v < kernels.length; v++) {{
      float[] got = new float[expect.length];
      kernels[v].run(as[v], rowsOfA, kc, b, bo, got);
      if (!java.util.Arrays.equals(got, expect)) throw new AssertionError(names[v] + " differs from row");
    }}
    float[] t = new float[expect.length];
    double flops = 2.0 * rows * kc * vectors * L;
    for (int i = 0; i < 200; i++) peak();  // compiled before the first round
    double p = 0;
    for (int round = 0; round < {rounds}; round++) {{
      double now = peak();
      bo = (int) (Math.floorMod(-address(b), 64) + {b_offset}) / 4;
      p = Math.max(p, now);
      StringBuilder line = new StringBuilder(String.format("%d-bit %dx%d kc=%d B+%dB  peak %.1f (best %.1f)", 32 * L,
          rows, vectors, kc, {b_offset}, now, p));
      for (int i = 0; i < kernels.length; i++) {{
        int v = (i + round) % kernels.length;
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 10; rep++) {{
          long t0 = System.nanoTime();
          for (int c = 0; c < 20000; c++) kernels[v].run(as[v], rowsOfA, kc, b, bo, t);
          best = Math.min(best, (System.nanoTime() - t0) / 20000.0);
        }}
        line.append(String.format("  %s %.1f (%.0f%%)", names[v], flops / best, 100 * flops / best / p));
      }}
      System.out.println(line);
    }}
  }}
}}
"""


def java_tool(name):
    home = os.environ.get("JAVA_HOME")
    return os.path.join(home, "bin", name) if home else name


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shapes", nargs="+", help="tiles as ROWSxVECTORS, e.g. 6x4")
    parser.add_argument("--jvm-args", default="", help="flags for the JVM: --jvm-args=-XX:UseAVX=2")
    parser.add_argument("--kc", type=int, default=128, help="k per call (Gemm.KC: 128 at 512 bits, 512 at 256)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--b-offset", type=int, default=0, choices=range(0, 64, 4), metavar="BYTES",
                        help="B's first element this many bytes past a cache line (default 0: on the line)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="tile-probe-")
    try:
        for shape in args.shapes:
            try:
                rows, vectors = (int(x) for x in shape.lower().split("x"))
            except ValueError:
                sys.exit(f"tile_probe: '{shape}' is not ROWSxVECTORS (e.g. 6x4)")
            if rows < 1 or vectors < 1 or rows * vectors > 40:
                sys.exit(f"tile_probe: {shape}: want 1..40 accumulators")
            d = os.path.join(work, shape)
            os.makedirs(d)
            with open(os.path.join(d, "TileProbe.java"), "w") as f:
                f.write(source(rows, vectors, args.kc, args.rounds, args.b_offset))
            javac = [java_tool("javac"), "--add-modules", "jdk.incubator.vector", "-nowarn", "-d", d,
                     os.path.join(d, "TileProbe.java")]
            java = [java_tool("java"), *args.jvm_args.split(), "--add-modules", "jdk.incubator.vector",
                    "--enable-native-access=ALL-UNNAMED", "-cp", d, "TileProbe"]
            try:
                compiled = subprocess.run(javac, capture_output=True, text=True)
                if compiled.returncode != 0:
                    sys.exit(f"tile_probe: {shape}: javac failed:\n{compiled.stderr}")
                run = subprocess.run(java, capture_output=True, text=True)
            except FileNotFoundError as e:
                sys.exit(f"tile_probe: {e.filename} not found: set JAVA_HOME to a JDK 25 or put its bin on PATH")
            sys.stdout.write("".join(l + "\n" for l in run.stdout.splitlines()))
            if run.returncode != 0:
                sys.exit(f"tile_probe: {shape} failed:\n{run.stderr}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
