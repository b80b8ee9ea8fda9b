package io.din4j.backend.cpu;

import java.lang.management.ManagementFactory;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector ISA the cpu backend runs on, found once at class initialisation, and the register blocking that
 * follows from it (as BLIS and MLAS choose a micro-kernel per ISA).
 *
 * <p>Two facts shape every GEMM tile: the lane count of the preferred species, and how many vector registers the
 * hardware has — 32 on AVX-512 (zmm0–31, and xmm/ymm16–31 when C2 is limited to narrower vectors) and on ARM
 * NEON/SVE, 16 on AVX2 and older x86. A tile of R rows × V vectors needs R·V accumulators, V registers for the
 * B row and one for the broadcast A element; past the register file C2 spills accumulators to the stack inside
 * the k loop, which cost the AVX2 host 40–50% of its FMA rate with tiles sized for 32 registers.
 *
 * <p>The register count comes from the JVM's own {@code UseAVX} flag (3 means EVEX encoding, hence 32 registers)
 * so that {@code -XX:UseAVX=2} on an AVX-512 host gets the AVX2 plan, exactly as the JIT does. The system property
 * {@code din4j.cpu.vectorRegisters} (16 or 32) overrides it, so tests can run either plan on any host.
 */
final class VectorIsa {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector. */
    static final int LANES = SPECIES.length();
    /** Architectural vector registers C2 can allocate. */
    static final int REGISTERS = registers();
    static final String PROPERTY = "din4j.cpu.vectorRegisters";

    private VectorIsa() {
    }

    /** One line for logs and benchmark reports, e.g. {@code "256-bit vectors (8 f32 lanes), 16 registers, UseAVX=2"}. */
    static String describe() {
        String avx = vmOption("UseAVX");
        return LANES * 32 + "-bit vectors (" + LANES + " f32 lanes), " + REGISTERS + " registers, "
                + System.getProperty("os.arch") + (avx == null ? "" : ", UseAVX=" + avx);
    }

    private static int registers() {
        String forced = System.getProperty(PROPERTY);
        if (forced != null) {
            int r;
            try {
                r = Integer.parseInt(forced.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(PROPERTY + " must be 16 or 32, got '" + forced + "'");
            }
            if (r != 16 && r != 32) {
                throw new IllegalArgumentException(PROPERTY + " must be 16 or 32, got " + r);
            }
            return r;
        }
        String arch = System.getProperty("os.arch", "");
        if (arch.equals("aarch64") || arch.equals("arm64")) {
            return 32;
        }
        String avx = vmOption("UseAVX");
        if (avx != null) {
            try {
                return Integer.parseInt(avx) >= 3 ? 32 : 16;
            } catch (NumberFormatException e) {
                return 16;
            }
        }
        // Not HotSpot on x86 or the flag is hidden: a 512-bit preferred species implies EVEX.
        return LANES >= 16 ? 32 : 16;
    }

    /** A HotSpot VM option's value, or null where the VM does not have it. */
    static String vmOption(String name) {
        try {
            var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return bean == null ? null : bean.getVMOption(name).getValue();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }
}
