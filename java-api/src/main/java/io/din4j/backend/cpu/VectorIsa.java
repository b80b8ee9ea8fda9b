package io.din4j.backend.cpu;

import java.lang.management.ManagementFactory;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
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
 *
 * <p>The species is the preferred one, unless the system property {@code din4j.cpu.vectorBits} (128, 256 or 512)
 * names another. Narrower than the hardware's widest, C2 compiles it to vector instructions of that width (on the
 * AVX2 server, 1024×256→128 ran at 62% and 86% of the 128-bit peak in two JVMs with the property and 84% with
 * {@code -XX:MaxVectorSize=16}: the host's noise, no gap shown). Wider, C2 cannot compile the vectors and every
 * operation runs the Vector API's Java fallback: correct, and tens of times slower (the CLI's host probe, an FMA
 * loop, took 14 ms against ~0.3 native on the AVX2 server). That is what it is for: on a host without AVX-512 the
 * tests still run every kernel's 512-bit code (16-lane rows, 512-bit tile plans, the row copies of 2 and 4 vectors)
 * against the reference (java-api/pom.xml, execution {@code vectors-512}).
 * A wider width implies 32 registers unless {@code din4j.cpu.vectorRegisters} says otherwise, as EVEX does.
 * This class is the only place in the cpu backend that names a species (OneVectorSpeciesTest).
 */
final class VectorIsa {
    static final String PROPERTY = "din4j.cpu.vectorRegisters";
    static final String BITS_PROPERTY = "din4j.cpu.vectorBits";
    /** The widest vectors C2 compiles in this JVM (under its flags). */
    static final int HARDWARE_BITS = FloatVector.SPECIES_PREFERRED.vectorBitSize();
    /** The one float species of every kernel in the backend. */
    static final VectorSpecies<Float> SPECIES = VectorSpecies.of(float.class,
            VectorShape.forBitSize(vectorBits(System.getProperty(BITS_PROPERTY), HARDWARE_BITS)));
    /** Float lanes per vector. */
    static final int LANES = SPECIES.length();
    /** True where the species is wider than C2 compiles: every vector operation runs the Java fallback. */
    static final boolean EMULATED = SPECIES.vectorBitSize() > HARDWARE_BITS;
    /** Architectural vector registers C2 can allocate. */
    static final int REGISTERS = registers();

    private VectorIsa() {
    }

    /** One line for logs and benchmark reports, e.g. {@code "256-bit vectors (8 f32 lanes), 16 registers, UseAVX=2"}. */
    static String describe() {
        String avx = vmOption("UseAVX");
        return LANES * 32 + "-bit vectors (" + LANES + " f32 lanes"
                + (EMULATED ? "; emulated, the hardware's widest is " + HARDWARE_BITS + " bits" : "") + "), " + REGISTERS
                + " registers, " + System.getProperty("os.arch") + (avx == null ? "" : ", UseAVX=" + avx);
    }

    /**
     * The vector width in bits that {@code din4j.cpu.vectorBits} asks for ({@code value}; null or blank: the
     * hardware's {@code preferredBits}).
     */
    static int vectorBits(String value, int preferredBits) {
        if (value == null || value.isBlank()) {
            return preferredBits;
        }
        int bits;
        try {
            bits = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(BITS_PROPERTY + " must be 128, 256 or 512, got '" + value + "'");
        }
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException(BITS_PROPERTY + " must be 128, 256 or 512, got " + bits);
        }
        return bits;
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
        if (EMULATED) {
            return LANES >= 16 ? 32 : 16;
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
