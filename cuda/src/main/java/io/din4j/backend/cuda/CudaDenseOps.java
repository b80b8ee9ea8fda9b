package io.din4j.backend.cuda;

import io.din4j.backend.DenseOps;
import io.din4j.tensor.Tensor;

/** Linear layers: GEMMs on the device's GEMM (cuBLAS on a GPU), bias kernels, deterministic bias gradients. */
final class CudaDenseOps implements DenseOps {
    private final Kernels k;

    CudaDenseOps(Kernels k) {
        this.k = k;
    }

    /** Row-major GEMM on tensors' addresses; nothing to do for empty shapes, scale-only when K = 0. */
    static void gemm(Kernels k, boolean ta, boolean tb, int m, int n, int kk, float alpha, long a, int lda, long b,
                     int ldb, float beta, long c, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        if (kk == 0) {
            if (beta != 1f) {
                for (int r = 0; r < m; r++) {
                    long row = c + 4L * r * ldc;
                    if (beta == 0f) {
                        k.fill(row, n, 0f);
                    } else {
                        k.elementwise("scale_forward", n, KernelArgs.of().ptr(row).f32(beta).i64(n));
                    }
                }
            }
            return;
        }
        k.device.gemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** Checks w [out, in] and x [N, in]; returns {N, in, out}. */
    private static int[] dims(Tensor x, Tensor w) {
        Kernels.f32("w", w).requireRank("w", w.dtype(), 2);
        Kernels.f32("x", x).requireRank("x", x.dtype(), 2);
        int n = x.dimInt(0);
        Kernels.shape("x", x, n, w.dim(1));
        return new int[] {n, w.dimInt(1), w.dimInt(0)};
    }

    @Override
    public void linear(Tensor x, Tensor w, Tensor b, Tensor y) {
        int[] s = dims(x, w);
        int n = s[0];
        int in = s[1];
        int out = s[2];
        Kernels.shape("y", Kernels.f32("y", y), n, out);
        if (b != null) {
            Kernels.shape("b", Kernels.f32("b", b), out);
        }
        gemm(k, false, true, n, out, in, 1f, x.deviceAddress(), in, w.deviceAddress(), in, 0f, y.deviceAddress(), out);
        if (b != null) {
            k.elementwise("bias_add_forward", (long) n * out, KernelArgs.of().ptr(y).ptr(b).i64(n).i32(out));
        }
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dW, Tensor db) {
        int[] s = dims(x, w);
        int n = s[0];
        int in = s[1];
        int out = s[2];
        Kernels.shape("dy", Kernels.f32("dy", dy), n, out);
        if (dx != null) {
            Kernels.shape("dx", Kernels.f32("dx", dx), n, in);
        }
        if (dW != null) {
            Kernels.shape("dW", Kernels.f32("dW", dW), out, in);
        }
        if (db != null) {
            Kernels.shape("db", Kernels.f32("db", db), out);
        }
        if (dx != null) {
            gemm(k, false, false, n, in, out, 1f, dy.deviceAddress(), out, w.deviceAddress(), in, 1f, dx.deviceAddress(), in);
        }
        if (dW != null) {
            gemm(k, true, false, out, in, n, 1f, dy.deviceAddress(), out, x.deviceAddress(), in, 1f, dW.deviceAddress(), in);
        }
        if (db != null) {
            k.columnSumInto(dy.deviceAddress(), n, out, 0L, 1, 1f, db.deviceAddress());
        }
    }
}
