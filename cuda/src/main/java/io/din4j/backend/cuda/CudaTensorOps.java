package io.din4j.backend.cuda;

import io.din4j.backend.TensorOps;
import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import java.util.List;

/** TensorOps on the device. */
final class CudaTensorOps implements TensorOps {
    private final Kernels k;

    CudaTensorOps(Kernels k) {
        this.k = k;
    }

    @Override
    public void fill(Tensor t, float value) {
        if (t.dtype() == DType.I32) {
            // fill_forward writes 4-byte words: pass the int's bit pattern
            Kernels.i32("t", t);
            k.fill(t.deviceAddress(), t.size(), Float.intBitsToFloat((int) value));
            return;
        }
        Kernels.f32("t", t);
        k.fill(t.deviceAddress(), t.size(), value);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        Kernels.dev("src", src, src.dtype() == DType.I32 ? DType.I32 : DType.F32);
        Kernels.dev("dst", dst, src.dtype());
        Kernels.sameSize("copy", src, dst);
        k.elementwise("copy_forward", src.size(), KernelArgs.of().ptr(src).ptr(dst).i64(src.size()));
    }

    @Override
    public void addInto(Tensor dst, Tensor src) {
        Kernels.f32("dst", dst);
        Kernels.f32("src", src);
        Kernels.sameSize("addInto", dst, src);
        k.elementwise("add_into_forward", dst.size(), KernelArgs.of().ptr(dst).ptr(src).i64(dst.size()));
    }

    @Override
    public void scale(Tensor t, float s) {
        Kernels.f32("t", t);
        k.elementwise("scale_forward", t.size(), KernelArgs.of().ptr(t).f32(s).i64(t.size()));
    }

    private static long[] layout(List<Tensor> parts, Tensor whole, String partName) {
        int cols = whole.rank() == 0 ? 1 : whole.dimInt(-1);
        long rows = cols == 0 ? 0 : whole.size() / cols;
        long sum = 0;
        for (int i = 0; i < parts.size(); i++) {
            Tensor p = parts.get(i);
            if (p == null) {
                throw new IllegalArgumentException(partName + "[" + i + "] must not be null");
            }
            Kernels.f32(partName + "[" + i + "]", p);
            long d = p.rank() == 0 ? 1 : p.dim(-1);
            if (d * rows != p.size()) {
                throw new IllegalArgumentException(partName + "[" + i + "] " + p + " does not have " + rows + " rows");
            }
            sum += d;
        }
        if (sum != cols) {
            throw new IllegalArgumentException("parts have " + sum + " columns in all, the whole has " + cols);
        }
        return new long[] {rows, cols};
    }

    @Override
    public void concatColumns(List<Tensor> parts, Tensor out) {
        Kernels.f32("out", out);
        long[] rc = layout(parts, out, "parts");
        int off = 0;
        for (Tensor p : parts) {
            int d = p.rank() == 0 ? 1 : p.dimInt(-1);
            k.elementwise("copy_columns_forward", rc[0] * d,
                    KernelArgs.of().ptr(p).i32(d).ptr(out).i32((int) rc[1]).i32(off).i64(rc[0]));
            off += d;
        }
    }

    @Override
    public void splitColumnsAdd(Tensor dOut, List<Tensor> dParts) {
        Kernels.f32("dOut", dOut);
        int cols = dOut.rank() == 0 ? 1 : dOut.dimInt(-1);
        int[] widths = new int[dParts.size()];
        int known = 0;
        int nulls = 0;
        for (int i = 0; i < widths.length; i++) {
            Tensor p = dParts.get(i);
            if (p == null) {
                nulls++;
            } else {
                widths[i] = p.rank() == 0 ? 1 : p.dimInt(-1);
                known += widths[i];
            }
        }
        if (nulls > 1) {
            throw new IllegalArgumentException("dParts: " + nulls + " null entries; give the widths explicitly");
        }
        for (int i = 0; i < widths.length; i++) {
            if (dParts.get(i) == null) {
                widths[i] = cols - known;
            }
        }
        splitColumnsAdd(dOut, dParts, widths);
    }

    @Override
    public void splitColumnsAdd(Tensor dOut, List<Tensor> dParts, int[] widths) {
        Kernels.f32("dOut", dOut);
        int cols = dOut.rank() == 0 ? 1 : dOut.dimInt(-1);
        long rows = cols == 0 ? 0 : dOut.size() / cols;
        if (widths == null || widths.length != dParts.size()) {
            throw new IllegalArgumentException("widths: expected " + dParts.size() + " entries, got "
                    + (widths == null ? "null" : widths.length));
        }
        long sum = 0;
        for (int i = 0; i < widths.length; i++) {
            if (widths[i] < 0) {
                throw new IllegalArgumentException("widths[" + i + "] = " + widths[i] + " is negative");
            }
            sum += widths[i];
            Tensor p = dParts.get(i);
            if (p != null) {
                Kernels.f32("dParts[" + i + "]", p);
                if ((long) widths[i] * rows != p.size()) {
                    throw new IllegalArgumentException("dParts[" + i + "] " + p + " is not [" + rows + ", " + widths[i] + "]");
                }
            }
        }
        if (sum != cols) {
            throw new IllegalArgumentException("widths sum to " + sum + ", dOut has " + cols + " columns");
        }
        int off = 0;
        for (int i = 0; i < widths.length; i++) {
            Tensor p = dParts.get(i);
            if (p != null) {
                k.elementwise("add_columns_backward", rows * widths[i],
                        KernelArgs.of().ptr(dOut).i32(cols).ptr(p).i32(widths[i]).i32(off).i64(rows));
            }
            off += widths[i];
        }
    }

    @Override
    public double sumSquares(Tensor t) {
        Kernels.f32("t", t);
        if (t.size() == 0) {
            return 0;
        }
        long sum = k.scratch("sumsq.sum", 8);
        sumSquaresInto(t, sum);
        return k.readDoubles(sum, 1)[0];
    }

    /** Σt² into {@code out[0]} (f64), left on the device. */
    @Override
    public void sumSquares(Tensor t, Tensor out) {
        Kernels.f32("t", t);
        Kernels.dev("out", out, io.din4j.tensor.DType.F64);
        if (out.size() < 1) {
            throw new IllegalArgumentException("out: expected at least one element, got " + out);
        }
        if (t.size() == 0) {
            k.fill(out.deviceAddress(), 2, 0f);  // an f64 zero is two zero words
            return;
        }
        sumSquaresInto(t, out.deviceAddress());
    }

    private void sumSquaresInto(Tensor t, long out) {
        long n = t.size();
        int blocks = Math.min(k.blocks(n), 1024);
        long partial = k.scratch("sumsq.partial", 8L * blocks);
        k.device.launch("sum_squares_forward", Dim3.of(blocks), Dim3.of(Kernels.THREADS), 0,
                KernelArgs.of().ptr(t).i64(n).ptr(partial));
        k.reducePartials(partial, blocks, 1, out);
    }
}
