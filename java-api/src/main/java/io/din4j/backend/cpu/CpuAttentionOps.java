package io.din4j.backend.cpu;

import static io.din4j.backend.cpu.SeqKernels.L;
import static io.din4j.backend.cpu.SeqKernels.S;

import io.din4j.backend.*;
import io.din4j.backend.SeqArgs.Values;
import io.din4j.tensor.DerivedCache;
import io.din4j.tensor.Tensor;
import io.din4j.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * AttentionOps of the cpu backend: DIN's local activation unit with the candidate folded into the first layer.
 *
 * <p>With the first layer's weight split into D-wide blocks {@code W = [W1 W2 W3 W4]},
 * {@code W·[q, k, q − k, q ⊙ k] + b = A_q·k + c_q} where {@code A_q = W2 − W3 + W4·diag(q)} and
 * {@code c_q = (W1 + W3)·q + b}. Both are built once per sample; each of its T behaviours then costs one
 * D×H₁ product instead of a 4D×H₁ one, computed as one small GEMM {@code [T, D]·[D, H₁]} whose operands stay in
 * L1/L2. The backward folds the same way: with {@code G = ∂/∂pre₁ [T, H₁]}, {@code g = Σ_t G[t]} and
 * {@code M = Gᵀ·K [H₁, D]}: {@code ∂W1 = g qᵀ}, {@code ∂W2 = M}, {@code ∂W3 = g qᵀ − M}, {@code ∂W4 = M·diag(q)},
 * {@code ∂q = (W1 + W3)ᵀ g + Σ_h W4[h] ⊙ M[h]}, {@code ∂K = G·A_q}.
 *
 * <p>Without Dice in training every sample runs through all layers in one pass. Dice normalises each channel
 * with statistics over all valid (b, t) rows of the batch, so then the work is phased per layer: the layer for
 * every sample, a reduction of the statistics, the activation (and the same for the backward pass, whose Dice
 * gradient needs batch means of ∂z and ∂z·z). Partial sums are per worker and combined in worker order, so a
 * given thread count always gives the same result.
 */
final class CpuAttentionOps implements AttentionOps {
    private static final double LOG2E = 1 / Math.log(2);
    /**
     * Where the sigmoid attention unit clamps its pre-activations: σ(87) is 1 in f32, and σ(−87) ≈ 1.6e−38 is still a
     * normal float. Further out σ is subnormal (below 1.2e−38), which x86 computes on in microcode, ~100 cycles an
     * instruction, in every product that takes it (docs/architecture.md, "No subnormal optimizer state").
     */
    private static final float SIGMOID_LIMIT = 87f;
    private static final Values V = Values.F32_ONLY;

    /**
     * Set to {@code false} to run the first layer's forward unfolded (per sample, {@code [T, 4D]·[4D, H₁]} on the
     * explicit {@code [q, k, q − k, q ⊙ k]} rows): a diagnostic for benchmarks that measure what the fold gains.
     * Read when a backend is created.
     */
    static final String FOLD_PROPERTY = "din4j.cpu.attention.fold";

    private final Parallel parallel;
    private final boolean fold;

    CpuAttentionOps(Parallel parallel) {
        this.parallel = parallel;
        this.fold = Boolean.parseBoolean(System.getProperty(FOLD_PROPERTY, "true"));
    }

    /** Scratch and gradient partials of one worker thread; separate arrays, so no two workers share a line. */
    private static final class Worker {
        float[] kp;
        float[] xu;
        final float[][] preS;
        final float[][] actS;
        final float[][] gradS;
        float[] q;
        float[] aq;
        float[] c;
        /**
         * The next sample's candidate, folded layer and {@code c_q}, built with this sample's in one pass over the
         * weights ({@link #foldPair}); {@link #foldedFor} names that sample, or is −1.
         */
        float[] qNext;
        float[] aqNext;
        float[] cNext;
        int foldedFor = -1;
        float[] aT;
        float[] m;
        float[] dk;
        float[] gsum;
        float[] dq;
        /** One sample's pooled behaviours in inference ({@link #forwardPooled}), padded to whole vectors. */
        float[] pooled;
        /** One sample's scores, {@code maxHistory} of them, before they go to the tensor. */
        float[] scores;
        /** Each score's dot-product lanes before they are summed, a row of L floats per behaviour. */
        float[] lanes;
        /**
         * Rows of shared keys ({@link #forwardPooledSharedKeys}) already in {@link #kp} during the current call; 0
         * when {@code kp} holds anything else.
         */
        int sharedKeysLoaded;
        float[] accM;
        float[] accMQ;
        float[] accGQ;
        final float[][] dW;
        final float[][] db;
        final float[][] dAlpha;
        float[] dWOut;
        double dbOut;
        final double[] s1;
        final double[] s2;
        /** B's tile columns for {@link SeqKernels#gemm}; every product here has at most 4D or H rows of B. */
        float[] panel;

        Worker(Workspace w) {
            int h0 = w.h[0];
            kp = AlignedArrays.floats(w.maxHistory * w.dp);
            xu = w.fold ? null : AlignedArrays.floats(w.maxHistory * 4 * w.d);
            q = AlignedArrays.floats(w.dp);
            aq = AlignedArrays.floats(w.d * w.hp[0]);
            c = AlignedArrays.floats(w.hp[0]);
            qNext = AlignedArrays.floats(w.dp);
            aqNext = AlignedArrays.floats(w.d * w.hp[0]);
            cNext = AlignedArrays.floats(w.hp[0]);
            aT = AlignedArrays.floats(h0 * w.dp);
            m = AlignedArrays.floats(h0 * w.dp);
            dk = AlignedArrays.floats(w.maxHistory * w.dp);
            gsum = AlignedArrays.floats(w.hp[0]);
            dq = AlignedArrays.floats(w.dp);
            pooled = AlignedArrays.floats(w.dp);
            scores = AlignedArrays.floats(w.maxHistory);
            lanes = AlignedArrays.floats(w.maxHistory * SeqKernels.L);
            accM = AlignedArrays.floats(h0 * w.dp);
            accMQ = AlignedArrays.floats(h0 * w.dp);
            accGQ = AlignedArrays.floats(h0 * w.dp);
            preS = new float[w.layers][];
            actS = new float[w.layers][];
            for (int l = 0; l < w.layers; l++) {
                preS[l] = AlignedArrays.floats(w.maxHistory * w.hp[l]);
                actS[l] = AlignedArrays.floats(w.maxHistory * w.hp[l]);
            }
            gradS = new float[][] {AlignedArrays.floats(w.maxHistory * w.maxHp), AlignedArrays.floats(w.maxHistory * w.maxHp)};
            dW = new float[w.layers][];
            db = new float[w.layers][];
            dAlpha = new float[w.layers][];
            for (int l = 0; l < w.layers; l++) {
                dW[l] = l == 0 ? null : AlignedArrays.floats(w.h[l] * w.hp[l - 1]);
                db[l] = AlignedArrays.floats(w.hp[l]);
                dAlpha[l] = AlignedArrays.floats(w.hp[l]);
            }
            dWOut = AlignedArrays.floats(w.hp[w.layers - 1]);
            s1 = new double[w.maxHp];
            s2 = new double[w.maxHp];
            panel = AlignedArrays.floats(SeqKernels.panelFloats(Math.max(4 * w.d, w.maxHp)));
        }

        /**
         * Moves every array that a collection left off a cache line to an aligned copy ({@link AlignedArrays}); the
         * owner calls it between ops, when no thread uses them. An array left out of this list only stays where the
         * collector put it: slower at 256 and 512 bits, the same results.
         */
        void realign() {
            kp = AlignedArrays.realigned(kp);
            xu = AlignedArrays.realigned(xu);
            q = AlignedArrays.realigned(q);
            aq = AlignedArrays.realigned(aq);
            c = AlignedArrays.realigned(c);
            qNext = AlignedArrays.realigned(qNext);
            aqNext = AlignedArrays.realigned(aqNext);
            cNext = AlignedArrays.realigned(cNext);
            aT = AlignedArrays.realigned(aT);
            m = AlignedArrays.realigned(m);
            dk = AlignedArrays.realigned(dk);
            gsum = AlignedArrays.realigned(gsum);
            dq = AlignedArrays.realigned(dq);
            pooled = AlignedArrays.realigned(pooled);
            scores = AlignedArrays.realigned(scores);
            lanes = AlignedArrays.realigned(lanes);
            accM = AlignedArrays.realigned(accM);
            accMQ = AlignedArrays.realigned(accMQ);
            accGQ = AlignedArrays.realigned(accGQ);
            dWOut = AlignedArrays.realigned(dWOut);
            panel = AlignedArrays.realigned(panel);
            AlignedArrays.realign(preS);
            AlignedArrays.realign(actS);
            AlignedArrays.realign(gradS);
            AlignedArrays.realign(dW);
            AlignedArrays.realign(db);
            AlignedArrays.realign(dAlpha);
        }

        void zeroGradients() {
            Arrays.fill(accM, 0f);
            Arrays.fill(accMQ, 0f);
            Arrays.fill(accGQ, 0f);
            for (int l = 0; l < dW.length; l++) {
                if (dW[l] != null) {
                    Arrays.fill(dW[l], 0f);
                }
                Arrays.fill(db[l], 0f);
                Arrays.fill(dAlpha[l], 0f);
            }
            Arrays.fill(dWOut, 0f);
            dbOut = 0;
        }
    }

    /** Everything planned once for a unit, a maximum batch and history: weights re-laid out, saved activations. */
    private static final class Workspace implements AttentionWorkspace {
        final AttentionUnit unit;
        final boolean fold;
        float[] w0T;
        final int maxBatch;
        final int maxHistory;
        final int layers;
        final int d;
        final int dp;
        final int[] h;
        final int[] hp;
        final int maxHp;
        // First layer, folded: [D][hp0] for the forward GEMM, [h0][dp] for the backward.
        float[] w13T;
        float[] w23T;
        float[] w4T;
        float[] w13N;
        float[] w23N;
        float[] w4N;
        /**
         * Where the folded operands built per sample go, laid out as {@link SeqKernels#gemm}'s tiles read them
         * ({@link SeqKernels#panelMap}): column vector v of {@code A_q} (d rows), row c at {@code aqAt[v] + c·aqWidth[v]};
         * of {@code A_qᵀ} (h₀ rows), row o at {@code aTAt[v] + o·aTWidth[v]}. Built there, they are not copied into a
         * panel by every product (2.5% of DIN serving's JFR samples at 512 bits were that copy).
         */
        final int[] aqAt;
        final int[] aqWidth;
        final int[] aTAt;
        final int[] aTWidth;
        final float[][] wT;
        final float[][] wN;
        /**
         * {@link #wT} and {@link #wN} as {@link SeqKernels#gemm}'s tiles read them ({@link SeqKernels#panelize}), laid
         * out once per change of the weights instead of once per sample (the layer's forward and the backward's
         * gradient through it).
         */
        final float[][] wTp;
        final float[][] wNp;
        final float[][] bias;
        final float[][] alpha;
        /** {@code 1 − α} per channel, for Dice's forward: {@code y = x·(α + (1 − α)·p)} without the subtraction. */
        final float[][] oneMinusAlpha;
        float[] wOut;
        float bOut;
        /** One weight tensor at a time, read in bulk for {@link #prepare}'s re-layout (the largest: 4D × H₁). */
        float[] relayout;
        /** One row of ∂W₀'s {@code q − k} block, for {@link #writeGradients}. */
        float[] gradRow;
        final float[][] mean;
        final float[][] invStd;
        /** {@code −invStd·log₂e} per channel: Dice's forward takes σ((x − μ)·invStd) as {@code 1/(1 + 2^((x − μ)·uScale))}. */
        final float[][] uScale;
        /**
         * Dice's backward through the batch statistics, per channel: {@code ∂x = ĝ + dxShift + (x − μ)·dxSlope}, with
         * {@code dxShift = −invStd·mean(∂z)} and {@code dxSlope = −invStd²·mean(∂z·z)} ({@link #diceGradSums} leaves
         * ĝ in the gradient buffer).
         */
        float[] dxShift;
        float[] shift;
        /** See {@link #dxShift}. */
        float[] dxSlope;
        final float[][] pre;
        final float[][] act;
        final float[][] grad;
        final Worker[] workers;
        int rows;
        /**
         * Where sample b's rows start in the batch-wide buffers ({@link #pre}, {@link #act}, {@link #grad}), in rows:
         * the sum of the earlier samples' lengths, set by each forward. Packed by the rows' own lengths rather than
         * at b·T, so padding takes no room between samples: with every row at 15 behaviours but padded to T = 30, the
         * b·T layout spread the same touched rows over twice the memory and cost a 4.1-ms DIN training step (B = 256,
         * 512 bits) about 60 µs in the attention forward and 105 µs in its backward (docs/architecture.md).
         */
        final int[] rowStart;
        /**
         * Where this call keeps pre-activations and activations: in the batch-wide buffers (what a training
         * backward or Dice's batch statistics need) or in the worker's scratch for the sample at hand, which stays
         * in L1/L2 and saves streaming tens of MB through memory.
         */
        boolean preLocal;
        /** The current forward scores every row against row 0 of the keys ({@link #forwardPooledSharedKeys}). */
        boolean sharedKeys;
        boolean actLocal;
        boolean gradLocal;

        /** Dice's normalisation of channel o of layer l: its mean and 1/√(var + ε), and the forward's scale from them. */
        void setStatistics(int l, int o, double mu, double inverseStd) {
            mean[l][o] = (float) mu;
            invStd[l][o] = (float) inverseStd;
            uScale[l][o] = (float) (-inverseStd * LOG2E);
        }

        float[] grad(int l, Worker wk) {
            return gradLocal ? wk.gradS[l & 1] : grad[l & 1];
        }

        int gradOff(int l, int b) {
            return gradLocal ? 0 : rowStart[b] * hp[l];
        }

        float[] pre(int l, Worker wk) {
            return preLocal ? wk.preS[l] : pre[l];
        }

        int preOff(int l, int b) {
            return preLocal ? 0 : rowStart[b] * hp[l];
        }

        float[] act(int l, Worker wk) {
            return actLocal ? wk.actS[l] : act[l];
        }

        int actOff(int l, int b) {
            return actLocal ? 0 : rowStart[b] * hp[l];
        }

        Workspace(AttentionUnit unit, int maxBatch, int maxHistory, int threads, boolean fold) {
            this.unit = unit;
            this.fold = fold;
            this.maxBatch = maxBatch;
            this.maxHistory = maxHistory;
            layers = unit.layers();
            d = unit.width();
            dp = SeqKernels.padded(d);
            h = unit.hidden();
            hp = new int[layers];
            int mx = 0;
            for (int l = 0; l < layers; l++) {
                hp[l] = SeqKernels.padded(h[l]);
                mx = Math.max(mx, hp[l]);
            }
            maxHp = mx;
            w13T = AlignedArrays.floats(d * hp[0]);
            w23T = AlignedArrays.floats(d * hp[0]);
            w4T = AlignedArrays.floats(d * hp[0]);
            w13N = AlignedArrays.floats(h[0] * dp);
            w23N = AlignedArrays.floats(h[0] * dp);
            w4N = AlignedArrays.floats(h[0] * dp);
            w0T = fold ? null : AlignedArrays.floats(4 * d * hp[0]);
            aqAt = new int[hp[0] / SeqKernels.L];
            aqWidth = new int[aqAt.length];
            SeqKernels.panelMap(hp[0], d, aqAt, aqWidth);
            aTAt = new int[dp / SeqKernels.L];
            aTWidth = new int[aTAt.length];
            SeqKernels.panelMap(dp, h[0], aTAt, aTWidth);
            wT = new float[layers][];
            wN = new float[layers][];
            wTp = new float[layers][];
            wNp = new float[layers][];
            bias = new float[layers][];
            alpha = new float[layers][];
            oneMinusAlpha = new float[layers][];
            mean = new float[layers][];
            invStd = new float[layers][];
            uScale = new float[layers][];
            pre = new float[layers][];
            act = new float[layers][];
            if ((long) maxBatch * maxHistory * maxHp > Integer.MAX_VALUE - 64) {
                throw new IllegalArgumentException("maxBatch × maxHistory × hidden = " + maxBatch + " × " + maxHistory
                        + " × " + maxHp + " exceeds the 2³¹ floats a workspace buffer can hold; plan the "
                        + "workspace for a smaller batch or history");
            }
            int rowsMax = maxBatch * maxHistory;
            rowStart = new int[maxBatch];
            for (int l = 0; l < layers; l++) {
                if (l > 0) {
                    wT[l] = AlignedArrays.floats(h[l - 1] * hp[l]);
                    wN[l] = AlignedArrays.floats(h[l] * hp[l - 1]);
                    wTp[l] = AlignedArrays.floats(wT[l].length);
                    wNp[l] = AlignedArrays.floats(wN[l].length);
                }
                bias[l] = AlignedArrays.floats(hp[l]);
                alpha[l] = AlignedArrays.floats(hp[l]);
                oneMinusAlpha[l] = AlignedArrays.floats(hp[l]);
                mean[l] = AlignedArrays.floats(hp[l]);
                invStd[l] = AlignedArrays.floats(hp[l]);
                uScale[l] = AlignedArrays.floats(hp[l]);
                pre[l] = AlignedArrays.floats(rowsMax * hp[l]);
                // Only Dice's phased passes keep every sample's activations; the others recompute them per sample.
                act[l] = unit.activation() == Activation.DICE ? AlignedArrays.floats(rowsMax * hp[l]) : null;
            }
            wOut = AlignedArrays.floats(hp[layers - 1]);
            int largest = h[0] * 4 * d;
            for (int l = 1; l < layers; l++) {
                largest = Math.max(largest, h[l] * h[l - 1]);
            }
            relayout = AlignedArrays.floats(largest);
            gradRow = AlignedArrays.floats(dp);
            dxShift = AlignedArrays.floats(maxHp);
            shift = AlignedArrays.floats(maxHp);
            dxSlope = AlignedArrays.floats(maxHp);
            // Only Dice's phased backward keeps every sample's gradients; the others work per sample in scratch.
            grad = unit.activation() == Activation.DICE
                    ? new float[][] {AlignedArrays.floats(rowsMax * maxHp), AlignedArrays.floats(rowsMax * maxHp)} : null;
            workers = new Worker[threads];
            for (int i = 0; i < threads; i++) {
                workers[i] = new Worker(this);
            }
        }

        /** The GC epoch ({@link AlignedArrays#gcEpoch}) at which {@link #keepAligned} last looked. */
        private int alignedAt = AlignedArrays.gcEpoch();

        /**
         * After a garbage collection (which may have moved them), moves the arrays it left off a cache line to aligned
         * copies, the workers' too. Called at the start of each op, before any worker runs.
         */
        void keepAligned() {
            int epoch = AlignedArrays.gcEpoch();
            if (epoch == alignedAt) {
                return;
            }
            alignedAt = epoch;
            w0T = AlignedArrays.realigned(w0T);
            w13T = AlignedArrays.realigned(w13T);
            w23T = AlignedArrays.realigned(w23T);
            w4T = AlignedArrays.realigned(w4T);
            w13N = AlignedArrays.realigned(w13N);
            w23N = AlignedArrays.realigned(w23N);
            w4N = AlignedArrays.realigned(w4N);
            wOut = AlignedArrays.realigned(wOut);
            relayout = AlignedArrays.realigned(relayout);
            gradRow = AlignedArrays.realigned(gradRow);
            dxShift = AlignedArrays.realigned(dxShift);
            shift = AlignedArrays.realigned(shift);
            dxSlope = AlignedArrays.realigned(dxSlope);
            AlignedArrays.realign(wT);
            AlignedArrays.realign(wN);
            AlignedArrays.realign(wTp);
            AlignedArrays.realign(wNp);
            AlignedArrays.realign(bias);
            AlignedArrays.realign(alpha);
            AlignedArrays.realign(oneMinusAlpha);
            AlignedArrays.realign(mean);
            AlignedArrays.realign(invStd);
            AlignedArrays.realign(uScale);
            AlignedArrays.realign(pre);
            AlignedArrays.realign(act);
            AlignedArrays.realign(grad);
            for (Worker wk : workers) {
                wk.realign();
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

        /**
         * The {@link DerivedCache}s of the parameters the re-laid-out arrays were made from (weights, biases,
         * alphas) and their versions then, when every parameter has one (a model's parameters do); else null.
         */
        private DerivedCache[] preparedFrom;
        private long[] preparedVersions;
        /** Copies of those parameters, kept only for parameters without a cache (raw tensors, as in op tests), or null. */
        private MemorySegment[] prepared;

        /**
         * Whether every parameter is unchanged since {@link #prepare} last laid it out. Serving runs the unit with
         * unchanged parameters call after call, and the re-layout costs more than the unit's arithmetic at batch 1.
         * A model's parameters carry a version that their writers bump, so the check is one comparison per tensor;
         * tensors without one are compared element by element with a copy.
         */
        private boolean unchanged(List<Tensor> params) {
            if (preparedFrom != null) {
                for (int i = 0; i < preparedFrom.length; i++) {
                    DerivedCache c = params.get(i).cache();
                    if (c != preparedFrom[i] || c.version() != preparedVersions[i]) {
                        return false;
                    }
                }
                return true;
            }
            if (prepared == null) {
                return false;
            }
            for (int i = 0; i < prepared.length; i++) {
                MemorySegment now = params.get(i).segment();
                if (now.byteSize() != prepared[i].byteSize()
                        || MemorySegment.mismatch(prepared[i], 0, prepared[i].byteSize(), now, 0, now.byteSize()) != -1) {
                    return false;
                }
            }
            return true;
        }

        /** Re-lays the parameters out padded to whole vectors (the first layer split into its folded parts) unless unchanged. */
        void prepare(AttentionParams p) {
            List<Tensor> params = new ArrayList<>(List.of(p.weights()));
            params.addAll(List.of(p.biases()));
            for (Tensor a : p.alphas() == null ? new Tensor[0] : p.alphas()) {
                if (a != null) {
                    params.add(a);
                }
            }
            if (unchanged(params)) {
                return;
            }
            if (params.stream().allMatch(t -> t.cache() != null)) {
                // Versions read before the re-layout: a write racing with it would only make the next call redo it.
                preparedFrom = new DerivedCache[params.size()];
                preparedVersions = new long[params.size()];
                for (int i = 0; i < preparedFrom.length; i++) {
                    preparedFrom[i] = params.get(i).cache();
                    preparedVersions[i] = preparedFrom[i].version();
                }
                prepared = null;
            } else {
                preparedFrom = null;
                if (prepared == null) {
                    prepared = new MemorySegment[params.size()];
                    for (int i = 0; i < prepared.length; i++) {
                        prepared[i] = MemorySegment.ofArray(new float[Math.toIntExact(params.get(i).size())]);
                    }
                }
                for (int i = 0; i < prepared.length; i++) {
                    MemorySegment.copy(params.get(i).segment(), 0, prepared[i], 0, prepared[i].byteSize());
                }
            }
            // Each tensor is read in one bulk copy and re-laid out row by row in helpers: the per-element reads
            // this loop used to make kept a method that runs once per training step hot enough for an on-stack
            // compile and then a normal one (2 × ~90 ms and ~170 ms of C2's time in the warm-up, while the kernels
            // waited in its queue).
            int in = 4 * d;
            SeqKernels.load(p.weights()[0].segment(), 0, relayout, 0, h[0] * in);
            for (int o = 0; o < h[0]; o++) {
                foldRow(o);
                if (w0T != null) {
                    transposeRow(relayout, o * in, in, w0T, hp[0], o);
                }
            }
            for (int l = 0; l < layers; l++) {
                SeqKernels.load(p.biases()[l].segment(), 0, bias[l], 0, h[l]);
                if (unit.activation().hasAlpha()) {
                    SeqKernels.load(p.alphas()[l].segment(), 0, alpha[l], 0, h[l]);
                    for (int o = 0; o < hp[l]; o++) {
                        oneMinusAlpha[l][o] = 1 - alpha[l][o];
                    }
                }
                if (l > 0) {
                    int k = h[l - 1];
                    SeqKernels.load(p.weights()[l].segment(), 0, relayout, 0, h[l] * k);
                    for (int o = 0; o < h[l]; o++) {
                        transposeRow(relayout, o * k, k, wT[l], hp[l], o);
                        System.arraycopy(relayout, o * k, wN[l], o * hp[l - 1], k);
                    }
                    SeqKernels.panelize(wT[l], 0, hp[l], k, hp[l], wTp[l]);
                    SeqKernels.panelize(wN[l], 0, hp[l - 1], h[l], hp[l - 1], wNp[l]);
                }
            }
            SeqKernels.load(p.weights()[layers].segment(), 0, wOut, 0, h[layers - 1]);
            bOut = p.biases()[layers].getFloat(0);
        }

        /**
         * Output o of the first layer, from its row of the 4D-wide weight in {@link #relayout}, split into the
         * folded parts: {@code W1 + W3}, {@code W2 − W3} and {@code W4}, as columns (forward) and rows (backward).
         */
        private void foldRow(int o) {
            int row = o * 4 * d;
            int t = o;
            int n = o * dp;
            for (int c = 0; c < d; c++, t += hp[0], n++) {
                float w1 = relayout[row + c];
                float w2 = relayout[row + d + c];
                float w3 = relayout[row + 2 * d + c];
                float w4 = relayout[row + 3 * d + c];
                w13T[t] = w1 + w3;
                w23T[t] = w2 - w3;
                w4T[t] = w4;
                w13N[n] = w1 + w3;
                w23N[n] = w2 - w3;
                w4N[n] = w4;
            }
        }

        /** {@code dst[i·stride + col] = src[from + i]} for {@code i < n}: one row of a weight into a column. */
        private static void transposeRow(float[] src, int from, int n, float[] dst, int stride, int col) {
            for (int i = 0, at = col; i < n; i++, at += stride) {
                dst[at] = src[from + i];
            }
        }
    }

    @Override
    public AttentionWorkspace newWorkspace(AttentionUnit unit, TensorArena arena, int maxBatch, int maxHistory) {
        if (unit == null) {
            throw new IllegalArgumentException("unit: missing (null)");
        }
        if (maxBatch <= 0 || maxHistory <= 0) {
            throw new IllegalArgumentException("maxBatch and maxHistory must be positive, got " + maxBatch + ", " + maxHistory);
        }
        return new Workspace(unit, maxBatch, maxHistory, parallel.threads(), fold);
    }

    private Workspace workspace(AttentionUnit unit, AttentionWorkspace ws) {
        if (!(ws instanceof Workspace w) || !w.unit.equals(unit)) {
            throw new IllegalArgumentException("ws: not a cpu workspace for " + unit + ", got " + ws);
        }
        if (w.workers.length < parallel.threads()) {
            throw new IllegalArgumentException("ws: planned for " + w.workers.length + " threads, this backend runs "
                    + parallel.threads());
        }
        return w;
    }

    // ------------------------------------------------------------------ forward

    @Override
    public void forward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                        AttentionWorkspace ws, Tensor scores, boolean training) {
        forward(unit, params, q, keys, lengths, ws, scores, training, null);
    }

    /**
     * Pools each sample right after scoring it, from the behaviours the first layer loaded into the worker's
     * scratch: pooling as its own op read all of them again from memory (a part of 128 samples at T = 50 holds
     * 1.6 MB of behaviours, past L2), 4–5% of DIN inference.
     */
    @Override
    public boolean forwardPooled(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                                 AttentionWorkspace ws, Tensor scores, Tensor pooled) {
        forward(unit, params, q, keys, lengths, ws, scores, false, pooled);
        return true;
    }

    /**
     * {@link #forwardPooled} with every candidate scored against the one key sequence: each worker loads the keys
     * into its scratch once per call instead of once per candidate, and nobody copies them into B rows first.
     */
    @Override
    public boolean forwardPooledSharedKeys(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys,
                                           Tensor lengths, AttentionWorkspace ws, Tensor scores, Tensor pooled) {
        int[] bt = SeqArgs.attentionSharedKeys(unit, q, keys, lengths, ws, scores, pooled, V);
        forward(unit, params, q, keys, lengths, ws, scores, false, pooled, bt, true);
        return true;
    }

    @Override
    public boolean sharesKeys() {
        return true;
    }

    private void forward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                         AttentionWorkspace ws, Tensor scores, boolean training, Tensor pooled) {
        int[] bt = SeqArgs.attentionInputs(unit, q, keys, lengths, ws, "scores", scores, V);
        if (pooled != null) {
            SeqArgs.values("pooled", pooled, V, bt[0], unit.width());
        }
        forward(unit, params, q, keys, lengths, ws, scores, training, pooled, bt, false);
    }

    /** The forward on checked arguments; {@code sharedKeys}: {@code keys} is {@code [1, T, D]}, every row's. */
    private void forward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                         AttentionWorkspace ws, Tensor scores, boolean training, Tensor pooled, int[] bt,
                         boolean sharedKeys) {
        SeqArgs.attentionParams("params", unit, params, V, false);
        Workspace w = workspace(unit, ws);
        w.keepAligned();
        int bN = bt[0], tN = bt[1];
        w.prepare(params);
        w.sharedKeys = sharedKeys;
        for (Worker wk : w.workers) {
            wk.sharedKeysLoaded = 0;
            wk.foldedFor = -1;
        }
        int rows = 0;
        for (int b = 0; b < bN; b++) {
            w.rowStart[b] = rows;
            rows += lengths.getInt(b);
        }
        w.rows = rows;
        boolean dice = unit.activation() == Activation.DICE;
        if (dice && !training) {
            for (int l = 0; l < w.layers; l++) {
                DiceState s = params.dice()[l];
                for (int o = 0; o < w.h[l]; o++) {
                    w.setStatistics(l, o, s.runningMean().getFloat(o), 1 / Math.sqrt(s.runningVar().getFloat(o) + Dice.EPSILON));
                }
            }
        }
        if (!(dice && training) || rows == 0) {
            w.preLocal = !training;
            w.actLocal = true;
            parallel.forRange(bN, 1, (wk, from, to) -> {
                for (int b = from; b < to; b++) {
                    for (int l = 0; l < w.layers; l++) {
                        layer(w, l, b, tN, q, keys, lengths, w.workers[wk], b + 1 < to ? b + 1 : -1);
                        activate(w, l, b, tN, lengths, w.workers[wk]);
                    }
                    score(w, b, tN, lengths, scores, w.workers[wk]);
                    if (pooled != null) {
                        pool(w, b, tN, lengths, pooled, w.workers[wk]);
                    }
                }
            });
            return;
        }
        w.preLocal = false;
        w.actLocal = false;
        for (int l = 0; l < w.layers; l++) {
            int layer = l;
            zeroSums(w);
            DiceState state = params.dice()[l];
            for (int o = 0; o < w.h[l]; o++) {
                w.shift[o] = state.runningMean().getFloat(o);
            }
            // Each sample's activation of the layer below runs just before its pre-activations here, while they
            // are in cache, rather than in a pass of its own that read the whole batch's back from memory.
            parallel.forRange(bN, 1, (wk, from, to) -> {
                for (int b = from; b < to; b++) {
                    if (layer > 0) {
                        activate(w, layer - 1, b, tN, lengths, w.workers[wk]);
                    }
                    layer(w, layer, b, tN, q, keys, lengths, w.workers[wk], b + 1 < to ? b + 1 : -1);
                    batchSums(w, layer, b, tN, lengths, w.workers[wk]);
                }
            });
            Worker sums = reduceSums(w, w.h[l]);
            for (int o = 0; o < w.h[l]; o++) {
                double s1 = sums.s1[o];
                double s2 = sums.s2[o];
                // Sums were of x − running mean, which is close to the batch mean, so E[x²] − E[x]² cancels little.
                double shifted = s1 / rows;
                double mean = state.runningMean().getFloat(o) + shifted;
                double var = Math.max(0, s2 / rows - shifted * shifted);
                w.setStatistics(l, o, mean, 1 / Math.sqrt(var + Dice.EPSILON));
                Tensor rm = state.runningMean();
                Tensor rv = state.runningVar();
                rm.setFloat(o, (float) ((1 - Dice.MOMENTUM) * rm.getFloat(o) + Dice.MOMENTUM * mean));
                rv.setFloat(o, (float) ((1 - Dice.MOMENTUM) * rv.getFloat(o) + Dice.MOMENTUM * var));
            }
        }
        int last = w.layers - 1;
        parallel.forRange(bN, 1, (wk, from, to) -> {
            for (int b = from; b < to; b++) {
                activate(w, last, b, tN, lengths, w.workers[wk]);
                score(w, b, tN, lengths, scores, w.workers[wk]);
            }
        });
    }

    private static void zeroSums(Workspace w) {
        for (Worker wk : w.workers) {
            Arrays.fill(wk.s1, 0);
            Arrays.fill(wk.s2, 0);
        }
    }

    /** Adds every worker's per-channel partial sums into the first worker's, in worker order (reproducible). */
    private static Worker reduceSums(Workspace w, int channels) {
        Worker first = w.workers[0];
        for (int k = 1; k < w.workers.length; k++) {
            for (int o = 0; o < channels; o++) {
                first.s1[o] += w.workers[k].s1[o];
                first.s2[o] += w.workers[k].s2[o];
            }
        }
        return first;
    }

    /**
     * Loads sample b's candidate and its valid behaviours into the worker's padded scratch. With shared keys the
     * behaviours are row 0's, loaded once per call and worker (only more rows when a later sample is longer).
     */
    private static void loadSample(Workspace w, int b, int tN, int len, Tensor q, Tensor keys, Worker wk) {
        int d = w.d;
        SeqKernels.load(q.segment(), (long) b * d * Float.BYTES, wk.q, 0, d);
        if (w.sharedKeys && wk.sharedKeysLoaded >= len) {
            return;
        }
        long sample = w.sharedKeys ? 0 : b;
        MemorySegment ks = keys.segment();
        if (d == w.dp) {
            // Rows need no padding: one bulk copy instead of len small ones.
            SeqKernels.load(ks, sample * tN * d * Float.BYTES, wk.kp, 0, len * d);
        } else {
            for (int t = 0; t < len; t++) {
                SeqKernels.load(ks, (sample * tN + t) * d * Float.BYTES, wk.kp, t * w.dp, d);
            }
        }
        wk.sharedKeysLoaded = w.sharedKeys ? len : 0;
    }

    /**
     * Pre-activations of layer l for sample b's valid rows. {@code next}: the sample this worker runs after b in the
     * same pass, or −1; the first layer folds its candidate with b's when it has behaviours.
     */
    private static void layer(Workspace w, int l, int b, int tN, Tensor q, Tensor keys, Tensor lengths, Worker wk,
                              int next) {
        int len = lengths.getInt(b);
        if (len == 0) {
            return;
        }
        int hp = w.hp[l];
        int off = w.preOff(l, b);
        float[] pre = w.pre(l, wk);
        if (l > 0) {
            SeqKernels.gemm(w.act(l - 1, wk), w.actOff(l - 1, b), w.hp[l - 1], len, w.h[l - 1], w.wT[l], 0, hp, hp,
                    w.bias[l], pre, off, hp, false, wk.panel, w.wTp[l]);
            return;
        }
        loadSample(w, b, tN, len, q, keys, wk);
        if (!w.fold) {
            unfoldedFirstLayer(w, pre, off, len, wk);
            return;
        }
        if (wk.foldedFor == b) {
            // folded with the sample before it
            float[] t = wk.aq;
            wk.aq = wk.aqNext;
            wk.aqNext = t;
            t = wk.c;
            wk.c = wk.cNext;
            wk.cNext = t;
            wk.foldedFor = -1;
        } else if (next >= 0 && lengths.getInt(next) > 0) {
            SeqKernels.load(q.segment(), (long) next * w.d * Float.BYTES, wk.qNext, 0, w.d);
            foldPair(w, hp, wk);
            wk.foldedFor = next;
        } else {
            foldCandidate(w, hp, wk);
        }
        SeqKernels.gemm(wk.kp, 0, w.dp, len, w.d, wk.aq, 0, hp, hp, wk.c, pre, off, hp, false, wk.panel, wk.aq);
    }

    /**
     * Builds the candidate's folded first layer: {@code A_q[c, :] = (W2 − W3)[:, c] + q_c·W4[:, c]} into the GEMM's
     * panels and {@code c_q = b + Σ_c q_c·(W1 + W3)[:, c]} into {@code wk.c}. Four column vectors at a time, c inner:
     * each vector's c_q sum stays in a register through its d terms (the same order as one term at a time), where
     * with c outer it went through memory, a store-to-load chain per term (6.5% of DIN serving's time, JFR).
     */
    private static void foldCandidate(Workspace w, int hp, Worker wk) {
        float[] w4 = w.w4T, w23 = w.w23T, w13 = w.w13T, q = wk.q, aq = wk.aq, bias = w.bias[0];
        int d = w.d;
        int j = 0;
        for (; j + 4 * L <= hp; j += 4 * L) {
            int v = j / L;
            int at0 = w.aqAt[v], at1 = w.aqAt[v + 1], at2 = w.aqAt[v + 2], at3 = w.aqAt[v + 3];
            int wd0 = w.aqWidth[v], wd1 = w.aqWidth[v + 1], wd2 = w.aqWidth[v + 2], wd3 = w.aqWidth[v + 3];
            FloatVector c0 = FloatVector.fromArray(S, bias, j), c1 = FloatVector.fromArray(S, bias, j + L);
            FloatVector c2 = FloatVector.fromArray(S, bias, j + 2 * L), c3 = FloatVector.fromArray(S, bias, j + 3 * L);
            for (int c = 0, i = j; c < d; c++, i += hp) {
                // scalar math: aq[c, j] = w23[c, j] + q_c·w4[c, j] (into the panels); cq[j] += q_c·w13[c, j]
                FloatVector qv = FloatVector.broadcast(S, q[c]);
                qv.fma(FloatVector.fromArray(S, w4, i), FloatVector.fromArray(S, w23, i)).intoArray(aq, at0 + c * wd0);
                qv.fma(FloatVector.fromArray(S, w4, i + L), FloatVector.fromArray(S, w23, i + L)).intoArray(aq, at1 + c * wd1);
                qv.fma(FloatVector.fromArray(S, w4, i + 2 * L), FloatVector.fromArray(S, w23, i + 2 * L)).intoArray(aq, at2 + c * wd2);
                qv.fma(FloatVector.fromArray(S, w4, i + 3 * L), FloatVector.fromArray(S, w23, i + 3 * L)).intoArray(aq, at3 + c * wd3);
                c0 = qv.fma(FloatVector.fromArray(S, w13, i), c0);
                c1 = qv.fma(FloatVector.fromArray(S, w13, i + L), c1);
                c2 = qv.fma(FloatVector.fromArray(S, w13, i + 2 * L), c2);
                c3 = qv.fma(FloatVector.fromArray(S, w13, i + 3 * L), c3);
            }
            c0.intoArray(wk.c, j);
            c1.intoArray(wk.c, j + L);
            c2.intoArray(wk.c, j + 2 * L);
            c3.intoArray(wk.c, j + 3 * L);
        }
        for (; j < hp; j += L) {
            int at = w.aqAt[j / L], wd = w.aqWidth[j / L];
            FloatVector c0 = FloatVector.fromArray(S, bias, j);
            for (int c = 0, i = j; c < d; c++, i += hp) {
                // scalar math: as above, one column vector
                FloatVector qv = FloatVector.broadcast(S, q[c]);
                qv.fma(FloatVector.fromArray(S, w4, i), FloatVector.fromArray(S, w23, i)).intoArray(aq, at + c * wd);
                c0 = qv.fma(FloatVector.fromArray(S, w13, i), c0);
            }
            c0.intoArray(wk.c, j);
        }
    }

    /**
     * {@link #foldCandidate} for two candidates at once, {@code wk.q} into {@code wk.aq} and {@code wk.c} and
     * {@code wk.qNext} into {@code wk.aqNext} and {@code wk.cNext}, each with the same operations in the same order
     * as alone (the same bits). The fold reads three D × H₁ weights (60 KiB for DIN's 64 × 80) for 2·D·H₁
     * multiply-adds; between two samples the behaviours' gather and the products push those weights out of L2, so
     * alone it took 9.4% of DIN inference's samples (JFR, B = 1,024, T = 50, AVX2 server), twice as many per FLOP as
     * the products. Two column vectors at a time: with the four of a sample's and the next's sums in registers,
     * 16 registers would not hold the loads beside them.
     */
    private static void foldPair(Workspace w, int hp, Worker wk) {
        float[] w4 = w.w4T, w23 = w.w23T, w13 = w.w13T, q0 = wk.q, q1 = wk.qNext, aq0 = wk.aq, aq1 = wk.aqNext;
        float[] bias = w.bias[0];
        int d = w.d;
        int j = 0;
        for (; j + 2 * L <= hp; j += 2 * L) {
            int v = j / L;
            int at0 = w.aqAt[v], at1 = w.aqAt[v + 1];
            int wd0 = w.aqWidth[v], wd1 = w.aqWidth[v + 1];
            FloatVector c00 = FloatVector.fromArray(S, bias, j), c01 = FloatVector.fromArray(S, bias, j + L);
            FloatVector c10 = c00, c11 = c01;
            for (int c = 0, i = j; c < d; c++, i += hp) {
                // scalar math: as foldCandidate, for the candidates q0 and q1
                FloatVector p0 = FloatVector.broadcast(S, q0[c]);
                FloatVector p1 = FloatVector.broadcast(S, q1[c]);
                FloatVector w40 = FloatVector.fromArray(S, w4, i), w230 = FloatVector.fromArray(S, w23, i);
                p0.fma(w40, w230).intoArray(aq0, at0 + c * wd0);
                p1.fma(w40, w230).intoArray(aq1, at0 + c * wd0);
                FloatVector w41 = FloatVector.fromArray(S, w4, i + L), w231 = FloatVector.fromArray(S, w23, i + L);
                p0.fma(w41, w231).intoArray(aq0, at1 + c * wd1);
                p1.fma(w41, w231).intoArray(aq1, at1 + c * wd1);
                FloatVector w130 = FloatVector.fromArray(S, w13, i), w131 = FloatVector.fromArray(S, w13, i + L);
                c00 = p0.fma(w130, c00);
                c01 = p0.fma(w131, c01);
                c10 = p1.fma(w130, c10);
                c11 = p1.fma(w131, c11);
            }
            c00.intoArray(wk.c, j);
            c01.intoArray(wk.c, j + L);
            c10.intoArray(wk.cNext, j);
            c11.intoArray(wk.cNext, j + L);
        }
        for (; j < hp; j += L) {
            int at = w.aqAt[j / L], wd = w.aqWidth[j / L];
            FloatVector c0 = FloatVector.fromArray(S, bias, j), c1 = c0;
            for (int c = 0, i = j; c < d; c++, i += hp) {
                // scalar math: as above, one column vector
                FloatVector p0 = FloatVector.broadcast(S, q0[c]);
                FloatVector p1 = FloatVector.broadcast(S, q1[c]);
                FloatVector w4v = FloatVector.fromArray(S, w4, i), w23v = FloatVector.fromArray(S, w23, i);
                p0.fma(w4v, w23v).intoArray(aq0, at + c * wd);
                p1.fma(w4v, w23v).intoArray(aq1, at + c * wd);
                FloatVector w13v = FloatVector.fromArray(S, w13, i);
                c0 = p0.fma(w13v, c0);
                c1 = p1.fma(w13v, c1);
            }
            c0.intoArray(wk.c, j);
            c1.intoArray(wk.cNext, j);
        }
    }

    /** The diagnostic unfolded first layer: explicit {@code [q, k, q − k, q ⊙ k]} rows times the 4D×H₁ weight. */
    private static void unfoldedFirstLayer(Workspace w, float[] pre, int off, int len, Worker wk) {
        int d = w.d;
        for (int t = 0; t < len; t++) {
            int row = t * 4 * d;
            for (int c = 0; c < d; c++) {
                float qc = wk.q[c];
                float kc = wk.kp[t * w.dp + c];
                wk.xu[row + c] = qc;
                wk.xu[row + d + c] = kc;
                wk.xu[row + 2 * d + c] = qc - kc;
                wk.xu[row + 3 * d + c] = qc * kc;
            }
        }
        int hp = w.hp[0];
        SeqKernels.gemm(wk.xu, 0, 4 * d, len, 4 * d, w.w0T, 0, hp, hp, w.bias[0], pre, off, hp, false, wk.panel, null);
    }

    /** Per-channel sums of (x − running mean) and its square over sample b's valid rows of layer l. */
    private static void batchSums(Workspace w, int l, int b, int tN, Tensor lengths, Worker wk) {
        int len = lengths.getInt(b);
        int hp = w.hp[l];
        int off = w.rowStart[b] * hp;
        float[] x = w.pre[l];
        for (int j = 0; j < w.h[l]; j += L) {
            FloatVector shift = FloatVector.fromArray(S, w.shift, j);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            for (int t = 0; t < len; t++) {
                // scalar math: s1 += x − shift; s2 += (x − shift)²
                FloatVector v = FloatVector.fromArray(S, x, off + t * hp + j).sub(shift);
                a1 = a1.add(v);
                a2 = v.fma(v, a2);
            }
            for (int i = 0; i < L && j + i < w.h[l]; i++) {
                wk.s1[j + i] += a1.lane(i);
                wk.s2[j + i] += a2.lane(i);
            }
        }
    }

    /** Applies layer l's activation to sample b's valid rows (Dice with the statistics in the workspace). */
    private static void activate(Workspace w, int l, int b, int tN, Tensor lengths, Worker wk) {
        int len = lengths.getInt(b);
        int hp = w.hp[l];
        int off = w.preOff(l, b);
        int yOff = w.actOff(l, b);
        float[] x = w.pre(l, wk);
        float[] y = w.act(l, wk);
        switch (w.unit.activation()) {
            // ReLU and PReLU as a compare and a blend, not FloatVector.max/min: those keep Java's NaN and −0 rules,
            // several instructions each on AVX2; PReLU as min·α + max took 1.04–1.15× as long in inference.
            case RELU -> {
                for (int i = 0; i < len * hp; i += L) {
                    // scalar math: y = x ≤ 0 ? 0 : x  (the bits of max(x, 0), −0 and NaN included)
                    FloatVector v = FloatVector.fromArray(S, x, off + i);
                    v.blend(0f, v.compare(VectorOperators.LE, 0f)).intoArray(y, yOff + i);
                }
            }
            case SIGMOID -> {
                // σ in base 2, as Dice's below: ~18 vector operations against ~27 through SeqKernels.sigmoid, 3–7%
                // of the unit's inference (docs/architecture.md, "The sigmoid attention unit takes the same path").
                // x·log₂e rounds once, which moves σ as much as one ulp more on x would (the products' own rounding
                // is ~1e-6 relative). x is clamped to ±87 first (SIGMOID_LIMIT), so that ±∞ give ~0 and 1 rather
                // than NaN and no output is subnormal; NaN stays NaN.
                FloatVector limit = FloatVector.broadcast(S, SIGMOID_LIMIT);
                FloatVector negLimit = FloatVector.broadcast(S, -SIGMOID_LIMIT);
                for (int i = 0; i < len * hp; i += L) {
                    // scalar math: y = 1/(1 + e^−x) = 1/(1 + 2^(−x·log₂e)), x clamped to [−87, 87]
                    FloatVector v = FloatVector.fromArray(S, x, off + i);
                    v = v.blend(limit, v.compare(VectorOperators.GT, SIGMOID_LIMIT))
                            .blend(negLimit, v.compare(VectorOperators.LT, -SIGMOID_LIMIT));
                    SeqKernels.reciprocalOnePlusExp2(v.mul(SeqKernels.MINUS_LOG2E)).intoArray(y, yOff + i);
                }
            }
            case PRELU -> {
                for (int t = 0; t < len; t++) {
                    for (int j = 0; j < hp; j += L) {
                        // scalar math: y = x ≤ 0 ? α·x : x  (as CpuActivationOps.prelu)
                        int i = t * hp + j;
                        FloatVector v = FloatVector.fromArray(S, x, off + i);
                        v.blend(v.mul(FloatVector.fromArray(S, w.alpha[l], j)), v.compare(VectorOperators.LE, 0f)).intoArray(y, yOff + i);
                    }
                }
            }
            case DICE -> {
                // σ in base 2 with log₂e folded into uScale, 1 − α kept per channel: ~15 vector operations against
                // ~27 through SeqKernels.sigmoid (Dice was a quarter of DIN serving's time). Rows outer: in training
                // the rows come from memory, and a channels-outer loop's 320-byte strides ran the training pass's
                // activate 1.6× as long; on rows already in L1 the two orders ran alike.
                // Each vector's operations form one chain of ~60 cycles (the division alone ~11 on Zen 3), and this
                // loop ran at ~11 cycles a vector where its operations need ~5: bound by the chain, not the ports.
                // So (1 − α)·x and α·x are formed beside the chain, which then ends in one FMA instead of an FMA
                // and a multiply, and the polynomial is in Estrin's form (SeqKernels.reciprocalOnePlusExp2)
                // (docs/architecture.md, "Dice's chain"). The exponent stays (x − μ)·uScale: as one FMA,
                // x·uScale + μ·invStd·log₂e, it cancels two large terms where the variance is small and lost
                // σ(0) = ½ exactly at x = μ (one sample's batch statistics: the reference test failed).
                for (int t = 0; t < len; t++) {
                    for (int j = 0; j < hp; j += L) {
                        // scalar math: p = σ((x − μ)·invStd) = 1/(1 + 2^((x − μ)·uScale)); y = (1 − α)·x·p + α·x  (paper eq. 9)
                        int i = t * hp + j;
                        FloatVector v = FloatVector.fromArray(S, x, off + i);
                        FloatVector u = v.sub(FloatVector.fromArray(S, w.mean[l], j)).mul(FloatVector.fromArray(S, w.uScale[l], j));
                        FloatVector p = SeqKernels.reciprocalOnePlusExp2(u);
                        FloatVector ox = v.mul(FloatVector.fromArray(S, w.oneMinusAlpha[l], j));
                        FloatVector ax = v.mul(FloatVector.fromArray(S, w.alpha[l], j));
                        p.fma(ox, ax).intoArray(y, yOff + i);
                    }
                }
            }
        }
    }

    /**
     * Sample b's scores from the last hidden layer; 0 at padding. They go to the worker's {@link Worker#scores} first
     * and then to the tensor in one copy, so that {@link #pool} reads them from an array.
     */
    private static void score(Workspace w, int b, int tN, Tensor lengths, Tensor scores, Worker wk) {
        int len = lengths.getInt(b);
        int last = w.layers - 1;
        int hp = w.hp[last];
        float[] a = w.act(last, wk);
        int off = w.actOff(last, b);
        float[] out = wk.scores;
        for (int t = 0; t < len; t++) {
            out[t] = w.bOut + SeqKernels.dot(a, off + t * hp, w.wOut, 0, hp, wk.lanes, t * SeqKernels.L);
        }
        Arrays.fill(out, len, tN, 0f);
        MemorySegment.copy(out, 0, scores.segment(), SeqKernels.F, (long) b * tN * Float.BYTES, tN);
    }

    /**
     * {@code pooled[b] = Σ_{t < len} scores[b, t]·keys[b, t]} from the behaviours {@link #layer} loaded into the
     * worker's scratch and the scores {@link #score} left in {@link Worker#scores}, summed in t order with one FMA
     * per element as {@code CpuPoolingOps.weightedSum} does, so the two give the same bits. Up to four vectors of
     * the sum stay in registers across all t rather than going through memory at every t.
     */
    private static void pool(Workspace w, int b, int tN, Tensor lengths, Tensor pooled, Worker wk) {
        int len = lengths.getInt(b);
        int dp = w.dp;
        float[] k = wk.kp;
        float[] sc = wk.scores;
        float[] acc = wk.pooled;
        int c = 0;
        for (; c + 4 * L <= dp; c += 4 * L) {
            FloatVector x0 = FloatVector.zero(S), x1 = x0, x2 = x0, x3 = x0;
            for (int t = 0, at = c; t < len; t++, at += dp) {
                // scalar math: pooled[b, c] += scores[b, t]·keys[b, t, c], for 4 vectors of c
                FloatVector s = FloatVector.broadcast(S, sc[t]);
                x0 = FloatVector.fromArray(S, k, at).fma(s, x0);
                x1 = FloatVector.fromArray(S, k, at + L).fma(s, x1);
                x2 = FloatVector.fromArray(S, k, at + 2 * L).fma(s, x2);
                x3 = FloatVector.fromArray(S, k, at + 3 * L).fma(s, x3);
            }
            x0.intoArray(acc, c);
            x1.intoArray(acc, c + L);
            x2.intoArray(acc, c + 2 * L);
            x3.intoArray(acc, c + 3 * L);
        }
        for (; c < dp; c += L) {
            FloatVector x = FloatVector.zero(S);
            for (int t = 0, at = c; t < len; t++, at += dp) {
                // scalar math: pooled[b, c] += scores[b, t]·keys[b, t, c]
                x = FloatVector.fromArray(S, k, at).fma(FloatVector.broadcast(S, sc[t]), x);
            }
            x.intoArray(acc, c);
        }
        MemorySegment.copy(acc, 0, pooled.segment(), SeqKernels.F, (long) b * w.d * Float.BYTES, w.d);
    }

    // ------------------------------------------------------------------ backward

    @Override
    public void backward(AttentionUnit unit, AttentionParams params, Tensor q, Tensor keys, Tensor lengths,
                         AttentionWorkspace ws, Tensor dScores, Tensor dq, Tensor dKeys, AttentionParams grads) {
        int[] bt = SeqArgs.attentionInputs(unit, q, keys, lengths, ws, "dScores", dScores, V);
        int bN = bt[0], tN = bt[1];
        SeqArgs.attentionParams("params", unit, params, V, false);
        SeqArgs.attentionParams("grads", unit, grads, V, true);
        SeqArgs.values("dq", dq, V, bN, unit.width());
        SeqArgs.values("dKeys", dKeys, V, bN, tN, unit.width());
        Workspace w = workspace(unit, ws);
        w.keepAligned();
        w.prepare(params);
        w.sharedKeys = false;
        for (Worker wk : w.workers) {
            wk.zeroGradients();
        }
        int rows = w.rows;
        if (rows == 0) {
            return;
        }
        w.preLocal = false;
        w.actLocal = unit.activation() != Activation.DICE;
        w.gradLocal = w.actLocal;
        if (unit.activation() != Activation.DICE) {
            parallel.forRange(bN, 1, (wk, from, to) -> {
                for (int b = from; b < to; b++) {
                    for (int l = 0; l < w.layers; l++) {
                        activate(w, l, b, tN, lengths, w.workers[wk]);
                    }
                    for (int l = w.layers - 1; l >= 0; l--) {
                        gradOutput(w, l, b, tN, lengths, dScores, w.workers[wk]);
                        gradPre(w, l, b, tN, q, keys, lengths, dq, dKeys, w.workers[wk]);
                    }
                }
            });
        } else {
            // One pass per layer, top down. The pass of layer l first finishes layer l + 1's ∂/∂pre for the sample
            // (its sums were reduced after the last pass) into the worker's scratch, where gradOutput takes it from
            // L1 a moment later, then leaves ĝ of layer l in the batch-wide buffer for the next pass; a last pass
            // finishes the first layer's ∂/∂pre and runs the folded backward. Before, each layer's ∂/∂pre had a
            // pass of its own that wrote it back over the batch-wide buffer, from which the next pass read it again.
            for (int l = w.layers - 1; l >= 0; l--) {
                int layer = l;
                zeroSums(w);
                parallel.forRange(bN, 1, (wk, from, to) -> {
                    for (int b = from; b < to; b++) {
                        if (layer + 1 < w.layers) {
                            gradPre(w, layer + 1, b, tN, q, keys, lengths, dq, dKeys, w.workers[wk]);
                        }
                        gradOutput(w, layer, b, tN, lengths, dScores, w.workers[wk]);
                        diceGradSums(w, layer, b, tN, lengths, w.workers[wk]);
                    }
                });
                Worker sums = reduceSums(w, w.h[l]);
                for (int o = 0; o < w.h[l]; o++) {
                    double inv = w.invStd[layer][o];
                    w.dxShift[o] = (float) (-inv * (sums.s1[o] / rows));
                    w.dxSlope[o] = (float) (-inv * inv * (sums.s2[o] / rows));
                }
                // The buffers are shared by the layers: a padding lane may hold a wider layer's value.
                Arrays.fill(w.dxShift, w.h[l], w.hp[l], 0f);
                Arrays.fill(w.dxSlope, w.h[l], w.hp[l], 0f);
            }
            parallel.forRange(bN, 1, (wk, from, to) -> {
                for (int b = from; b < to; b++) {
                    gradPre(w, 0, b, tN, q, keys, lengths, dq, dKeys, w.workers[wk]);
                }
            });
        }
        writeGradients(w, grads);
    }

    /**
     * ∂/∂(output of layer l) for sample b into {@code grad[l & 1]}: from the scores for the last layer, else through
     * layer l+1's weights from its ∂/∂pre; also accumulates layer l+1's (or the output layer's) weight gradient.
     */
    private static void gradOutput(Workspace w, int l, int b, int tN, Tensor lengths, Tensor dScores, Worker wk) {
        int len = lengths.getInt(b);
        if (len == 0) {
            return;
        }
        int hp = w.hp[l];
        int off = w.gradOff(l, b);
        float[] g = w.grad(l, wk);
        if (l == w.layers - 1) {
            for (int t = 0; t < len; t++) {
                float ds = dScores.getFloat((long) b * tN + t);
                wk.dbOut += ds;
                FloatVector dv = FloatVector.broadcast(S, ds);
                for (int j = 0; j < hp; j += L) {
                    // scalar math: g[t, j] = ds_t·w_out[j]
                    dv.mul(FloatVector.fromArray(S, w.wOut, j)).intoArray(g, off + t * hp + j);
                }
                SeqKernels.axpy(ds, w.act(l, wk), w.actOff(l, b) + t * hp, wk.dWOut, 0, hp);
            }
            return;
        }
        int hpUp = w.hp[l + 1];
        int hUp = w.h[l + 1];
        // gradPre left layer l + 1's ∂/∂pre for this sample in the worker's scratch (with or without Dice)
        float[] gUp = wk.gradS[(l + 1) & 1];
        int offUp = 0;
        SeqKernels.gemm(gUp, offUp, hpUp, len, hUp, w.wN[l + 1], 0, hp, hp, null, g, off, hp, false, wk.panel, w.wNp[l + 1]);
        // ∂W_{l+1} += Gᵀ·A_l
        SeqKernels.gemmTN(gUp, offUp, hpUp, hUp, len, w.act(l, wk), w.actOff(l, b), hp, hp, wk.dW[l + 1], 0, hp);
    }

    /**
     * Per-channel sums of ∂z and ∂z·z over sample b's rows of layer l (Dice's gradient through the batch stats) and
     * of ∂α; replaces the gradient g in place with ĝ = g·(α + (1 − α)·p) + invStd·∂z, the part of ∂x that needs
     * the sigmoid, so that {@link #gradPre} finishes ∂x with one affine step per element once the sums are reduced
     * (the sigmoid is evaluated once in the backward instead of twice: in JFR of a DIN training step, B = 256,
     * T = 39, 256 bits, the two passes were 16% of the step; the attention backward alone, one thread, took 8% less).
     */
    private static void diceGradSums(Workspace w, int l, int b, int tN, Tensor lengths, Worker wk) {
        int len = lengths.getInt(b);
        int hp = w.hp[l];
        int off = w.gradOff(l, b);
        float[] g = w.grad(l, wk);
        float[] x = w.pre[l];
        int xOff = w.rowStart[b] * hp;
        float[] da = wk.dAlpha[l];
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int j = 0; j < hp; j += L) {
            FloatVector mu = FloatVector.fromArray(S, w.mean[l], j);
            FloatVector inv = FloatVector.fromArray(S, w.invStd[l], j);
            FloatVector us = FloatVector.fromArray(S, w.uScale[l], j);
            FloatVector a = FloatVector.fromArray(S, w.alpha[l], j);
            FloatVector oneMinusA = one.sub(a);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            for (int t = 0; t < len; t++) {
                // scalar math: z = (x − μ)·inv; p = σ(z) (the forward's p: base 2, from uScale); gx = g·x;
                //              dz = gx·(1 − α)·p·(1 − p); s1 += dz; s2 += dz·z; ∂α += gx·(1 − p);
                //              g = g·(α + (1 − α)·p) + inv·dz
                int i = t * hp + j;
                FloatVector xv = FloatVector.fromArray(S, x, xOff + i);
                FloatVector gv = FloatVector.fromArray(S, g, off + i);
                FloatVector centred = xv.sub(mu);
                FloatVector z = centred.mul(inv);
                FloatVector p = SeqKernels.reciprocalOnePlusExp2(centred.mul(us));
                FloatVector oneMinusP = one.sub(p);
                FloatVector gx = gv.mul(xv);
                FloatVector dz = gx.mul(oneMinusA).mul(p.mul(oneMinusP));
                a1 = a1.add(dz);
                a2 = dz.fma(z, a2);
                a3 = gx.fma(oneMinusP, a3);
                gv.mul(p.fma(oneMinusA, a)).add(dz.mul(inv)).intoArray(g, off + i);
            }
            for (int i = 0; i < L && j + i < w.h[l]; i++) {
                wk.s1[j + i] += a1.lane(i);
                wk.s2[j + i] += a2.lane(i);
            }
            FloatVector.fromArray(S, da, j).add(a3).intoArray(da, j);
        }
    }

    /**
     * Turns sample b's ∂/∂(output of layer l) into ∂/∂pre in the worker's scratch {@code gradS[l & 1]} (in place
     * where the gradient is there already, without Dice; from the batch-wide ĝ with Dice), accumulates the bias and α
     * gradients (Dice's α: already in {@link #diceGradSums}), and for the first layer runs the folded backward into
     * q, the keys and the first layer's weights.
     */
    private static void gradPre(Workspace w, int l, int b, int tN, Tensor q, Tensor keys, Tensor lengths,
                                Tensor dq, Tensor dKeys, Worker wk) {
        int len = lengths.getInt(b);
        if (len == 0) {
            return;
        }
        int hp = w.hp[l];
        int gOff = w.gradOff(l, b);
        int off = w.rowStart[b] * hp;
        float[] g = w.grad(l, wk);
        float[] x = w.pre[l];
        float[] db = wk.db[l];
        float[] da = wk.dAlpha[l];
        FloatVector one = FloatVector.broadcast(S, 1f);
        if (w.unit.activation() == Activation.DICE) {
            // ĝ is read from the batch-wide buffer and ∂/∂pre written to the worker's scratch, where the next step
            // (gradOutput of the layer below, or the folded backward) reads it; it is needed nowhere else, so it
            // never goes back to memory.
            float[] out = wk.gradS[l & 1];
            // Channels outer, so that ∂b's sum stays in a register over the rows instead of a load and store of
            // db[j] per row, each waiting for the last.
            for (int j = 0; j < hp; j += L) {
                FloatVector mu = FloatVector.fromArray(S, w.mean[l], j);
                FloatVector slope = FloatVector.fromArray(S, w.dxSlope, j);
                FloatVector shift = FloatVector.fromArray(S, w.dxShift, j);
                FloatVector dbSum = FloatVector.zero(S);
                for (int t = 0; t < len; t++) {
                    // scalar math: ∂x = ĝ + dxShift + (x − μ)·dxSlope  (ĝ, dxShift, dxSlope: Workspace.dxShift); ∂b += ∂x
                    int i = t * hp + j;
                    FloatVector dx = FloatVector.fromArray(S, x, off + i).sub(mu)
                            .fma(slope, FloatVector.fromArray(S, g, gOff + i).add(shift));
                    dx.intoArray(out, t * hp + j);
                    dbSum = dbSum.add(dx);
                }
                FloatVector.fromArray(S, db, j).add(dbSum).intoArray(db, j);
                if (l == 0) {
                    // The same sums, in the same order, as sumRows would take of G = ∂/∂pre₁.
                    dbSum.intoArray(wk.gsum, j);
                }
            }
            if (l == 0) {
                foldedBackward(w, b, tN, len, out, 0, q, keys, dq, dKeys, wk, true);
            }
            return;
        }
        for (int t = 0; t < len; t++) {
            for (int j = 0; j < hp; j += L) {
                int i = t * hp + j;
                FloatVector gv = FloatVector.fromArray(S, g, gOff + i);
                FloatVector xv = FloatVector.fromArray(S, x, off + i);
                FloatVector out;
                switch (w.unit.activation()) {
                    case RELU -> out = gv.blend(0f, xv.compare(VectorOperators.LE, 0f));
                    case SIGMOID -> {
                        // scalar math: g·y·(1 − y)
                        FloatVector y = FloatVector.fromArray(S, w.act(l, wk), w.actOff(l, b) + t * hp + j);
                        out = gv.mul(y).mul(one.sub(y));
                    }
                    case PRELU -> {
                        // scalar math: x > 0 ? g : α·g;  ∂α += x ≤ 0 ? g·x : 0
                        VectorMask<Float> neg = xv.compare(VectorOperators.LE, 0f);
                        FloatVector a = FloatVector.fromArray(S, w.alpha[l], j);
                        FloatVector.fromArray(S, da, j).add(gv.mul(xv), neg).intoArray(da, j);
                        out = gv.blend(gv.mul(a), neg);
                    }
                    default -> throw new IllegalStateException("Dice takes the loop above");
                }
                out.intoArray(g, gOff + i);
                FloatVector.fromArray(S, db, j).add(out).intoArray(db, j);
            }
        }
        if (l == 0) {
            foldedBackward(w, b, tN, len, g, gOff, q, keys, dq, dKeys, wk, false);
        }
    }

    /**
     * The first layer's backward for sample b from G = ∂/∂pre₁, its rows at {@code g[off..]} (see the class comment
     * for the algebra); {@code gsumReady}: the caller has already put G's column sums in the worker's {@code gsum}.
     */
    private static void foldedBackward(Workspace w, int b, int tN, int len, float[] g, int off, Tensor q, Tensor keys,
                                       Tensor dq, Tensor dKeys, Worker wk, boolean gsumReady) {
        int hp = w.hp[0];
        int h0 = w.h[0];
        int dp = w.dp;
        int d = w.d;
        loadSample(w, b, tN, len, q, keys, wk);
        if (!gsumReady) {
            sumRows(g, off, hp, len, wk.gsum);
        }
        // M = Gᵀ·K  [h0, dp]
        Arrays.fill(wk.m, 0f);
        SeqKernels.gemmTN(g, off, hp, h0, len, wk.kp, 0, dp, dp, wk.m, 0, dp);
        accumulateFolded(w, wk, h0, dp);
        SeqKernels.addInto(dq.segment(), (long) b * d * Float.BYTES, wk.dq, 0, d);
        // ∂K = G·A_q  [len, dp]
        SeqKernels.gemm(g, off, hp, len, h0, wk.aT, 0, dp, dp, null, wk.dk, 0, dp, false, wk.panel, wk.aT);
        MemorySegment dks = dKeys.segment();
        if (dp == d) {
            // unpadded rows are back to back in both: the sample's rows in one call
            SeqKernels.addInto(dks, (long) b * tN * d * Float.BYTES, wk.dk, 0, len * d);
        } else {
            for (int t = 0; t < len; t++) {
                SeqKernels.addInto(dks, ((long) b * tN + t) * d * Float.BYTES, wk.dk, t * dp, d);
            }
        }
    }

    /*
     * foldedBackward's two vector loops live in their own small methods. Inline in foldedBackward, in about one JVM in
     * three the compiled foldedBackward kept the results of their FloatVector.add calls as heap objects: 40-120 KB
     * of garbage per sample of a DIN training step and a 1.3-1.7x slower step for the whole run (JFR allocation
     * samples at lanewiseTemplate inlined into foldedBackward:908 and :925; docs/cli.md, "Later the same day").
     */

    /** {@code gsum[j] = Σ_t G[t, j]} over the {@code len} rows of {@code hp} floats at {@code off}. */
    private static void sumRows(float[] g, int off, int hp, int len, float[] gsum) {
        Arrays.fill(gsum, 0f);
        for (int t = 0; t < len; t++) {
            for (int j = 0; j < hp; j += L) {
                // scalar math: gsum[j] += G[t, j]
                FloatVector.fromArray(S, gsum, j).add(FloatVector.fromArray(S, g, off + t * hp + j)).intoArray(gsum, j);
            }
        }
    }

    /** The first layer's parameter-gradient accumulators, ∂q and A_qᵀ from M and gsum (see foldedBackward). */
    private static void accumulateFolded(Workspace w, Worker wk, int h0, int dp) {
        Arrays.fill(wk.dq, 0f);
        for (int o = 0; o < h0; o++) {
            float go = wk.gsum[o];
            FloatVector gov = FloatVector.broadcast(S, go);
            for (int c = 0; c < dp; c += L) {
                // scalar math: ∂W2 += M; ∂W4 += M⊙q; (∂W1, ∂W3) += g qᵀ; ∂q += g_o·(W1+W3)[o] + W4[o]⊙M[o];
                //              A_qᵀ[o] = (W2 − W3)[o] + W4[o]⊙q (into the panels)
                int i = o * dp + c;
                FloatVector mv = FloatVector.fromArray(S, wk.m, i);
                FloatVector qv = FloatVector.fromArray(S, wk.q, c);
                FloatVector w4 = FloatVector.fromArray(S, w.w4N, i);
                FloatVector.fromArray(S, wk.accM, i).add(mv).intoArray(wk.accM, i);
                mv.fma(qv, FloatVector.fromArray(S, wk.accMQ, i)).intoArray(wk.accMQ, i);
                gov.fma(qv, FloatVector.fromArray(S, wk.accGQ, i)).intoArray(wk.accGQ, i);
                FloatVector dqv = gov.fma(FloatVector.fromArray(S, w.w13N, i), FloatVector.fromArray(S, wk.dq, c));
                w4.fma(mv, dqv).intoArray(wk.dq, c);
                int v = c / L;
                w4.fma(qv, FloatVector.fromArray(S, w.w23N, i)).intoArray(wk.aT, w.aTAt[v] + o * w.aTWidth[v]);
            }
        }
    }

    /** Sums the workers' partials in worker order and adds them into the gradient tensors. */
    private static void writeGradients(Workspace w, AttentionParams grads) {
        Worker first = w.workers[0];
        for (int k = 1; k < w.workers.length; k++) {
            Worker wk = w.workers[k];
            addAll(first.accM, wk.accM);
            addAll(first.accMQ, wk.accMQ);
            addAll(first.accGQ, wk.accGQ);
            for (int l = 0; l < w.layers; l++) {
                if (l > 0) {
                    addAll(first.dW[l], wk.dW[l]);
                }
                addAll(first.db[l], wk.db[l]);
                addAll(first.dAlpha[l], wk.dAlpha[l]);
            }
            addAll(first.dWOut, wk.dWOut);
            first.dbOut += wk.dbOut;
        }
        // Whole rows at a time (SeqKernels.addInto), not element by element: the per-element adds kept this
        // once-per-step method hot enough for an on-stack compile and then a normal one in the warm-up (as prepare).
        int d = w.d;
        MemorySegment dW0 = grads.weights()[0].segment();
        for (int o = 0; o < w.h[0]; o++) {
            long row = (long) o * 4 * d * Float.BYTES;
            int i = o * w.dp;
            SeqKernels.addInto(dW0, row, first.accGQ, i, d);
            SeqKernels.addInto(dW0, row + (long) d * Float.BYTES, first.accM, i, d);
            difference(first.accGQ, first.accM, i, w.gradRow, d);
            SeqKernels.addInto(dW0, row + 2L * d * Float.BYTES, w.gradRow, 0, d);
            SeqKernels.addInto(dW0, row + 3L * d * Float.BYTES, first.accMQ, i, d);
        }
        for (int l = 0; l < w.layers; l++) {
            SeqKernels.addInto(grads.biases()[l].segment(), 0, first.db[l], 0, w.h[l]);
            if (w.unit.activation().hasAlpha()) {
                SeqKernels.addInto(grads.alphas()[l].segment(), 0, first.dAlpha[l], 0, w.h[l]);
            }
            if (l > 0) {
                int k = w.h[l - 1];
                MemorySegment dW = grads.weights()[l].segment();
                for (int o = 0; o < w.h[l]; o++) {
                    SeqKernels.addInto(dW, (long) o * k * Float.BYTES, first.dW[l], o * w.hp[l - 1], k);
                }
            }
        }
        int last = w.layers - 1;
        SeqKernels.addInto(grads.weights()[w.layers].segment(), 0, first.dWOut, 0, w.h[last]);
        add(grads.biases()[w.layers], 0, (float) first.dbOut);
    }

    /** {@code out[c] = a[from + c] − b[from + c]} for {@code c < n}: the q − k block of ∂W₀'s row. */
    private static void difference(float[] a, float[] b, int from, float[] out, int n) {
        for (int c = 0; c < n; c++) {
            out[c] = a[from + c] - b[from + c];
        }
    }

    private static void addAll(float[] dst, float[] src) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] += src[i];
        }
    }

    private static void add(Tensor t, long i, float v) {
        t.setFloat(i, t.getFloat(i) + v);
    }
}
