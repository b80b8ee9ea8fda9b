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
            return 0;
        }
        int blocks = Math.min(k.blocks(b), 1024);
        long partial = k.scratch("bce.partial", 16L * blocks);
        long sums = k.scratch("bce.sums", 16);
        k.device.launch("bce_forward", Dim3.of(blocks), Dim3.of(Kernels.THREADS), 0,
                KernelArgs.of().ptr(logits).ptr(labels).ptr(weights).i64(b).ptr(partial));
        k.reducePartials(partial, blocks, 2, sums);
        if (dLogits != null) {
            k.elementwise("bce_backward", b, KernelArgs.of().ptr(logits).ptr(labels).ptr(weights).i64(b).f32(scale)
                    .ptr(sums).ptr(dLogits));
        }
        double[] s = k.readDoubles(sums, 2);
        return s[1] == 0 ? 0 : s[0] / s[1];
    }
}
