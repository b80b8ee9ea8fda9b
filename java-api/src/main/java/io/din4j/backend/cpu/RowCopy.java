package io.din4j.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The embedding gathers' row copies: {@code count} table rows, picked by consecutive ids, to rows of the output at a
 * fixed stride.
 *
 * <p>A row of 1, 2, 4 or 8 whole vectors is copied by that many vector loads and stores written out in the loop's
 * body; other widths go through {@link MemorySegment#copy}. The gathers read rows of a table far larger than the
 * caches at random (DIN's 100,000 items: 12.8 MB), so a copy waits on memory, and how many rows are in flight at
 * once depends on how few instructions each row's copy takes: {@code MemorySegment.copy}'s checks and call took
 * ~40 ns a 128-byte row where four vector moves took ~30 (AVX2 server, 2026-12-06; docs/architecture.md, "Table
 * rows copied by vectors"). The body has no inner loop: a loop over the row's vectors, even unrolled by four, ran
 * slower than {@code MemorySegment.copy}.
 */
final class RowCopy {
    private static final VectorSpecies<Float> S = VectorIsa.SPECIES;
    private static final long VB = S.vectorByteSize();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(NO);

    private RowCopy() {
    }

    /**
     * {@code dst[dstFrom + j·dstStride ..][0, rowBytes) = src[ids[idFrom + j]·rowBytes ..][0, rowBytes)} for
     * {@code j < count}; offsets in bytes, ids by element. The ids were checked against the table by the caller.
     */
    static void rows(MemorySegment src, long rowBytes, MemorySegment ids, long idFrom, int count, MemorySegment dst,
                     long dstFrom, long dstStride) {
        long vectors = rowBytes % VB == 0 ? rowBytes / VB : 0;
        if (vectors == 4) {
            rows4(src, rowBytes, ids, idFrom, count, dst, dstFrom, dstStride);
        } else if (vectors == 2) {
            rows2(src, rowBytes, ids, idFrom, count, dst, dstFrom, dstStride);
        } else if (vectors == 8) {
            rows8(src, rowBytes, ids, idFrom, count, dst, dstFrom, dstStride);
        } else if (vectors == 1) {
            rows1(src, rowBytes, ids, idFrom, count, dst, dstFrom, dstStride);
        } else {
            for (int j = 0; j < count; j++) {
                MemorySegment.copy(src, ids.getAtIndex(I32, idFrom + j) * rowBytes, dst, dstFrom + j * dstStride, rowBytes);
            }
        }
    }

    /**
     * Zeros {@code count} windows of {@code rowBytes} at {@code dstFrom}, {@code dstFrom + dstStride}, ... (a sequence
     * gather's padding positions inside a wider output row). A window of 1, 2, 4 or 8 whole vectors takes that many
     * vector stores, through a switch whose cases fall into each other; others a fill. Per 128-byte window in a
     * 256-byte row (a scratch probe, 25,600 windows, one thread): 96 µs for these stores, 236 for a fill of the
     * window's slice, 347 for the scalar loop the gather had.
     */
    @SuppressWarnings("fallthrough")
    static void zeros(MemorySegment dst, long dstFrom, int count, long dstStride, long rowBytes) {
        long vectors = rowBytes % VB == 0 ? rowBytes / VB : 0;
        if (vectors != 1 && vectors != 2 && vectors != 4 && vectors != 8) {
            for (int j = 0; j < count; j++) {
                dst.asSlice(dstFrom + j * dstStride, rowBytes).fill((byte) 0);
            }
            return;
        }
        FloatVector z = FloatVector.zero(S);
        int v = (int) vectors;
        for (int j = 0; j < count; j++) {
            long d = dstFrom + j * dstStride;
            switch (v) {
                case 8:
                    z.intoMemorySegment(dst, d + 7 * VB, NO);
                    z.intoMemorySegment(dst, d + 6 * VB, NO);
                    z.intoMemorySegment(dst, d + 5 * VB, NO);
                    z.intoMemorySegment(dst, d + 4 * VB, NO);
                    // fall through: the first four vectors
                case 4:
                    z.intoMemorySegment(dst, d + 3 * VB, NO);
                    z.intoMemorySegment(dst, d + 2 * VB, NO);
                    // fall through
                case 2:
                    z.intoMemorySegment(dst, d + VB, NO);
                    // fall through
                default:
                    z.intoMemorySegment(dst, d, NO);
            }
        }
    }

    private static void rows1(MemorySegment src, long rowBytes, MemorySegment ids, long idFrom, int count,
                              MemorySegment dst, long dstFrom, long dstStride) {
        for (int j = 0; j < count; j++) {
            long s = ids.getAtIndex(I32, idFrom + j) * rowBytes;
            FloatVector.fromMemorySegment(S, src, s, NO).intoMemorySegment(dst, dstFrom + j * dstStride, NO);
        }
    }

    private static void rows2(MemorySegment src, long rowBytes, MemorySegment ids, long idFrom, int count,
                              MemorySegment dst, long dstFrom, long dstStride) {
        for (int j = 0; j < count; j++) {
            long s = ids.getAtIndex(I32, idFrom + j) * rowBytes;
            long d = dstFrom + j * dstStride;
            FloatVector a = FloatVector.fromMemorySegment(S, src, s, NO);
            FloatVector b = FloatVector.fromMemorySegment(S, src, s + VB, NO);
            a.intoMemorySegment(dst, d, NO);
            b.intoMemorySegment(dst, d + VB, NO);
        }
    }

    private static void rows4(MemorySegment src, long rowBytes, MemorySegment ids, long idFrom, int count,
                              MemorySegment dst, long dstFrom, long dstStride) {
        for (int j = 0; j < count; j++) {
            long s = ids.getAtIndex(I32, idFrom + j) * rowBytes;
            long d = dstFrom + j * dstStride;
            FloatVector a = FloatVector.fromMemorySegment(S, src, s, NO);
            FloatVector b = FloatVector.fromMemorySegment(S, src, s + VB, NO);
            FloatVector c = FloatVector.fromMemorySegment(S, src, s + 2 * VB, NO);
            FloatVector e = FloatVector.fromMemorySegment(S, src, s + 3 * VB, NO);
            a.intoMemorySegment(dst, d, NO);
            b.intoMemorySegment(dst, d + VB, NO);
            c.intoMemorySegment(dst, d + 2 * VB, NO);
            e.intoMemorySegment(dst, d + 3 * VB, NO);
        }
    }

    /**
     * Written out like {@link #rows4}, twice: the same body with a helper for four vectors called twice read
     * 1.05–1.24× the time of this one ({@code EmbeddingBench.gatherSequence}, 64 floats, JarAB both orders).
     */
    private static void rows8(MemorySegment src, long rowBytes, MemorySegment ids, long idFrom, int count,
                              MemorySegment dst, long dstFrom, long dstStride) {
        for (int j = 0; j < count; j++) {
            long s = ids.getAtIndex(I32, idFrom + j) * rowBytes;
            long d = dstFrom + j * dstStride;
            FloatVector a = FloatVector.fromMemorySegment(S, src, s, NO);
            FloatVector b = FloatVector.fromMemorySegment(S, src, s + VB, NO);
            FloatVector c = FloatVector.fromMemorySegment(S, src, s + 2 * VB, NO);
            FloatVector e = FloatVector.fromMemorySegment(S, src, s + 3 * VB, NO);
            a.intoMemorySegment(dst, d, NO);
            b.intoMemorySegment(dst, d + VB, NO);
            c.intoMemorySegment(dst, d + 2 * VB, NO);
            e.intoMemorySegment(dst, d + 3 * VB, NO);
            a = FloatVector.fromMemorySegment(S, src, s + 4 * VB, NO);
            b = FloatVector.fromMemorySegment(S, src, s + 5 * VB, NO);
            c = FloatVector.fromMemorySegment(S, src, s + 6 * VB, NO);
            e = FloatVector.fromMemorySegment(S, src, s + 7 * VB, NO);
            a.intoMemorySegment(dst, d + 4 * VB, NO);
            b.intoMemorySegment(dst, d + 5 * VB, NO);
            c.intoMemorySegment(dst, d + 6 * VB, NO);
            e.intoMemorySegment(dst, d + 7 * VB, NO);
        }
    }
}
