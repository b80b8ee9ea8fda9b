package io.din4j.backend.reference;

import io.din4j.backend.TensorOps;
import io.din4j.backend.ValueChecks;
import io.din4j.tensor.Tensor;
import java.util.List;

/** TensorOps of the reference backend. */
final class RefTensorOps implements TensorOps {
    @Override
    public void fill(Tensor t, float value) {
        ValueChecks.value("t", t, true);
        for (long i = 0; i < t.size(); i++) {
            t.set(i, value);
        }
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        ValueChecks.value("src", src, true);
        ValueChecks.value("dst", dst, true);
        ValueChecks.sameSize("dst", dst, "src", src);
        if (src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException("dst: expected type " + src.dtype() + " like src, got " + dst);
        }
        for (long i = 0; i < src.size(); i++) {
            dst.set(i, src.get(i));
        }
    }

    @Override
    public void addInto(Tensor dst, Tensor src) {
        ValueChecks.value("dst", dst, true);
        ValueChecks.value("src", src, true);
        ValueChecks.sameSize("src", src, "dst", dst);
        for (long i = 0; i < dst.size(); i++) {
            dst.set(i, dst.get(i) + src.get(i));
        }
    }

    @Override
    public void scale(Tensor t, float s) {
        ValueChecks.value("t", t, true);
        for (long i = 0; i < t.size(); i++) {
            t.set(i, t.get(i) * s);
        }
    }

    @Override
    public void concatColumns(List<Tensor> parts, Tensor out) {
        int[] widths = ValueChecks.columnWidths("parts", parts, out, true);
        for (Tensor p : parts) {
            if (p == null) {
                throw new IllegalArgumentException("parts: null entry");
            }
        }
        long total = out.dim(-1);
        long n = total == 0 ? 0 : out.size() / total;
        long col = 0;
        for (int i = 0; i < widths.length; i++) {
            Tensor p = parts.get(i);
            for (long r = 0; r < n; r++) {
                for (long j = 0; j < widths[i]; j++) {
                    out.set(r * total + col + j, p.get(r * widths[i] + j));
                }
            }
            col += widths[i];
        }
    }

    @Override
    public void splitColumnsAdd(Tensor dOut, List<Tensor> dParts) {
        splitAdd(dOut, dParts, ValueChecks.columnWidths("dParts", dParts, dOut, true));
    }

    @Override
    public void splitColumnsAdd(Tensor dOut, List<Tensor> dParts, int[] widths) {
        ValueChecks.columnWidths("dParts", dParts, widths, dOut, true);
        splitAdd(dOut, dParts, widths);
    }

    private static void splitAdd(Tensor dOut, List<Tensor> dParts, int[] widths) {
        long total = dOut.dim(-1);
        long n = total == 0 ? 0 : dOut.size() / total;
        long col = 0;
        for (int i = 0; i < widths.length; i++) {
            Tensor p = dParts.get(i);
            if (p != null) {
                for (long r = 0; r < n; r++) {
                    for (long j = 0; j < widths[i]; j++) {
                        long k = r * widths[i] + j;
                        p.set(k, p.get(k) + dOut.get(r * total + col + j));
                    }
                }
            }
            col += widths[i];
        }
    }

    @Override
    public double sumSquares(Tensor t) {
        ValueChecks.value("t", t, true);
        double s = 0;
        for (long i = 0; i < t.size(); i++) {
            double v = t.get(i);
            s += v * v;
        }
        return s;
    }
}
