package io.din4j.graph;

import io.din4j.backend.Backend;
import io.din4j.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Copies between Java arrays and backend tensors of any value type (outside the hot path). */
public final class HostIO {
    private HostIO() {
    }

    /** Writes {@code values} into {@code t} (f32, f64 or i32 — values are rounded to the tensor's type). */
    public static void upload(Backend backend, Tensor t, double[] values) {
        if (values.length != t.size()) {
            throw new IllegalArgumentException(values.length + " values for " + t);
        }
        try (Arena a = Arena.ofConfined()) {
            Tensor host = Tensor.wrap(t.dtype(), a.allocate(Math.max(1, t.byteSize()), 64).asSlice(0, t.byteSize()), t.shape());
            host.copyFrom(values);
            backend.copyFromHost(host.segment(), t);
        }
    }

    /** Writes {@code values} into {@code t}. */
    public static void upload(Backend backend, Tensor t, float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        upload(backend, t, d);
    }

    /** Reads {@code t} as doubles. */
    public static double[] download(Backend backend, Tensor t) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(Math.max(1, t.byteSize()), 64).asSlice(0, t.byteSize());
            backend.copyToHost(t, seg);
            return Tensor.wrap(t.dtype(), seg, t.shape()).toDoubleArray();
        }
    }

    /** Reads {@code t} as floats. */
    public static float[] downloadFloats(Backend backend, Tensor t) {
        double[] d = download(backend, t);
        float[] f = new float[d.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
