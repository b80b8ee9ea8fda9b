package io.din4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.din4j.data.Batch;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The bench's statistics and its random inputs. */
class BenchCommandTest {
    @Test
    void percentilesInterpolateBetweenNeighbours() {
        double[] s = {1, 2, 3, 4, 5};
        assertEquals(1, BenchCommand.percentile(s, 0), 0);
        assertEquals(1.4, BenchCommand.percentile(s, 0.1), 1e-12);
        assertEquals(3, BenchCommand.percentile(s, 0.5), 0);
        assertEquals(4.6, BenchCommand.percentile(s, 0.9), 1e-12);
        assertEquals(5, BenchCommand.percentile(s, 1), 0);
        assertEquals(2.5, BenchCommand.percentile(new double[] {2, 3}, 0.5), 0, "the median of an even count is the mean of the middle two");
        assertEquals(7, BenchCommand.percentile(new double[] {7}, 0.9), 0);
    }

    @Test
    void rotatedBatchesTouchDifferentRowsWithinEveryTable() {
        int[] sizes = {50, 1000, 20, 1};
        int[] seqTables = {1, 2};
        Batch[] b = BenchCommand.randomBatches(3, 16, 5, sizes, seqTables, 2, 2, 7);
        assertEquals(3, b.length);
        assertFalse(Arrays.equals(b[0].sequence(0), b[1].sequence(0)), "the batches differ");
        assertArrayEquals(b[1].sequence(0), BenchCommand.randomBatch(16, 5, sizes, seqTables, 2, 2, 8).sequence(0), "seeded: repeatable");
        for (Batch x : b) {
            assertEquals(16, x.size());
            assertEquals(5, x.history());
            assertEquals(2, x.denseFeatures());
            assertEquals(2, x.tasks());
            for (int f = 0; f < sizes.length; f++) {
                int rows = sizes[f];
                assertTrue(Arrays.stream(x.sparse(f)).allMatch(id -> rows == 1 ? id == 0 : id >= 1 && id < rows), "field " + f);
            }
            for (int s = 0; s < seqTables.length; s++) {
                int rows = sizes[seqTables[s]];
                assertEquals(16 * 5, x.sequence(s).length);
                assertTrue(Arrays.stream(x.sequence(s)).allMatch(id -> id >= 1 && id < rows), "sequence " + s);
            }
        }
    }
}
