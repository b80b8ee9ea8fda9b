package io.din4j.backend.cuda;

import io.din4j.backend.LossOps;
import io.din4j.tensor.Tensor;

/** BCE on the device: per-block partial sums in double, one ordered reduction, then the gradient kernel. */
final class CudaLossOps implements LossOps {
    private final Kernels k;

    CudaLossOps(Kernels k) {
        this.k = k;
    }

    @Override
    public double bceWithLogits(Tensor logits, Tensor labels, Tensor weights, float scale, Tensor dLogits) {
        long sums = launch(logits, labels, weights, scale, dLogits, 0L);
        if (sums == 0) {
            return 0;
        }
        double[] s = k.readDoubles(sums, 2);
        return s[1] == 0 ? 0 : s[0] / s[1];
    }

    /** The loss stays on the device in {@code lossOut[0]} (f64): no read-back. */
    @Override
    public void bceWithLogits(Tensor logits, Tensor labels, Tensor weights, float scale, Tensor dLogits, Tensor lossOut) {
        Kernels.dev("lossOut", lossOut, io.din4j.tensor.DType.F64);
        if (lossOut.size() < 1) {
            throw new IllegalArgumentException("lossOut: expected at least one element, got " + lossOut);
        }
        if (launch(logits, labels, weights, scale, dLogits, lossOut.deviceAddress()) == 0) {
            k.device.launch("bce_backward", Dim3.of(1), Dim3.of(32), 0, KernelArgs.of().ptr(0L).ptr(0L).ptr(0L).i64(0)
                    .f32(0f).ptr(k.scratch("bce.zero", 16)).ptr(0L).ptr(lossOut));  // B = 0: sums are (0, 0), the loss 0
        }
    }

    /** Checks, launches the loss and its gradient (and the loss into {@code lossOut} when not 0); the sums' address, 0 when B = 0. */
    private long launch(Tensor logits, Tensor labels, Tensor weights, float scale, Tensor dLogits, long lossOut) {
        Kernels.f32("logits", logits).requireRank("logits", logits.dtype(), 1);
        long b = logits.dim(0);
        Kernels.shape("labels", Kernels.f32("labels", labels), b);
        if (weights != null) {
            Kernels.shape("weights", Kernels.f32("weights", weights), b);
        }
        if (dLogits != null) {
            Kernels.shape("dLogits", Kernels.f32("dLogits", dLogits), b);
        }
        if (b == 0) {
            return 0L;
        }
        int blocks = Math.min(k.blocks(b), 1024);
        long partial = k.scratch("bce.partial", 16L * blocks);
        long sums = k.scratch("bce.sums", 16);
        k.device.launch("bce_forward", Dim3.of(blocks), Dim3.of(Kernels.THREADS), 0,
                KernelArgs.of().ptr(logits).ptr(labels).ptr(weights).i64(b).ptr(partial));
        k.reducePartials(partial, blocks, 2, sums);
        if (dLogits != null || lossOut != 0) {
            k.elementwise("bce_backward", b, KernelArgs.of().ptr(logits).ptr(labels).ptr(weights).i64(b).f32(scale)
                    .ptr(sums).ptr(dLogits).ptr(lossOut));
        }
        return sums;
    }
}
