package io.din4j.backend.cuda;

import io.din4j.backend.Activation;
import io.din4j.backend.AttentionOps;
import io.din4j.backend.AttentionParams;
import io.din4j.backend.AttentionUnit;
import io.din4j.backend.AttentionWorkspace;
import io.din4j.backend.Dice;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;

/**
 * DIN's local activation unit on the device, with the candidate fold (attention.cu). Training runs layer by layer
 * over all B·T rows (the first layer folded per sample, the others as GEMMs, Dice statistics over the valid rows)
 * and keeps what backward needs; inference runs one fused kernel per batch (every intermediate in shared memory)
 * when the unit fits, else the same layered path with running statistics.
 */
final class CudaAttentionOps implements AttentionOps {
    private static final int BLOCK = 128;
    private final Kernels k;
    private final CudaActivationOps act;
    /**
     * Whether training runs the fused kernels of attention_train.cu where the unit fits them
     * ({@code -Ddin4j.cuda.fusedAttention=false} forces the layered path; tests switch it per call).
     */
    volatile boolean fusedTraining = !"false".equals(System.getProperty("din4j.cuda.fusedAttention"));
    /**
     * Whether the fused training kernels run the folded first layer on tensor cores (TF32 operands, FP32
     * accumulation; {@code -Ddin4j.cuda.tf32=true}, which also lets cuBLAS use TF32). Off by default: TF32 keeps
     * 10 mantissa bits, so scores and gradients move by ~1e-3 relative (see CudaFusedAttentionTrainingTest), which
     * the FP32 equality tests against the cpu backend would not accept.
     */
    volatile boolean tf32 = Boolean.getBoolean("din4j.cuda.tf32");

    CudaAttentionOps(Kernels k, CudaActivationOps act) {
        this.k = k;
        this.act = act;
    }

    @Override
    public AttentionWorkspace newWorkspace(AttentionUnit unit, TensorArena arena, int maxBatch, int maxHistory) {
        return new CudaAttentionWorkspace(k, unit, arena, maxBatch, maxHistory);
    }

    private static CudaAttentionWorkspace ws(AttentionUnit unit, AttentionWorkspace w, int b, int t) {
        if (!(w instanceof CudaAttentionWorkspace c) || !c.unit.equals(unit)) {
            throw new IllegalArgumentException("ws: expected a cuda workspace made for " + unit + ", got " + w);
        }
        if (b > c.maxBatch || t > c.maxHistory) {
            throw new IllegalArgumentException("ws: planned for batch " + c.maxBatch + " and history " + c.maxHistory
                    + ", got batch " + b + " and history " + t);
        }
        return c;
    }

    /** Checks the parameter tensors against the unit ({@code grads}: the dice entries are ignored). */
    static void checkParams(String name, AttentionUnit unit, AttentionParams p, boolean grads) {
        int[] h = unit.hidden();
        int layers = h.length;
        if (p == null || p.weights() == null || p.weights().length != layers + 1 || p.biases() == null
                || p.biases().length != layers + 1) {
            throw new IllegalArgumentException(name + ": expected " + (layers + 1) + " weights and biases");
        }
        for (int l = 0; l <= layers; l++) {
            int out = l < layers ? h[l] : 1;
            int in = l < layers ? unit.inputWidth(l) : h[layers - 1];
            Kernels.shape(name + ".weights[" + l + "]", Kernels.f32(name + ".weights[" + l + "]", p.weights()[l]), out, in);
            Kernels.shape(name + ".biases[" + l + "]", Kernels.f32(name + ".biases[" + l + "]", p.biases()[l]), out);
            if (l < layers && unit.activation().hasAlpha()) {
                if (p.alphas() == null || p.alphas()[l] == null) {
                    throw new IllegalArgumentException(name + ".alphas[" + l + "] is required for " + unit.activation());
                }
                Kernels.shape(name + ".alphas[" + l + "]", Kernels.f32(name + ".alphas[" + l + "]", p.alphas()[l]), out);
            }
            if (!grads && l < layers && unit.activation() == Activation.DICE) {
                if (p.dice() == null || p.dice()[l] == null) {
                    throw new IllegalArgumentException(name + ".dice[" + l + "] is required for DICE");
                }
                Kernels.shape(name + ".dice[" + l + "].runningMean", Kernels.f32(name + ".dice[" + l + "].runningMean",
                        p.dice()[l].runningMean()), out);
                Kernels.shape(name + ".dice[" + l + "].runningVar", Kernels.f32(name + ".dice[" + l + "].runningVar",
                        p.dice()[l].runningVar()), out);
            }
        }
    }

    private int[] checkInputs(AttentionUnit unit, Tensor q, Tensor keys, Tensor lengths) {
        int d = unit.width();
        Kernels.f32("q", q).requireRank("q", q.dtype(), 2);
        int b = q.dimInt(0);
        Kernels.shape("q", q, b, d);
        Kernels.f32("keys", keys).requireRank("keys", keys.dtype(), 3);
        int t = keys.dimInt(1);
        Kernels.shape("keys", keys, b, t, d);
        Kernels.shape("lengths", Kernels.i32("lengths", lengths), b);
        k.checkLengths(lengths, t);
        return new int[] {b, t, d};
    }

    private void fold(AttentionUnit unit, AttentionParams params, CudaAttentionWorkspace w) {
        int h0 = unit.hidden()[0];
        k.elementwise("attention_fold_forward", (long) h0 * unit.width(),
                KernelArgs.of().ptr(params.weights()[0]).ptr(w.folded).i32(h0).i32(unit.width()));
    }

    @Override
    public void forward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                        AttentionWorkspace ws, Tensor scores, boolean training) {
        int[] s = checkInputs(unit, q, keys, lengths);
        int b = s[0];
        int t = s[1];
        checkParams("params", unit, params, false);
        Kernels.shape("scores", Kernels.f32("scores", scores), b, t);
        CudaAttentionWorkspace w = ws(unit, ws, b, t);
        if ((long) b * t == 0) {
            k.fill(scores.deviceAddress(), scores.size(), 0f);
            return;
        }
        if (!training && fusedSharedBytes(unit, w) <= k.device.maxSharedBytes()) {
            fused(unit, params, q, keys, null, null, lengths, w, scores, null);
            return;
        }
        if (training && fusedTrainable(unit, w)) {
            fusedTrainForward(unit, params, q, keys, lengths, w, scores);
            return;
        }
        layered(unit, params, q, keys, lengths, w, scores, training);
    }

    /**
     * Whether the fused training kernels cover this unit here: at most {@value CudaAttentionWorkspace.FusedLayout#MAX_LAYERS}
     * hidden layers and both kernels' shared memory (in the larger, TF32 layout) within the device's opt-in limit
     * (D = 64 with 80/40 needs ~64 KiB forward and ~96 KiB backward; wider units take the layered path). Every
     * activation is covered.
     */
    boolean fusedTrainable(AttentionUnit unit, CudaAttentionWorkspace w) {
        CudaAttentionWorkspace.FusedLayout f = w.layout;
        return fusedTraining && unit.layers() <= CudaAttentionWorkspace.FusedLayout.MAX_LAYERS
                && Math.max(f.forwardBytes(true), f.backwardBytes(true)) <= k.device.maxSharedBytes();
    }

    private KernelArgs trainArgs(AttentionUnit unit, CudaAttentionWorkspace w, Tensor q, Tensor keys, Tensor lengths) {
        return KernelArgs.of().ptr(q).ptr(keys).ptr(lengths).ptr(w.folded).ptr(w.packed).i32(w.packedLen).ptr(w.dims)
                .i32(unit.layers()).i32(unit.activation().ordinal()).f32((float) Dice.EPSILON).i32(tf32 ? 1 : 0)
                .ptr(w.savedAll);
    }

    /**
     * Training forward in L + 1 passes over the keys with Dice (one per layer's batch statistics, then the scores),
     * one pass otherwise; no [B·T, H] tensor is written (see attention_train.cu).
     */
    private void fusedTrainForward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                                   CudaAttentionWorkspace w, Tensor scores) {
        int b = q.dimInt(0);
        int t = keys.dimInt(1);
        int d = unit.width();
        int[] h = unit.hidden();
        int layers = h.length;
        CudaAttentionWorkspace.FusedLayout f = w.layout;
        w.ensureFused();
        w.trained = new int[] {b, t};
        w.trainedFused = true;
        fold(unit, params, w);
        pack(unit, params, w);
        int blocks = CudaAttentionWorkspace.fusedBlocks(b);
        int bytes = (int) f.forwardBytes(tf32);
        if (unit.activation() == Activation.DICE) {
            for (int p = 0; p < layers; p++) {
                int width = 2 * h[p] + 1;
                k.launchShared("attention_train_forward", Dim3.of(blocks), Dim3.of(BLOCK), bytes,
                        trainArgs(unit, w, q, keys, lengths).i32(p).ptr(w.statsPartial()).ptr(0L).i32(b).i32(t).i32(d));
                k.reducePartials(w.statsPartial().deviceAddress(), blocks, width, w.statsSums().deviceAddress());
                k.device.launch("attention_train_stats_forward", Dim3.of((h[p] + 255) / 256), Dim3.of(256), 0,
                        KernelArgs.of().ptr(w.statsSums()).ptr(w.packed.deviceAddress() + 4L * (f.pb[p] + 2L * h[p]))
                                .i32(h[p]).ptr(w.saved[p]).ptr(params.dice()[p].runningMean())
                                .ptr(params.dice()[p].runningVar()).f32((float) Dice.MOMENTUM));
            }
        }
        k.launchShared("attention_train_forward", Dim3.of(blocks), Dim3.of(BLOCK), bytes,
                trainArgs(unit, w, q, keys, lengths).i32(layers).ptr(0L).ptr(scores).i32(b).i32(t).i32(d));
    }

    /**
     * Training backward: with Dice, L passes gather each layer's Σg and Σg·x̂ from the top down; one more
     * recomputes everything, adds the key and query gradients and writes per-block parameter gradients, which a
     * fixed-order reduction sums and the adds below scatter into {@code grads}.
     */
    private void fusedTrainBackward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                                    CudaAttentionWorkspace w, Tensor dScores, Tensor dq, Tensor dKeys,
                                    AttentionParams grads) {
        int b = q.dimInt(0);
        int t = keys.dimInt(1);
        int d = unit.width();
        int[] h = unit.hidden();
        int layers = h.length;
        CudaAttentionWorkspace.FusedLayout f = w.layout;
        int blocks = CudaAttentionWorkspace.fusedBlocks(b);
        int bytes = (int) f.backwardBytes(tf32);
        long dsums = w.dsums().deviceAddress();
        if (unit.activation() == Activation.DICE) {
            for (int p = 0; p < layers; p++) {
                int j = layers - 1 - p;
                k.launchShared("attention_train_backward", Dim3.of(blocks), Dim3.of(BLOCK), bytes,
                        trainArgs(unit, w, q, keys, lengths).ptr(dsums).i32(p).ptr(dScores).ptr(w.statsPartial())
                                .ptr(0L).ptr(0L).ptr(0L).i32(b).i32(t).i32(d));
                k.reducePartials(w.statsPartial().deviceAddress(), blocks, 2 * h[j], dsums + 8L * f.dso[j]);
            }
        }
        k.launchShared("attention_train_backward", Dim3.of(blocks), Dim3.of(BLOCK), bytes,
                trainArgs(unit, w, q, keys, lengths).ptr(dsums).i32(layers).ptr(dScores).ptr(0L).ptr(w.gradPartial())
                        .ptr(dq).ptr(dKeys).i32(b).i32(t).i32(d));
        long sum = w.gradSum().deviceAddress();
        k.elementwise("attention_train_grads_backward", f.gradLen, KernelArgs.of().ptr(w.gradPartial()).i32(blocks)
                .i32(f.gradLen).ptr(sum));
        for (int l = 0; l < layers; l++) {
            if (l > 0) {
                addInto(grads.weights()[l], sum + 4L * f.gw[l]);
            }
            addInto(grads.biases()[l], sum + 4L * f.gb[l]);
            if (unit.activation().hasAlpha()) {
                addInto(grads.alphas()[l], sum + 4L * (f.gb[l] + h[l]));
            }
        }
        addInto(grads.weights()[layers], sum + 4L * f.gout);
        addInto(grads.biases()[layers], sum + 4L * (f.gout + h[layers - 1]));
        long hd = (long) h[0] * d;
        k.elementwise("attention_fold_backward", hd, KernelArgs.of().ptr(sum + 4L * f.gm).ptr(sum + 4L * (f.gm + hd))
                .ptr(sum + 4L * (f.gm + 2 * hd)).ptr(grads.weights()[0]).i32(h[0]).i32(d));
    }

    private void addInto(Tensor dst, long src) {
        k.elementwise("add_into_forward", dst.size(), KernelArgs.of().ptr(dst).ptr(src).i64(dst.size()));
    }

    private void layered(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                         CudaAttentionWorkspace w, Tensor scores, boolean training) {
        int b = q.dimInt(0);
        int t = keys.dimInt(1);
        int d = unit.width();
        int[] h = unit.hidden();
        long rows = (long) b * t;
        w.trained = training ? new int[] {b, t} : null;
        w.trainedFused = false;
        fold(unit, params, w);
        int shared = 4 * (h[0] * (d + 1) + h[0] + d);
        if (shared > k.device.maxSharedBytes()) {
            throw new IllegalArgumentException("attention unit too wide for the folded kernel: " + h[0] + "×" + d
                    + " needs " + shared + " bytes of shared memory, the device has " + k.device.maxSharedBytes());
        }
        k.launchShared("attention_layer1_forward", Dim3.of(Math.min(b, 65535)), Dim3.of(BLOCK), shared,
                KernelArgs.of().ptr(q).ptr(keys).ptr(lengths).ptr(w.folded).ptr(params.biases()[0]).ptr(w.z[0])
                        .i32(b).i32(t).i32(d).i32(h[0]));
        for (int l = 0; l < h.length; l++) {
            if (l > 0) {
                CudaDenseOps.gemm(k, false, true, (int) rows, h[l], h[l - 1], 1f, w.a[l - 1].deviceAddress(), h[l - 1],
                        params.weights()[l].deviceAddress(), h[l - 1], 0f, w.z[l].deviceAddress(), h[l]);
                k.elementwise("bias_add_forward", rows * h[l], KernelArgs.of().ptr(w.z[l]).ptr(params.biases()[l])
                        .i64(rows).i32(h[l]));
            }
            activate(unit, params, l, w, rows, lengths, t, training);
        }
        int hl = h[h.length - 1];
        CudaDenseOps.gemm(k, false, true, (int) rows, 1, hl, 1f, w.a[h.length - 1].deviceAddress(), hl,
                params.weights()[h.length].deviceAddress(), hl, 0f, w.raw.deviceAddress(), 1);
        k.elementwise("attention_scores_forward", rows, KernelArgs.of().ptr(w.raw).ptr(params.biases()[h.length])
                .ptr(lengths).ptr(scores).i32(b).i32(t));
    }

    private void activate(AttentionUnit unit, AttentionParams params, int l, CudaAttentionWorkspace w, long rows,
                          Tensor lengths, int t, boolean training) {
        int c = unit.hidden()[l];
        long n = rows * c;
        long x = w.z[l].deviceAddress();
        long y = w.a[l].deviceAddress();
        switch (unit.activation()) {
            case RELU -> k.elementwise("relu_forward", n, KernelArgs.of().ptr(x).ptr(y).i64(n));
            case SIGMOID -> k.elementwise("sigmoid_forward", n, KernelArgs.of().ptr(x).ptr(y).i64(n));
            case PRELU -> k.elementwise("prelu_forward", n,
                    KernelArgs.of().ptr(x).ptr(params.alphas()[l]).ptr(y).i64(n).i32(c));
            case DICE -> act.dice(x, params.alphas()[l].deviceAddress(), params.dice()[l].runningMean().deviceAddress(),
                    params.dice()[l].runningVar().deviceAddress(), w.saved[l].deviceAddress(), training, y, rows, c,
                    lengths.deviceAddress(), t);
        }
    }

    @Override
    public void backward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                         AttentionWorkspace ws, Tensor dScores, Tensor dq, Tensor dKeys, AttentionParams grads) {
        int[] s = checkInputs(unit, q, keys, lengths);
        int b = s[0];
        int t = s[1];
        int d = s[2];
        checkParams("params", unit, params, false);
        checkParams("grads", unit, grads, true);
        Kernels.shape("dScores", Kernels.f32("dScores", dScores), b, t);
        Kernels.shape("dq", Kernels.f32("dq", dq), b, d);
        Kernels.shape("dKeys", Kernels.f32("dKeys", dKeys), b, t, d);
        CudaAttentionWorkspace w = ws(unit, ws, b, t);
        long rows = (long) b * t;
        if (rows == 0) {
            return;
        }
        if (w.trained == null || w.trained[0] != b || w.trained[1] != t) {
            throw new IllegalArgumentException("ws: backward needs a training forward over the same batch (B=" + b
                    + ", T=" + t + ") first; " + (w.trained == null ? "there was none since the last layered inference"
                    : "the last one had B=" + w.trained[0] + ", T=" + w.trained[1]));
        }
        if (w.trainedFused) {
            fusedTrainBackward(unit, params, q, keys, lengths, w, dScores, dq, dKeys, grads);
            return;
        }
        int[] h = unit.hidden();
        int layers = h.length;
        int hl = h[layers - 1];
        // output layer: score = a·w_out + b_out on valid rows
        k.elementwise("attention_scores_backward", rows, KernelArgs.of().ptr(dScores).ptr(lengths).ptr(w.ds).i32(b).i32(t));
        k.columnSumInto(w.ds.deviceAddress(), rows, 1, 0L, 1, 1f, grads.biases()[layers].deviceAddress());
        CudaDenseOps.gemm(k, true, false, 1, hl, (int) rows, 1f, w.ds.deviceAddress(), 1, w.a[layers - 1].deviceAddress(),
                hl, 1f, grads.weights()[layers].deviceAddress(), hl);
        CudaDenseOps.gemm(k, false, false, (int) rows, hl, 1, 1f, w.ds.deviceAddress(), 1,
                params.weights()[layers].deviceAddress(), hl, 0f, w.da.deviceAddress(), hl);
        for (int l = layers - 1; l >= 0; l--) {
            int c = h[l];
            long n = rows * c;
            long x = w.z[l].deviceAddress();
            long da = w.da.deviceAddress();
            long dz = w.dz.deviceAddress();
            k.fill(dz, n, 0f);
            switch (unit.activation()) {
                case RELU -> k.elementwise("relu_backward", n, KernelArgs.of().ptr(x).ptr(da).ptr(dz).i64(n));
                case SIGMOID -> k.elementwise("sigmoid_backward", n, KernelArgs.of().ptr(w.a[l]).ptr(da).ptr(dz).i64(n));
                case PRELU -> act.preluBackward(x, params.alphas()[l].deviceAddress(), da, dz,
                        grads.alphas()[l].deviceAddress(), rows, c);
                case DICE -> act.diceBackward(x, params.alphas()[l].deviceAddress(), w.saved[l].deviceAddress(), da, dz, grads.alphas()[l].deviceAddress(), rows, c,
                        lengths.deviceAddress(), t);
            }
            if (l > 0) {
                int in = h[l - 1];
                CudaDenseOps.gemm(k, true, false, c, in, (int) rows, 1f, dz, c, w.a[l - 1].deviceAddress(), in, 1f,
                        grads.weights()[l].deviceAddress(), in);
                k.columnSumInto(dz, rows, c, 0L, 1, 1f, grads.biases()[l].deviceAddress());
                CudaDenseOps.gemm(k, false, false, (int) rows, in, c, 1f, dz, c, params.weights()[l].deviceAddress(), in,
                        0f, da, in);
            }
        }
        // first layer, folded: inputs per sample, weights as GEMMs over B·T rows (dz is 0 at padding rows)
        int h0 = h[0];
        long dz = w.dz.deviceAddress();
        int shared = 4 * (d + h0 + BLOCK + d);
        k.launchShared("attention_layer1_backward", Dim3.of(Math.min(b, 65535)), Dim3.of(BLOCK), shared,
                KernelArgs.of().ptr(q).ptr(keys).ptr(lengths).ptr(w.folded).ptr(dz).ptr(dq).ptr(dKeys).ptr(w.g)
                        .i32(b).i32(t).i32(d).i32(h0));
        k.elementwise("attention_qk_forward", rows * d, KernelArgs.of().ptr(q).ptr(keys).ptr(lengths).ptr(w.qk)
                .i32(b).i32(t).i32(d));
        CudaDenseOps.gemm(k, true, false, h0, d, b, 1f, w.g.deviceAddress(), h0, q.deviceAddress(), d, 0f,
                w.m1.deviceAddress(), d);
        CudaDenseOps.gemm(k, true, false, h0, d, (int) rows, 1f, dz, h0, keys.deviceAddress(), d, 0f,
                w.m2.deviceAddress(), d);
        CudaDenseOps.gemm(k, true, false, h0, d, (int) rows, 1f, dz, h0, w.qk.deviceAddress(), d, 0f,
                w.m4.deviceAddress(), d);
        k.elementwise("attention_fold_backward", (long) h0 * d, KernelArgs.of().ptr(w.m1).ptr(w.m2).ptr(w.m4)
                .ptr(grads.weights()[0]).i32(h0).i32(d));
        k.columnSumInto(w.g.deviceAddress(), b, h0, 0L, 1, 1f, grads.biases()[0].deviceAddress());
    }

    // ---- inference, fused ----

    private static int fusedSharedBytes(AttentionUnit unit, CudaAttentionWorkspace w) {
        int[] h = unit.hidden();
        int hmax = 0;
        for (int x : h) {
            hmax = Math.max(hmax, x);
        }
        int d = unit.width();
        int warps = BLOCK / 32;
        return 4 * (w.packedLen + h[0] * (d + 1) + h[0] + d + warps * (d + 2 * hmax) + warps * d);
    }

    /** Fills the workspace's packed parameter block from the parameter tensors (device-to-device copies). */
    private void pack(AttentionUnit unit, AttentionParams params, CudaAttentionWorkspace w) {
        int[] h = unit.hidden();
        long p = w.packed.deviceAddress();
        k.fill(p, w.packedLen, 0f);
        long off = 0;
        for (int l = 0; l < h.length; l++) {
            if (l > 0) {
                off = put(params.weights()[l], p, off);
            }
            off = put(params.biases()[l], p, off);
            if (unit.activation().hasAlpha()) {
                put(params.alphas()[l], p, off);
            }
            off += h[l];
            if (unit.activation() == Activation.DICE) {
                put(params.dice()[l].runningMean(), p, off);
                put(params.dice()[l].runningVar(), p, off + h[l]);
            }
            off += 2L * h[l];
        }
        off = put(params.weights()[h.length], p, off);
        put(params.biases()[h.length], p, off);
    }

    private long put(Tensor src, long base, long offFloats) {
        k.device.copyOnDevice(src.deviceAddress(), base + 4 * offFloats, src.byteSize());
        return offFloats + src.size();
    }

    private void fused(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor table, Tensor ids,
                       Tensor lengths, CudaAttentionWorkspace w, Tensor scores, Tensor pooled) {
        int b = q.dimInt(0);
        int t = keys != null ? keys.dimInt(1) : ids.dimInt(1);
        fold(unit, params, w);
        pack(unit, params, w);
        k.launchShared("attention_fused_forward", Dim3.of(Math.min(b, 65535)), Dim3.of(BLOCK), fusedSharedBytes(unit, w),
                KernelArgs.of().ptr(q).ptr(keys).ptr(table).ptr(ids).ptr(lengths).ptr(w.folded).ptr(w.packed)
                        .i32(w.packedLen).ptr(w.dims).i32(unit.layers()).i32(unit.activation().ordinal())
                        .f32((float) Dice.EPSILON).ptr(scores).ptr(pooled).i32(b).i32(t).i32(unit.width()));
    }

    /**
     * Inference in one kernel: gathers each behaviour's row of {@code table} by {@code ids [B, T]}, scores it with
     * the attention MLP and pools {@code pooled[b] = Σ_t score·k} (DIN eq. 3), never writing the behaviour
     * embeddings or any layer's activations to device memory.
     *
     * @param scores optional {@code [B, T]} output
     * @param pooled {@code [B, D]} output
     */
    void fusedGatherPool(AttentionUnit unit, AttentionParams params, Tensor q, Tensor table, Tensor ids, Tensor lengths,
                         AttentionWorkspace ws, Tensor scores, Tensor pooled) {
        int d = unit.width();
        Kernels.f32("q", q).requireRank("q", q.dtype(), 2);
        int b = q.dimInt(0);
        Kernels.shape("q", q, b, d);
        Kernels.f32("table", table).requireRank("table", table.dtype(), 2);
        if (table.dim(1) != d) {
            throw new IllegalArgumentException("table: expected width " + d + ", got " + table);
        }
        Kernels.i32("ids", ids).requireRank("ids", ids.dtype(), 2);
        int t = ids.dimInt(1);
        Kernels.shape("ids", ids, b, t);
        Kernels.shape("lengths", Kernels.i32("lengths", lengths), b);
        if (scores != null) {
            Kernels.shape("scores", Kernels.f32("scores", scores), b, t);
        }
        Kernels.shape("pooled", Kernels.f32("pooled", pooled), b, d);
        checkParams("params", unit, params, false);
        CudaAttentionWorkspace w = ws(unit, ws, b, t);
        k.checkIds("ids", ids, (long) b * t, table.dim(0), lengths, t);
        int shared = fusedSharedBytes(unit, w);
        if (shared > k.device.maxSharedBytes()) {
            throw new IllegalArgumentException("attention unit " + unit + " needs " + shared
                    + " bytes of shared memory for the fused kernel; the device has " + k.device.maxSharedBytes());
        }
        if (b == 0) {
            return;
        }
        fused(unit, params, q, null, table, ids, lengths, w, scores, pooled);
    }
}
