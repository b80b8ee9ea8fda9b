package io.din4j.backend.cuda;

import io.din4j.backend.PoolingOps;
import io.din4j.tensor.Tensor;

/** Pooling of padded behaviour sequences on the device. */
final class CudaPoolingOps implements PoolingOps {
    private final Kernels k;

    CudaPoolingOps(Kernels k) {
        this.k = k;
    }

    /** Checks keys [B, T, D] and lengths [B]; returns {B, T, D}. */
    private int[] seq(Tensor keys, Tensor lengths) {
        Kernels.f32("keys", keys).requireRank("keys", keys.dtype(), 3);
        Kernels.i32("lengths", lengths);
        Kernels.shape("lengths", lengths, keys.dim(0));
        k.checkLengths(lengths, keys.dimInt(1));
        return new int[] {keys.dimInt(0), keys.dimInt(1), keys.dimInt(2)};
    }

    private int[] rows(Tensor scores, Tensor lengths) {
        Kernels.f32("scores", scores).requireRank("scores", scores.dtype(), 2);
        Kernels.i32("lengths", lengths);
        Kernels.shape("lengths", lengths, scores.dim(0));
        k.checkLengths(lengths, scores.dimInt(1));
        return new int[] {scores.dimInt(0), scores.dimInt(1)};
    }

    @Override
    public void weightedSum(Tensor weights, Tensor keys, Tensor lengths, Tensor out) {
        int[] s = seq(keys, lengths);
        Kernels.shape("weights", Kernels.f32("weights", weights), s[0], s[1]);
        Kernels.shape("out", Kernels.f32("out", out), s[0], s[2]);
        k.elementwise("weighted_sum_forward", (long) s[0] * s[2],
                KernelArgs.of().ptr(weights).ptr(keys).ptr(lengths).ptr(out).i32(s[0]).i32(s[1]).i32(s[2]));
    }

    @Override
    public void weightedSumBackward(Tensor weights, Tensor keys, Tensor lengths, Tensor dOut, Tensor dWeights, Tensor dKeys) {
        int[] s = seq(keys, lengths);
        Kernels.shape("weights", Kernels.f32("weights", weights), s[0], s[1]);
        Kernels.shape("dOut", Kernels.f32("dOut", dOut), s[0], s[2]);
        if (dWeights != null) {
            Kernels.shape("dWeights", Kernels.f32("dWeights", dWeights), s[0], s[1]);
        }
        if (dKeys != null) {
            Kernels.shape("dKeys", Kernels.f32("dKeys", dKeys), s[0], s[1], s[2]);
        }
        if (dKeys != null) {
            k.elementwise("weighted_sum_backward_keys", (long) s[0] * s[1] * s[2], KernelArgs.of().ptr(weights)
                    .ptr(lengths).ptr(dOut).ptr(dKeys).i32(s[0]).i32(s[1]).i32(s[2]));
        }
        if (dWeights != null) {
            // one warp per (b, t) row: 32 threads per row
            k.elementwise("weighted_sum_backward_weights", 32L * s[0] * s[1], KernelArgs.of().ptr(keys)
                    .ptr(lengths).ptr(dOut).ptr(dWeights).i32(s[0]).i32(s[1]).i32(s[2]));
        }
    }

    private void warpPerRow(String kernel, int rows, KernelArgs args) {
        if (rows > 0) {
            int warps = Kernels.THREADS / 32;
            int blocks = Math.max(1, Math.min((rows + warps - 1) / warps, k.device.gridStrideBlocks()));
            k.device.launch(kernel, Dim3.of(blocks), Dim3.of(Kernels.THREADS), 0, args);
        }
    }

    @Override
    public void maskedSoftmax(Tensor scores, Tensor lengths, Tensor out) {
        int[] s = rows(scores, lengths);
        Kernels.shape("out", Kernels.f32("out", out), s[0], s[1]);
        warpPerRow("masked_softmax_forward", s[0], KernelArgs.of().ptr(scores).ptr(lengths).ptr(out).i32(s[0]).i32(s[1]));
    }

    @Override
    public void maskedSoftmaxBackward(Tensor out, Tensor lengths, Tensor dOut, Tensor dScores) {
        int[] s = rows(out, lengths);
        Kernels.shape("dOut", Kernels.f32("dOut", dOut), s[0], s[1]);
        Kernels.shape("dScores", Kernels.f32("dScores", dScores), s[0], s[1]);
        warpPerRow("masked_softmax_backward", s[0],
                KernelArgs.of().ptr(out).ptr(lengths).ptr(dOut).ptr(dScores).i32(s[0]).i32(s[1]));
    }

    @Override
    public void sum(Tensor keys, Tensor lengths, Tensor out) {
        int[] s = seq(keys, lengths);
        Kernels.shape("out", Kernels.f32("out", out), s[0], s[2]);
        k.elementwise("sum_pool_forward", (long) s[0] * s[2],
                KernelArgs.of().ptr(keys).ptr(lengths).ptr(out).i32(s[0]).i32(s[1]).i32(s[2]));
    }

    @Override
    public void sumBackward(Tensor lengths, Tensor dOut, Tensor dKeys) {
        Kernels.f32("dKeys", dKeys).requireRank("dKeys", dKeys.dtype(), 3);
        int[] s = seq(dKeys, lengths);
        Kernels.shape("dOut", Kernels.f32("dOut", dOut), s[0], s[2]);
        k.elementwise("sum_pool_backward", (long) s[0] * s[1] * s[2],
                KernelArgs.of().ptr(lengths).ptr(dOut).ptr(dKeys).i32(s[0]).i32(s[1]).i32(s[2]));
    }
}
