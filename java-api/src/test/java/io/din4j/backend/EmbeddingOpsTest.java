package io.din4j.backend;

import static io.din4j.backend.SeqTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.tensor.DType;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EmbeddingOpsTest extends CpuVsReference {
    /** {@code [B, T]} ids drawn uniformly from a table of {@code v} rows. */
    private static Tensor ids(HostArena a, Random r, int b, int t, int v) {
        Tensor ids = a.i32(b, t);
        for (long i = 0; i < ids.size(); i++) {
            ids.setInt(i, r.nextInt(v));
        }
        return ids;
    }

    /**
     * Row widths for the gathers: odd ones, and 1, 2, 4 and 8 whole vectors at 128, 256 and 512 bits (the cpu
     * backend copies such rows by vector moves written out per width, others with {@code MemorySegment.copy}).
     */
    private static final int[] GATHER_WIDTHS = {1, 3, 4, 8, 16, 17, 32, 64, 128};

    @Test
    void gathersMatchTheReferenceExactly() {
        Random r = new Random(17);
        for (int d : GATHER_WIDTHS) {
            for (int[] bt : new int[][] {{1, 1}, {7, 9}, {64, 50}}) {
                int b = bt[0], t = bt[1], v = 1000;
                try (HostArena a = new HostArena()) {
                    Tensor table = uniform(a, DType.F32, r, 1, v, d);
                    Tensor ids = ids(a, r, b, t, v);
                    Tensor len = lengths(a, r, b, t);
                    Tensor oRef = a.f32(b, t, d), oCpu = uniform(a, DType.F32, r, 3, b, t, d);
                    ref.embedding().gatherSequence(table, ids, len, oRef);
                    cpu.embedding().gatherSequence(table, ids, len, oCpu);
                    assertSame("gatherSequence D=" + d, oRef, oCpu);
                    for (int i = 0; i < b; i++) {
                        int l = len.getInt(i);
                        for (int j = 0; j < t; j++) {
                            long row = ((long) i * t + j) * d;
                            long src = (long) ids.getInt((long) i * t + j) * d;
                            for (int c = 0; c < d; c++) {
                                assertEquals(j < l ? table.getFloat(src + c) : 0f, oCpu.getFloat(row + c));
                            }
                        }
                    }
                    Tensor flat = ids.reshape((long) b * t);
                    Tensor fRef = a.f32((long) b * t, d), fCpu = a.f32((long) b * t, d);
                    ref.embedding().gather(table, flat, fRef);
                    cpu.embedding().gather(table, flat, fCpu);
                    assertSame("gather D=" + d, fRef, fCpu);
                    assertSame("gather vs sequence", oRef.reshape((long) b * t * d).rows(0, (long) len.getInt(0) * d),
                            fCpu.reshape((long) b * t * d).rows(0, (long) len.getInt(0) * d));

                    Tensor dOut = uniform(a, DType.F32, r, 1, b, t, d);
                    SparseGrad gRef = ref.embedding().newSparseGrad(a, v, d, b * t);
                    SparseGrad gCpu = cpu.embedding().newSparseGrad(a, v, d, b * t);
                    ref.embedding().gatherSequenceBackward(ids, len, dOut, gRef);
                    cpu.embedding().gatherSequenceBackward(ids, len, dOut, gCpu);
                    assertEquals(gRef.count(), gCpu.count());
                    assertSame("rows", gRef.rows().rows(0, gRef.count()), gCpu.rows().rows(0, gCpu.count()));
                    assertSame("values", gRef.values().rows(0, gRef.count()), gCpu.values().rows(0, gCpu.count()));
                }
            }
        }
    }

    @Test
    void gatherIntoWritesItsColumnWindowOnlyAndMatchesTheReference() {
        Random r = new Random(23);
        for (int d : GATHER_WIDTHS) {
            for (int[] bt : new int[][] {{0, 4}, {1, 1}, {7, 9}, {64, 50}}) {
                for (int before : new int[] {0, 5}) {
                    for (int after : new int[] {0, 2}) {
                        int b = bt[0], t = bt[1], v = 500, w = before + d + after;
                        try (HostArena a = new HostArena()) {
                            Tensor table = uniform(a, DType.F32, r, 1, v, d);
                            Tensor ids = ids(a, r, b, t, v);
                            Tensor len = lengths(a, r, b, t);
                            // Sequences: [B, T, W]; one id per row: the ids as [B·T] rows of [B·T, W].
                            for (boolean sequence : new boolean[] {true, false}) {
                                Tensor id = sequence ? ids : ids.reshape((long) b * t);
                                Tensor l = sequence ? len : null;
                                long[] shape = sequence ? new long[] {b, t, w} : new long[] {(long) b * t, w};
                                Tensor oCpu = uniform(a, DType.F32, r, 3, shape);
                                Tensor oRef = a.f32(shape);
                                oRef.copyFrom(oCpu.toFloatArray());
                                Tensor before0 = a.f32(shape);
                                before0.copyFrom(oCpu.toFloatArray());
                                ref.embedding().gatherInto(table, id, l, oRef, before);
                                cpu.embedding().gatherInto(table, id, l, oCpu, before);
                                String what = (sequence ? "sequence" : "rows") + " D=" + d + " B=" + b + " T=" + t + " column=" + before;
                                assertSame(what, oRef, oCpu);
                                for (int i = 0; i < b; i++) {
                                    for (int j = 0; j < t; j++) {
                                        boolean valid = !sequence || j < len.getInt(i);
                                        long row = ((long) i * t + j) * w;
                                        long src = (long) ids.getInt((long) i * t + j) * d;
                                        for (int c = 0; c < w; c++) {
                                            boolean inWindow = c >= before && c < before + d;
                                            float expected = !inWindow ? before0.getFloat(row + c)
                                                    : valid ? table.getFloat(src + c - before) : 0f;
                                            assertEquals(expected, oCpu.getFloat(row + c), what + " at " + i + "," + j + "," + c);
                                        }
                                    }
                                }
                                // The backward reads the same window of every valid row: the same rows and bits
                                Tensor dOut = uniform(a, DType.F32, r, 1, shape);
                                SparseGrad gRef = ref.embedding().newSparseGrad(a, v, d, Math.max(1, b * t));
                                SparseGrad gCpu = cpu.embedding().newSparseGrad(a, v, d, Math.max(1, b * t));
                                ref.embedding().gatherIntoBackward(id, l, dOut, before, gRef);
                                cpu.embedding().gatherIntoBackward(id, l, dOut, before, gCpu);
                                assertEquals(gRef.count(), gCpu.count(), what);
                                assertSame(what + " grad rows", gRef.rows().rows(0, gRef.count()), gCpu.rows().rows(0, gCpu.count()));
                                assertSame(what + " grad values", gRef.values().rows(0, gRef.count()), gCpu.values().rows(0, gCpu.count()));
                            }
                        }
                    }
                }
            }
        }
        try (HostArena a = new HostArena()) {
            Tensor table = a.f32(10, 4);
            Tensor ids = a.i32(3);
            Tensor out = a.f32(3, 6);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cpu.embedding().gatherInto(table, ids, null, out, 3));
            assertTrue(e.getMessage().contains("columns [3, 7)"), e.getMessage());
            // its backward refuses the same window, and leaves the gradient untouched
            for (Backend be : new Backend[] {cpu, ref}) {
                SparseGrad g = be.embedding().newSparseGrad(a, 10, 4, 3);
                e = assertThrows(IllegalArgumentException.class, () -> be.embedding().gatherIntoBackward(ids, null, out, 3, g));
                assertTrue(e.getMessage().contains("columns [3, 7)"), be.name() + ": " + e.getMessage());
                assertEquals(0, ((RowSparseGrad) g).count(), be.name());
            }
        }
    }

    /**
     * The cpu backend writes a new row at its first occurrence instead of adding it to a zeroed row; it must leave
     * the bits of that add, where −0 becomes +0 (a plain copy would keep −0). dOut holds −0 in every other element,
     * and ids repeat, for each backward that adds rows.
     */
    @Test
    void aNewRowKeepsTheBitsOfAnAddToZero() {
        try (HostArena a = new HostArena()) {
            int d = 19;
            Tensor ids = a.i32(3, 4).copyFrom(new int[] {4, 9, 4, 2, 9, 7, 7, 1, 3, 3, 8, 4});
            Tensor len = a.i32(3).copyFrom(new int[] {4, 3, 2});
            Tensor dSeq = a.f32(3, 4, d);
            for (long i = 0; i < dSeq.size(); i++) {
                dSeq.setFloat(i, i % 2 == 0 ? -0f : (i % 3 == 0 ? -1.5f : 0.25f));
            }
            Tensor dPooled = a.f32(3, d);
            for (long i = 0; i < dPooled.size(); i++) {
                dPooled.setFloat(i, i % 2 == 0 ? -0f : 2f);
            }
            for (int op = 0; op < 4; op++) {
                SparseGrad gRef = ref.embedding().newSparseGrad(a, 10, d, 12);
                SparseGrad gCpu = cpu.embedding().newSparseGrad(a, 10, d, 12);
                for (Backend be : new Backend[] {ref, cpu}) {
                    SparseGrad g = be == ref ? gRef : gCpu;
                    switch (op) {
                        case 0 -> be.embedding().gatherSequenceBackward(ids, len, dSeq, g);
                        case 1 -> be.embedding().gatherIntoBackward(ids, len, dSeq, 0, g);
                        case 2 -> be.embedding().gatherBackward(ids.reshape(12), dSeq.reshape(12, d), g);
                        default -> be.embedding().gatherSumPoolBackward(ids, len, dPooled, g);
                    }
                }
                assertEquals(gRef.count(), gCpu.count(), "op " + op);
                float[] r = gRef.values().rows(0, gRef.count()).toFloatArray();
                float[] c = gCpu.values().rows(0, gCpu.count()).toFloatArray();
                for (int i = 0; i < r.length; i++) {
                    assertEquals(Float.floatToRawIntBits(r[i]), Float.floatToRawIntBits(c[i]), "op " + op + " value " + i);
                }
            }
        }
    }

    @Test
    void sparseGradHoldsTouchedRowsInOrderOfFirstAppearanceWithDuplicatesSummed() {
        for (Backend be : new Backend[] {cpu, ref}) {
            try (HostArena a = new HostArena()) {
                long v = 3_000_000_000L; // more rows than an int can count: the index must not be table-sized
                int d = 3;
                Tensor ids = a.i32(2, 4).copyFrom(new int[] {70, 5, 70, 999, 2_000_000_000, 1, 1, 1});
                Tensor len = a.i32(2).copyFrom(new int[] {3, 2});
                Tensor dOut = a.f32(2, 4, d);
                for (long i = 0; i < dOut.size(); i++) {
                    dOut.setFloat(i, (float) (i + 1));
                }
                SparseGrad g = be.embedding().newSparseGrad(a, v, d, 4);
                be.embedding().gatherSequenceBackward(ids, len, dOut, g);
                // Valid positions: (0,0)=70, (0,1)=5, (0,2)=70, (1,0)=2e9, (1,1)=1.
                assertEquals(4, g.count(), be.name());
                assertArrayEquals(new int[] {70, 5, 2_000_000_000, 1}, g.rows().rows(0, 4).toIntArray(), be.name());
                float[] vals = g.values().toFloatArray();
                for (int c = 0; c < d; c++) {
                    assertEquals(dOut.getFloat(c) + dOut.getFloat(2 * d + c), vals[c], be.name() + " row 70");
                    assertEquals(dOut.getFloat(d + c), vals[d + c], be.name() + " row 5");
                    assertEquals(dOut.getFloat(4 * d + c), vals[2 * d + c], be.name() + " row 2e9");
                    assertEquals(dOut.getFloat(5 * d + c), vals[3 * d + c], be.name() + " row 1");
                }
                // A second backward accumulates; a new id past the capacity fails and leaves everything as it was.
                Tensor more = a.i32(2).copyFrom(new int[] {5, 8});
                Tensor dMore = a.f32(2, d);
                float[] valuesBefore = g.values().toFloatArray();
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> be.embedding().gatherBackward(more, dMore, g));
                assertTrue(e.getMessage().contains("capacity is 4"), e.getMessage());
                assertEquals(4, g.count());
                assertArrayEquals(valuesBefore, g.values().toFloatArray());
                be.embedding().gatherBackward(a.i32(1).copyFrom(new int[] {5}), a.f32(1, d).copyFrom(new float[] {1, 1, 1}), g);
                assertEquals(4, g.count());
                assertEquals(dOut.getFloat(d) + 1, g.values().getFloat(d), be.name());
                g.clear();
                assertEquals(0, g.count());
                be.embedding().gatherBackward(a.i32(2).copyFrom(new int[] {8, 8}), a.f32(2, d).copyFrom(new float[] {1, 2, 3, 4, 5, 6}), g);
                assertEquals(1, g.count());
                assertEquals(8, g.rows().getInt(0));
                assertArrayEquals(new float[] {5, 7, 9}, g.values().rows(0, 1).toFloatArray());
            }
        }
    }

    /**
     * The fused sequence gather + sum pooling against the two ops it replaces, on the same backend (the cpu's sums run
     * in the same order, so bit for bit) and against the reference; its backward against the pooling's backward
     * followed by the sequence gather's. Widths with and without a partial last vector and with several chunks of four
     * vectors; ids at the table's last row, whose partial vector ends at the segment's end.
     */
    @Test
    void gatherSumPoolEqualsTheSequenceGatherThenSumPooling() {
        Random r = new Random(29);
        for (int d : new int[] {1, 3, 8, 16, 17, 32, 64, 65, 130}) {
            for (int[] bt : new int[][] {{1, 1}, {5, 9}, {64, 50}}) {
                int b = bt[0], t = bt[1], v = 300;
                try (HostArena a = new HostArena()) {
                    Tensor table = uniform(a, DType.F32, r, 1, v, d);
                    Tensor ids = a.i32(b, t);
                    for (long i = 0; i < ids.size(); i++) {
                        ids.setInt(i, r.nextInt(4) == 0 ? v - 1 : r.nextInt(v));
                    }
                    Tensor len = lengths(a, r, b, t);
                    String what = "D=" + d + " B=" + b + " T=" + t;
                    Tensor fusedRef = a.f32(b, d);
                    ref.embedding().gatherSumPool(table, ids, len, fusedRef);
                    for (Backend be : new Backend[] {cpu, ref}) {
                        Tensor seq = a.f32(b, t, d), unfused = a.f32(b, d), fused = uniform(a, DType.F32, r, 3, b, d);
                        be.embedding().gatherSequence(table, ids, len, seq);
                        be.pooling().sum(seq, len, unfused);
                        be.embedding().gatherSumPool(table, ids, len, fused);
                        if (be == cpu) {
                            assertSame(be.name() + " fused vs unfused " + what, unfused, fused);
                        } else {
                            assertClose(be.name() + " fused vs unfused " + what, unfused, fused, 1e-6, 1e-6);
                        }
                        assertClose(be.name() + " fused vs the reference " + what, fusedRef, fused, 1e-5, 1e-5);

                        Tensor dOut = uniform(a, DType.F32, r, 1, b, d);
                        Tensor dSeq = a.f32(b, t, d);
                        be.pooling().sumBackward(len, dOut, dSeq);
                        SparseGrad gUnfused = be.embedding().newSparseGrad(a, v, d, b * t);
                        SparseGrad gFused = be.embedding().newSparseGrad(a, v, d, b * t);
                        be.embedding().gatherSequenceBackward(ids, len, dSeq, gUnfused);
                        be.embedding().gatherSumPoolBackward(ids, len, dOut, gFused);
                        assertEquals(gUnfused.count(), gFused.count(), what);
                        assertSame(be.name() + " rows " + what, gUnfused.rows().rows(0, gUnfused.count()), gFused.rows().rows(0, gFused.count()));
                        assertSame(be.name() + " grad " + what, gUnfused.values().rows(0, gUnfused.count()),
                                gFused.values().rows(0, gFused.count()));
                    }
                }
            }
        }
    }

    @Test
    void badInputsAreRejectedBeforeAnythingIsWritten() {
        for (Backend be : new Backend[] {cpu, ref}) {
            Random r = new Random(2);
            try (HostArena a = new HostArena()) {
                Tensor table = uniform(a, DType.F32, r, 1, 5000, 4);
                Tensor ids = a.i32(4, 8);
                ids.setInt(3 * 8 + 7, 91234);
                Tensor out = uniform(a, DType.F32, r, 1, 4, 8, 4);
                float[] before = out.toFloatArray();
                Tensor full = a.i32(4).copyFrom(new int[] {8, 8, 8, 8});
                AttentionOpsTest.expect(be, "ids[3, 7] = 91234 is outside the table of 5000 rows",
                        () -> be.embedding().gatherSequence(table, ids, full, out));
                // The same id at a padding position is ignored.
                be.embedding().gatherSequence(table, ids, a.i32(4).copyFrom(new int[] {8, 8, 8, 7}), a.f32(4, 8, 4));
                AttentionOpsTest.expect(be, "ids[5] = -1", () -> be.embedding().gather(table,
                        a.i32(6).copyFrom(new int[] {0, 1, 2, 3, 4, -1}), a.f32(6, 4)));
                AttentionOpsTest.expect(be, "lengths[2] = 9", () -> be.embedding().gatherSequence(table, ids,
                        a.i32(4).copyFrom(new int[] {0, 1, 9, 2}), out));
                AttentionOpsTest.expect(be, "lengths[0] = -1", () -> be.embedding().gatherSequence(table, ids,
                        a.i32(4).copyFrom(new int[] {-1, 1, 1, 2}), out));
                AttentionOpsTest.expect(be, "out:", () -> be.embedding().gatherSequence(table, ids, a.i32(4), a.f32(4, 8, 5)));
                AttentionOpsTest.expect(be, "ids:", () -> be.embedding().gather(table, a.f32(3), a.f32(3, 4)));
                assertArrayEquals(before, out.toFloatArray(), be.name());
                SparseGrad g = be.embedding().newSparseGrad(a, 5000, 4, 10);
                AttentionOpsTest.expect(be, "ids[3, 7] = 91234", () -> be.embedding().gatherSequenceBackward(ids, full,
                        a.f32(4, 8, 4), g));
                AttentionOpsTest.expect(be, "grad: width", () -> be.embedding().gatherSequenceBackward(ids, full,
                        a.f32(4, 8, 3), g));
                assertEquals(0, g.count());
                Tensor pooled = uniform(a, DType.F32, r, 1, 4, 4);
                float[] pooledBefore = pooled.toFloatArray();
                AttentionOpsTest.expect(be, "ids[3, 7] = 91234", () -> be.embedding().gatherSumPool(table, ids, full, pooled));
                AttentionOpsTest.expect(be, "lengths[2] = 9", () -> be.embedding().gatherSumPool(table, ids,
                        a.i32(4).copyFrom(new int[] {0, 1, 9, 2}), pooled));
                AttentionOpsTest.expect(be, "out:", () -> be.embedding().gatherSumPool(table, ids, a.i32(4), a.f32(4, 5)));
                assertArrayEquals(pooledBefore, pooled.toFloatArray(), be.name());
                AttentionOpsTest.expect(be, "ids[3, 7] = 91234", () -> be.embedding().gatherSumPoolBackward(ids, full, a.f32(4, 4), g));
                AttentionOpsTest.expect(be, "grad: width", () -> be.embedding().gatherSumPoolBackward(ids, full, a.f32(4, 3), g));
                assertEquals(0, g.count());
            }
        }
    }

    /**
     * The batched backward (cpu: one gradient per thread) gives every gradient the rows and sums of the passes run
     * one after the other, including two passes into one gradient (a history and its candidate), whose order
     * decides the row order and each row's order of summing.
     */
    @Test
    void batchedBackwardEqualsThePassesInOrder() {
        Random r = new Random(23);
        int b = 33, t = 21, d = 17, v = 300;
        try (HostArena a = new HostArena()) {
            Tensor[] ids = new Tensor[3];
            Tensor[] dOut = new Tensor[3];
            Tensor len = lengths(a, r, b, t);
            for (int k = 0; k < 3; k++) {
                ids[k] = a.i32(b, t);
                for (long i = 0; i < ids[k].size(); i++) {
                    ids[k].setInt(i, r.nextInt(v));
                }
                dOut[k] = uniform(a, DType.F32, r, 1, b, t, d);
            }
            Tensor candidates = a.i32(b);
            for (int i = 0; i < b; i++) {
                candidates.setInt(i, r.nextInt(v));
            }
            Tensor dCandidates = uniform(a, DType.F32, r, 1, b, d);
            SparseGrad[] inOrder = new SparseGrad[3];
            SparseGrad[] batched = new SparseGrad[3];
            for (int k = 0; k < 3; k++) {
                inOrder[k] = cpu.embedding().newSparseGrad(a, v, d, b * t + b);
                batched[k] = cpu.embedding().newSparseGrad(a, v, d, b * t + b);
            }
            for (int k = 0; k < 3; k++) {
                cpu.embedding().gatherSequenceBackward(ids[k], len, dOut[k], inOrder[k]);
                if (k == 0) {
                    cpu.embedding().gatherBackward(candidates, dCandidates, inOrder[0]);
                }
            }
            java.util.List<EmbeddingOps.SparseBackward> passes = new java.util.ArrayList<>();
            for (int k = 0; k < 3; k++) {
                int kk = k;
                passes.add(new EmbeddingOps.SparseBackward(batched[k],
                        () -> cpu.embedding().gatherSequenceBackward(ids[kk], len, dOut[kk], batched[kk])));
                if (k == 0) {
                    passes.add(new EmbeddingOps.SparseBackward(batched[0],
                            () -> cpu.embedding().gatherBackward(candidates, dCandidates, batched[0])));
                }
            }
            cpu.embedding().backward(passes);
            for (int k = 0; k < 3; k++) {
                assertEquals(inOrder[k].count(), batched[k].count(), "gradient " + k);
                assertSame("rows " + k, inOrder[k].rows().rows(0, inOrder[k].count()), batched[k].rows().rows(0, batched[k].count()));
                assertSame("values " + k, inOrder[k].values().rows(0, inOrder[k].count()),
                        batched[k].values().rows(0, batched[k].count()));
            }
        }
    }
}
