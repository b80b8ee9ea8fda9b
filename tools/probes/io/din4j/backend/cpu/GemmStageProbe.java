package io.din4j.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Where one group of the dense GEMM loses against its register tile, on one thread: GFLOP/s of four stages of the
 * same work, 16 row blocks of 6 rows × K = 256 × N = 768 (one {@code CpuDenseOps} group of PLE's level-0 experts
 * at 256 bits), rotated every round in one JVM:
 * <ul>
 *   <li>{@code tile}: a copy of {@code Gemm.k62}'s 6 × 2 tile on one A block and one B panel, data in L1;</li>
 *   <li>{@code group}: the same tile over every panel of the packed B (768 KiB, more than a 512 KiB L2) and every
 *       row block, panels outer as {@code Gemm.multiply} runs them, results left in the tile scratch;</li>
 *   <li>{@code multiply}: the library's {@code Gemm.multiply} on the same packed operands, which also takes each
 *       tile into C with the bias and ReLU (through its staged C since 2026-12-06; before, vector stores into C's
 *       segment);</li>
 *   <li>{@code staged}: the first form of that staged C, not the library's: the {@code group} stage with each
 *       tile copied into a {@code float[]} holding the group's rows of C, then per row the bias and ReLU and one
 *       {@code MemorySegment.copy} into C. Its C equals {@code multiply}'s bit for bit (checked).</li>
 * </ul>
 * The tile's code is this file's copy, so a change to {@code Gemm.k62} needs the copy changed too. It lives in
 * the library's package to reach {@code Gemm} and {@code AlignedArrays}, and so it cannot run from source with
 * {@code java File.java} (another class loader is another runtime package): compile it against the api jar.
 *
 * <pre>
 * javac --add-modules jdk.incubator.vector -cp java-api/target/din4j-api-0.1.0-SNAPSHOT.jar -d /tmp/probes \
 *       tools/probes/io/din4j/backend/cpu/GemmStageProbe.java
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp /tmp/probes:java-api/target/din4j-api-0.1.0-SNAPSHOT.jar io.din4j.backend.cpu.GemmStageProbe [ROUNDS]
 * </pre>
 *
 * Needs 256-bit vectors on 16 registers (an AVX2 host, or {@code -XX:UseAVX=2}), where {@code Gemm} runs 6 × 2
 * tiles. What it showed: docs/architecture.md, "An AVX2 server is not the AVX-512 host at {@code UseAVX=2}".
 */
public class GemmStageProbe {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** The tile scratch's row stride, as {@code Gemm}'s (room for a 5-vector panel). */
    static final int TW = 5 * L;
    static float sink;

    /** {@code Gemm.k62}: 6 rows of A (row stride kc) × a 2-vector panel of B, into the tile scratch. */
    static void k62(float[] a, int a0, int kc, float[] b, int bo, float[] t) {
        int a1 = a0 + kc, a2 = a1 + kc, a3 = a2 + kc, a4 = a3 + kc, a5 = a4 + kc;
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int k = 0; k < kc; k++) {
            int bk = bo + k * (2 * L);
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + k]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + k]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + k]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + k]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + k]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + k]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        c00.intoArray(t, 0); c01.intoArray(t, L);
        c10.intoArray(t, TW); c11.intoArray(t, TW + L);
        c20.intoArray(t, 2 * TW); c21.intoArray(t, 2 * TW + L);
        c30.intoArray(t, 3 * TW); c31.intoArray(t, 3 * TW + L);
        c40.intoArray(t, 4 * TW); c41.intoArray(t, 4 * TW + L);
        c50.intoArray(t, 5 * TW); c51.intoArray(t, 5 * TW + L);
    }

    /** The {@code staged} stage: tiles into the group's rows of C in a {@code float[]}, then bias, ReLU and a bulk copy per row. */
    static void stagedGroup(float[] a, float[] b, int kc, int n, int rb, int blocks, int panels, float[] t, float[] cg,
            float[] bias, MemorySegment c) {
        for (int p = 0; p < panels; p++) {
            int j0 = p * 2 * L;
            for (int blk = 0; blk < blocks; blk++) {
                k62(a, blk * rb * kc, kc, b, p * kc * 2 * L, t);
                int row0 = blk * rb * n + j0;
                for (int i = 0; i < rb; i++) {
                    FloatVector.fromArray(S, t, i * TW).intoArray(cg, row0 + i * n);
                    FloatVector.fromArray(S, t, i * TW + L).intoArray(cg, row0 + i * n + L);
                }
            }
        }
        for (int m = 0; m < blocks * rb; m++) {
            int o = m * n;
            for (int j = 0; j < n; j += L) {
                // scalar math: c[m][j] = max(acc + bias[j], 0), as Gemm's compare and blend
                FloatVector v = FloatVector.fromArray(S, cg, o + j).add(FloatVector.fromArray(S, bias, j));
                v.blend(0f, v.lt(0f)).intoArray(cg, o + j);
            }
            MemorySegment.copy(cg, o, c, ValueLayout.JAVA_FLOAT_UNALIGNED, (long) o * Float.BYTES, n);
        }
    }

    public static void main(String[] args) {
        if (L != 8 || Gemm.PV != 2) {
            System.err.println("GemmStageProbe: needs 256-bit vectors on 16 registers (Gemm's 6 × 2 tiles), found " + L
                    + " lanes and " + Gemm.PV + "-vector panels");
            System.exit(2);
        }
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int kc = 256, n = 768, rb = 6, blocks = 16, panels = n / (2 * L);
        Random r = new Random(1);
        float[] a = AlignedArrays.floats(blocks * rb * kc);
        float[] b = AlignedArrays.floats(kc * n);
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() - 0.5f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextFloat() - 0.5f;
        }
        float[] t = new float[rb * TW];
        Arena arena = Arena.ofShared();
        MemorySegment c = arena.allocate((long) blocks * rb * n * Float.BYTES, 64);
        MemorySegment bias = arena.allocate((long) n * Float.BYTES, 64);
        double flops = 2.0 * blocks * rb * kc * n;
        float[] staged = AlignedArrays.floats(blocks * rb * n);
        float[] biasArray = new float[n];
        for (int j = 0; j < n; j++) {
            biasArray[j] = r.nextFloat() - 0.5f;
            bias.setAtIndex(ValueLayout.JAVA_FLOAT, j, biasArray[j]);
        }
        MemorySegment c2 = arena.allocate(c.byteSize(), 64);
        String[] stages = {"tile", "group", "multiply", "staged"};
        for (int round = 0; round < rounds; round++) {
            StringBuilder line = new StringBuilder("round " + round + ":");
            for (int s = 0; s < stages.length; s++) {
                String stage = stages[(s + round) % stages.length];
                long best = Long.MAX_VALUE;
                for (int rep = 0; rep < 30; rep++) {
                    long t0 = System.nanoTime();
                    switch (stage) {
                        case "tile" -> {
                            for (int i = 0; i < blocks * panels; i++) {
                                k62(a, 0, kc, b, 0, t);
                            }
                        }
                        case "group" -> {
                            for (int p = 0; p < panels; p++) {
                                for (int blk = 0; blk < blocks; blk++) {
                                    k62(a, blk * rb * kc, kc, b, p * kc * 2 * L, t);
                                }
                            }
                        }
                        case "multiply" -> Gemm.multiply(a, false, rb, 0, blocks, blocks, kc, 0, kc, b, 0, n, Gemm.scratch(), c, 0, n,
                                blocks * rb, bias, false, true);
                        default -> stagedGroup(a, b, kc, n, rb, blocks, panels, t, staged, biasArray, c2);
                    }
                    best = Math.min(best, System.nanoTime() - t0);
                }
                sink += t[0];
                line.append(String.format(java.util.Locale.ROOT, "  %s %.1f GFLOP/s", stage, flops / best));
            }
            System.out.println(line);
        }
        if (!c.asByteBuffer().equals(c2.asByteBuffer())) {
            throw new IllegalStateException("staged C differs from Gemm.multiply's");
        }
        if (!Float.isFinite(sink)) {
            throw new IllegalStateException("diverged: " + sink);
        }
    }
}
