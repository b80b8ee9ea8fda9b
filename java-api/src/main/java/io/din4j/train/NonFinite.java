package io.din4j.train;

import io.din4j.backend.Backend;
import io.din4j.graph.HostIO;
import io.din4j.tensor.Tensor;

/** Locates NaNs and infinities for fault messages (failure path only: it reads tensors element by element). */
final class NonFinite {
    /** Device tensors larger than this are not downloaded to locate the element; the message then says less. */
    private static final long MAX_DOWNLOAD = 1L << 24;

    private NonFinite() {
    }

    /** "NaN at index 12" for the first non-finite element of {@code t}, or null when every element is finite. */
    static String describe(Backend backend, Tensor t) {
        if (t.isHost()) {
            for (long i = 0; i < t.size(); i++) {
                double v = t.get(i);
                if (!Double.isFinite(v)) {
                    return v + " at index " + i;
                }
            }
            return null;
        }
        if (t.size() > MAX_DOWNLOAD) {
            return Double.isFinite(backend.tensor().sumSquares(t)) ? null : "a NaN or infinity";
        }
        double[] d = HostIO.download(backend, t);
        for (int i = 0; i < d.length; i++) {
            if (!Double.isFinite(d[i])) {
                return d[i] + " at index " + i;
            }
        }
        return null;
    }
}
