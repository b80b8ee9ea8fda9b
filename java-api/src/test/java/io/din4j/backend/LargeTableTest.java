package io.din4j.backend;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.backend.cpu.CpuBackend;
import io.din4j.backend.reference.ReferenceBackend;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * An embedding table larger than 2 GiB really allocated on the host: gathers, the sparse gradient and a sparse
 * update must reach rows whose byte offset does not fit in an int (any int offset arithmetic would wrap to a
 * negative or a wrong row and fail here).
 */
class LargeTableTest {
    private static final int D = 32;
    /** 2^24 + 1000 rows of 32 f32 = 2 GiB + 128,000 bytes. */
    private static final long V = (1L << 24) + 1000;

    @Test
    void rowsBeyondTwoGigabytesAreGatheredAndUpdated() {
        try (HostArena arena = new HostArena(); Backend cpu = new CpuBackend(2); Backend ref = new ReferenceBackend()) {
            Tensor table = arena.f32(V, D);
            assertTrue(table.byteSize() > (1L << 31), "table must exceed 2 GiB");
            // Mark the rows we read with values derived from their index, so a wrong row is detected.
            int[] picked = {0, (int) ((1L << 24) - 1), (int) (1L << 24), (int) (V - 1)};
            for (int row : picked) {
                for (int c = 0; c < D; c++) {
                    table.setFloat((long) row * D + c, row % 9973 + c / 64f + 0.5f);
                }
            }
            Tensor ids = arena.i32(picked.length).copyFrom(picked);
            for (Backend b : new Backend[] {cpu, ref}) {
                Tensor out = arena.f32(picked.length, D);
                b.embedding().gather(table, ids, out);
                for (int i = 0; i < picked.length; i++) {
                    for (int c = 0; c < D; c++) {
                        assertEquals(picked[i] % 9973 + c / 64f + 0.5f, out.getFloat((long) i * D + c),
                                b.name() + " gather of row " + picked[i] + " column " + c);
                    }
                }

                Tensor dOut = arena.f32(picked.length, D);
                b.tensor().fill(dOut, 1f);
                SparseGrad grad = b.embedding().newSparseGrad(arena, V, D, picked.length);
                b.embedding().gatherBackward(ids, dOut, grad);
                assertEquals(picked.length, grad.count());
                float before = table.getFloat((V - 1) * D);
                float neighbour = table.getFloat((V - 2) * D);
                b.optimizer().sgdSparse(table, grad, 0.25f);
                assertEquals(before - 0.25f, table.getFloat((V - 1) * D), b.name() + " sparse SGD on the last row");
                assertEquals(neighbour, table.getFloat((V - 2) * D), b.name() + " untouched neighbour row changed");
                // restore for the next backend
                b.optimizer().sgdSparse(table, grad, -0.25f);
            }
        }
    }
}
