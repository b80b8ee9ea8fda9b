package io.din4j.backend.cuda;

import io.din4j.backend.AttentionUnit;
import io.din4j.backend.AttentionWorkspace;
import io.din4j.tensor.DType;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/**
 * Buffers of the attention unit for a maximum batch and history: per hidden layer the pre-activations z and the
 * activations a over all B·T rows (kept by training forward for backward), the folded first-layer weights, and
 * the backward's temporaries. Never a [B, T, 4D] tensor.
 */
final class CudaAttentionWorkspace implements AttentionWorkspace {
    final AttentionUnit unit;
    final int maxBatch;
    final int maxHistory;
    final Tensor folded;
    final Tensor[] z;
    final Tensor[] a;
    /** Per layer, the Dice batch statistics of the last training forward ([2H + 1]: mean, variance, rows). */
    final Tensor[] saved;
    final Tensor da;
    final Tensor dz;
    final Tensor ds;
    final Tensor raw;
    final Tensor qk;
    final Tensor g;
    final Tensor m1;
    final Tensor m2;
    final Tensor m4;
    /** Inference kernel parameters, packed (see attention_fused_forward). */
    final Tensor packed;
    final Tensor dims;
    final int packedLen;
    /** {B, T} of the training forward whose intermediates z/a hold, or null (none, or overwritten by inference). */
    int[] trained;

    CudaAttentionWorkspace(Kernels k, AttentionUnit unit, TensorArena arena, int maxBatch, int maxHistory) {
        if (maxBatch <= 0 || maxHistory < 0) {
            throw new IllegalArgumentException("workspace needs maxBatch > 0 and maxHistory >= 0, got " + maxBatch + ", " + maxHistory);
        }
        this.unit = unit;
        this.maxBatch = maxBatch;
        this.maxHistory = maxHistory;
        int[] h = unit.hidden();
        int d = unit.width();
        long rows = Math.max(1L, (long) maxBatch * maxHistory);
        int hmax = 0;
        int len = 0;
        for (int l = 0; l < h.length; l++) {
            hmax = Math.max(hmax, h[l]);
            len += (l == 0 ? 0 : h[l] * h[l - 1]) + 4 * h[l];
        }
        len += h[h.length - 1] + 1;
        folded = arena.f32(3L * h[0] * d);
        z = new Tensor[h.length];
        a = new Tensor[h.length];
        saved = new Tensor[h.length];
        for (int l = 0; l < h.length; l++) {
            z[l] = arena.f32(rows, h[l]);
            a[l] = arena.f32(rows, h[l]);
            saved[l] = arena.f32(2L * h[l] + 1);
        }
        da = arena.f32(rows, hmax);
        dz = arena.f32(rows, hmax);
        ds = arena.f32(rows);
        raw = arena.f32(rows);
        qk = arena.f32(rows, d);
        g = arena.f32(maxBatch, h[0]);
        m1 = arena.f32(h[0], d);
        m2 = arena.f32(h[0], d);
        m4 = arena.f32(h[0], d);
        packedLen = len;
        packed = arena.f32(len);
        dims = arena.allocate(DType.I32, h.length);
        k.writeInts(dims.deviceAddress(), h);
    }

    @Override
    public int maxBatch() {
        return maxBatch;
    }

    @Override
    public int maxHistory() {
        return maxHistory;
    }
}
