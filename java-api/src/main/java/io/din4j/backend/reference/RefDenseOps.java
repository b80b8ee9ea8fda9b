package io.din4j.backend.reference;

import io.din4j.backend.DenseOps;
import io.din4j.backend.ValueChecks;
import io.din4j.tensor.Tensor;

/** DenseOps of the reference backend. */
final class RefDenseOps implements DenseOps {
    @Override
    public void linear(Tensor x, Tensor w, Tensor b, Tensor y) {
        long[] d = ValueChecks.linear(x, w, "y", y, true);
        long n = d[0], in = d[1], out = d[2];
        if (b != null) {
            ValueChecks.value("b", b, true, out);
        }
        for (long r = 0; r < n; r++) {
            for (long o = 0; o < out; o++) {
                double s = b == null ? 0 : b.get(o);
                for (long i = 0; i < in; i++) {
                    s += x.get(r * in + i) * w.get(o * in + i);
                }
                y.set(r * out + o, s);
            }
        }
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dW, Tensor db) {
        long[] d = ValueChecks.linear(x, w, "dy", dy, true);
        long n = d[0], in = d[1], out = d[2];
        if (dx != null) {
            ValueChecks.rows("dx", dx, true, n, in);
        }
        ValueChecks.value("dW", dW, true, out, in);
        if (db != null) {
            ValueChecks.value("db", db, true, out);
        }
        if (dx != null) {
            for (long r = 0; r < n; r++) {
                for (long i = 0; i < in; i++) {
                    double s = 0;
                    for (long o = 0; o < out; o++) {
                        s += dy.get(r * out + o) * w.get(o * in + i);
                    }
                    dx.set(r * in + i, dx.get(r * in + i) + s);
                }
            }
        }
        for (long o = 0; o < out; o++) {
            for (long i = 0; i < in; i++) {
                double s = 0;
                for (long r = 0; r < n; r++) {
                    s += dy.get(r * out + o) * x.get(r * in + i);
                }
                dW.set(o * in + i, dW.get(o * in + i) + s);
            }
            if (db != null) {
                double s = 0;
                for (long r = 0; r < n; r++) {
                    s += dy.get(r * out + o);
                }
                db.set(o, db.get(o) + s);
            }
        }
    }
}
