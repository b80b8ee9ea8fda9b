package io.din4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The ISA found at start-up and the tile plans that follow from it, under whichever JVM flags the run uses. */
class VectorIsaTest {
    @Test
    void isaFollowsTheJvm() {
        System.out.println("cpu backend ISA: " + VectorIsa.describe());
        String bits = System.getProperty(VectorIsa.BITS_PROPERTY);
        int preferred = FloatVector.SPECIES_PREFERRED.length();
        assertEquals(bits == null ? preferred : Integer.parseInt(bits) / 32, VectorIsa.LANES);
        assertEquals(VectorIsa.LANES > preferred, VectorIsa.EMULATED);
        String forced = System.getProperty(VectorIsa.PROPERTY);
        if (forced != null) {
            assertEquals(Integer.parseInt(forced), VectorIsa.REGISTERS);
        } else if (VectorIsa.EMULATED) {
            assertEquals(VectorIsa.LANES >= 16 ? 32 : 16, VectorIsa.REGISTERS);
        }
        String max = VectorIsa.vmOption("MaxVectorSize");
        if (max != null && !VectorIsa.EMULATED) {
            assertTrue(VectorIsa.LANES * 4 <= Integer.parseInt(max), VectorIsa.describe() + ", MaxVectorSize=" + max);
        }
    }

    @Test
    void vectorBitsTakesTheThreeWidthsAndNamesAnythingElse() {
        assertEquals(256, VectorIsa.vectorBits(null, 256));
        assertEquals(512, VectorIsa.vectorBits(" ", 512));
        for (int bits : new int[] {128, 256, 512}) {
            assertEquals(bits, VectorIsa.vectorBits(" " + bits + " ", 256));
        }
        for (String bad : new String[] {"64", "1024", "wide", "256.0"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VectorIsa.vectorBits(bad, 256));
            assertTrue(e.getMessage().startsWith(VectorIsa.BITS_PROPERTY + " must be 128, 256 or 512, got "), e.getMessage());
        }
    }

    /** Every plan covers its columns exactly, and no tile holds more accumulators than the register file allows. */
    @Test
    void plansCoverTheColumnsAndFitTheRegisters() {
        for (int nv = 0; nv <= 300; nv++) {
            int[][] plans = {SeqKernels.plan(nv), SeqKernels.planTN(nv), Gemm.panelPlan(nv)};
            for (int p = 0; p < plans.length; p++) {
                int[] plan = plans[p];
                // the sequence kernels take the wide tiles at 128 bits or when asked (SeqKernels.WIDE_TILES); the dense
                // GEMM's tiles are Gemm.ROWS rows high
                boolean gemm = p == 2;
                boolean wide = gemm ? VectorIsa.REGISTERS >= 32 : SeqKernels.WIDE_TILES;
                int maxAccumulators = gemm ? (wide ? 24 : 12) : (wide ? 20 : 12);
                assertEquals(nv, Arrays.stream(plan).sum(), "nv=" + nv + " plan " + Arrays.toString(plan));
                for (int v : plan) {
                    int rows = gemm ? (v == 5 ? Gemm.R : Gemm.ROWS) : wide ? (v == 3 ? 6 : 4) : (v == 2 ? 6 : v == 3 ? 3 : 4);
                    assertTrue(v >= 1 && v * (gemm ? rows : Math.min(rows, 4)) <= maxAccumulators,
                            "nv=" + nv + " plan " + Arrays.toString(plan) + " on " + VectorIsa.REGISTERS + " registers");
                    if (p == 1) {
                        // gemmTN's tiles: rows × v accumulators, v vectors of B and a broadcast in the register file
                        int tnRows = v == 2 || v == 1 && SeqKernels.TN_ROWS == 8 ? SeqKernels.TN_ROWS : 4;
                        assertTrue(tnRows * v + v + 1 <= VectorIsa.REGISTERS,
                                "nv=" + nv + " transposed plan " + Arrays.toString(plan) + " on " + VectorIsa.REGISTERS + " registers");
                    }
                }
            }
        }
    }
}
