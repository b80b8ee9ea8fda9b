package io.din4j.model;

import io.din4j.graph.HostIO;
import io.din4j.graph.Param;
import io.din4j.graph.ParamStore;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Deterministic parameter initialisation. Each tensor draws from its own stream, seeded by the model seed and the
 * tensor's name, so the values do not depend on the order in which tensors are created.
 */
public final class Init {
    private Init() {
    }

    private static SplittableRandom stream(long seed, String name) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ name.hashCode() * 0xC2B2AE3D27D4EB4FL);
    }

    /** Uniform in {@code [−bound, bound]}. */
    public static void uniform(ParamStore ps, Param p, double bound, long seed) {
        SplittableRandom r = stream(seed, p.name());
        double[] v = new double[Math.toIntExact(p.value().size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (2 * r.nextDouble() - 1) * bound;
        }
        HostIO.upload(ps.backend(), p.value(), v);
        p.changed();
    }

    /**
     * LeCun uniform for a {@code [out, in]} weight: variance 1/in, which keeps activations of the stacked layers at
     * a stable scale whatever the layer's output width (wide expert layers included).
     */
    public static void lecun(ParamStore ps, Param w, long seed) {
        uniform(ps, w, Math.sqrt(3.0 / w.value().dim(1)), seed);
    }

    /** Every element set to {@code value}. */
    public static void constant(ParamStore ps, Param p, double value) {
        double[] v = new double[Math.toIntExact(p.value().size())];
        Arrays.fill(v, value);
        HostIO.upload(ps.backend(), p.value(), v);
        p.changed();
    }
}
