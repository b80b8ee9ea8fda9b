package io.din4j.model;

import io.din4j.backend.Backend;
import io.din4j.data.Batch;
import io.din4j.data.FeatureSchema;
import io.din4j.data.FieldRole;
import io.din4j.graph.Graph;
import io.din4j.graph.Graph.Buf;
import io.din4j.graph.Graph.Extent;
import io.din4j.graph.Op;
import io.din4j.tensor.DType;
import io.din4j.tensor.HostArena;
import io.din4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's graph planned for one use — training, inference, or scoring many candidates for one user — with its
 * input buffers and host staging memory. Not thread-safe: one session per thread (the {@code Predictor} pools
 * them). Sessions of one {@link Model} share its parameters.
 *
 * <p>Buffers are planned for {@code maxBatch} rows and a history length that starts at the config's
 * {@code maxHistory} and doubles (re-planning once) when a longer batch arrives.
 */
public final class Session implements AutoCloseable {
    /** What a session is planned for. */
    public enum Mode {
        TRAINING, INFERENCE,
        /** One user (USER fields and behaviours computed once) against many candidates. */
        CANDIDATES
    }

    private final Model model;
    private final Mode mode;
    private final int maxBatch;
    private final Backend backend;
    private final FeatureSchema schema;
    private final int[] vocabSizes;
    private Graph graph;
    private Network.Inputs inputs;
    private Buf[] labels;
    private Buf[] masks;
    private Buf[] probs;
    private Network.Outputs outputs;
    private HostArena stagingArena;
    private MemorySegment staging;
    private boolean ranTraining;

    Session(Model model, Mode mode, int maxBatch) {
        if (maxBatch <= 0) {
            throw new IllegalArgumentException("maxBatch must be positive, got " + maxBatch);
        }
        this.model = model;
        this.mode = mode;
        this.maxBatch = maxBatch;
        this.backend = model.backend();
        this.schema = model.schema();
        this.vocabSizes = model.vocabSizes();
        plan(model.config().maxHistory());
    }

    public Mode mode() {
        return mode;
    }

    public int maxBatch() {
        return maxBatch;
    }

    /** The planned graph (for inspection and tests). */
    public Graph graph() {
        return graph;
    }

    /**
     * Plans the graph and staging memory for {@code maxHistory}. A failure other than a bad argument — in practice
     * host or device memory running out — frees what was planned so far and becomes a {@link PlanningException}
     * naming the request and suggesting a smaller batch; the model stays usable.
     */
    private void plan(int maxHistory) {
        if (graph != null) {
            graph.close();
            stagingArena.close();
            graph = null;
        }
        boolean training = mode == Mode.TRAINING;
        Graph g = new Graph(backend, model.params(), maxBatch, maxHistory, training);
        try {
            build(g, maxHistory, training);
        } catch (IllegalArgumentException e) {
            g.close();
            throw e;
        } catch (RuntimeException e) {
            long planned = g.arena().allocatedBytes();
            g.close();
            throw new PlanningException("cannot plan " + (mode == Mode.TRAINING ? "a training" : mode == Mode.INFERENCE
                    ? "an inference" : "a candidate") + " session of " + maxBatch + " rows × history " + maxHistory + " on the "
                    + backend.name() + " backend (" + planned + " bytes planned before the failure): " + e.getMessage()
                    + "; use a smaller batch (maxBatch), or another backend", e);
        }
    }

    private void build(Graph g, int maxHistory, boolean training) {
        boolean cand = mode == Mode.CANDIDATES;
        Buf[] sparse = new Buf[schema.sparse().size()];
        for (int f = 0; f < sparse.length; f++) {
            boolean user = cand && schema.sparse().get(f).role() == FieldRole.USER;
            sparse[f] = g.input("in." + schema.sparse().get(f).name(), DType.I32, user ? Extent.ONE : Extent.BATCH);
        }
        Buf[] seqs = new Buf[schema.sequences().size()];
        for (int s = 0; s < seqs.length; s++) {
            seqs[s] = g.input("in." + schema.sequences().get(s).name(), DType.I32, cand ? Extent.ONE_SEQUENCE : Extent.SEQUENCE);
        }
        Buf lengths = g.input("in.lengths", DType.I32, Extent.BATCH);
        Buf historyLengths = cand ? g.input("in.history_lengths", DType.I32, Extent.ONE) : lengths;
        int nd = schema.dense().size();
        Buf dense = nd == 0 ? null : g.input("in.dense", backend.valueType(), Extent.BATCH, nd);
        int k = model.config().tasks().size();
        labels = new Buf[k];
        masks = new Buf[k];
        if (training) {
            for (int t = 0; t < k; t++) {
                labels[t] = g.input("in.label." + t, backend.valueType(), Extent.BATCH);
                masks[t] = g.input("in.mask." + t, backend.valueType(), Extent.BATCH);
            }
        }
        inputs = new Network.Inputs(sparse, seqs, lengths, historyLengths, dense);
        outputs = model.network().build(g, inputs);
        probs = new Buf[k];
        for (int t = 0; t < k; t++) {
            Buf logit = outputs.logits().get(t);
            Buf p = g.buf("prob." + t, Extent.BATCH, 1);
            probs[t] = p;
            g.add(new Op() {
                @Override
                public void forward(boolean tr) {
                    backend.activation().sigmoid(logit.v(), p.v());
                }

                @Override
                public void backward() {
                    // The loss reads the logits directly (BCE on logits), so nothing flows through the probabilities.
                }
            });
        }
        g.finish();
        int widest = Math.max(maxHistory, nd);
        for (Buf gb : outputs.gates().values()) {
            widest = Math.max(widest, gb.width());
        }
        // Eight bytes per element covers f64 values; host-arena memory so that leak tests account for it. A batched
        // upload stages, side by side, the histories (zeros when there are no behaviours, or a part's rows cut to
        // its own length), the dense block, f64 labels/masks, and a candidate call's per-row history lengths.
        long batched = (long) seqs.length * maxBatch * maxHistory / 2 + (long) maxBatch * nd + 2L * k * maxBatch
                + maxBatch / 2 + 4L * (seqs.length + 2 * k + 2);
        HostArena st = new HostArena();
        try {
            staging = st.allocate(DType.F64, Math.max((long) maxBatch * widest, batched) + 8).segment();
        } catch (RuntimeException e) {
            st.close();
            throw e;
        }
        stagingArena = st;
        graph = g;
    }

    private void ensureHistory(int t) {
        if (t > graph.maxHistory()) {
            int fitted = graph.maxHistory();
            try {
                plan(Math.min(ModelConfig.MAX_HISTORY, Math.max(t, 2 * fitted)));
            } catch (PlanningException e) {
                // Back to the plan that fitted, so the session keeps serving shorter histories.
                plan(fitted);
                throw e;
            }
        }
    }

    /** Whether the session can still run (not closed, and its last re-planning did not fail beyond recovery). */
    public boolean isOpen() {
        return graph != null;
    }

    private void checkOpen() {
        if (graph == null) {
            throw new IllegalStateException("session is closed");
        }
    }

    /** Runs the forward pass on {@code batch} (at most {@code maxBatch} rows). */
    public void run(Batch batch, boolean training) {
        run(batch, 0, batch.size(), training);
    }

    /**
     * Runs the forward pass on the rows {@code [from, to)} of {@code batch} (at most {@code maxBatch} of them), read
     * in place: no copy of the rows is made on the Java heap (a part of a call split over threads; copying each part
     * into a new {@link Batch} was ~280 of the 484 bytes a DIN inference allocated per sample). The part's history
     * is its longest row, as if the rows had been cut out with {@link io.din4j.data.Batches#slice}.
     */
    public void run(Batch batch, int from, int to, boolean training) {
        upload(batch, from, to, training, List.of(), List.of());
        forwardUploaded(training);
    }

    /**
     * The first half of {@link #run}: checks {@code batch} on the host, plans and binds the graph for its shape, and
     * uploads it — with {@code extraSrcs[i]} into {@code extraDsts[i]} in the same transfer (the trainer's per-step
     * scalars). Returns what the forward pass's device work depends on besides tensor contents: the planned graph
     * and the bound batch size and history (a key for {@link io.din4j.backend.StepReplay#run}).
     */
    public Object upload(Batch batch, boolean training, List<MemorySegment> extraSrcs, List<Tensor> extraDsts) {
        return upload(batch, 0, batch.size(), training, extraSrcs, extraDsts);
    }

    private Object upload(Batch batch, int from, int to, boolean training, List<MemorySegment> extraSrcs,
                          List<Tensor> extraDsts) {
        checkOpen();
        if (mode == Mode.CANDIDATES) {
            throw new IllegalStateException("a candidate session scores with runCandidates");
        }
        if (training && mode != Mode.TRAINING) {
            throw new IllegalStateException("training forward on an inference session");
        }
        if (extraSrcs.size() != extraDsts.size()) {
            throw new IllegalArgumentException(extraSrcs.size() + " extra sources for " + extraDsts.size() + " destinations");
        }
        int b = to - from;
        if (from < 0 || to > batch.size() || from > to) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") of a batch of " + batch.size());
        }
        if (b < 1 || b > maxBatch) {
            throw new IllegalArgumentException("batch of " + b + " rows; this session takes 1 to " + maxBatch);
        }
        BatchCheck.check(schema, vocabSizes, batch, from, to, BatchCheck.Part.ALL, mode == Mode.TRAINING);
        int stride = batch.history();
        int history = b == batch.size() ? stride : longest(batch.lengths(), from, to);
        int t = Math.max(1, history);
        ensureHistory(t);
        graph.bind(b, t);
        // Every input in one call (one transfer on a device backend): the int and float columns straight from the
        // batch's arrays, the rest (zero histories, the row-major dense block, f64 conversions, a part's histories
        // at its own shorter length) from staging.
        Uploads up = new Uploads();
        for (int f = 0; f < inputs.sparse().length; f++) {
            up.ints(batch.sparse(f), from, b, inputs.sparse()[f].v());
        }
        for (int s = 0; s < inputs.sequences().length; s++) {
            Tensor dst = inputs.sequences()[s].v();
            if (history == 0) {
                up.zeros(dst);
            } else if (history == stride) {
                up.ints(batch.sequence(s), from * stride, b * stride, dst);
            } else {
                up.rows(batch.sequence(s), from, b, stride, history, dst);
            }
        }
        up.ints(batch.lengths(), from, b, inputs.lengths().v());
        if (inputs.dense() != null) {
            up.dense(batch, from, inputs.dense().v());
        }
        if (mode == Mode.TRAINING) {
            for (int k = 0; k < labels.length; k++) {
                up.floats(batch.labels(k), from, labels[k].v());
                up.floats(batch.labelMask(k), from, masks[k].v());
            }
        }
        for (int i = 0; i < extraSrcs.size(); i++) {
            up.add(extraSrcs.get(i), extraDsts.get(i));
        }
        backend.copyFromHost(up.srcs, up.dsts);
        return List.of(graph, b, t);
    }

    /** The second half of {@link #run}: the forward pass on the batch {@link #upload} put on the backend. */
    public void forwardUploaded(boolean training) {
        checkOpen();
        // The batch was checked on the host (BatchCheck in upload): the backend need not check ids and lengths
        // again on the device, which would cost a read-back per op.
        try (Backend.Scope v = backend.hostValidated()) {
            graph.forward(training);
        }
        ranTraining = training;
    }

    /**
     * The sources and destinations of one batched upload. Sources that need no conversion are the batch's own
     * arrays (heap segments); the others take consecutive slices of the staging memory.
     */
    private final class Uploads {
        final List<MemorySegment> srcs = new ArrayList<>();
        final List<Tensor> dsts = new ArrayList<>();
        private long staged;

        /** The next slice of staging (planned in {@link #build} for every converted input of a batch). */
        private MemorySegment stage(long bytes) {
            long at = (staged + 7) & ~7L;
            staged = at + bytes;
            return staging.asSlice(at, bytes);
        }

        void ints(int[] src, Tensor dst) {
            add(MemorySegment.ofArray(src), dst);
        }

        /** {@code src[from, from + n)}, read in place. */
        void ints(int[] src, int from, int n, Tensor dst) {
            MemorySegment all = MemorySegment.ofArray(src);
            add(from == 0 && n == src.length ? all : all.asSlice((long) from * Integer.BYTES, (long) n * Integer.BYTES), dst);
        }

        /** Rows {@code [from, from + n)} of a row-major {@code src} of row length {@code stride}, cut to {@code width}. */
        void rows(int[] src, int from, int n, int stride, int width, Tensor dst) {
            MemorySegment m = stage((long) n * width * Integer.BYTES);
            for (int i = 0; i < n; i++) {
                MemorySegment.copy(src, (from + i) * stride, m, ValueLayout.JAVA_INT, (long) i * width * Integer.BYTES, width);
            }
            add(m, dst);
        }

        /** {@code n} copies of {@code value}. */
        void fill(int value, int n, Tensor dst) {
            MemorySegment m = stage((long) n * Integer.BYTES);
            for (int i = 0; i < n; i++) {
                m.setAtIndex(ValueLayout.JAVA_INT, i, value);
            }
            add(m, dst);
        }

        void zeros(Tensor dst) {
            MemorySegment m = stage(dst.byteSize());
            m.fill((byte) 0);
            add(m, dst);
        }

        /** {@code src[from, from + dst.size())}. */
        void floats(float[] src, int from, Tensor dst) {
            int n = Math.toIntExact(dst.size());
            if (dst.dtype() == DType.F32) {
                MemorySegment all = MemorySegment.ofArray(src);
                add(from == 0 && n == src.length ? all : all.asSlice((long) from * Float.BYTES, (long) n * Float.BYTES), dst);
                return;
            }
            MemorySegment m = stage(dst.byteSize());
            for (int i = 0; i < n; i++) {
                m.setAtIndex(ValueLayout.JAVA_DOUBLE, i, src[from + i]);
            }
            add(m, dst);
        }

        /** Rows {@code [from, from + B)} of the batch's dense columns. */
        void dense(Batch batch, int from, Tensor dst) {
            MemorySegment m = stage(dst.byteSize());
            fillDense(batch, from, dst, m);
            add(m, dst);
        }

        private void add(MemorySegment src, Tensor dst) {
            srcs.add(src);
            dsts.add(dst);
        }
    }

    /**
     * Scores {@code candidates.size()} candidates for one user: the USER fields and the behaviour sequences come
     * from {@code user} (one row); every other sparse field and the dense features from {@code candidates}. The
     * user's embeddings, behaviour lookups (and, for sum pooling, the pooled history) are computed once.
     */
    public void runCandidates(Batch user, Batch candidates) {
        runCandidates(user, candidates, 0, candidates.size());
    }

    /** {@link #runCandidates(Batch, Batch)} for the candidates {@code [from, to)} only, read in place. */
    public void runCandidates(Batch user, Batch candidates, int from, int to) {
        checkOpen();
        if (mode != Mode.CANDIDATES) {
            throw new IllegalStateException("runCandidates needs a CANDIDATES session");
        }
        if (user.size() != 1) {
            throw new IllegalArgumentException("user batch must have exactly one row, got " + user.size());
        }
        int b = to - from;
        if (from < 0 || to > candidates.size() || from > to) {
            throw new IllegalArgumentException("candidates [" + from + ", " + to + ") of " + candidates.size());
        }
        if (b < 1 || b > maxBatch) {
            throw new IllegalArgumentException(b + " candidates; this session takes 1 to " + maxBatch);
        }
        BatchCheck.check(schema, vocabSizes, user, BatchCheck.Part.USER, false);
        BatchCheck.check(schema, vocabSizes, candidates, from, to, BatchCheck.Part.CANDIDATES, false);
        int t = Math.max(1, user.history());
        ensureHistory(t);
        graph.bind(b, t);
        Uploads up = new Uploads();
        for (int f = 0; f < inputs.sparse().length; f++) {
            Buf in = inputs.sparse()[f];
            if (in.extent() == Extent.ONE) {
                up.ints(user.sparse(f), in.v());
            } else {
                up.ints(candidates.sparse(f), from, b, in.v());
            }
        }
        for (int s = 0; s < inputs.sequences().length; s++) {
            Tensor dst = inputs.sequences()[s].v();
            if (user.history() == 0) {
                up.zeros(dst);
            } else {
                up.ints(user.sequence(s), dst);
            }
        }
        up.ints(user.lengths(), inputs.historyLengths().v());
        // Per-candidate copies of the user's length, for the attention unit and pooling after the broadcast.
        up.fill(user.lengths()[0], b, inputs.lengths().v());
        if (inputs.dense() != null) {
            up.dense(candidates, from, inputs.dense().v());
        }
        backend.copyFromHost(up.srcs, up.dsts);
        try (Backend.Scope v = backend.hostValidated()) {
            graph.forward(false);
        }
        ranTraining = false;
    }

    /** The dense columns of {@code batch} as the row-major {@code [B, nd]} block of {@code dst}'s type, into {@code m}. */
    private static void fillDense(Batch batch, int from, Tensor dst, MemorySegment m) {
        int b = dst.dimInt(0);
        int nd = dst.dimInt(1);
        boolean f32 = dst.dtype() == DType.F32;
        for (int d = 0; d < nd; d++) {
            float[] col = batch.dense(d);
            for (int i = 0; i < b; i++) {
                long at = (long) i * nd + d;
                if (f32) {
                    m.setAtIndex(ValueLayout.JAVA_FLOAT, at, col[from + i]);
                } else {
                    m.setAtIndex(ValueLayout.JAVA_DOUBLE, at, col[from + i]);
                }
            }
        }
    }

    /** Per-task probabilities of the last run, {@code [K][B]}. */
    public float[][] probabilities() {
        checkOpen();
        float[][] out = new float[probs.length][];
        for (int k = 0; k < probs.length; k++) {
            out[k] = download(probs[k].v());
        }
        return out;
    }

    /**
     * The probabilities of the last run written into {@code out[k][at, at + B)} for each task k, with no array of
     * their own (a part of a call split over threads writes its rows of the call's result).
     */
    public void probabilitiesInto(float[][] out, int at) {
        checkOpen();
        if (out.length != probs.length) {
            throw new IllegalArgumentException(out.length + " output rows for " + probs.length + " tasks");
        }
        for (int k = 0; k < probs.length; k++) {
            downloadInto(probs[k].v(), out[k], at);
        }
    }

    private float[] download(Tensor t) {
        float[] out = new float[Math.toIntExact(t.size())];
        downloadInto(t, out, 0);
        return out;
    }

    private void downloadInto(Tensor t, float[] out, int at) {
        checkOpen();
        int n = Math.toIntExact(t.size());
        Objects.checkFromIndexSize(at, n, out.length);
        backend.copyToHost(t, staging);
        if (t.dtype() == DType.F32) {
            MemorySegment.copy(staging, ValueLayout.JAVA_FLOAT, 0, out, at, n);
        } else {
            for (int i = 0; i < n; i++) {
                out[at + i] = (float) staging.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
            }
        }
    }

    /** The longest history among {@code lengths[from, to)}. */
    private static int longest(int[] lengths, int from, int to) {
        int t = 0;
        for (int i = from; i < to; i++) {
            t = Math.max(t, lengths[i]);
        }
        return t;
    }

    /**
     * The multi-task loss and its backward pass after a training {@link #run}: zeroes every gradient, adds
     * {@code w_k·∂BCE_k/∂logit} for each task over its sample space (the label mask), and back-propagates.
     *
     * @return each task's (unweighted) mean BCE over its sample space
     */
    public double[] backward(double[] taskWeights) {
        checkOpen();
        if (!ranTraining) {
            throw new IllegalStateException("backward needs a training forward pass first");
        }
        if (taskWeights.length != probs.length) {
            throw new IllegalArgumentException(taskWeights.length + " task weights for " + probs.length + " tasks");
        }
        graph.zeroGrads();
        double[] losses = new double[probs.length];
        int b = graph.batch();
        for (int k = 0; k < probs.length; k++) {
            Buf logit = outputs.logits().get(k);
            losses[k] = backend.loss().bceWithLogits(logit.v().reshape(b), labels[k].v(), masks[k].v(),
                    (float) taskWeights[k], logit.g().reshape(b));
        }
        graph.backward();
        ranTraining = false;
        return losses;
    }

    /**
     * {@link #backward(double[])} without waiting for the device: task k's loss goes to {@code lossOut[k]} (f64, a
     * tensor of the backend), and the backward pass runs in a {@link Backend#hostValidated} scope (the batch was
     * checked on the host), so a sparse gradient's capacity overflow surfaces at its {@code count()} or as a NaN
     * in its values rather than here. The trainer reads the losses with its gradient checks in one read-back.
     */
    public void backward(double[] taskWeights, Tensor lossOut) {
        checkOpen();
        if (!ranTraining) {
            throw new IllegalStateException("backward needs a training forward pass first");
        }
        if (taskWeights.length != probs.length) {
            throw new IllegalArgumentException(taskWeights.length + " task weights for " + probs.length + " tasks");
        }
        if (lossOut.rank() != 1 || lossOut.dim(0) < probs.length) {
            throw new IllegalArgumentException("lossOut: expected [" + probs.length + "] or longer, got " + lossOut);
        }
        int b = graph.batch();
        try (Backend.Scope v = backend.hostValidated()) {
            graph.zeroGrads();
            for (int k = 0; k < probs.length; k++) {
                Buf logit = outputs.logits().get(k);
                backend.loss().bceWithLogits(logit.v().reshape(b), labels[k].v(), masks[k].v(), (float) taskWeights[k],
                        logit.g().reshape(b), lossOut.rows(k, k + 1));
            }
            graph.backward();
        }
        ranTraining = false;
    }

    /** Attention weights {@code [B·T]} of the last run (0 at padding), or null for models without attention. */
    public float[] attentionWeights() {
        return outputs.attention() == null ? null : download(outputs.attention().v());
    }

    /** History length T of the last run. */
    public int boundHistory() {
        checkOpen();
        return graph.history();
    }

    /** Keys of the gates ({@code <task>@<level>}, {@code shared@<level>}) in build order. */
    public List<String> gateKeys() {
        return new ArrayList<>(outputs.gates().keySet());
    }

    /** Gate probabilities {@code [B·E]} of the last run for {@code key} ({@link #gateKeys()}). */
    public float[] gateProbabilities(String key) {
        Map<String, Buf> g = outputs.gates();
        if (!g.containsKey(key)) {
            throw new IllegalArgumentException("no gate '" + key + "' (gates: " + g.keySet() + ")");
        }
        return download(g.get(key).v());
    }

    /** Experts mixed by gate {@code key}. */
    public int gateWidth(String key) {
        Buf b = outputs.gates().get(key);
        if (b == null) {
            throw new IllegalArgumentException("no gate '" + key + "' (gates: " + outputs.gates().keySet() + ")");
        }
        return b.width();
    }

    @Override
    public void close() {
        if (graph != null) {
            graph.close();
            stagingArena.close();
            graph = null;
        }
    }
}
