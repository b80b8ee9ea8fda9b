package io.din4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Arrays allocated on a cache line, copies that keep their values, and the collection counter that says when to re-check. */
class AlignedArraysTest {
    /**
     * The test JVMs run with native access enabled (the library's documented flags), so addresses must be readable,
     * and alignment on wherever an array's header leaves element 0 on an 8-byte boundary (not with compact headers).
     */
    @Test
    void enabledUnderTheDocumentedFlags() {
        assumeTrue(AlignedArrays.class.getModule().isNativeAccessEnabled(), "native access is not enabled in this JVM");
        assumeTrue(Boolean.parseBoolean(System.getProperty(AlignedArrays.PROPERTY, "true")), "turned off by property");
        assertTrue(AlignedArrays.linked(), "native access is enabled, yet the address downcall is not linked");
        boolean headerOnWords = AlignedArrays.address(new float[0]) % 8 == 0;
        assertEquals(headerOnWords, AlignedArrays.ENABLED, "alignment on exactly where element 0 can be on a line");
    }

    @Test
    void allocatesZeroedArraysOnACacheLine() {
        Random random = new Random(3);
        int[] sizes = {0, 1, 2, 15, 16, 17, 1000, 4097, 100_000, AlignedArrays.MAX_FLOATS, AlignedArrays.MAX_FLOATS + 1,
            1 + random.nextInt(50_000)};
        for (int n : sizes) {
            // Several in a row: each leaves the allocation pointer somewhere else for the next. Alignment is best
            // effort (a thread's allocation buffer or G1's region may end between the probe and the array, up to
            // the last attempt), so one miss in 20 is allowed; a broken prediction misses most.
            int misses = 0;
            for (int rep = 0; rep < 20; rep++) {
                float[] a = AlignedArrays.floats(n);
                assertEquals(n, a.length);
                for (float v : a) {
                    assertEquals(0f, v);
                }
                if (AlignedArrays.ENABLED && n > 0 && n <= AlignedArrays.MAX_FLOATS) {
                    misses += AlignedArrays.address(a) % AlignedArrays.LINE == 0 ? 0 : 1;
                } else {
                    assertTrue(AlignedArrays.aligned(a), "n=" + n + ": arrays that cannot be aligned count as aligned");
                }
            }
            assertTrue(misses <= 1, "n=" + n + ": " + misses + " of 20 arrays not on a cache line");
        }
    }

    /** Enough calls for the JIT to compile the allocation (which may then allocate less around the address calls). */
    @Test
    void staysAlignedOnceCompiled() {
        assumeTrue(AlignedArrays.ENABLED, "alignment is off in this JVM");
        int misaligned = 0;
        long sink = 0;
        for (int i = 0; i < 30_000; i++) {
            float[] a = AlignedArrays.floats(1 + (i * 7) % 300);
            misaligned += AlignedArrays.address(a) % AlignedArrays.LINE == 0 ? 0 : 1;
            sink += a.length;
        }
        assertTrue(misaligned <= 30, misaligned + " of 30,000 arrays (" + sink + " floats) not on a cache line");
    }

    @Test
    void realignedKeepsTheValues() {
        Random random = new Random(5);
        for (int rep = 0; rep < 50; rep++) {
            float[] a = new float[1 + random.nextInt(3000)];
            for (int i = 0; i < a.length; i++) {
                a[i] = random.nextFloat();
            }
            float[] copy = a.clone();
            float[] b = AlignedArrays.realigned(a);
            assertArrayEquals(copy, b);
            assertTrue(AlignedArrays.aligned(b));
            if (AlignedArrays.aligned(a)) {
                assertSame(a, b);
            }
        }
        assertEquals(null, AlignedArrays.realigned(null));
        float[][] rows = {new float[33], null, AlignedArrays.floats(8)};
        rows[0][32] = 7f;
        AlignedArrays.realign(rows);
        assertEquals(7f, rows[0][32]);
        assertTrue(AlignedArrays.aligned(rows[0]) && rows[1] == null && AlignedArrays.aligned(rows[2]));
    }

    @Test
    void epochMovesAfterACollection() {
        int before = AlignedArrays.gcEpoch();
        assertEquals(before, AlignedArrays.gcEpoch());
        int after = before;
        // System.gc() may be turned into a no-op (-XX:+DisableExplicitGC); garbage makes a collection anyway.
        for (int i = 0; i < 200 && after == before; i++) {
            System.gc();
            after = AlignedArrays.gcEpoch();
        }
        assertNotEquals(before, after, "no collection seen after 200 System.gc() calls");
    }
}
