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
    /** Whether that training forward ran the fused kernels (backward must then too: z/a were never written). */
    boolean trainedFused;
    /** Every layer's Dice batch statistics, contiguous (saved[l] are views): the fused kernels read them all. */
    final Tensor savedAll;
    /** Offsets of the fused training kernels' layouts (attention_train.cu). */
    final FusedLayout layout;
    private final TensorArena arena;
    /** The fused training kernels' buffers, allocated on first use (inference-only workspaces never need them). */
    private Tensor statsPartial;
    private Tensor statsSums;
    private Tensor dsums;
    private Tensor gradPartial;
    private Tensor gradSum;

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
        layout = new FusedLayout(h, d);
        savedAll = arena.f32(layout.savedLen);
        for (int l = 0; l < h.length; l++) {
            z[l] = arena.f32(rows, h[l]);
            a[l] = arena.f32(rows, h[l]);
            saved[l] = savedAll.rows(layout.so[l], layout.so[l] + 2L * h[l] + 1);
        }
        this.arena = arena;
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

    /** Blocks of the fused training kernels for batch b: fixed per b, so their partial sums are reproducible. */
    static int fusedBlocks(int b) {
        return Math.max(1, Math.min(b, FusedLayout.MAX_BLOCKS));
    }

    /** Allocates the fused training kernels' buffers for up to fusedBlocks(maxBatch) blocks (once). */
    void ensureFused() {
        if (gradPartial != null) {
            return;
        }
        int blocks = fusedBlocks(maxBatch);
        int hmax = layout.hmax;
        statsPartial = arena.allocate(DType.F64, (long) blocks * (2L * hmax + 1));
        statsSums = arena.allocate(DType.F64, 2L * hmax + 1);
        dsums = arena.allocate(DType.F64, Math.max(1, layout.dsumsLen));
        gradPartial = arena.f32((long) blocks * layout.gradLen);
        gradSum = arena.f32(layout.gradLen);
    }

    Tensor statsPartial() {
        return statsPartial;
    }

    Tensor statsSums() {
        return statsSums;
    }

    Tensor dsums() {
        return dsums;
    }

    Tensor gradPartial() {
        return gradPartial;
    }

    Tensor gradSum() {
        return gradSum;
    }

    /**
     * Offsets (in elements) of the layouts attention_train.cu computes in {@code att_layout}: packed parameters
     * (W_l, b_l; α, running mean and variance follow b_l), saved statistics, Dice backward sums, per-block gradients.
     */
    static final class FusedLayout {
        /** Rows of a behaviour tile (ATT_ROWS), the most layers (ATT_MAX_LAYERS), the most blocks of a launch. */
        static final int ROWS = 16;
        static final int MAX_LAYERS = 8;
        static final int MAX_BLOCKS = 256;
        final int[] h;
        final int d;
        final int[] pw;
        final int[] pb;
        final int pout;
        final int[] so;
        final int savedLen;
        final int[] dso;
        final int dsumsLen;
        final int[] gw;
        final int[] gb;
        final int gout;
        final int gm;
        final int gradLen;
        final int packedLen;
        final int sumH;
        final int hmax;

        FusedLayout(int[] h, int d) {
            int layers = h.length;
            this.h = h.clone();
            this.d = d;
            pw = new int[layers];
            pb = new int[layers];
            so = new int[layers];
            dso = new int[layers];
            gw = new int[layers];
            gb = new int[layers];
            int p = 0;
            int s = 0;
            int ds = 0;
            int g = 0;
            int sum = 0;
            int mx = 0;
            for (int l = 0; l < layers; l++) {
                int win = l == 0 ? 0 : h[l] * h[l - 1];
                pw[l] = p;
                pb[l] = p + win;
                p += win + 4 * h[l];
                so[l] = s;
                s += 2 * h[l] + 1;
                dso[l] = ds;
                ds += 2 * h[l];
                gw[l] = g;
                gb[l] = g + win;
                g += win + 2 * h[l];
                sum += h[l];
                mx = Math.max(mx, h[l]);
            }
            pout = p;
            packedLen = p + h[layers - 1] + 1;
            savedLen = s;
            dsumsLen = ds;
            gout = g;
            gm = g + h[layers - 1] + 1;
            gradLen = gm + 3 * h[0] * d;
            sumH = sum;
            hmax = mx;
        }

        /** Dynamic shared memory of attention_train_forward (mirrors the kernel's layout, plus alignment slack). */
        long forwardBytes(boolean tf32) {
            return 8L * (2 * hmax + 2) + 4L * common(tf32);
        }

        /** Dynamic shared memory of attention_train_backward. */
        long backwardBytes(boolean tf32) {
            return 8L * (2 * hmax + dsumsLen) + 4L * (common(tf32) + 2L * ROWS * hmax + ROWS + h[0] + (long) h[0] * d);
        }

        private long common(boolean tf32) {
            // first layer: A_q [H0p, ldA] and the key tile [ROWS, ldK] (att_layout), the TF32 product tile, and three
            // 32-byte alignments
            int dk = (d + 7) / 8 * 8;
            long h0p = tf32 ? (h[0] + 15) / 16 * 16 : h[0];
            long ldA = tf32 ? dk + 4 : d + 1;
            long ldK = tf32 ? dk + 4 : d;
            return packedLen + savedLen + h[0] + d + 2L * ROWS * sumH + h0p * ldA + ROWS * ldK
                    + (tf32 ? ROWS * h0p : 0) + 24;
        }
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
