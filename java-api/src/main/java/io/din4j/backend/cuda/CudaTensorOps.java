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
        int cols = dOut.dimInt(-1);
        long rows = cols == 0 ? 0 : dOut.size() / cols;
        int off = 0;
        long sum = 0;
        for (Tensor p : dParts) {
            sum += p == null ? 0 : p.dim(-1);
        }
        // null parts have no tensor to tell their width: it is the remainder only when exactly one part is null
        int nulls = (int) dParts.stream().filter(p -> p == null).count();
        if (nulls == 0 && sum != cols) {
            throw new IllegalArgumentException("dParts have " + sum + " columns in all, dOut has " + cols);
        }
        if (nulls > 1) {
            throw new IllegalArgumentException("splitColumnsAdd cannot infer the widths of " + nulls + " null parts");
        }
        for (int i = 0; i < dParts.size(); i++) {
            Tensor p = dParts.get(i);
            if (p == null) {
                off += (int) (cols - sum);
                continue;
            }
            Kernels.f32("dParts[" + i + "]", p);
            int d = p.dimInt(-1);
            if ((long) d * rows != p.size()) {
                throw new IllegalArgumentException("dParts[" + i + "] " + p + " does not have " + rows + " rows");
            }
            k.elementwise("add_columns_backward", rows * d,
                    KernelArgs.of().ptr(dOut).i32(cols).ptr(p).i32(d).i32(off).i64(rows));
            off += d;
        }
    }

    @Override
    public double sumSquares(Tensor t) {
        Kernels.f32("t", t);
        long n = t.size();
        if (n == 0) {
            return 0;
        }
        int blocks = Math.min(k.blocks(n), 1024);
        long partial = k.scratch("sumsq.partial", 8L * blocks);
        long sum = k.scratch("sumsq.sum", 8);
        k.device.launch("sum_squares_forward", Dim3.of(blocks), Dim3.of(Kernels.THREADS), 0,
                KernelArgs.of().ptr(t).i64(n).ptr(partial));
        k.reducePartials(partial, blocks, 1, sum);
        return k.readDoubles(sum, 1)[0];
    }
}
